import { chance, intBelow, pick, Rng } from './random';

const FIRST = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'oscar',
  'peggy',
  'trent',
  'victor',
  'walter',
  'zoë',
  'josé',
  'jürgen',
  'françois',
  'søren',
  'łukasz',
  'ana',
  'chloé',
  '李雷',
  '韩梅梅',
  'さくら',
  '민준',
  'محمد',
  'דוד',
  "o'brien",
];
const LAST = [
  'smith',
  'jones',
  'garcía',
  'müller',
  'dubois',
  'rossi',
  'novák',
  'kowalski',
  'tanaka',
  'kim',
  'nguyen',
  'haddad',
  'cohen',
  'dev',
  'codes',
  'writes',
  '🚀',
  '🦄',
];
/** The characters that break naive URL routing and Cosmos ids. */
const AWKWARD = [
  (a: string, b: string) => `${a}/${b}`,
  (a: string, b: string) => `${a}?${b}`,
  (a: string, b: string) => `${a}#${b}`,
  (a: string, b: string) => `${a}\\${b}`,
  (a: string, b: string) => `${a} ${b}`,
  (a: string, _b: string) => `100%_${a}`,
  (a: string, b: string) => `${a} / ${b}?#%`,
];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'bücher.example'];

/** Share of users whose name or email contains `/ ? # \ %` or a space. */
const AWKWARD_SHARE = 0.04;

function handle(rng: Rng): string {
  const first = pick(rng, FIRST);
  const last = pick(rng, LAST);
  if (chance(rng, AWKWARD_SHARE)) return pick(rng, AWKWARD)(first, last);
  return pick(rng, [`${first}_${last}`, `${first}.${last}`, `${first}${last}`, first]);
}

/** Unique by construction, whatever the handle: the text after the last `_` is the user's index. */
export function username(rng: Rng, userIndex: number): string {
  return `${handle(rng)}_${userIndex}`;
}

/** Unique the same way: handles hold no `@`, and the local part ends in `.<index>`. */
export function email(rng: Rng, userIndex: number): string {
  const local = handle(rng).toLowerCase();
  return `${local}.${userIndex}@${pick(rng, DOMAINS)}`;
}

/** The name a user had before renaming, as kept by a stale denormalized copy. */
export function formerUsername(rng: Rng, current: string): string {
  const former = `${handle(rng)}_${intBelow(rng, 100_000)}`;
  return former === current ? `${former}_old` : former;
}

const HASH_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Looks like bcrypt; nobody will log in with it. */
export function passwordHash(rng: Rng): string {
  let body = '';
  for (let i = 0; i < 53; i++) body += HASH_ALPHABET[intBelow(rng, HASH_ALPHABET.length)];
  return `$2b$10$${body}`;
}
