import { FLAG, FlagName, rolloutPercent, withRolloutPercent } from '../flags/feature-flags';
import { FlagSnapshot, StoredFlag } from '../flags/flag-store';

/** The cutover stages, in order (docs/cutover.md). */
export const STAGES = [
  'postgres-only',
  'dual-write',
  'shadow-reads',
  'cosmos-reads',
  'cosmos-primary',
  'cosmos-only',
] as const;
export type Stage = (typeof STAGES)[number];

/** Where a rollback goes: the last stage that serves reads from PostgreSQL and has every write. */
export const ROLLBACK_STAGE: Stage = 'dual-write';

/** The share of users whose reads Cosmos serves when a move to cosmos-reads names none. */
export const DEFAULT_COSMOS_READ_PERCENT = 10;

type StageFlags = Record<Exclude<FlagName, 'Migration.Enabled'>, boolean>;

const STAGE_FLAGS: Record<Stage, StageFlags> = {
  'postgres-only': flags(false, false, false, false),
  'dual-write': flags(true, false, false, false),
  'shadow-reads': flags(true, true, false, false),
  'cosmos-reads': flags(true, true, true, false),
  // Cosmos serves every read and takes writes first; PostgreSQL still gets each one after it,
  // and reads there are still compared, so a way back stays open.
  'cosmos-primary': flags(true, true, true, true),
  'cosmos-only': flags(false, false, true, true),
};

function flags(
  dualWrite: boolean,
  shadowReads: boolean,
  cosmosReads: boolean,
  cosmosWrites: boolean,
): StageFlags {
  return {
    [FLAG.dualWrite]: dualWrite,
    [FLAG.shadowReads]: shadowReads,
    [FLAG.cosmosReads]: cosmosReads,
    [FLAG.cosmosWrites]: cosmosWrites,
  } as StageFlags;
}

/** The order flags are switched in moving forward; moving back, the reverse (PostgreSQL's authority first). */
const FORWARD_ORDER = [
  FLAG.dualWrite,
  FLAG.shadowReads,
  FLAG.cosmosReads,
  FLAG.cosmosWrites,
] as const;

export const stageIndex = (stage: Stage): number => STAGES.indexOf(stage);

export const isStage = (value: string): value is Stage =>
  (STAGES as readonly string[]).includes(value);

export interface StageReading {
  /** null: the flags hold a combination no stage has (someone set them by hand). */
  stage: Stage | null;
  /** Cosmos's share of reads (0 when Cosmos serves none). */
  cosmosReadPercent: number;
}

export function stageOf(snapshot: FlagSnapshot): StageReading {
  const enabled = (name: keyof StageFlags) => snapshot.flags[name].flag.enabled;
  const stage =
    STAGES.find((candidate) =>
      FORWARD_ORDER.every((name) => STAGE_FLAGS[candidate][name] === enabled(name)),
    ) ?? null;
  const reads = snapshot.flags[FLAG.cosmosReads].flag;
  return {
    stage,
    cosmosReadPercent: reads.enabled ? (rolloutPercent(reads) ?? 100) : 0,
  };
}

/** Cosmos's read share in a stage: the chosen one in cosmos-reads, all from cosmos-primary on. */
export function readPercentFor(
  stage: Stage,
  requested: number | undefined,
  current: number,
): number {
  if (stageIndex(stage) > stageIndex('cosmos-reads')) return 100;
  if (stage !== 'cosmos-reads') return 0;
  return requested ?? (current > 0 && current < 100 ? current : DEFAULT_COSMOS_READ_PERCENT);
}

/**
 * The flag writes that put the store in `stage`, each with the etag it was read at, in a safe
 * order: forward, the first flag of the stage order first; back, the last first, so that
 * PostgreSQL takes writes again before reads move back to it. Flags already right are left out.
 */
export function stageWrites(snapshot: FlagSnapshot, stage: Stage, percent: number): StoredFlag[] {
  const current = stageOf(snapshot).stage;
  const backward = current !== null && stageIndex(stage) < stageIndex(current);
  const order = backward ? [...FORWARD_ORDER].reverse() : FORWARD_ORDER;
  const writes: StoredFlag[] = [];
  for (const name of order) {
    const stored = snapshot.flags[name];
    let flag = { ...stored.flag, enabled: STAGE_FLAGS[stage][name] };
    // The percentage changes only while Cosmos serves reads; turned off, the flag keeps its
    // cohort for the next move forward.
    if (name === FLAG.cosmosReads && flag.enabled && rolloutPercent(flag) !== percent)
      flag = withRolloutPercent(flag, percent);
    if (JSON.stringify(flag) !== JSON.stringify(stored.flag)) writes.push({ ...stored, flag });
  }
  return writes;
}
