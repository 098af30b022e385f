import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun } from '../../../src/shared/migration/run-queries';
import { startMigration } from '../../../src/shared/migration/start-migration';
import { seedSource } from '../../../src/shared/source/seed';
import { repairValidation } from '../../../src/shared/validation/repair';
import { startValidation } from '../../../src/shared/validation/start-validation';
import { getValidation, resumeValidation } from '../../../src/shared/validation/validation-queries';
import { ValidationSummary } from '../../../src/shared/validation/validation-summary';
import { LocalEngine } from '../../../src/cli/local-engine';
import { createWorld, TestWorld } from '../../support/engine';
import { DATA_CONTAINERS } from '../../support/documents';

type Doc = Record<string, unknown> & { id: string; pk: string };
type Damage = Map<string, 'mismatch' | 'missing' | 'extra'>;

async function validate(
  engine: LocalEngine,
  options: { mode?: 'full' | 'sample'; sampleSize?: number } = {},
): Promise<ValidationSummary> {
  const { validationId } = await startValidation(engine, {
    mode: options.mode ?? 'full',
    sampleSize: options.sampleSize,
    batchSize: 100,
    threshold: 0.99,
    trigger: 'manual',
  });
  await engine.localValidationQueue.idle();
  return getValidation(engine, validationId);
}

/** Every difference of a summary as `container|id -> class` (all fit in the detailed list here). */
function found(summary: ValidationSummary): Damage {
  const result: Damage = new Map();
  for (const [entity, verdict] of Object.entries(summary.entities)) {
    for (const difference of verdict.differences) {
      result.set(`${entity}|${difference.id}`, difference.class);
    }
  }
  return result;
}

describe('validation', () => {
  let world: TestWorld;
  let engine: LocalEngine;
  const planted: Damage = new Map();
  const fieldsOf = new Map<string, string[]>();

  const container = (name: string) => world.cosmos.database(world.database).container(name);
  async function documents(name: string): Promise<Doc[]> {
    const { resources } = await container(name).items.query<Doc>('SELECT * FROM c').fetchAll();
    return resources.sort((a, b) => a.id.localeCompare(b.id));
  }
  async function change(name: string, doc: Doc, edit: (d: Doc) => void, fields: string[]) {
    const copy = structuredClone(doc);
    edit(copy);
    await container(name).items.upsert(copy);
    planted.set(`${name}|${doc.id}`, 'mismatch');
    fieldsOf.set(`${name}|${doc.id}`, fields);
  }

  beforeAll(async () => {
    world = await createWorld('val');
    await seedSource(world.source, { users: 60, seed: 11 });
    engine = world.engine();
    const { runId } = await startMigration(engine, { batchSize: 100 });
    await engine.localQueue.idle();
    expect((await getRun(engine, runId)).status).toMatch(/^completed/);
  });
  afterAll(() => world?.close());

  it('after a clean migration: ready, rate 1.0, nothing differs', async () => {
    const summary = await validate(engine);
    expect(summary.status).toBe('completed');
    expect(summary.ready).toBe(true);
    expect(summary.consistencyRate).toBe(1);
    expect(summary.totals.mismatched + summary.totals.missing + summary.totals.extra).toBe(0);
    // The census found every stored document among the ranges': no query per range was needed.
    const record = (await engine.validations.getValidation(summary.validationId))!;
    for (const entity of Object.values(record.plan)) expect(entity.batches).toBe(entity.ranges + 1);
    // Every stored document was compared and matched.
    let stored = 0;
    for (const name of DATA_CONTAINERS) stored += (await documents(name)).length;
    expect(summary.totals.matched).toBe(stored);
    expect(summary.totals.rowsRead).toBe(
      Object.values(summary.entities).reduce((sum, verdict) => sum + verdict.sourceRows, 0),
    );
  });

  it('finds exactly the planted damage, in its class, with the differing fields', async () => {
    const users = await documents('users');
    const posts = await documents('posts');
    const comments = await documents('comments');
    const votes = await documents('votes');
    const person = users.filter((d) => d.type === 'user');
    const lookups = users.filter((d) => d.type === 'usernameLookup');

    // Changed fields, spread through each container.
    await change('users', person[3]!, (d) => (d.username = 'someone else'), ['/username']);
    await change('users', person[20]!, (d) => (d.email = 'x@example.com'), ['/email']);
    await change('users', lookups[40]!, (d) => (d.userId = randomUUID()), ['/userId']);
    await change('posts', posts[2]!, (d) => (d.title = `${String(d.title)}!`), ['/title']);
    await change('posts', posts[posts.length - 1]!, (d) => delete d.sentiment, ['/sentiment']);
    await change('comments', comments[10]!, (d) => (d.content = ''), ['/content']);
    await change('votes', votes[votes.length - 3]!, (d) => (d.voteType = 'nope'), ['/voteType']);
    // Wrong denormalized counts.
    await change(
      'posts',
      posts[7]!,
      (d) => ((d.engagement as { commentCount: number }).commentCount += 1),
      ['/engagement/commentCount'],
    );
    const counted = posts.find(
      (d) => Object.keys((d.engagement as { voteCounts: object }).voteCounts).length > 0,
    )!;
    await change(
      'posts',
      counted,
      (d) => {
        const counts = (d.engagement as { voteCounts: Record<string, number> }).voteCounts;
        counts[Object.keys(counts)[0]!]! += 2;
      },
      [
        `/engagement/voteCounts/${Object.keys((counted.engagement as { voteCounts: object }).voteCounts)[0]}`,
      ],
    );
    await change(
      'comments',
      comments[comments.length - 5]!,
      (d) => ((d.threading as { childCount: number }).childCount += 1),
      ['/threading/childCount'],
    );

    // Deleted documents.
    for (const [name, doc] of [
      ['users', person[30]!],
      ['posts', posts[15]!],
      ['comments', comments[comments.length - 1]!],
      ['votes', votes[0]!],
    ] as const) {
      await container(name).item(doc.id, doc.pk).delete();
      planted.set(`${name}|${doc.id}`, 'missing');
    }

    // Extra documents: source rows that do not exist, a stale lookup, a document of no known kind.
    const ghost = randomUUID();
    const extras: [string, Doc][] = [
      ['posts', { ...posts[0]!, id: ghost, pk: 'user:nobody' }],
      ['comments', { ...comments[0]!, id: randomUUID() }],
      ['votes', { ...votes[1]!, id: `vote_${randomUUID()}`, sourceId: randomUUID() }],
      [
        'users',
        {
          id: 'username:old-name',
          pk: 'username:old-name',
          type: 'usernameLookup',
          userId: person[5]!.id,
        },
      ],
      ['posts', { id: 'leftover', pk: 'leftover', type: 'draft' }],
    ];
    for (const [name, doc] of extras) {
      const { _rid, _self, _etag, _ts, _attachments, ...body } = doc;
      void [_rid, _self, _etag, _ts, _attachments];
      await container(name).items.create(body);
      planted.set(`${name}|${doc.id}`, 'extra');
    }

    const summary = await validate(engine);
    expect(summary.status).toBe('completed');
    expect(summary.ready).toBe(false);
    expect(found(summary)).toEqual(planted);
    // Each container holds extras, so each census planned a claims batch per range and a sweep.
    const record = (await engine.validations.getValidation(summary.validationId))!;
    for (const entity of Object.values(record.plan)) {
      expect(entity.batches).toBe(2 * entity.ranges + 2);
    }
    for (const [key, fields] of fieldsOf) {
      const [entity, id] = key.split('|');
      const difference = summary.entities[entity as 'users']!.differences.find((d) => d.id === id)!;
      expect(difference.fields, key).toEqual(fields);
    }
    const email = summary.entities.users!.differences.find((d) => d.fields.includes('/email'))!;
    expect(email.values!['/email']).toEqual({ expected: '<masked>', actual: '<masked>' });
    expect(JSON.stringify(summary)).not.toContain('x@example.com');
    const classes = [...planted.values()];
    expect(summary.totals.mismatched).toBe(classes.filter((c) => c === 'mismatch').length);
    expect(summary.totals.missing).toBe(classes.filter((c) => c === 'missing').length);
    expect(summary.totals.extra).toBe(classes.filter((c) => c === 'extra').length);
  });

  it('sample mode draws from the whole table, so damage near its end is found', async () => {
    const summary = await validate(engine, { mode: 'sample', sampleSize: 100_000 });
    expect(summary.mode).toBe('sample');
    // A sample as large as the table covers every row; extras without a source row need full mode.
    const expectedSample = new Map(
      [...planted].filter(([key, cls]) => cls !== 'extra' || key === 'users|username:old-name'),
    );
    expect(found(summary)).toEqual(expectedSample);

    const posts = await world.source.query<{ id: string }>('SELECT id FROM posts ORDER BY id');
    const small = await startValidation(engine, {
      mode: 'sample',
      sampleSize: Math.ceil(posts.rows.length / 3),
      entities: ['posts'],
      batchSize: 100,
      threshold: 0.99,
      trigger: 'manual',
    });
    const batch = await engine.validations.getBatch(
      small.validationId,
      `${small.validationId}:posts:000000`,
    );
    const ids = batch!.scope.kind === 'ids' ? batch!.scope.ids : [];
    const lastThird = posts.rows.slice(-Math.floor(posts.rows.length / 3)).map((r) => r.id);
    // Uniform draws land in the last third about a third of the time; the first N would not at all.
    expect(ids.filter((id) => lastThird.includes(id)).length).toBeGreaterThan(0);
    await engine.localValidationQueue.idle();
  });

  it('repair rewrites exactly what differs; with deleteExtras the next validation is clean', async () => {
    const before = await validate(engine);
    const kept = await repairValidation(engine, before.validationId, { deleteExtras: false });
    expect(kept.deleted).toBe(0);
    expect(kept.extrasKept).toBe([...planted.values()].filter((c) => c === 'extra').length);
    const afterKeep = await validate(engine);
    expect([...found(afterKeep).values()].every((c) => c === 'extra')).toBe(true);

    const repaired = await repairValidation(engine, afterKeep.validationId, { deleteExtras: true });
    expect(repaired.deleted).toBe(kept.extrasKept);
    const clean = await validate(engine);
    expect(clean.ready).toBe(true);
    expect(clean.consistencyRate).toBe(1);
    expect(found(clean).size).toBe(0);
    for (const name of DATA_CONTAINERS) expect((await documents(name)).length).toBeGreaterThan(0);
  });

  it('an interrupted validation is not ready until resumed, then gives the right verdict', async () => {
    const slow = world.engine({ MIGRATION_BATCH_CONCURRENCY: '1' });
    const { validationId } = await startValidation(slow, {
      mode: 'full',
      batchSize: 100,
      threshold: 0.99,
      trigger: 'manual',
    });
    await new Promise<void>((resolve) => {
      const timer = setInterval(async () => {
        const summary = await getValidation(slow, validationId);
        if (summary.totals.rowsRead >= 200) {
          slow.localValidationQueue.stop();
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    await slow.localValidationQueue.idle();
    const halfway = await getValidation(engine, validationId);
    expect(halfway.status).toBe('running');
    expect(halfway.ready).toBe(false);

    const { requeued } = await resumeValidation(engine, validationId);
    expect(requeued).toBeGreaterThan(0);
    await engine.localValidationQueue.idle();
    const resumed = await getValidation(engine, validationId);
    expect(resumed.status).toBe('completed');
    expect(resumed.ready).toBe(true);
    expect(resumed.consistencyRate).toBe(1);
  });
});
