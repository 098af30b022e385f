import { chance, intBelow, pick, pickSome, Rng, rounded } from './random';
import { MESS } from './shape';

const COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'gray'];
const EMOTIONS = ['joy', 'anger', 'sadness', 'fear', 'surprise'];
const TOXICITY_TAGS = ['spam', 'insult', 'profanity', 'harassment', 'threat', 'self-promotion'];

export interface Sentiment {
  score: number | null;
  colors: string[] | null;
  type: string | null;
  analysis: unknown;
}

export interface Moderation {
  isBlocked: boolean;
  tags: string[] | null;
  scores: unknown;
}

function sentimentType(rng: Rng, score: number): string {
  if (chance(rng, 0.05)) return 'mixed';
  if (score > 0.25) return 'positive';
  if (score < -0.25) return 'negative';
  return 'neutral';
}

function analysis(rng: Rng): unknown {
  const scores: Record<string, number> = {};
  for (const emotion of EMOTIONS) scores[emotion] = rounded(rng(), 3);
  if (chance(rng, 0.1)) return { model: 'v1', scores };
  const labels = pickSome(rng, EMOTIONS, intBelow(rng, 3));
  return { model: 'v2', scores, labels };
}

/** Posts carry `analysis`; comments pass `withAnalysis = false` and get none. */
export function sentiment(rng: Rng, withAnalysis: boolean): Sentiment {
  // Full double precision on purpose: a migration must not round it.
  const score = rng() * 2 - 1;
  const value: Sentiment = {
    score,
    colors: pickSome(rng, COLORS, intBelow(rng, 4)),
    type: sentimentType(rng, score),
    analysis: withAnalysis && !chance(rng, MESS.sentimentAnalysisNull) ? analysis(rng) : null,
  };
  if (chance(rng, MESS.sentimentAllNull))
    return { score: null, colors: null, type: null, analysis: null };
  if (chance(rng, MESS.sentimentSomeNull)) {
    // One or two of score/colors/type missing, never all: partial sentiment stays an object.
    const missing = pickSome(rng, ['score', 'colors', 'type'] as const, 1 + intBelow(rng, 2));
    for (const key of missing) value[key] = null;
  }
  return value;
}

export function moderation(rng: Rng): Moderation {
  const toxic = chance(rng, 0.06);
  const tags = toxic ? pickSome(rng, TOXICITY_TAGS, 1 + intBelow(rng, 2)) : [];
  const scores: Record<string, number> = toxic
    ? {
        toxic: rounded(0.5 + rng() / 2, 3),
        insult: rounded(rng(), 3),
        threat: rounded(rng() / 4, 4),
      }
    : { toxic: rounded(rng() / 20, 3), insult: rounded(rng() / 50, 4) };
  return {
    isBlocked: toxic ? chance(rng, 0.3) : chance(rng, 0.005),
    tags: chance(rng, MESS.toxicityTagsNull) ? null : tags,
    scores: chance(rng, MESS.toxicityScoresNull) ? null : chance(rng, 0.02) ? {} : scores,
  };
}

/** Most posts keep the default 1.0; ranked ones get an unrounded double. */
export function popularityScore(rng: Rng): number {
  return chance(rng, 0.2) ? 1.0 : 1 + -Math.log(1 - rng()) * pick(rng, [0.5, 2, 8]);
}
