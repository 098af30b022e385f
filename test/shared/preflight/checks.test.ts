import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../../src/shared/cosmos/containers';
import { initTarget } from '../../../src/shared/cosmos/target';
import { CosmosTargetInspector } from '../../../src/shared/preflight/cosmos-inspector';
import { comparePolicies } from '../../../src/shared/preflight/index-policy';
import { runPreflight } from '../../../src/shared/preflight/run-preflight';
import { checkTarget } from '../../../src/shared/preflight/target-checks';
import { createWorld, TestWorld } from '../../support/engine';
import { uniqueName } from '../../support/servers';
import { plantCleanRows, preflightRuntime } from './fixture';

describe('source checks', () => {
  let world: TestWorld;

  beforeAll(async () => {
    world = await createWorld('pf_src');
    await plantCleanRows(world.source);
  });
  afterAll(() => world?.close());

  it('reports server, version, wal_level, schema and row counts', async () => {
    const runtime = preflightRuntime(world.settings, world.cosmos);
    try {
      const report = await runPreflight(runtime.deps);
      const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
      expect(byId['source.reachable']).toMatchObject({ verdict: 'pass' });
      expect(byId['source.reachable']!.reason).toMatch(/^connected to database pf_src_/);
      expect(byId['source.version']!.reason).toMatch(/^PostgreSQL \d+\.\d+/);
      // The embedded server runs with wal_level=logical for CDC.
      expect(byId['sync.walLevel']).toMatchObject({ verdict: 'pass', reason: /^logical/ });
      expect(byId['source.schema']).toMatchObject({ verdict: 'pass' });
      expect(byId['source.rowCounts']!.reason).toBe('users 3, posts 2, comments 3, votes 3');
      expect(byId['source.lookupIndexes']).toMatchObject({
        verdict: 'pass',
        reason: 'comments.post_id, comments.parent_id, votes.target_id indexed',
      });
    } finally {
      await runtime.close();
    }
  });

  it('warns when a per-batch lookup has no index (the source schema declares none), with the statement to add it', async () => {
    // An index whose first key is another column does not serve the lookup.
    await world.source.query(
      `DROP INDEX comments_parent_id_idx, votes_target_idx;
       CREATE INDEX votes_type_target_idx ON votes (target_type, target_id)`,
    );
    const runtime = preflightRuntime(world.settings, world.cosmos);
    try {
      const report = await runPreflight(runtime.deps);
      const indexes = report.checks.find((c) => c.id === 'source.lookupIndexes')!;
      expect(indexes.verdict).toBe('warn');
      expect(indexes.reason).toMatch(
        /^no index starts with comments\.parent_id, votes\.target_id: /,
      );
      expect(indexes.reason).toContain(
        'CREATE INDEX CONCURRENTLY ON comments (parent_id); CREATE INDEX CONCURRENTLY ON votes (target_id)',
      );
      expect(report.ok).toBe(true);
    } finally {
      await runtime.close();
      await world.source.query(
        `DROP INDEX votes_type_target_idx;
         CREATE INDEX comments_parent_id_idx ON comments (parent_id);
         CREATE INDEX votes_target_idx ON votes (target_id, target_type)`,
      );
    }
  });

  it('fails naming a missing column and a missing table, and says what did not run', async () => {
    await world.source.query(`ALTER TABLE comments DROP COLUMN path; DROP TABLE votes`);
    const runtime = preflightRuntime(world.settings, world.cosmos);
    try {
      const report = await runPreflight(runtime.deps);
      const schema = report.checks.find((c) => c.id === 'source.schema')!;
      expect(schema.verdict).toBe('fail');
      expect(schema.reason).toBe('missing table votes, column comments.path');
      expect(report.ok).toBe(false);
      expect(report.rowCounts).toEqual({ users: 3, posts: 2, comments: 3 });
      // Posts' extraction aggregates comments and votes: only users can be sampled.
      expect(report.estimate?.perEntity.map((e) => e.entity)).toEqual(['users']);
      // Continuous sync's set-up refuses too; its inspection of the tables is not asked.
      expect(report.checks.find((c) => c.id === 'sync.tables')).toMatchObject({
        verdict: 'fail',
        reason:
          'table votes not found: set-up refuses to start without the four tables (see tables and columns)',
      });
      expect(report.notRun).toHaveLength(2);
      expect(report.notRun[0]).toMatch(
        /^data-quality questions reading a missing table or column: /,
      );
      expect(report.notRun[0]).toContain('votes.orphanVotes');
      expect(report.notRun[0]).toContain('comments.threadPathMismatch');
      expect(report.notRun[0]).not.toMatch(/users\./);
      expect(report.notRun[1]).toBe(
        'estimate for posts, comments, votes: a table its extraction reads, or some of its columns, is missing',
      );
      // Findings over complete tables still ran.
      expect(report.checks.find((c) => c.id === 'data.rowErrors')).toMatchObject({
        verdict: 'pass',
        reason: expect.stringMatching(/^none found \(\d+ questions not asked: see not run\)$/),
      });
    } finally {
      await runtime.close();
    }
  });

  it('fails in one line when PostgreSQL cannot be reached, and skips what needs it', async () => {
    const runtime = preflightRuntime(
      { ...world.settings, DATABASE_URL: 'postgres://u:p@127.0.0.1:1/nowhere' },
      world.cosmos,
    );
    try {
      const report = await runPreflight(runtime.deps);
      const reachable = report.checks.find((c) => c.id === 'source.reachable')!;
      expect(reachable.verdict).toBe('fail');
      expect(reachable.reason).toMatch(
        /^cannot reach PostgreSQL at 127\.0\.0\.1:1 \(ECONNREFUSED\)/,
      );
      expect(report.checks.filter((c) => c.id.startsWith('source.'))).toHaveLength(1);
      expect(report.estimate).toBeNull();
      expect(report.notRun[0]).toMatch(/PostgreSQL is not reachable/);
      // The target side is checked all the same.
      expect(report.checks.find((c) => c.id === 'target.database')?.verdict).toBe('pass');
    } finally {
      await runtime.close();
    }
  });
});

describe('target checks (real local Cosmos server)', () => {
  let world: TestWorld;
  beforeAll(async () => {
    world = await createWorld('pf_tgt');
  });
  afterAll(() => world?.close());

  const inspect = (database: string) =>
    checkTarget(new CosmosTargetInspector(world.cosmos, database, 'local'), database);

  it('passes every container containers.json defines', async () => {
    const { checks, notRun } = await inspect(world.database);
    expect(checks.map((c) => [c.id, c.verdict])).toEqual([
      ['target.reachable', 'pass'],
      ['target.database', 'pass'],
      ...CONTAINERS.map((c) => [`target.container.${c.name}`, 'pass']),
    ]);
    expect(notRun).toEqual([]);
  });

  it('fails a missing database and skips the containers', async () => {
    const { checks, notRun } = await inspect(uniqueName('nodb'));
    expect(checks.at(-1)).toMatchObject({
      id: 'target.database',
      verdict: 'fail',
      reason: expect.stringMatching(/^does not exist: run `cosmos-migration init-target`/),
    });
    expect(notRun).toHaveLength(1);
  });

  it('fails a missing container, a wrong partition key and a different index policy', async () => {
    const database = uniqueName('pf_bad');
    await initTarget(world.cosmos, database, 'manual');
    const db = world.cosmos.database(database);
    await db.container('votes').delete();
    await db.container('leases').delete();
    // No version: the legacy hash of the first 100 bytes.
    await db.containers.create({ id: 'leases', partitionKey: { paths: ['/id'] } });
    await db.container('comments').delete();
    await db.containers.create({ id: 'comments', partitionKey: { paths: ['/id'] } });
    await db.container('posts').delete();
    // Default policy: neither the exclusions nor the composite indexes.
    await db.containers.create({ id: 'posts', partitionKey: { paths: ['/pk'] } });
    await db.container('users').delete();
    await db.containers.create({
      id: 'users',
      partitionKey: { paths: ['/pk'] },
      indexingPolicy: {
        compositeIndexes: [
          [
            { path: '/username', order: 'ascending' },
            { path: '/email', order: 'descending' },
          ],
        ],
      },
    });
    const { checks } = await inspect(database);
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(byId['target.container.votes']).toMatchObject({
      verdict: 'fail',
      reason: expect.stringMatching(/^missing: run `cosmos-migration init-target`/),
    });
    expect(byId['target.container.comments']).toMatchObject({
      verdict: 'fail',
      reason: 'partition key is /id, expected /pk (recreate the container)',
    });
    expect(byId['target.container.posts']!.verdict).toBe('fail');
    expect(byId['target.container.posts']!.reason).toBe(
      'index policy differs: lacks excluded path /sentiment/analysis/*; lacks excluded path /moderation/scores/*; ' +
        'lacks composite index (/engagement/popularityScore DESC, /timestamps/createdAt DESC); ' +
        'lacks composite index (/engagement/popularityScore ASC, /timestamps/createdAt DESC); ' +
        'lacks composite index (/timestamps/createdAt DESC, /id DESC)',
    );
    // An extra composite index only costs writes a little: a warning.
    expect(byId['target.container.users']).toMatchObject({
      verdict: 'warn',
      reason: 'index policy has extra composite index (/username ASC, /email DESC)',
    });
    expect(byId['target.container.migration']!.verdict).toBe('pass');
    expect(byId['target.container.leases']).toMatchObject({
      verdict: 'warn',
      reason: expect.stringMatching(/^partition key version 1 hashes only the first 100 bytes/),
    });
  });

  it('warns when comments or votes have TTL off (tombstones of the sync would never expire)', async () => {
    const database = uniqueName('pf_ttl');
    await initTarget(world.cosmos, database, 'manual');
    const db = world.cosmos.database(database);
    await db.container('votes').delete();
    await db.containers.create({ id: 'votes', partitionKey: { paths: ['/pk'], version: 2 } });
    const { checks } = await inspect(database);
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(byId['target.container.votes']).toMatchObject({
      verdict: 'warn',
      reason: expect.stringMatching(
        /^TTL is off, so the sync's tombstones of deleted votes never expire/,
      ),
    });
    expect(byId['target.container.comments']!.verdict).toBe('pass');
  });
});

describe('index policy comparison', () => {
  const posts = CONTAINERS.find((c) => c.name === 'posts')!.indexingPolicy;

  it('ignores what Cosmos adds when it stores a policy', () => {
    const asStored = {
      indexingMode: 'Consistent' as never,
      automatic: true,
      includedPaths: [{ path: '/*', indexes: [] }],
      excludedPaths: [
        { path: '/moderation/scores/*' },
        { path: '/"_etag"/?' },
        { path: '/sentiment/analysis/*' },
      ],
      compositeIndexes: [
        [
          { path: '/engagement/popularityScore', order: 'ascending' as never },
          { path: '/timestamps/createdAt', order: 'descending' as never },
        ],
        [
          { path: '/engagement/popularityScore', order: 'descending' as never },
          { path: '/timestamps/createdAt', order: 'descending' as never },
        ],
        [
          { path: '/timestamps/createdAt', order: 'descending' as never },
          { path: '/id', order: 'descending' as never },
        ],
      ],
    };
    expect(comparePolicies(posts, asStored)).toEqual({ problems: [], extras: [] });
    // The default policy as a real account returns it.
    expect(
      comparePolicies(null, {
        indexingMode: 'consistent' as never,
        automatic: true,
        includedPaths: [{ path: '/*' }],
        excludedPaths: [{ path: '/"_etag"/?' }],
      }),
    ).toEqual({ problems: [], extras: [] });
  });

  it('names an extra exclusion and a different mode as problems', () => {
    const { problems } = comparePolicies(null, {
      indexingMode: 'none' as never,
      excludedPaths: [{ path: '/*' }],
    });
    expect(problems).toEqual(['indexing mode is none, expected consistent', 'also excludes /*']);
  });
});
