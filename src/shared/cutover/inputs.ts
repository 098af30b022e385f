import { z } from 'zod';
import { STAGES } from './stages';

const reason = z
  .string()
  .trim()
  .min(1, 'a reason is required: every stage change is audited')
  .max(1000);

export const moveStageSchema = z.strictObject({
  stage: z.enum(STAGES),
  reason,
  percent: z.number().int().min(1).max(100).optional(),
  force: z.boolean().optional(),
});

/** GET /api/cutover and /api/flags take no query parameters. */
export const noQuerySchema = z.strictObject({});

export const rollbackSchema = z.strictObject({ reason });

/** Who asked, for the audit: App Service authentication's principal, else the caller's key. */
export const actorOf = (headers: { get(name: string): string | null }): string =>
  headers.get('x-ms-client-principal-name') ?? 'api (function key)';
