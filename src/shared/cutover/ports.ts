import { FlagStore } from '../flags/flag-store';
import { ValidationSummary } from '../validation/validation-summary';
import { Stage } from './stages';

/** The figures the guards judge. */
export interface CutoverReadings {
  /** The newest full validation, summarised; null when none was run. */
  latestValidation(): Promise<ValidationSummary | null>;
  /** The sync's lag behind the source; `lagSeconds` null when it cannot be told (`reason`). */
  syncLag(): Promise<{ lagSeconds: number | null; reason?: string }>;
  /** Writes one store missed that wait to be replayed (docs/cutover.md). */
  pendingReplays(): Promise<number>;
}

/** The PostgreSQL-to-Cosmos apply, handed back and forth at cosmos-primary. */
export interface SyncHandOff {
  /** Applies everything committed so far, then stops applying (the slot is kept). */
  drainAndPause(): Promise<{ changesApplied: number }>;
  /** Applies again from where it paused. */
  resume(): Promise<void>;
  /** The end (cosmos-only): drops the slot and the publication, so the source keeps no WAL for it. */
  stop(): Promise<{ droppedSlot: boolean }>;
}

export interface GuardCheck {
  name: 'validation' | 'sync-lag' | 'replay-queue' | 'watchdog-cooldown';
  ok: boolean;
  /** The figure judged (a rate, seconds, a count), null when there is none. */
  figure: number | null;
  threshold: number;
  message: string;
}

export interface CutoverAuditEntry {
  id: string;
  pk: typeof CUTOVER_AUDIT_PK;
  type: 'cutoverAudit';
  at: string;
  actor: string;
  trigger: 'manual' | 'rollback' | 'watchdog';
  from: Stage | null;
  to: Stage;
  reason: string;
  force: boolean;
  cosmosReadPercent: number;
  guards: GuardCheck[];
  /** What the watchdog saw, for its moves. */
  evidence?: unknown;
  sync?: {
    paused?: { changesApplied: number };
    resumed?: boolean;
    stopped?: { droppedSlot: boolean };
  };
}

export const CUTOVER_AUDIT_PK = 'cutover';

export interface CutoverAuditStore {
  record(entry: CutoverAuditEntry): Promise<void>;
  /** The newest entries first. */
  recent(limit: number): Promise<CutoverAuditEntry[]>;
}

export interface CutoverThresholds {
  /** The latest full validation must have finished at most this long ago. */
  validationMaxAgeSeconds: number;
  maxSyncLagSeconds: number;
  /** How long a rollback from cosmos-primary waits for the replay queue to empty. */
  replayWaitMs?: number;
  /** After the watchdog rolled back, moves forward wait this long (0: not at all). */
  watchdogCooldownSeconds?: number;
}

export interface CutoverDeps {
  flags: FlagStore;
  readings: CutoverReadings;
  audit: CutoverAuditStore;
  sync: SyncHandOff;
  thresholds: CutoverThresholds;
  /** One pass over the replay queue, run while a rollback waits for it to empty. */
  replayNow?: () => Promise<unknown>;
  now?: () => Date;
}
