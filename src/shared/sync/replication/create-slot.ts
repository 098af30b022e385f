import type pg from 'pg';
import { normalizeLsn, type Lsn } from './lsn';
import { describeSlotCreationError, type SetUpContext } from './set-up-errors';

/**
 * pg_create_logical_replication_slot waits until every transaction already running has ended
 * (the slot's snapshot must not start inside one), so a forgotten open transaction would
 * block it forever. Its own transaction bounds it: statement_timeout for the call,
 * lock_timeout for the wait on each running transaction's lock; SET LOCAL-style settings end
 * with the transaction and never leak into the pooled connection. A cancelled creation
 * leaves no slot behind. The slot itself is not transactional: once made, it stays.
 */
export async function createSlot(pool: pg.Pool, context: SetUpContext): Promise<Lsn> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(
      `SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true)`,
      [`${context.timeoutMs}ms`],
    );
    const { rows } = await client.query(
      `SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')`,
      [context.slot],
    );
    await client.query('COMMIT');
    return normalizeLsn(rows[0].lsn);
  } catch (error) {
    await client.query('ROLLBACK').catch((rollback: Error) => (broken = rollback));
    throw describeSlotCreationError(error, context);
  } finally {
    client.release(broken);
  }
}
