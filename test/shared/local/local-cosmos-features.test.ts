import {
  ChangeFeedIteratorResponse,
  ChangeFeedPullModelIterator,
  ChangeFeedStartFrom,
  Container,
  CosmosClient,
  Database,
  ErrorResponse,
  FeedRange,
  OperationInput,
  PartitionKeyDefinitionVersion,
  StatusCodes,
} from '@azure/cosmos';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosmosTarget, uniqueName } from '../../support/servers';

// What the local Cosmos server (src/shared/local/cosmos-server-child.js) adds to
// @vercel/cosmosdb-server, driven through the SDK's own APIs as the app uses them.

interface Doc {
  id: string;
  pk: string;
  n?: number;
  _lsn?: number;
  [key: string]: unknown;
}

type Page = ChangeFeedIteratorResponse<Doc[]>;

let client: CosmosClient;
let database: Database;

beforeAll(async () => {
  client = new CosmosClient({
    ...cosmosTarget(),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  ({ database } = await client.databases.createIfNotExists({ id: uniqueName('cosmos_features') }));
});

afterAll(async () => {
  await database?.delete();
  client?.dispose();
});

async function container(id: string, version?: PartitionKeyDefinitionVersion): Promise<Container> {
  const { container: created } = await database.containers.createIfNotExists({
    id,
    partitionKey: { paths: ['/pk'], ...(version ? { version } : {}) },
  });
  return created;
}

/** Pages until the feed answers 304 (bounded), then that 304 as `caughtUp`. */
async function drain(iterator: ChangeFeedPullModelIterator<Doc>, maxPages = 20) {
  const pages: Page[] = [];
  for (let i = 0; i < maxPages; i += 1) {
    const page = await iterator.readNext();
    if (page.statusCode === StatusCodes.NotModified) return { pages, caughtUp: page };
    pages.push(page);
  }
  throw new Error(`the change feed did not catch up within ${maxPages} pages`);
}

const ids = (docs: Doc[]) => docs.map((doc) => doc.id);
const changes = (pages: Page[]) => pages.flatMap((page) => page.result);

describe('change feed (latest version)', () => {
  it('reads from the beginning in _lsn order, a page of maxItemCount at a time, then 304 with more to come', async () => {
    const items = await container('beginning');
    for (let i = 0; i < 5; i += 1) await items.items.create({ id: `d${i}`, pk: `p${i % 2}` });

    const iterator = items.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
      maxItemCount: 2,
    });
    const { pages, caughtUp } = await drain(iterator);
    expect(pages.map((page) => page.result.length)).toEqual([2, 2, 1]);
    expect(pages.every((page) => page.statusCode === StatusCodes.Ok)).toBe(true);
    const docs = changes(pages);
    expect(ids(docs)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
    const lsns = docs.map((doc) => doc._lsn!);
    expect(lsns.every((lsn) => typeof lsn === 'number')).toBe(true);
    expect([...lsns].sort((a, b) => a - b)).toEqual(lsns);
    expect(new Set(lsns).size).toBe(5);

    expect(caughtUp.result).toEqual([]);
    expect(caughtUp.continuationToken).toBeTruthy();
    expect(iterator.hasMoreResults).toBe(true);
    expect((await iterator.readNext()).statusCode).toBe(StatusCodes.NotModified);
  });

  it('resumes from a continuation with what changed since, an updated document once at its latest version, no deletes', async () => {
    const items = await container('resume');
    for (let i = 0; i < 4; i += 1) await items.items.create({ id: `d${i}`, pk: 'p', n: i });
    const first = items.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
    });
    const { pages, caughtUp } = await drain(first);
    const before = Math.max(...changes(pages).map((doc) => doc._lsn!));

    await items.item('d1', 'p').replace({ id: 'd1', pk: 'p', n: 10 });
    await items.item('d1', 'p').patch([{ op: 'incr', path: '/n', value: 1 }]);
    await items.items.upsert({ id: 'd9', pk: 'p', n: 9 });
    await items.item('d2', 'p').delete();

    const resumed = items.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Continuation(caughtUp.continuationToken),
    });
    const after = await drain(resumed);
    const docs = changes(after.pages);
    expect(ids(docs)).toEqual(['d1', 'd9']);
    expect(docs[0]?.n).toBe(11);
    expect(docs[0]!._lsn!).toBeGreaterThan(before);
    expect(docs[1]!._lsn!).toBeGreaterThan(docs[0]!._lsn!);

    // The first iterator goes on from where it stopped too, and sees the same.
    expect(ids(changes((await drain(first)).pages))).toEqual(['d1', 'd9']);
  });

  it('starts from now: nothing that was there, then each new write', async () => {
    const items = await container('now');
    await items.items.create({ id: 'old', pk: 'p' });
    const iterator = items.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Now(),
    });
    expect((await iterator.readNext()).statusCode).toBe(StatusCodes.NotModified);
    await items.items.upsert({ id: 'new', pk: 'p' });
    await items.items.upsert({ id: 'old', pk: 'p', n: 1 });
    const { pages } = await drain(iterator);
    expect(ids(changes(pages))).toEqual(['new', 'old']);
  });

  it('starts from a time: only what was written at or after it', async () => {
    const items = await container('time');
    await items.items.create({ id: 'before', pk: 'p' });
    // If-Modified-Since carries whole seconds: let one pass after the first write.
    await sleep(1_100);
    const start = new Date();
    await items.items.create({ id: 'after', pk: 'p' });
    const iterator = items.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Time(start),
    });
    const { pages } = await drain(iterator);
    expect(ids(changes(pages))).toEqual(['after']);
  });

  it('reads one partition key', async () => {
    const items = await container('by_key');
    for (let i = 0; i < 6; i += 1) await items.items.create({ id: `d${i}`, pk: `p${i % 3}` });
    const iterator = items.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning('p1'),
    });
    expect(ids(changes((await drain(iterator)).pages))).toEqual(['d1', 'd4']);
    await items.items.upsert({ id: 'd0', pk: 'p0', n: 1 });
    await items.items.upsert({ id: 'd7', pk: 'p1' });
    expect(ids(changes((await drain(iterator)).pages))).toEqual(['d7']);
  });

  it('reads the feed ranges of getFeedRanges, and a part of one, each with only its documents', async () => {
    const items = await container('by_range', PartitionKeyDefinitionVersion.V2);
    const all = Array.from({ length: 24 }, (_, i) => `d${i}`);
    for (const id of all) await items.items.create({ id, pk: `key-${id}` });

    const ranges = await items.getFeedRanges();
    const whole: string[] = [];
    for (const range of ranges) {
      const iterator = items.items.getChangeFeedIterator<Doc>({
        changeFeedStartFrom: ChangeFeedStartFrom.Beginning(range),
      });
      whole.push(...ids(changes((await drain(iterator)).pages)));
    }
    expect(whole.sort()).toEqual([...all].sort());

    // The SDK keeps its FeedRange class internal; the one getFeedRanges returns makes a half.
    const Range = ranges[0]!.constructor as new (min: string, max: string) => FeedRange;
    const halves = [new Range('', '20'), new Range('20', 'FF')].map((range) =>
      items.items.getChangeFeedIterator<Doc>({
        changeFeedStartFrom: ChangeFeedStartFrom.Beginning(range),
      }),
    );
    const [low, high] = [
      ids(changes((await drain(halves[0]!)).pages)),
      ids(changes((await drain(halves[1]!)).pages)),
    ];
    expect(low.length).toBeGreaterThan(0);
    expect(high.length).toBeGreaterThan(0);
    expect(low.filter((id) => high.includes(id))).toEqual([]);
    expect([...low, ...high].sort()).toEqual([...all].sort());

    await items.items.upsert({ id: low[0]!, pk: `key-${low[0]}`, n: 1 });
    expect(ids(changes((await drain(halves[0]!)).pages))).toEqual([low[0]]);
    expect((await halves[1]!.readNext()).statusCode).toBe(StatusCodes.NotModified);
  });
});

describe('conditional patch', () => {
  it('applies when the condition holds as written (camelCase paths, mixed-case strings), 412 when not', async () => {
    const items = await container('conditional_patch');
    await items.items.create({
      id: 'post',
      pk: 'p',
      status: 'Active',
      engagement: { commentCount: 3 },
    });

    await items.item('post', 'p').patch({
      condition: "FROM c WHERE c.engagement.commentCount = 3 AND c.status = 'Active'",
      operations: [{ op: 'set', path: '/engagement/commentCount', value: 4 }],
    });
    let { resource } = await items.item('post', 'p').read<Doc>();
    expect(resource?.engagement).toEqual({ commentCount: 4 });

    const refused = await items
      .item('post', 'p')
      .patch({
        condition: 'FROM c WHERE c.engagement.commentCount != 4',
        operations: [{ op: 'set', path: '/engagement/commentCount', value: 5 }],
      })
      .catch((error: ErrorResponse) => error);
    expect(refused).toBeInstanceOf(ErrorResponse);
    expect((refused as ErrorResponse).code).toBe(StatusCodes.PreconditionFailed);
    ({ resource } = await items.item('post', 'p').read<Doc>());
    expect(resource?.engagement).toEqual({ commentCount: 4 });
  });
});

describe('transactional batch', () => {
  it('is all or nothing: the failing operation carries its status, the others 424, nothing is applied', async () => {
    const items = await container('atomic_batch');
    await items.items.create({ id: 'kept', pk: 'p', n: 1 });
    await items.items.create({ id: 'doomed', pk: 'p', n: 1 });
    const feed = items.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Now(),
    });
    expect((await feed.readNext()).statusCode).toBe(StatusCodes.NotModified);

    const operations: OperationInput[] = [
      { operationType: 'Create', resourceBody: { id: 'new', pk: 'p' } },
      { operationType: 'Replace', id: 'kept', resourceBody: { id: 'kept', pk: 'p', n: 2 } },
      { operationType: 'Patch', id: 'kept', resourceBody: [{ op: 'incr', path: '/n', value: 5 }] },
      { operationType: 'Delete', id: 'doomed' },
      { operationType: 'Create', resourceBody: { id: 'kept', pk: 'p' } },
      { operationType: 'Upsert', resourceBody: { id: 'also-new', pk: 'p' } },
    ];
    const response = await items.items.batch(operations, 'p');
    expect(response.code).toBe(StatusCodes.MultiStatus);
    expect(response.result?.map((result) => result.statusCode)).toEqual([
      424, 424, 424, 424, 409, 424,
    ]);

    const read = async (id: string) =>
      (await items
        .item(id, 'p')
        .read<Doc>()
        .catch((error: ErrorResponse) => error)) as {
        statusCode?: number;
        code?: number;
        resource?: Doc;
      };
    expect((await read('new')).statusCode).toBe(404);
    expect((await read('also-new')).statusCode).toBe(404);
    expect((await read('kept')).resource?.n).toBe(1);
    expect((await read('doomed')).resource?.n).toBe(1);
    expect((await feed.readNext()).statusCode).toBe(StatusCodes.NotModified);
    const { resources } = await items.items.query<Doc>('SELECT * FROM c').fetchAll();
    expect(ids(resources).sort()).toEqual(['doomed', 'kept']);
  });

  it('runs Patch (with and without a condition) among the other operations; its writes share one _lsn', async () => {
    const items = await container('patch_batch');
    await items.items.create({ id: 'post', pk: 'p', engagement: { likeCount: 1 } });
    const feed = items.items.getChangeFeedIterator<Doc>({
      changeFeedStartFrom: ChangeFeedStartFrom.Now(),
    });
    await feed.readNext();

    const response = await items.items.batch(
      [
        { operationType: 'Create', resourceBody: { id: 'comment', pk: 'p' } },
        {
          operationType: 'Patch',
          id: 'post',
          resourceBody: { operations: [{ op: 'incr', path: '/engagement/likeCount', value: 1 }] },
        },
        {
          operationType: 'Patch',
          id: 'post',
          resourceBody: {
            condition: 'FROM c WHERE c.engagement.likeCount = 2',
            operations: [{ op: 'set', path: '/engagement/commentCount', value: 1 }],
          },
        },
        { operationType: 'Read', id: 'post' },
      ],
      'p',
    );
    expect(response.code).toBe(StatusCodes.Ok);
    expect(response.result?.map((result) => result.statusCode)).toEqual([201, 200, 200, 200]);
    expect(response.result?.[3]?.resourceBody).toMatchObject({
      engagement: { likeCount: 2, commentCount: 1 },
    });

    const { pages } = await drain(feed);
    const docs = changes(pages);
    expect(ids(docs)).toEqual(['comment', 'post']);
    expect(docs[1]?.engagement).toEqual({ likeCount: 2, commentCount: 1 });
    expect(new Set(docs.map((doc) => doc._lsn)).size).toBe(1);

    const refused = await items.items.batch(
      [
        {
          operationType: 'Patch',
          id: 'post',
          resourceBody: [{ op: 'incr', path: '/engagement/likeCount', value: 1 }],
        },
        {
          operationType: 'Patch',
          id: 'post',
          resourceBody: {
            condition: 'FROM c WHERE c.engagement.likeCount = 2',
            operations: [{ op: 'set', path: '/engagement/commentCount', value: 2 }],
          },
        },
      ],
      'p',
    );
    expect(refused.code).toBe(StatusCodes.MultiStatus);
    expect(refused.result?.map((result) => result.statusCode)).toEqual([424, 412]);
    const { resource } = await items.item('post', 'p').read<Doc>();
    expect(resource?.engagement).toEqual({ likeCount: 2, commentCount: 1 });
  });

  it('bulk runs Patch too, each operation on its own', async () => {
    const items = await container('bulk_patch');
    await items.items.create({ id: 'a', pk: 'p', n: 1 });
    const results = await items.items.bulk([
      {
        operationType: 'Patch',
        id: 'a',
        partitionKey: 'p',
        resourceBody: { operations: [{ op: 'incr', path: '/n', value: 2 }] },
      },
      {
        operationType: 'Patch',
        id: 'missing',
        partitionKey: 'p',
        resourceBody: { operations: [{ op: 'set', path: '/n', value: 1 }] },
      },
      { operationType: 'Create', partitionKey: 'p', resourceBody: { id: 'b', pk: 'p' } },
    ]);
    expect(results.map((result) => result.statusCode)).toEqual([200, 404, 201]);
    expect((await items.item('a', 'p').read<Doc>()).resource?.n).toBe(3);
  });
});
