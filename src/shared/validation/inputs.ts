import { z } from 'zod';
import { ENTITY_NAMES } from '../entities/entity';
import { entityListSchema } from '../migration/inputs';

const isoTimestamp = z.iso.datetime({ offset: true, message: 'not an ISO 8601 timestamp' });

export const startValidationSchema = z
  .strictObject({
    entities: entityListSchema.optional(),
    // Full by default, as the CLI's `validate`: the verdict a cutover needs.
    mode: z.enum(['full', 'sample']).default('full'),
    sampleSize: z.number().int().min(1).max(1_000_000).optional(),
  })
  .refine((input) => input.mode === 'sample' || input.sampleSize === undefined, {
    message: 'sampleSize is for mode "sample"',
    path: ['sampleSize'],
  });

export const repairSchema = z.strictObject({ deleteExtras: z.boolean().optional() });

export const recoverSchema = z
  .strictObject({
    from: isoTimestamp,
    to: isoTimestamp,
    entities: entityListSchema.optional(),
    deleteExtras: z.boolean().optional(),
  })
  .refine((input) => Date.parse(input.from) <= Date.parse(input.to), {
    message: 'from must not be after to',
    path: ['to'],
  });

export const validationIdSchema = z.string().regex(/^val-[0-9a-z-]{1,60}$/, 'not a validation id');

export const validationMessageSchema = z.object({
  validationId: validationIdSchema,
  batchId: z.string().min(1),
  entity: z.enum(ENTITY_NAMES),
});
