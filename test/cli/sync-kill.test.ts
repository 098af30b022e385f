import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTraffic, trafficPool, writeTraffic } from '../../bench/sync-traffic';
import { createLocalEngine, LocalEngine } from '../../src/cli/local-engine';
import { parseConfig } from '../../src/shared/config/config';
import { TOMBSTONE_TYPE } from '../../src/shared/entities/entity';
import { cli, seededEnvironment } from '../support/cli';
import { DATA_CONTAINERS, freshExtraction, storedDocuments } from '../support/documents';
import { TestWorld } from '../support/engine';
import { RunningCli, startCli, until } from './killed-process';

/** Small rounds (decoded messages, so about 400 row changes each): the backlog takes ~30. */
const ROUNDS = { SYNC_MAX_CHANGES: '1000' };
/** The backlog the killed sync works through (row changes; the traffic makes at least this). */
const BACKLOG = 12_000;
/** The first key of the round's advisory lock (src/shared/sync/replication/round-lock.ts). */
const ROUND_LOCK_CLASS = 0x5c_a11;

interface SlotRow {
  confirmed: string;
  /** A session is peeking or advancing the slot. */
  active: boolean;
  /** Some session holds this sync's round lock: a round is running. */
  locked: boolean;
}

describe('a sync killed mid-round, then sync again', () => {
  let env: Record<string, string>;
  let pool: pg.Pool;
  let traffic: pg.Pool;
  let engine: LocalEngine;
  let view: TestWorld;
  let slot: string;
  let publication: string;
  let killed: RunningCli | undefined;

  beforeAll(async () => {
    ({ env, pool } = await seededEnvironment('cli_sync_kill', { users: 300, seed: 11 }));
    env = { ...env, ...ROUNDS };
    expect(cli(['init-target'], env).code).toBe(0);
    const migrated = cli(['migrate', '--json'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    slot = JSON.parse(migrated.stdout).sync.slot;
    expect(slot).toMatch(/^cosmos_migration_slot_/);
    publication = slot.replace('_slot_', '_pub_');
    engine = createLocalEngine(parseConfig(env));
    // What storedDocuments reads: the target's client and database.
    view = { cosmos: engine.cosmos, database: env.COSMOS_DATABASE } as unknown as TestWorld;
    // The application's writes: each transaction commits with synchronous_commit on.
    traffic = trafficPool(env.DATABASE_URL!);
    await installTraffic(traffic);
  });

  afterAll(async () => {
    // A test that failed before its kill leaves no sync running.
    if (killed && killed.child.exitCode === null && killed.child.signalCode === null) {
      killed.child.kill('SIGKILL');
      await killed.exited;
    }
    if (env) cli(['sync', 'stop'], env);
    await engine?.close().catch(() => undefined);
    await traffic?.end();
    await pool?.end();
  });

  /** The slot's confirmed position, whether a session is using it, and whether a round runs. */
  const roundState = async (): Promise<SlotRow | undefined> => {
    const { rows } = await pool.query<SlotRow>(
      `SELECT confirmed_flush_lsn::text AS confirmed, active,
         EXISTS (SELECT 1 FROM pg_locks
                 WHERE locktype = 'advisory' AND granted AND classid = $2 AND objsubid = 2
                   AND objid = hashtext($1)::oid
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
           AS locked
       FROM pg_replication_slots WHERE slot_name = $1`,
      [slot, ROUND_LOCK_CLASS],
    );
    return rows[0];
  };
  /** Row changes (inserts, updates, deletes) the slot still holds after its confirmed position. */
  const remainingChanges = async (): Promise<number> => {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*) FILTER (WHERE get_byte(data, 0) IN (73, 85, 68))::int AS n
       FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL,
         'proto_version', '1', 'publication_names', $2)`,
      [slot, publication],
    );
    return rows[0]!.n;
  };
  /** The containers as a fresh extraction would make them, against Cosmos (tombstones aside). */
  const differences = async () => {
    const fresh = await freshExtraction(engine.source);
    const result: Record<string, { stored: Map<string, unknown>; fresh: Map<string, unknown> }> =
      {};
    for (const container of DATA_CONTAINERS) {
      const stored = await storedDocuments(view, container);
      for (const [key, document] of stored) {
        if ((document as { type: string }).type === TOMBSTONE_TYPE) stored.delete(key);
      }
      result[container] = {
        stored: new Map([...stored].sort()),
        fresh: new Map([...fresh.documents.get(container)!].sort()),
      };
    }
    return { containers: result, rowErrors: fresh.rowErrors.length };
  };

  it('SIGKILL mid-round loses nothing, duplicates nothing, and never advances the slot past an unapplied change', async () => {
    // The migrate caught up: the slot starts with nothing to apply.
    const settled = cli(['sync', '--json'], env);
    expect(settled.code, settled.stderr).toBe(0);
    expect(JSON.parse(settled.stdout)).toMatchObject({ outcome: 'caught-up' });

    const tw = Date.now();
    const made = await writeTraffic(traffic, BACKLOG);
    const writeMs = Date.now() - tw;
    expect(made).toBeGreaterThanOrEqual(BACKLOG);
    const backlog = await remainingChanges();
    expect(backlog).toBe(made);
    const start = (await roundState())!.confirmed;

    const t0 = Date.now();
    killed = startCli(['sync', '--json'], env);
    const child = killed;
    // Mid-round: at least one round applied and advanced, and the next one has peeked its
    // changes (the slot was active in it) and holds the round lock with the slot idle again,
    // i.e. it is writing to Cosmos and has not advanced. Checked again with the process
    // stopped (SIGSTOP), so nothing moves between the check and the kill.
    let round = { lsn: start, peeked: false };
    const seen = await until(
      'a round applying its changes after one advance',
      child,
      async () => {
        const now = await roundState();
        if (!now || now.confirmed === start) return undefined;
        if (now.confirmed !== round.lsn) round = { lsn: now.confirmed, peeked: false };
        if (now.active) round.peeked = true;
        if (now.active || !round.peeked || !now.locked) return undefined;
        child.child.kill('SIGSTOP');
        const stopped = await roundState();
        if (stopped && stopped.confirmed === round.lsn && !stopped.active && stopped.locked)
          return stopped;
        child.child.kill('SIGCONT');
        return undefined;
      },
      60_000,
      2,
    );
    child.child.kill('SIGKILL');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAfter = Date.now() - t0;

    // The dead process's sessions end and its round lock goes.
    for (let tries = 0; ; tries++) {
      const now = await roundState();
      if (!now || (!now.active && !now.locked)) break;
      expect(tries, 'the killed sync still holds the round lock or the slot').toBeLessThan(400);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // The slot is still there, moved by the rounds that finished and not by the killed one,
    // which had read its changes and was writing them.
    const atKill = await roundState();
    expect(atKill, 'the slot survives the kill').toBeDefined();
    expect(atKill!.confirmed, 'the killed round advanced the slot').toBe(seen.confirmed);
    const moved = await pool.query<{ forward: boolean; notAhead: boolean }>(
      `SELECT $1::pg_lsn > $2::pg_lsn AS forward,
              $1::pg_lsn <= pg_current_wal_flush_lsn() AS "notAhead"`,
      [atKill!.confirmed, start],
    );
    expect(moved.rows[0]).toEqual({ forward: true, notAhead: true });
    // Work remained: every change after the confirmed position is still readable from the slot.
    const left = await remainingChanges();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(backlog);
    // And Cosmos is not yet what the source is: the kill was mid-work.
    const halfway = await differences();
    expect(
      DATA_CONTAINERS.every((c) =>
        isDeepStrictEqual(halfway.containers[c]!.stored, halfway.containers[c]!.fresh),
      ),
      'Cosmos already equals the source at the kill',
    ).toBe(false);

    // Run again: it reads exactly what the slot kept, applies it, and catches up.
    const t1 = Date.now();
    const again = cli(['sync', '--json'], env);
    const againMs = Date.now() - t1;
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary).toMatchObject({ outcome: 'caught-up', slot, rowErrors: 0 });
    expect(summary.changesRead).toBe(left);
    expect(await remainingChanges()).toBe(0);

    // Nothing lost, nothing duplicated: every container is exactly a fresh extraction.
    const after = await differences();
    expect(after.rowErrors).toBe(0);
    for (const container of DATA_CONTAINERS) {
      const { stored, fresh } = after.containers[container]!;
      expect(stored.size, container).toBe(fresh.size);
      expect(stored, container).toEqual(fresh);
    }

    const tv = Date.now();
    const validation = cli(['validate', '--json'], env);
    const validateMs = Date.now() - tv;
    expect(validation.code, validation.stderr).toBe(0);
    expect(JSON.parse(validation.stdout).ready).toBe(true);

    const idle = cli(['sync', '--json'], env);
    expect(idle.code, idle.stderr).toBe(0);
    const idleSummary = JSON.parse(idle.stdout);
    expect(idleSummary).toMatchObject({ outcome: 'caught-up', changesRead: 0 });
    expect(Object.values(idleSummary.entities)).toEqual(
      Array(4).fill({ documentsUpserted: 0, documentsDeleted: 0 }),
    );

    console.info(
      `sync killed after ${killedAfter} ms with ${left} of ${backlog} changes left ` +
        `(slot ${start} -> ${atKill!.confirmed}); the next sync applied them in ${againMs} ms ` +
        `(${summary.rounds} rounds); writing the backlog took ${writeMs} ms, validate ${validateMs} ms`,
    );
  });
});
