import { Chooser } from './random';

const WORDS = [
  'sunrise',
  'coffee',
  'deadline',
  'weekend',
  'concert',
  'recipe',
  'garden',
  'marathon',
  'puppy',
  'rain',
  'launch',
  'update',
  'vacation',
  'library',
  'podcast',
  'bug',
  'release',
  'museum',
  'tacos',
  'sunset',
  'train',
  'bicycle',
  'mountain',
  'jazz',
  'chess',
  'meetup',
  'playlist',
  'really',
  'finally',
  'honestly',
  'loved',
  'missed',
  'tried',
  'found',
  'great',
  'tiny',
  'new',
];

/** A few words, as short posts and comments read; an emoji now and then. */
export function phrase(choose: Chooser, min: number, max: number): string {
  const n = min + choose.below(max - min + 1);
  const words = Array.from({ length: n }, () => choose.pick(WORDS)!);
  if (choose.chance(0.15)) words.push(choose.pick(['🎉', '😂', '🔥', '❤️', '🤔'])!);
  return words.join(' ');
}
