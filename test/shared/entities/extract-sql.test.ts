import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysetRange } from '../../../src/shared/entities/entity';
import { ENTITIES } from '../../../src/shared/entities/registry';
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

describe('batch extraction', () => {
  let source: pg.Pool;
  const tableRows = new Map<string, number>();

  beforeAll(async () => {
    source = new pg.Pool({ connectionString: await freshDatabase('extract'), max: 2 });
    await initSource(source);
    await seedSource(source, { users: 1500, seed: 3 });
    await source.query('ANALYZE');
    for (const table of SOURCE_TABLES) {
      const { rows } = await source.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      tableRows.set(table, rows[0]!.n);
    }
  }, 120_000);
  afterAll(() => source?.end());

  // A batch that scanned whole tables would make a load of N rows cost N^2 / batchSize.
  it.each(Object.values(ENTITIES).map((entity) => [entity.name, entity] as const))(
    'a %s batch reads only its own keys from every table',
    async (_name, entity) => {
      const { rows: bounds } = await source.query<{ id: string }>(
        `SELECT id FROM ${entity.table} ORDER BY id OFFSET $1 LIMIT 2`,
        [Math.floor(tableRows.get(entity.table)! / 2)],
      );
      // A range of about 200 rows from the middle of the table.
      const { rows: range } = await source.query<{ id: string }>(
        `SELECT id FROM ${entity.table} WHERE id > $1 ORDER BY id OFFSET 199 LIMIT 1`,
        [bounds[0]!.id],
      );
      const { rows } = await source.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${entity.extractSql(keysetRange)}`,
        [bounds[0]!.id, range[0]!.id],
      );
      const read = rowsReadPerTable(rows[0]!['QUERY PLAN'][0].Plan);
      expect(read.get(entity.table), 'its own rows').toBeGreaterThanOrEqual(200);
      for (const [table, n] of read) {
        // 200 rows are under 2% of every table; their posts, comments and votes under 15%.
        expect(
          n / tableRows.get(table)!,
          `${table}: ${n} of ${tableRows.get(table)} rows read`,
        ).toBeLessThan(0.15);
      }
    },
  );
});
