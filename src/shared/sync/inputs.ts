import { z } from 'zod';

/** Rounds one catch-up may run: bounded, so an invocation ends within its timeout. */
export const DEFAULT_CATCH_UP_ROUNDS = 100;

export const syncRunSchema = z.strictObject({
  maxRounds: z.number().int().min(1).max(10_000).optional(),
});

export const syncStopSchema = z.strictObject({});

export const syncStatusQuerySchema = z.strictObject({});

export const syncBatchMessageSchema = z.object({
  roundId: z.string().regex(/^round-[0-9a-z-]{1,60}$/, 'not a round id'),
  seq: z.number().int().min(0),
});
