import { z } from 'zod';
import { badRequest } from '../errors/app-error';

export const TRAFFIC_LIMITS = {
  rate: { min: 1, max: 1000 },
  durationSeconds: { min: 1, max: 3600 },
  users: { min: 1, max: 10_000 },
} as const;

export const DEFAULT_TRAFFIC_USERS = 100;
/** How long the end of a run waits for the operations still in flight. */
export const DEFAULT_DRAIN_MS = 10_000;

export const trafficOptionsSchema = z.strictObject({
  /** Operations started per second (open loop). */
  rate: z.number().min(TRAFFIC_LIMITS.rate.min).max(TRAFFIC_LIMITS.rate.max),
  /** Nothing is started after this long (wall clock, paused time included). */
  durationMs: z
    .number()
    .int()
    .min(100)
    .max(TRAFFIC_LIMITS.durationSeconds.max * 1000),
  /** How many distinct users the traffic acts as (taken from the data, created when there are none). */
  users: z
    .number()
    .int()
    .min(TRAFFIC_LIMITS.users.min)
    .max(TRAFFIC_LIMITS.users.max)
    .default(DEFAULT_TRAFFIC_USERS),
  /** Seeds the choice of operations and records (ids are random UUIDs whatever the seed). */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .optional(),
  /** Operations in flight at most; a due one is dropped (and counted) beyond it. Default 2 × rate. */
  maxInFlight: z.number().int().min(1).max(10_000).optional(),
  drainMs: z.number().int().min(0).max(120_000).default(DEFAULT_DRAIN_MS),
  /** How often `onProgress` is told, when given. */
  progressMs: z.number().int().min(100).max(60_000).default(1_000),
});

export type TrafficSettings = z.output<typeof trafficOptionsSchema>;

export function parseTrafficOptions(input: unknown): TrafficSettings {
  const result = trafficOptionsSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw badRequest('INVALID_ARGUMENTS', `traffic ${issue.path.join('.')}: ${issue.message}`);
  }
  return result.data;
}
