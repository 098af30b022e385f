import { z } from 'zod';
import { ENTITY_NAMES } from '../entities/entity';

export const entityListSchema = z
  .array(z.enum(ENTITY_NAMES))
  .min(1, 'name at least one entity')
  .refine((list) => new Set(list).size === list.length, 'entities must not repeat');

export const batchSizeSchema = z.number().int().min(100).max(5000);

export const startMigrationSchema = z.strictObject({
  entities: entityListSchema.optional(),
  batchSize: batchSizeSchema.optional(),
  dryRun: z.boolean().optional(),
  /** Default true: capture changes (continuous sync) from before the load on. */
  sync: z.boolean().optional(),
});

export const runIdSchema = z.string().regex(/^run-[0-9a-z-]{1,60}$/, 'not a run id');

export const batchMessageSchema = z.object({
  runId: runIdSchema,
  batchId: z.string().min(1),
  entity: z.enum(ENTITY_NAMES),
});
