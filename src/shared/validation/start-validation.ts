import { MIGRATION_CONTAINER } from '../cosmos/containers';
import { ENTITY_NAMES, EntityName } from '../entities/entity';
import { entityModule } from '../entities/registry';
import { TimeWindow } from '../postgres/source-reader';
import { ValidationDeps } from './deps';
import { keysetRanges } from '../migration/keyset-ranges';
import { timestampedId } from '../jobs/ids';
import {
  BatchScope,
  emptyCounts,
  ValidationBatchRecord,
  validationBatchId,
  ValidationMessage,
  ValidationMode,
  validationPartition,
  ValidationRecord,
} from './records';

export interface StartValidationOptions {
  entities?: EntityName[];
  mode: ValidationMode;
  /** Ids per entity in sample mode. */
  sampleSize?: number;
  /** Rows created or updated in this window (window mode). */
  window?: TimeWindow;
  batchSize: number;
  threshold: number;
  trigger: ValidationRecord['trigger'];
  /** Window mode: rewrite what differs as each batch is compared. */
  repair?: boolean;
  deleteExtras?: boolean;
}

export interface StartValidationResult {
  validationId: string;
  mode: ValidationMode;
  entities: EntityName[];
  plan: ValidationRecord['plan'];
  batches: number;
}

/**
 * Plans a validation and sends one message per batch. Full mode covers each table with keyset
 * ranges, then a census of each container (see BatchScope); sample mode draws ids uniformly;
 * window mode takes the rows whose documents may have changed in a time window.
 */
export async function startValidation(
  deps: ValidationDeps,
  options: StartValidationOptions,
): Promise<StartValidationResult> {
  const entities = ENTITY_NAMES.filter(
    (name) => !options.entities || options.entities.includes(name),
  );
  await deps.verifyTarget([
    ...entities.map((name) => entityModule(name).container),
    MIGRATION_CONTAINER,
  ]);
  const validationId = timestampedId('val');
  const validation: ValidationRecord = {
    id: validationId,
    pk: validationPartition(validationId),
    type: 'validation',
    validationId,
    mode: options.mode,
    entities,
    sampleSize: options.mode === 'sample' ? (options.sampleSize ?? null) : null,
    window: options.window ?? null,
    repair: Boolean(options.repair),
    deleteExtras: Boolean(options.deleteExtras),
    trigger: options.trigger,
    threshold: options.threshold,
    createdAt: new Date().toISOString(),
    plan: {},
    rangesDone: {},
    resumes: 0,
    repairs: [],
  };
  // One pass over each table, side by side.
  const plans = await Promise.all(
    entities.map(async (entity) => ({ entity, ...(await planScopes(deps, entity, options)) })),
  );
  const batches: ValidationBatchRecord[] = [];
  for (const { entity, scopes, sourceRows } of plans) {
    scopes.forEach((scope, seq) => batches.push(newBatch(validation, entity, seq, scope)));
    const ranges = scopes.filter((scope) => scope.kind === 'range').length;
    validation.plan[entity] = { sourceRows, batches: scopes.length, ranges };
    validation.rangesDone[entity] = 0;
  }
  await deps.validations.createValidation(validation, batches);
  if (options.mode !== 'window')
    await deps.validations.setLatestValidation(validationId, options.mode);
  // The census is sent by the last range batch to finish (or by a resume).
  await deps.validationQueue.send(
    batches
      .filter((batch) => batch.scope.kind !== 'census')
      .map((batch) => ({ messageId: batch.id, body: validationMessage(batch) })),
  );
  return {
    validationId,
    mode: options.mode,
    entities,
    plan: validation.plan,
    batches: batches.length,
  };
}

async function planScopes(
  deps: ValidationDeps,
  entity: EntityName,
  options: StartValidationOptions,
): Promise<{ scopes: BatchScope[]; sourceRows: number }> {
  const { table } = entityModule(entity);
  if (options.mode === 'full') {
    const { sourceRows, ranges } = await keysetRanges(deps.source, table, options.batchSize);
    const scopes = ranges.map((range): BatchScope => ({ kind: 'range', range }));
    return { scopes: [...scopes, { kind: 'census' }], sourceRows };
  }
  const ids =
    options.mode === 'sample'
      ? await deps.source.sampleIds(table, options.sampleSize ?? 1000)
      : await changedIds(deps, entity, options);
  const scopes = chunk(ids, options.batchSize).map((part): BatchScope => ({
    kind: 'ids',
    ids: part,
  }));
  return { scopes, sourceRows: ids.length };
}

async function changedIds(
  deps: ValidationDeps,
  entity: EntityName,
  options: StartValidationOptions,
): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | null = null; ;) {
    const page = await deps.source.changedIds(entityModule(entity), options.window!, after, 10_000);
    ids.push(...page);
    if (page.length < 10_000) return ids;
    after = page[page.length - 1]!;
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

export function newBatch(
  validation: ValidationRecord,
  entity: EntityName,
  seq: number,
  scope: BatchScope,
): ValidationBatchRecord {
  return {
    id: validationBatchId(validation.validationId, entity, seq),
    pk: validation.pk,
    type: 'validationBatch',
    validationId: validation.validationId,
    entity,
    seq,
    scope,
    status: 'queued',
    attempts: 0,
    startedAt: null,
    finishedAt: null,
    durationMs: 0,
    requestCharge: 0,
    throttled: 0,
    lastError: null,
    differences: [],
    repaired: null,
    ...emptyCounts(),
  };
}

export const validationMessage = (batch: ValidationBatchRecord): ValidationMessage => ({
  validationId: batch.validationId,
  batchId: batch.id,
  entity: batch.entity,
});
