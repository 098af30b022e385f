import { randomUUID } from 'node:crypto';
import { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/shared/config/config';
import { createCosmosClient } from '../../src/shared/cosmos/client';
import { initTarget } from '../../src/shared/cosmos/target';
import { tombstoneFor } from '../../src/shared/sync/tombstones';
import { seededEnvironment } from '../support/cli';
import { HostProcess, startHostProcess } from '../support/host';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Polls `read` until `done` holds, within a bounded time; the last value either way. */
async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('counts kept by the change-feed functions on the local host (npm start)', () => {
  let host: HostProcess;
  let cosmos: CosmosClient;
  let posts: Container;
  let votes: Container;

  beforeAll(async () => {
    const { env, pool } = await seededEnvironment('host_counts', { users: 30, seed: 6 });
    await pool.end();
    cosmos = createCosmosClient(parseConfig(env).cosmos);
    await initTarget(cosmos, env.COSMOS_DATABASE!, 'manual');
    const database = cosmos.database(env.COSMOS_DATABASE!);
    posts = database.container('posts');
    votes = database.container('votes');
    host = await startHostProcess(env);
    const started = await fetch(`${host.url}/api/migrations`, {
      method: 'POST',
      body: JSON.stringify({ sync: false }),
    });
    expect(started.status).toBe(202);
    const run = await poll(
      async () =>
        (await (await fetch(`${host.url}${started.headers.get('location')!}`)).json()) as {
          status: string;
        },
      (body) => body.status !== 'running' && body.status !== 'queued',
    );
    expect(run.status).toBe('completed');
  });

  afterAll(async () => {
    await host?.interrupt();
    cosmos?.dispose();
  });

  it("a vote the application writes into Cosmos, then deletes with its tombstone, moves its post's counts both ways", async () => {
    const {
      resources: [post],
    } = await posts.items.query<Doc>("SELECT TOP 1 * FROM c WHERE c.type = 'post'").fetchAll();
    const before = post!.engagement;
    const read = async () => (await posts.item(post!.id, post!.pk).read<Doc>()).resource!;
    const user = randomUUID();
    const vote = {
      id: `vote_${user}_${post!.id}_post`,
      pk: `target:${post!.id}`,
      type: 'vote',
      sourceId: randomUUID(),
      userId: user,
      targetId: post!.id,
      targetType: 'post',
      voteType: 'wow',
      targetPk: post!.pk,
      user: { username: 'someone', displayName: 'someone' },
      timestamps: { createdAt: '2031-01-01T00:00:00.000000Z' },
    };
    await votes.items.create(vote);
    const counted = await poll(read, (doc) => doc.engagement.voteCount === before.voteCount + 1);
    expect(counted.engagement).toMatchObject({
      voteCount: before.voteCount + 1,
      voteCounts: { ...before.voteCounts, wow: (before.voteCounts.wow ?? 0) + 1 },
      // The newest vote is newer than anything the seed made.
      lastActivityAt: '2031-01-01T00:00:00.000000Z',
    });
    await host.waitFor(/Executed 'Functions\.counts-from-votes' \(Succeeded/);

    const batch = await votes.items.batch(
      [
        { operationType: 'Delete', id: vote.id },
        { operationType: 'Upsert', resourceBody: tombstoneFor(vote, 3600) as never },
      ],
      vote.pk,
    );
    expect(batch.result?.map((r) => r.statusCode)).toEqual([204, 201]);
    const uncounted = await poll(read, (doc) => doc.engagement.voteCount === before.voteCount);
    expect(uncounted.engagement).toEqual(before);
  });
});
