import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { CosmosClient } from '@azure/cosmos';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CosmosAppRepository } from '../../../src/shared/app-data/cosmos-repository';
import { FlagRouting } from '../../../src/shared/app-data/flag-routing';
import { OperationMetrics } from '../../../src/shared/app-data/operation-metrics';
import { PostgresAppRepository } from '../../../src/shared/app-data/postgres-repository';
import { CopyToCosmos } from '../../../src/shared/app-data/replay/copy-to-cosmos';
import { CopyToPostgres } from '../../../src/shared/app-data/replay/copy-to-postgres';
import { ReplayDeps, replayWrites } from '../../../src/shared/app-data/replay/replay-writes';
import { StageRouter } from '../../../src/shared/app-data/stage-router';
import { parseConfig } from '../../../src/shared/config/config';
import { createCosmosClient } from '../../../src/shared/cosmos/client';
import { CosmosMetricsStore } from '../../../src/shared/cosmos/cosmos-metrics-store';
import { CosmosReplayQueue } from '../../../src/shared/cosmos/cosmos-replay-queue';
import { Stage, readPercentFor, stageWrites } from '../../../src/shared/cutover/stages';
import { FileFlagStore } from '../../../src/shared/flags/file-flag-store';
import { at } from '../../support/app-data';
import { createWorld, TestWorld } from '../../support/engine';
import { FaultProxy, startFaultProxy } from '../../support/fault-proxy';
import { cosmosTarget } from '../../support/servers';
import { startTcpProxy, TcpProxy } from '../../support/tcp-proxy';

/** Requests to one container's documents (writes, reads and queries alike). */
const toContainer = (name: string) => (req: { url: string }) => req.url.includes(`/colls/${name}/`);

describe('the stage router (real stores behind fault proxies)', () => {
  let world: TestWorld;
  let cosmosProxy: FaultProxy;
  let pgProxy: TcpProxy;
  let faultyCosmos: CosmosClient;
  let pool: pg.Pool;
  let stores: { postgres: PostgresAppRepository; cosmos: CosmosAppRepository };
  let flags: FileFlagStore;
  let metrics: OperationMetrics;
  let queue: CosmosReplayQueue;
  let router: StageRouter;
  let replay: ReplayDeps;
  let syncApplies = false;
  const warnings: string[] = [];
  let n = 0;
  const next = () => at(++n);

  beforeAll(async () => {
    cosmosProxy = await startFaultProxy(cosmosTarget().endpoint);
    world = await createWorld('router');
    const source = new URL(world.sourceUrl);
    pgProxy = await startTcpProxy({ host: source.hostname, port: Number(source.port) });
    pool = new pg.Pool({ connectionString: pgProxy.via(world.sourceUrl), max: 4 });
    pool.on('error', () => undefined);
    faultyCosmos = createCosmosClient(
      parseConfig({ COSMOS_ENDPOINT: cosmosProxy.endpoint, COSMOS_KEY: cosmosTarget().key }).cosmos,
    );
    stores = {
      postgres: new PostgresAppRepository(pool),
      cosmos: new CosmosAppRepository(faultyCosmos, world.database, { tombstoneTtlSeconds: 3600 }),
    };
    flags = new FileFlagStore(
      path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'router-')), 'feature-flags.json'),
    );
    metrics = new OperationMetrics(new CosmosMetricsStore(world.cosmos, world.database), {
      instance: 'router-test',
      windowSeconds: 3600,
      ttlSeconds: 3600,
    });
    // The queue itself lives in Cosmos too, reached through the proxy like the data.
    queue = new CosmosReplayQueue(faultyCosmos, world.database);
    router = new StageRouter({
      stores,
      routing: new FlagRouting(flags, { refreshMs: 0 }),
      replay: queue,
      metrics,
      warn: (code, message) => warnings.push(`${code}: ${message}`),
    });
    const engine = world.engine();
    replay = {
      queue,
      copiers: {
        postgres: new CopyToPostgres(world.cosmos, world.database, world.source, stores.postgres),
        cosmos: new CopyToCosmos(
          world.source,
          {
            source: engine.source,
            reader: engine.reader,
            writer: engine.writer,
            tombstoneTtlSeconds: 3600,
          },
          stores.cosmos,
        ),
      },
      syncApplies: async () => syncApplies,
    };
  });

  afterAll(async () => {
    await router?.settled();
    faultyCosmos?.dispose();
    await pool?.end();
    await world?.close();
    await pgProxy?.stop();
    await cosmosProxy?.stop();
  });

  beforeEach(() => {
    cosmosProxy.clear();
    pgProxy.restore();
    syncApplies = false;
    warnings.length = 0;
  });

  const setStage = async (stage: Stage, percent?: number) => {
    const snapshot = await flags.read();
    await flags.write(stageWrites(snapshot, stage, readPercentFor(stage, percent, 0)));
  };

  const newUser = () => {
    const name = `u-${randomUUID().slice(0, 8)}`;
    return {
      id: randomUUID(),
      username: name,
      email: `${name}@example.com`,
      passwordHash: `hash-${name}`,
      createdAt: next(),
    };
  };
  const newPost = (authorId: string, title = 'a title') => ({
    id: randomUUID(),
    authorId,
    title,
    content: 'text',
    createdAt: next(),
  });

  it('in postgres-only writes and reads PostgreSQL alone', async () => {
    await setStage('postgres-only');
    const before = metrics.totals();
    const user = newUser();
    const data = router.as(user.id);
    await data.createUser(user);
    const post = await data.createPost(newPost(user.id));
    expect(await data.getPost(post.id)).toEqual(post);
    expect(await stores.cosmos.getPost(post.id)).toBeNull();
    const after = metrics.totals();
    expect(after.cosmos.count - before.cosmos.count).toBe(0);
    expect(after.postgres.count - before.postgres.count).toBe(3);
  });

  it('in dual-write writes both stores; a Cosmos miss succeeds, is recorded and copied over', async () => {
    await setStage('dual-write');
    const user = newUser();
    const data = router.as(user.id);
    await data.createUser(user);
    expect(await stores.cosmos.getUser(user.id)).toEqual(await stores.postgres.getUser(user.id));

    const errorsBefore = metrics.totals().cosmos.errors;
    cosmosProxy.inject({ status: 503, match: toContainer('posts') });
    const post = await data.createPost(newPost(user.id, 'written while Cosmos failed'));
    const edited = await data.updatePost(post.id, { title: 'edited too', updatedAt: next() });
    cosmosProxy.clear();
    expect(metrics.totals().cosmos.errors - errorsBefore).toBe(2);
    expect(await stores.postgres.getPost(post.id)).toEqual(edited);
    expect(await stores.cosmos.getPost(post.id)).toBeNull();
    // One entry for the record, however many of its writes missed.
    const [entry, ...others] = await queue.oldest(10);
    expect(others).toEqual([]);
    expect(entry).toMatchObject({
      target: 'cosmos',
      ref: { kind: 'post', id: post.id },
      operation: 'updatePost',
    });

    // While the sync applies, it repairs Cosmos itself: the entry is left to it.
    syncApplies = true;
    expect(await replayWrites(replay, 10)).toMatchObject({
      replayed: 0,
      leftToSync: 1,
      pending: 0,
    });

    cosmosProxy.inject({ status: 503, match: toContainer('posts') });
    await data.updatePost(post.id, { content: 'third edit', updatedAt: next() });
    cosmosProxy.clear();
    syncApplies = false;
    expect(await replayWrites(replay, 10)).toMatchObject({ replayed: 1, failed: [], pending: 0 });
    expect(await stores.cosmos.getPost(post.id)).toEqual(await stores.postgres.getPost(post.id));
  });

  it('in cosmos-primary writes Cosmos first; a PostgreSQL miss is copied back from Cosmos', async () => {
    await setStage('dual-write');
    const user = newUser();
    const voter = newUser();
    const data = router.as(user.id);
    await data.createUser(user);
    await data.createUser(voter);
    const post = await data.createPost(newPost(user.id));
    const doomed = await data.createPost(newPost(user.id, 'deleted while PostgreSQL was away'));
    await setStage('cosmos-primary');

    pgProxy.cut();
    const comment = await data.createComment({
      id: randomUUID(),
      postId: post.id,
      authorId: user.id,
      parentId: null,
      content: 'while PostgreSQL was away',
      createdAt: next(),
    });
    await router.as(voter.id).vote({
      id: randomUUID(),
      userId: voter.id,
      targetType: 'comment',
      targetId: comment.id,
      postId: post.id,
      voteType: 'love',
      createdAt: next(),
    });
    await data.updateUser(user.id, { username: `${user.username}-renamed` });
    await data.deletePost(doomed.id);
    pgProxy.restore();
    expect(await stores.postgres.commentThread(post.id)).toEqual([]);
    expect(await queue.pending()).toBe(4);
    expect((await queue.oldest(10)).map((e) => e.target)).toEqual(Array(4).fill('postgres'));

    const summary = await replayWrites(replay, 10);
    expect(summary).toMatchObject({ replayed: 4, failed: [], pending: 0 });
    expect(await stores.postgres.getUser(user.id)).toEqual(await stores.cosmos.getUser(user.id));
    expect(await stores.postgres.getPost(doomed.id)).toBeNull();
    const target = { targetType: 'comment' as const, targetId: comment.id, postId: post.id };
    expect(await stores.postgres.userVote(voter.id, target)).toEqual(
      await stores.cosmos.userVote(voter.id, target),
    );
    const [copied] = await stores.postgres.commentThread(post.id);
    expect(copied).toMatchObject({
      id: comment.id,
      content: comment.content,
      path: comment.path,
      authorUsername: `${user.username}-renamed`,
      voteCounts: { love: 1 },
    });
  });

  it('fails the request when the authoritative store fails, and leaves the other alone', async () => {
    await setStage('cosmos-primary');
    const user = newUser();
    await router.as(user.id).createUser(user);
    cosmosProxy.inject({ status: 503, match: toContainer('posts') });
    const post = newPost(user.id);
    await expect(router.as(user.id).createPost(post)).rejects.toMatchObject({ code: 503 });
    cosmosProxy.clear();
    expect(await stores.postgres.getPost(post.id)).toBeNull();
    expect(await queue.pending()).toBe(0);
  });

  it('says so when a miss cannot be recorded (the queue unreachable too), and still answers', async () => {
    await setStage('dual-write');
    const user = newUser();
    await router.as(user.id).createUser(user);
    cosmosProxy.inject({ status: 503 });
    const post = await router.as(user.id).createPost(newPost(user.id));
    cosmosProxy.clear();
    expect(await stores.postgres.getPost(post.id)).toEqual(post);
    expect(warnings).toEqual([
      expect.stringMatching(/^REPLAY_RECORD_FAILED: createPost: cosmos missed/),
    ]);
  });

  it('in shadow-reads serves PostgreSQL and records a difference by field path, never by value', async () => {
    await setStage('shadow-reads');
    const user = newUser();
    const data = router.as(user.id);
    await data.createUser(user);
    const post = await data.createPost(newPost(user.id, 'the same on both'));
    const before = metrics.totals();
    expect(await data.getPost(post.id)).toEqual(post);
    await router.settled();
    expect(metrics.totals().cosmos.shadowReads - before.cosmos.shadowReads).toBe(1);
    expect(metrics.totals().cosmos.shadowMismatches).toBe(before.cosmos.shadowMismatches);

    await world.cosmos
      .database(world.database)
      .container('posts')
      .item(post.id, `user:${user.id}`)
      .patch([{ op: 'set', path: '/title', value: 'a secret only Cosmos holds' }]);
    expect(await data.getPost(post.id)).toEqual(post);
    await router.settled();
    expect(metrics.totals().cosmos.shadowMismatches - before.cosmos.shadowMismatches).toBe(1);
    await metrics.flush();
    const windows = await new CosmosMetricsStore(world.cosmos, world.database).windowsSince(
      '2000-01-01T00:00:00.000Z',
    );
    const samples = windows.flatMap((w) => w.mismatches);
    expect(samples).toContainEqual(
      expect.objectContaining({ operation: 'getPost', served: 'postgres', paths: ['title'] }),
    );
    expect(samples.find((s) => s.ids.includes(post.id))).toBeDefined();
    expect(JSON.stringify(windows)).not.toContain('a secret only Cosmos holds');
  });

  it('in cosmos-reads serves the cohort from Cosmos, and PostgreSQL when Cosmos fails', async () => {
    await setStage('cosmos-reads', 100);
    const user = newUser();
    const data = router.as(user.id);
    await data.createUser(user);
    const post = await data.createPost(newPost(user.id, 'as written'));
    await world.cosmos
      .database(world.database)
      .container('posts')
      .item(post.id, `user:${user.id}`)
      .patch([{ op: 'set', path: '/title', value: 'as Cosmos holds it' }]);
    expect((await data.getPost(post.id))!.title).toBe('as Cosmos holds it');
    cosmosProxy.inject({ status: 503, match: toContainer('posts') });
    expect((await data.getPost(post.id))!.title).toBe('as written');
    cosmosProxy.clear();
    await router.settled();
  });
});
