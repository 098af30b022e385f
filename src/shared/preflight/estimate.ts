import { CONTAINERS } from '../cosmos/containers';
import { ThroughputMode } from '../cosmos/target';
import { EntityName } from '../entities/entity';
import { entityModule } from '../entities/registry';
import { SourceRow } from '../entities/registry';
import { transformBatch } from '../migration/transform-batch';
import { KeyRange } from '../postgres/source-reader';
import { PreflightSettings, SourceInspector } from './ports';
import { EntityEstimate, Estimate } from './report';
import { RU_MODEL_SOURCE, writeRequestUnits } from './ru-model';

export interface SampleOptions {
  /** Rows read per entity, at most. */
  rowsPerEntity: number;
  /** Keyset ranges the rows are read in, starting at evenly spaced ids. */
  ranges: number;
}

/** What a serverless container can burst to (Microsoft's documented limit per container). */
const SERVERLESS_RU_PER_SECOND = 5000;

/**
 * Size and cost of the full load: a sample of every table, read in keyset ranges spread over
 * the whole key space (the first rows alone are the oldest, not typical), transformed by the
 * migration's own entity modules and serialized as the writer would send them.
 */
export async function estimateLoad(
  source: SourceInspector,
  rowCounts: Partial<Record<EntityName, number>>,
  entities: readonly EntityName[],
  settings: PreflightSettings,
  options: SampleOptions,
): Promise<Estimate> {
  const perEntity: EntityEstimate[] = [];
  for (const name of entities) {
    const rows = rowCounts[name] ?? 0;
    const sample = rows === 0 ? [] : await readSample(source, name, rows, options);
    perEntity.push(estimateEntity(name, rows, sample, settings));
  }
  const sum = (pick: (e: EntityEstimate) => number) =>
    perEntity.reduce((total, e) => total + pick(e), 0);
  const byContainer = (pick: (e: EntityEstimate) => number) =>
    Object.fromEntries(perEntity.map((e) => [e.container, pick(e)]));
  return {
    sampledRows: sum((e) => e.sampledRows),
    avgDocumentBytes: byContainer((e) => e.avgDocumentBytes),
    documents: byContainer((e) => e.documents),
    totalDocuments: sum((e) => e.documents),
    totalRequestUnits: Math.round(sum((e) => e.requestUnits)),
    ruBudgetPerSecond: settings.ruBudgetPerSecond,
    throughputSource: throughputSource(settings),
    estimatedSeconds: round1(sum((e) => e.seconds)),
    perEntity,
    assumptions: assumptions(settings, options, perEntity),
  };
}

async function readSample(
  source: SourceInspector,
  name: EntityName,
  rows: number,
  options: SampleOptions,
): Promise<SourceRow[]> {
  const entity = entityModule(name);
  const sample: SourceRow[] = [];
  for (const range of await sampleRanges(source, entity.table, rows, options))
    sample.push(...(await source.readBatch(entity, range)));
  return sample;
}

/**
 * Keyset ranges of about `rowsPerEntity / ranges` rows each, starting at the first id and at
 * every `rows / ranges`-th id after it; the whole table when it is no larger than the sample.
 */
export async function sampleRanges(
  source: SourceInspector,
  table: string,
  rows: number,
  options: SampleOptions,
): Promise<KeyRange[]> {
  if (rows <= options.rowsPerEntity) return [{ from: null, to: null }];
  const perRange = Math.max(1, Math.ceil(options.rowsPerEntity / options.ranges));
  const stride = Math.floor(rows / options.ranges);
  const starts = [null, ...(await source.boundaries(table, stride)).slice(0, options.ranges - 1)];
  const ranges: KeyRange[] = [];
  for (const from of starts) {
    const to = await source.rangeEnd(table, from, perRange);
    // No row after `from` (the table shrank meanwhile): an open range would read the rest.
    if (to !== null) ranges.push({ from, to });
  }
  return ranges;
}

function estimateEntity(
  name: EntityName,
  rows: number,
  sample: SourceRow[],
  settings: PreflightSettings,
): EntityEstimate {
  const entity = entityModule(name);
  const { documents, rowsTransformed, rowErrors } = transformBatch(entity, sample);
  const sizes = documents.map((document) => Buffer.byteLength(JSON.stringify(document)));
  const mean = (values: number[]) =>
    values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
  const documentsPerRow = rowsTransformed === 0 ? 0 : documents.length / rowsTransformed;
  const documentCount = Math.round(rows * documentsPerRow);
  const avgRequestUnitsPerDocument = mean(sizes.map(writeRequestUnits));
  const requestUnits = avgRequestUnitsPerDocument * documentCount;
  const ruPerSecond = containerRate(entity.container, settings);
  return {
    entity: name,
    container: entity.container,
    rows,
    sampledRows: sample.length,
    sampleRowErrors: rowErrors.length,
    documentsPerRow,
    documents: documentCount,
    avgDocumentBytes: Math.round(mean(sizes)),
    avgRequestUnitsPerDocument: round2(avgRequestUnitsPerDocument),
    requestUnits: Math.round(requestUnits),
    ruPerSecond,
    seconds: round1(requestUnits / ruPerSecond),
  };
}

/** The container's throughput for the configured mode, capped by the RU budget when one is set. */
function containerRate(container: string, settings: PreflightSettings): number {
  const definition = CONTAINERS.find((c) => c.name === container)!;
  const provisioned = provisionedRate(definition, settings.throughputMode);
  return settings.ruBudgetPerSecond > 0
    ? Math.min(settings.ruBudgetPerSecond, provisioned)
    : provisioned;
}

function provisionedRate(definition: (typeof CONTAINERS)[number], mode: ThroughputMode): number {
  if (mode === 'autoscale') return definition.autoscaleMaxThroughput;
  if (mode === 'serverless') return SERVERLESS_RU_PER_SECOND;
  return definition.throughput;
}

function throughputSource(settings: PreflightSettings): string {
  const provisioned =
    settings.throughputMode === 'manual'
      ? "each container's manual RU/s in containers.json"
      : settings.throughputMode === 'autoscale'
        ? "each container's autoscale maximum in containers.json"
        : `${SERVERLESS_RU_PER_SECOND} RU/s per serverless container`;
  return settings.ruBudgetPerSecond > 0
    ? `MIGRATION_RU_BUDGET ${settings.ruBudgetPerSecond} RU/s (at most ${provisioned})`
    : provisioned;
}

function assumptions(
  settings: PreflightSettings,
  options: SampleOptions,
  perEntity: EntityEstimate[],
): string[] {
  const list = [
    `sample: up to ${options.rowsPerEntity} rows per table in ${options.ranges} keyset ranges starting at evenly spaced ids, transformed by the migration's entity modules; sizes are the JSON the writer sends (Cosmos adds ~200 bytes of system properties)`,
    'documents = rows x documents per sampled row (users: the user and its username and email lookup documents); rows that will be row errors are counted as if they migrated',
    `RU per document: ${RU_MODEL_SOURCE}; posts and comments exclude some paths from their index, so they cost somewhat less`,
    'a first load inserts; rerunning over existing documents replaces them, which costs more (not included), as do the run and batch records in the migration container',
    `duration = RU / RU/s per entity, added up (the planner queues entity after entity); RU/s: ${throughputSource(settings)}; PostgreSQL reads and 429 back-off are not included`,
  ];
  if (settings.ruBudgetPerSecond > 0)
    list.push(
      'in Azure MIGRATION_RU_BUDGET is per function instance: with N instances the load can spend up to N times it',
    );
  for (const e of perEntity)
    if (e.rows > 0 && e.documentsPerRow === 0)
      list.push(`no sampled ${e.entity} row could be transformed: its documents are not estimated`);
  return list;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
