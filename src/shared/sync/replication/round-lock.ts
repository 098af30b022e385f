import type pg from 'pg';
import type { RoundLock } from './change-stream';
import type { ReplicationNames } from './names';

/**
 * A constant first key: the two-key advisory lock space does not overlap the one-key space
 * the rest of the project uses, and hashtext(slot) makes the lock one per sync.
 */
const ROUND_LOCK_CLASS = 0x5c_a11;

/**
 * A session-level advisory lock on a connection of its own, held for the whole round (read,
 * apply, advance) and released with it. The slot alone does not serialise rounds: it is held
 * only during each peek or advance, so two pollers could both read the same changes and
 * apply them in either order. PostgreSQL releases the lock when the connection dies, so a
 * round checks `held()` before it advances.
 */
export async function tryRoundLock(
  pool: pg.Pool,
  names: ReplicationNames,
): Promise<RoundLock | null> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    const { rows } = await client.query(`SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked`, [
      ROUND_LOCK_CLASS,
      names.slot,
    ]);
    if (!rows[0].locked) {
      client.off('error', onError);
      client.release();
      return null;
    }
  } catch (error) {
    client.off('error', onError);
    client.release(error as Error);
    throw error;
  }
  let released = false;
  return {
    held: () => !released && !broken,
    async release() {
      if (released) return;
      released = true;
      try {
        if (!broken) {
          await client.query(`SELECT pg_advisory_unlock($1, hashtext($2))`, [
            ROUND_LOCK_CLASS,
            names.slot,
          ]);
        }
      } catch (error) {
        broken = error as Error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
  };
}
