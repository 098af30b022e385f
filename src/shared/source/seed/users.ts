import { SeedContext, writerFor } from './context';
import { email, passwordHash, username } from './names';
import { entityId, heavyTailCount, rngFor, Rng, Stream } from './random';
import { SHAPE } from './shape';
import { BASE_TIME, DAY, isoMicros, later, Micros } from './time';

/** What later tables need of the users: kept as typed arrays, a few bytes per user. */
export interface SeededUsers {
  count: number;
  createdAt: Float64Array;
  postCounts: Uint16Array;
}

const COLUMNS = [
  ['id', 'uuid'],
  ['username', 'text'],
  ['email', 'text'],
  ['password_hash', 'text'],
  ['created_at', 'timestamptz'],
] as const;

export function userId(context: SeedContext, local: number): string {
  return entityId(context.seed, Stream.user, context.offsets.users + local);
}

/** Id and name of a user, recomputable from the index so posts need not keep the names. */
export function userIdentity(
  context: SeedContext,
  local: number,
): { id: string; username: string; rng: Rng } {
  const index = context.offsets.users + local;
  const rng = rngFor(context.seed, Stream.user, index);
  return { id: userId(context, local), username: username(rng, index), rng };
}

export async function seedUsers(context: SeedContext, count: number): Promise<SeededUsers> {
  const writer = writerFor(context, 'users', COLUMNS);
  const createdAt = new Float64Array(count);
  const postCounts = new Uint16Array(count);
  for (let local = 0; local < count; local++) {
    const { id, username: name, rng } = userIdentity(context, local);
    const index = context.offsets.users + local;
    const created: Micros = later(rng, BASE_TIME, 60 * DAY, 180 * DAY);
    createdAt[local] = created;
    postCounts[local] = heavyTailCount(rng, SHAPE.postsPerUserScale, SHAPE.postsPerUserCap);
    await writer.add([id, name, email(rng, index), passwordHash(rng), isoMicros(created)]);
  }
  await writer.flush();
  return { count: writer.inserted, createdAt, postCounts };
}
