import { z } from 'zod';
import { badRequest } from '../errors/app-error';

/**
 * A feed's continuation token: the keyset position (`createdAt`, `id`) of a page's last item,
 * as base64url JSON. Neither store's own paging state goes in, so a token from one store
 * continues the same feed on the other.
 */
export interface FeedPosition {
  createdAt: string;
  id: string;
}

/** The fixed-width UTC timestamps of model.ts; anything else would not compare as the stores do. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const positionSchema = z.object({
  createdAt: z.string().regex(TIMESTAMP),
  id: z.string().min(1),
});

export function encodeContinuation(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify({ createdAt, id })).toString('base64url');
}

/** The position a token encodes; a token this module did not make is `INVALID_CONTINUATION`. */
export function decodeContinuation(token: string): FeedPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const result = positionSchema.safeParse(parsed);
  if (!result.success || encodeContinuation(result.data.createdAt, result.data.id) !== token) {
    throw invalid();
  }
  return result.data;
}

const invalid = () => badRequest('INVALID_CONTINUATION', 'the continuation token is malformed');
