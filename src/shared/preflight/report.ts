import { EntityName } from '../entities/entity';

export type Verdict = 'pass' | 'warn' | 'fail';

/** One line of the checklist: what was checked, its verdict, and why, in one line. */
export interface Check {
  id: string;
  title: string;
  verdict: Verdict;
  reason: string;
}

/**
 * What the full load does with the rows of a finding:
 * - `rowError`: cannot migrate them; each becomes a row error of the run (exit 2),
 * - `corrected`: migrates them with the value recomputed from the source rows,
 * - `migratedAsIs`: migrates them as stored (worth knowing, e.g. orphan votes),
 * - `encoded`: migrates them with free text encoded into a valid Cosmos id.
 */
export type FindingEffect = 'rowError' | 'corrected' | 'migratedAsIs' | 'encoded';

export interface Finding {
  code: string;
  entity: EntityName;
  /** Source rows affected, counted over the whole table. */
  count: number;
  effect: FindingEffect;
  message: string;
  /** Ids of a few affected rows (the smallest), to look at. */
  examples?: string[];
}

export interface EntityEstimate {
  entity: EntityName;
  container: string;
  rows: number;
  sampledRows: number;
  /** Sampled rows the transform rejected (they would be row errors). */
  sampleRowErrors: number;
  /** Documents one row becomes (users: the user and its two lookup documents). */
  documentsPerRow: number;
  documents: number;
  avgDocumentBytes: number;
  avgRequestUnitsPerDocument: number;
  requestUnits: number;
  /** The RU/s this container's load is assumed to get. */
  ruPerSecond: number;
  seconds: number;
}

export interface Estimate {
  sampledRows: number;
  /** Per container, from the serialized documents of the sample. */
  avgDocumentBytes: Record<string, number>;
  /** Per container: rows x documents per row. */
  documents: Record<string, number>;
  totalDocuments: number;
  totalRequestUnits: number;
  /** MIGRATION_RU_BUDGET; 0 when the load is not capped (containers' throughput limits it). */
  ruBudgetPerSecond: number;
  /** Where each entity's RU/s comes from, e.g. `manual throughput of containers.json`. */
  throughputSource: string;
  /** Sum over entities of requestUnits / ruPerSecond: the planner queues entity after entity. */
  estimatedSeconds: number;
  perEntity: EntityEstimate[];
  assumptions: string[];
}

export interface PreflightReport {
  /** No check failed (warnings allowed). */
  ok: boolean;
  startedAt: string;
  durationMs: number;
  checks: Check[];
  findings: Finding[];
  /** Rows per source table (empty when the source could not be read). */
  rowCounts: Partial<Record<EntityName, number>>;
  estimate: Estimate | null;
  /** Parts that did not run, and why (e.g. findings when a column is missing). */
  notRun: string[];
}

export const check = (id: string, title: string, verdict: Verdict, reason: string): Check => ({
  id,
  title,
  verdict,
  reason,
});
