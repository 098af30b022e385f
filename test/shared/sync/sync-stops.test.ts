import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../../src/cli/local-engine';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { seedSource } from '../../../src/shared/source/seed';
import { catchUp } from '../../../src/shared/sync/catch-up';
import { runSyncRound } from '../../../src/shared/sync/run-round';
import { setUpSync } from '../../../src/shared/sync/set-up-sync';
import { stopSync } from '../../../src/shared/sync/stop-sync';
import { syncStatus } from '../../../src/shared/sync/sync-status';
import { createWorld, TestWorld } from '../../support/engine';

describe('what stops continuous sync, and what it says then', () => {
  let world: TestWorld;
  let engine: LocalEngine;

  beforeAll(async () => {
    world = await createWorld('sync_stops');
    await seedSource(world.source, { users: 10, seed: 2 });
    engine = world.engine();
    await startMigration(engine, { batchSize: 500, sync: true });
    await engine.localQueue.idle();
    expect((await catchUp(engine.syncDeps(), 10)).outcome).toBe('caught-up');
  });

  afterAll(async () => {
    await stopSync({ capture: engine.changeStream, syncStore: engine.syncStore }).catch(
      () => undefined,
    );
    await world?.close();
  });

  it('a TRUNCATE stops the sync, recorded in its state, naming the table and the reload', async () => {
    await world.source.query(`SET LOCAL synchronous_commit = on; TRUNCATE votes`);
    const error = await runSyncRound(engine.syncDeps()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SYNC_TRUNCATE' });
    expect((error as Error).message).toMatch(/votes/);
    expect((error as Error).message).toMatch(/migrate --entities votes|reload/);
    const { state } = await syncStatus(engine.syncDeps());
    expect(state.status).toBe('failed');
    expect(state.error).toMatchObject({ code: 'SYNC_TRUNCATE' });
    // It stays stopped: the next round says the same, nothing is skipped past it.
    await expect(runSyncRound(engine.syncDeps())).rejects.toMatchObject({ code: 'SYNC_TRUNCATE' });
  });

  it('a lost slot stops the sync and says to validate and repair', async () => {
    await stopSync({ capture: engine.changeStream, syncStore: engine.syncStore });
    // A new sync for a finished load, whose slot then disappears (a failover, a DBA).
    const { runId } = await startMigration(engine, { batchSize: 500, entities: ['users'] });
    await engine.localQueue.idle();
    const state = await setUpSync(
      { capture: engine.changeStream, syncStore: engine.syncStore },
      runId,
    );
    await world.source.query(`SELECT pg_drop_replication_slot($1)`, [state.slot]);
    const error = await runSyncRound(engine.syncDeps()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SYNC_SLOT_LOST' });
    expect((error as Error).message).toMatch(/validate --full/);
    expect((error as Error).message).toMatch(/repair/);
    expect((await syncStatus(engine.syncDeps())).state.status).toBe('failed');
  });
});
