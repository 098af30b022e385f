import { chance, intBelow, pick, Rng } from './random';

/**
 * Text as users really type it: accents, CJK, right-to-left scripts, emoji (including ZWJ
 * sequences and astral-plane symbols), quotes, backslashes, URL-special characters, newlines.
 */
const SENTENCES = [
  'Just shipped the new release, feedback welcome.',
  'Has anyone tried the new coffee place downtown?',
  'This is exactly what I needed today.',
  'Honestly not sure how I feel about this update.',
  'Great thread, bookmarking for later.',
  'Café déjà vu: the naïve façade of the señor’s crème brûlée.',
  'Zoë and Jürgen met at the Øresund bridge in Malmö.',
  '東京の桜は本当に美しいです。',
  '我今天很开心，谢谢大家！',
  '한국어로 된 댓글도 잘 보이나요?',
  'مرحبا بالعالم، كيف حالكم اليوم؟',
  'שלום עולם, מה שלומכם?',
  'Family trip 👨‍👩‍👧‍👦 was amazing 🏖️',
  'Proud to be here 🏳️‍🌈 and coding all night 👩🏽‍💻',
  'Love it ❤️‍🔥🔥🔥 😂😂',
  'Fancy text: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝒾𝓈 𝒻𝓊𝓃 🧑‍🚀',
  'He said "it\'s fine" and left.',
  "It's O'Reilly's book, not mine.",
  'Windows path: C:\\Users\\admin\\Documents\\notes.txt',
  'Regex of the day: ^\\d{3}-\\s*\\w+$ (escape your \\\\ properly)',
  'See https://example.com/a/b?c=1&d=2#section, 100% worth it.',
  "Robert'); DROP TABLE students;--",
  '{"this":"is not json", "but": [1, 2, 3]}',
  'Multi-line:\nsecond line\n\tindented third line',
  'Decomposed e\u0301 versus composed é, and a zero\u200bwidth space.',
  'Emoji skin tones: 👍🏻 👍🏿 and flags 🇯🇵 🇧🇷 🇺🇦',
  'Math: ∑ x² ≤ ∞ and ½ ≠ ⅓',
  'Trailing backslash at the end \\',
  'Percent-encoded lookalike: %20 %2F %3F %23 %25',
];

const WORDS = [
  'weekend',
  'project',
  'update',
  'question',
  'idea',
  'review',
  'launch',
  'recipe',
  'travel',
  'music',
  'café',
  'naïve',
  '東京',
  '日记',
  'سؤال',
  'שאלה',
  '🚀',
  '🎉',
  'help',
  'tips',
  "O'Neil's",
  '"quoted"',
  'back\\slash',
  'a/b',
  'why?',
  '#tag',
  '100%',
];

export function sentences(rng: Rng, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(pick(rng, SENTENCES));
  return parts.join(' ');
}

export function title(rng: Rng): string {
  const words: string[] = [];
  const count = 3 + intBelow(rng, 6);
  for (let i = 0; i < count; i++) words.push(pick(rng, WORDS));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A body of at least `length` characters (code points, as PostgreSQL's length() counts them),
 * for the rows near the limits of a document.
 */
export function longText(rng: Rng, length: number): string {
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const sentence = pick(rng, SENTENCES);
    parts.push(sentence);
    size += [...sentence].length + 1;
  }
  return parts.join(chance(rng, 0.5) ? ' ' : '\n');
}
