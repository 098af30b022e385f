import { ENTITY_NAMES, EntityName } from '../entities/entity';
import { entityModule } from '../entities/registry';
import { conflict } from '../errors/app-error';
import { MIGRATION_CONTAINER } from '../cosmos/containers';
import { MigrationDeps } from './deps';
import { keysetRanges } from './keyset-ranges';
import { timestampedId } from '../jobs/ids';
import { BatchMessage, BatchRecord, batchId, emptyStats, RunRecord, runPartition } from './records';
import { isActive, summarizeRun } from './run-summary';

export interface StartOptions {
  entities?: EntityName[];
  batchSize: number;
  dryRun?: boolean;
  /**
   * Capture changes from before the load on (continuous sync); false: a one-shot copy that
   * goes stale as soon as the application writes again.
   */
  sync?: boolean;
}

export interface StartResult {
  runId: string;
  dryRun: boolean;
  entities: EntityName[];
  plan: RunRecord['plan'];
  batches: number;
  /** The slot capturing changes since before the load, or null for a one-shot copy. */
  sync: RunRecord['sync'];
}

/** Plans a run (keyset ranges per entity), records it, and sends one message per batch. */
export async function startMigration(
  deps: MigrationDeps,
  options: StartOptions,
): Promise<StartResult> {
  const entities = ENTITY_NAMES.filter(
    (name) => !options.entities || options.entities.includes(name),
  );
  await deps.verifyTarget([
    ...entities.map((name) => entityModule(name).container),
    MIGRATION_CONTAINER,
  ]);
  await refuseActiveRuns(deps, entities);

  const runId = timestampedId('run');
  const createdAt = new Date().toISOString();
  const run: RunRecord = {
    id: runId,
    pk: runPartition(runId),
    type: 'run',
    runId,
    entities,
    batchSize: options.batchSize,
    createdAt,
    plan: {},
    resumes: 0,
    sync: null,
  };
  // The slot first, the plan after: every row committed before the slot's start is read by
  // the load, every change after it is in the slot.
  if (options.sync && !options.dryRun) run.sync = await deps.captureChanges(runId);
  // Each table's split is one pass over its primary key; they run side by side.
  const splits = await Promise.all(
    entities.map(async (entity) => ({
      entity,
      ...(await keysetRanges(deps.source, entityModule(entity).table, options.batchSize)),
    })),
  );
  const batches: BatchRecord[] = [];
  for (const { entity, sourceRows, ranges } of splits) {
    ranges.forEach((range, seq) => {
      batches.push({
        id: batchId(runId, entity, seq),
        pk: run.pk,
        type: 'batch',
        runId,
        entity,
        seq,
        range,
        status: 'queued',
        attempts: 0,
        startedAt: null,
        finishedAt: null,
        lastError: null,
        ...emptyStats(),
      });
    });
    run.plan[entity] = { sourceRows, batches: ranges.length };
  }
  const result = {
    runId,
    dryRun: Boolean(options.dryRun),
    entities,
    plan: run.plan,
    batches: batches.length,
    sync: run.sync,
  };
  if (options.dryRun) return result;

  await deps.store.createRun(run, batches);
  await deps.store.holdEntities(runId, entities);
  await deps.queue.send(batches.map((batch) => ({ messageId: batch.id, body: messageFor(batch) })));
  return result;
}

export const messageFor = (batch: BatchRecord): BatchMessage => ({
  runId: batch.runId,
  batchId: batch.id,
  entity: batch.entity,
});

async function refuseActiveRuns(deps: MigrationDeps, entities: EntityName[]): Promise<void> {
  const holders = await deps.store.entityHolders(entities);
  for (const holder of new Set(holders.values())) {
    const run = await deps.store.getRun(holder);
    if (!run) continue;
    if (isActive(summarizeRun(run, await deps.store.getBatches(run)))) {
      const overlap = [...holders].filter(([, id]) => id === holder).map(([entity]) => entity);
      throw conflict(
        'RUN_ACTIVE',
        `run ${holder} is still migrating ${overlap.join(', ')}; if the process running it ` +
          `stopped, finish it with \`cosmos-migration resume ${holder}\` or ` +
          `POST /api/migrations/${holder}/resume`,
      );
    }
  }
}
