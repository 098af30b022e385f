import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysetRange } from '../../../src/shared/entities/entity';
import { ENTITIES } from '../../../src/shared/entities/registry';
import { PostgresSourceReader } from '../../../src/shared/postgres/source-reader';
import { seedSource } from '../../../src/shared/source/seed';
import { initSource, SOURCE_TABLES } from '../../../src/shared/source/schema';
import { freshDatabase } from '../../support/servers';

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows each scan node read from its table: returned plus filtered out, over all loops. */
function rowsReadPerTable(node: PlanNode, totals = new Map<string, number>()): Map<string, number> {
  const table = node['Relation Name'];
  if (table) {
    const perLoop =
      node['Actual Rows'] +
      (node['Rows Removed by Filter'] ?? 0) +
      (node['Rows Removed by Index Recheck'] ?? 0);
    totals.set(table, (totals.get(table) ?? 0) + perLoop * node['Actual Loops']);
  }
  for (const child of node.Plans ?? []) rowsReadPerTable(child, totals);
  return totals;
}

const RANGE = 200;

describe('batch extraction', () => {
  let source: pg.Pool;
  let reader: PostgresSourceReader;
  const tableRows = new Map<string, number>();

  beforeAll(async () => {
    source = new pg.Pool({ connectionString: await freshDatabase('extract'), max: 2 });
    reader = new PostgresSourceReader(source);
    await initSource(source);
    await seedSource(source, { users: 1500, seed: 3 });
    await source.query('ANALYZE');
    for (const table of SOURCE_TABLES) tableRows.set(table, await reader.count(table));
  }, 120_000);
  afterAll(() => reader?.close());

  // A batch that scanned whole tables would make a load of N rows cost N^2 / batchSize.
  it.each(Object.values(ENTITIES).map((entity) => [entity.name, entity] as const))(
    'a %s batch reads only its own keys from every table',
    async (_name, entity) => {
      // A range of RANGE rows from the middle of the table, split as the planner splits it.
      const bounds = await reader.boundaries(entity.table, RANGE);
      const middle = Math.floor(bounds.length / 2);
      const { rows } = await source.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${entity.extractSql(keysetRange)}`,
        [bounds[middle - 1], bounds[middle]],
      );
      const read = rowsReadPerTable(rows[0]!['QUERY PLAN'][0].Plan);
      expect(read.get(entity.table), 'its own rows').toBeGreaterThanOrEqual(RANGE);
      for (const [table, n] of read) {
        // These rows and what they refer to are at most 14 % of any table here; a scan reads all.
        expect(
          n / tableRows.get(table)!,
          `${table}: ${n} of ${tableRows.get(table)} rows read`,
        ).toBeLessThan(0.25);
      }
    },
  );
});
