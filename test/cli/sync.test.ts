import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, seededEnvironment } from '../support/cli';

describe('cosmos-migration sync', () => {
  let env: Record<string, string>;
  let pool: pg.Pool;
  let slot: string;

  beforeAll(async () => {
    ({ env, pool } = await seededEnvironment('cli_sync', { users: 40, seed: 4 }));
    expect(cli(['init-target'], env).code).toBe(0);
  });

  afterAll(async () => {
    cli(['sync', 'stop'], env);
    await pool?.end();
  });

  it('migrate sets up the slot before the load and says so', () => {
    const { code, stdout } = cli(['migrate', '--json'], env);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.sync.slot).toMatch(/^cosmos_migration_slot_/);
    slot = summary.sync.slot;
  });

  it('applies what was committed since, then a second sync writes nothing', async () => {
    await pool.query(`
      SET LOCAL synchronous_commit = on;
      UPDATE users SET username = username || '_renamed' WHERE id = (SELECT author_id FROM posts ORDER BY id LIMIT 1);
      UPDATE votes SET vote_type = 'wow' WHERE id = (SELECT id FROM votes WHERE vote_type <> 'wow' ORDER BY id LIMIT 1);
      DELETE FROM votes WHERE id = (SELECT id FROM votes ORDER BY id DESC LIMIT 1);`);
    const first = cli(['sync', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const applied = JSON.parse(first.stdout);
    expect(applied).toMatchObject({ outcome: 'caught-up', slot });
    expect(applied.changesRead).toBeGreaterThanOrEqual(3);
    expect(applied.entities.votes.documentsDeleted).toBe(1);
    expect(applied.entities.users.documentsDeleted).toBe(1); // the old username lookup
    expect(applied.entities.posts.documentsUpserted).toBeGreaterThan(0); // the name, embedded
    for (const name of ['users', 'posts', 'comments', 'votes']) {
      expect(applied.entities[name]).toEqual({
        documentsUpserted: expect.any(Number),
        documentsDeleted: expect.any(Number),
      });
    }
    expect(typeof applied.confirmedLsn).toBe('string');

    const second = JSON.parse(cli(['sync', '--json'], env).stdout);
    expect(second.changesRead).toBe(0);
    expect(Object.values(second.entities)).toEqual(
      Array(4).fill({ documentsUpserted: 0, documentsDeleted: 0 }),
    );

    const validation = cli(['validate', '--json'], env);
    expect(validation.code, validation.stderr).toBe(0);
    expect(JSON.parse(validation.stdout).ready).toBe(true);
  });

  it('status shows the slot and its retained WAL; stop leaves no slot and no publication', async () => {
    const status = cli(['sync', 'status', '--json'], env);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.state).toMatchObject({ slot, status: 'following' });
    expect(report.slot.retainedWalBytes).toEqual(expect.any(Number));

    const stopped = cli(['sync', 'stop', '--json'], env);
    expect(stopped.code).toBe(0);
    expect(JSON.parse(stopped.stdout).tearDown).toMatchObject({
      droppedSlot: true,
      droppedPublication: true,
    });
    const left = await pool.query(
      `SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1
       UNION ALL SELECT pubname FROM pg_publication WHERE pubname = $2`,
      [slot, slot.replace('_slot_', '_pub_')],
    );
    expect(left.rows).toEqual([]);
    const after = cli(['sync', '--json'], env);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout).error.code).toBe('SYNC_STOPPED');
  });

  it('--no-sync makes a one-shot copy and says so', () => {
    const { code, stdout, stderr } = cli(['migrate', '--no-sync', '--entities', 'users'], env);
    expect(code).toBe(0);
    expect(stdout + stderr).toMatch(/one-shot copy \(no sync\)/);
  });
});
