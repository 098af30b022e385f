import { describe, expect, it } from 'vitest';
import {
  FLAG,
  defaultFlag,
  FLAG_NAMES,
  FlagName,
  rolloutPercent,
} from '../../../src/shared/flags/feature-flags';
import { FlagSnapshot, StoredFlag } from '../../../src/shared/flags/flag-store';
import { stageOf, STAGES, stageWrites } from '../../../src/shared/cutover/stages';

const empty = (): FlagSnapshot => ({
  flags: Object.fromEntries(
    FLAG_NAMES.map((name) => [name, { flag: defaultFlag(name), etag: null }]),
  ) as Record<FlagName, StoredFlag>,
  dualWriteStrategy: 'PostgresFirst',
});

const apply = (snapshot: FlagSnapshot, writes: StoredFlag[]): FlagSnapshot => {
  const flags = { ...snapshot.flags };
  for (const write of writes) flags[write.flag.id as FlagName] = { ...write, etag: 'x' };
  return { ...snapshot, flags };
};

describe('stages', () => {
  it('walks every stage forward one write set at a time, and reads each back', () => {
    let snapshot = empty();
    expect(stageOf(snapshot)).toEqual({ stage: 'postgres-only', cosmosReadPercent: 0 });
    for (const stage of STAGES.slice(1)) {
      const percent =
        stage === 'cosmos-reads'
          ? 30
          : stage === 'dual-write' || stage === 'shadow-reads'
            ? 0
            : 100;
      snapshot = apply(snapshot, stageWrites(snapshot, stage, percent));
      expect(stageOf(snapshot)).toEqual({ stage, cosmosReadPercent: percent });
    }
    expect(snapshot.flags[FLAG.migrationEnabled].flag.enabled).toBe(true);
  });

  it('moving back turns Cosmos writes off before Cosmos reads, and keeps the read cohort', () => {
    let snapshot = empty();
    for (const stage of ['dual-write', 'shadow-reads', 'cosmos-reads', 'cosmos-primary'] as const)
      snapshot = apply(snapshot, stageWrites(snapshot, stage, stage === 'cosmos-reads' ? 30 : 100));
    const back = stageWrites(snapshot, 'dual-write', 0);
    expect(back.map((w) => w.flag.id)).toEqual([
      FLAG.cosmosWrites,
      FLAG.cosmosReads,
      FLAG.shadowReads,
    ]);
    const after = apply(snapshot, back);
    expect(stageOf(after)).toEqual({ stage: 'dual-write', cosmosReadPercent: 0 });
    expect(rolloutPercent(after.flags[FLAG.cosmosReads].flag)).toBe(100);
  });

  it('writes nothing when the flags already hold the stage', () => {
    expect(stageWrites(empty(), 'postgres-only', 0)).toEqual([]);
  });

  it('tells a combination no stage has', () => {
    const snapshot = empty();
    const writes = snapshot.flags[FLAG.cosmosWrites];
    const odd = apply(snapshot, [{ ...writes, flag: { ...writes.flag, enabled: true } }]);
    expect(stageOf(odd).stage).toBeNull();
  });
});
