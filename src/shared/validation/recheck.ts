import { setTimeout as sleep } from 'node:timers/promises';
import { refKey } from '../cosmos/document-reader';
import { EntityModule } from '../entities/entity';
import { SourceRow } from '../entities/registry';
import { ValidationDeps } from './deps';
import { Difference, DifferenceClass } from './records';
import { ComparedScope, compareScope } from './validate-batch';

const COUNTED: Record<DifferenceClass, 'mismatched' | 'missing' | 'extra'> = {
  mismatch: 'mismatched',
  missing: 'missing',
  extra: 'extra',
};

/**
 * While the source takes writes, some differences are only in flight: a change the sync has
 * not applied yet. After `delayMs` (longer than the sync's lag) the differing rows are compared
 * again; a difference gone by then counts as matched, one still there is kept in its newest
 * form. A difference the second look does not see at all (it found none) is never invented.
 */
export async function recheckDifferences(
  deps: Pick<ValidationDeps, 'source' | 'reader'>,
  entity: EntityModule<SourceRow>,
  compared: ComparedScope,
  delayMs: number,
): Promise<ComparedScope> {
  const ids = [
    ...new Set(compared.differences.flatMap((d) => (d.sourceId === null ? [] : [d.sourceId]))),
  ];
  if (delayMs <= 0 || ids.length === 0) return compared;
  await sleep(delayMs);
  const again = await compareScope(deps, entity, { kind: 'ids', ids });
  const latest = new Map(again.differences.map((d) => [refKey(d), d]));
  const kept: Difference[] = [];
  const counts = { ...compared.counts };
  for (const difference of compared.differences) {
    const now = difference.sourceId === null ? difference : latest.get(refKey(difference));
    counts[COUNTED[difference.class]]--;
    if (now) {
      counts[COUNTED[now.class]]++;
      kept.push(now);
    } else counts.matched++;
  }
  const expected = new Map(
    kept.flatMap((d) => {
      const document = again.expected.get(refKey(d)) ?? compared.expected.get(refKey(d));
      return document ? [[refKey(d), document] as const] : [];
    }),
  );
  return { counts, differences: kept, expected };
}
