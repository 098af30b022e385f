import { Container, CosmosClient, PatchOperation, SqlQuerySpec } from '@azure/cosmos';
import { MIGRATION_CONTAINER } from '../cosmos/containers';
import {
  Charged,
  ChildTally,
  COUNTS_FAILURE_PK,
  CountsFailureRecord,
  CountsStore,
  PatchOutcome,
  RecordedFailure,
  StoredParent,
} from './counts-store';
import { ChangedDocument, ParentRef } from './parents';
import { cosmosStatus } from '../cosmos/status';

const POST_FIELDS = [
  '/engagement/commentCount',
  '/engagement/voteCount',
  '/engagement/voteCounts',
  '/engagement/lastActivityAt',
];
const COMMENT_FIELDS = ['/threading/childCount', '/engagement/voteCount', '/engagement/voteCounts'];

const charge = (response: { requestCharge?: number; headers?: Record<string, unknown> }) =>
  Number(response.requestCharge ?? response.headers?.['x-ms-request-charge'] ?? 0) || 0;

function valueAt(document: Record<string, unknown>, path: string): unknown {
  let current: unknown = document;
  for (const segment of path.split('/').slice(1)) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * The counts' reads and writes in Cosmos: the parent by a point read, its children by
 * single-partition aggregates (comments of a post in `post:<id>`, votes of a target in
 * `target:<id>`; `type` filters leave tombstones out), the parent's values by a patch on its etag.
 */
export class CosmosCountsStore implements CountsStore {
  private readonly posts: Container;
  private readonly comments: Container;
  private readonly votes: Container;
  private readonly migration: Container;

  constructor(client: CosmosClient, database: string) {
    const db = client.database(database);
    this.posts = db.container('posts');
    this.comments = db.container('comments');
    this.votes = db.container('votes');
    this.migration = db.container(MIGRATION_CONTAINER);
  }

  private containerOf(ref: ParentRef): Container {
    return ref.kind === 'post' ? this.posts : this.comments;
  }

  async readParent(ref: ParentRef): Promise<Charged<StoredParent | undefined>> {
    try {
      const response = await this.containerOf(ref)
        .item(ref.id, ref.pk)
        .read<Record<string, unknown>>();
      const document = response.resource;
      if (!document || document.type !== ref.kind)
        return { value: undefined, ru: charge(response) };
      const paths = ref.kind === 'post' ? POST_FIELDS : COMMENT_FIELDS;
      const updatedAt = valueAt(document, '/timestamps/updatedAt');
      return {
        value: {
          etag: String(document._etag),
          updatedAt: typeof updatedAt === 'string' ? updatedAt : null,
          fields: Object.fromEntries(paths.map((path) => [path, valueAt(document, path)])),
        },
        ru: charge(response),
      };
    } catch (error) {
      if (cosmosStatus(error) === 404) return { value: undefined, ru: charge(error as never) };
      throw error;
    }
  }

  async tally(ref: ParentRef): Promise<Charged<ChildTally>> {
    let ru = 0;
    const query = async <T>(container: Container, pk: string, spec: SqlQuerySpec): Promise<T[]> => {
      // The filter on pk as well: the local server does not scope a query by its partitionKey.
      const scoped = {
        query: spec.query.replace(' WHERE ', ' WHERE c.pk = @pk AND '),
        parameters: [...(spec.parameters ?? []), { name: '@pk', value: pk }],
      };
      const response = await container.items.query<T>(scoped, { partitionKey: pk }).fetchAll();
      ru += response.requestCharge ?? 0;
      return response.resources;
    };
    const votePk = `target:${ref.id}`;
    // Each vote's type, counted here: the local server has neither GROUP BY nor DISTINCT, and
    // a COUNT per type would need the types first. Votes are small; a hot target costs more.
    // One query gives the types and the newest vote, and the children's aggregates run at once.
    const votesQuery = query<{ voteType?: unknown; createdAt?: unknown }>(this.votes, votePk, {
      query:
        'SELECT c.voteType, c.timestamps.createdAt AS createdAt FROM c ' +
        "WHERE c.type = 'vote' AND c.targetType = @targetType",
      parameters: [{ name: '@targetType', value: ref.kind }],
    });
    const childrenQuery =
      ref.kind === 'comment'
        ? query<{ n?: number; newest?: string }>(this.comments, ref.pk, {
            query:
              'SELECT COUNT(1) AS n FROM c ' +
              "WHERE c.type = 'comment' AND c.threading.parentId = @id",
            parameters: [{ name: '@id', value: ref.id }],
          })
        : query<{ n?: number; newest?: string }>(this.comments, `post:${ref.id}`, {
            query:
              'SELECT COUNT(1) AS n, MAX(c.timestamps.createdAt) AS newest FROM c ' +
              "WHERE c.type = 'comment'",
          });
    const [voteRows, [children]] = await Promise.all([votesQuery, childrenQuery]);
    const byType: Record<string, number> = {};
    let newestVote: string | null = null;
    for (const { voteType, createdAt } of voteRows) {
      byType[String(voteType)] = (byType[String(voteType)] ?? 0) + 1;
      if (typeof createdAt === 'string' && (newestVote === null || createdAt > newestVote))
        newestVote = createdAt;
    }
    const votes = { byType, newest: ref.kind === 'post' ? newestVote : null };
    const count = children?.n ?? 0;
    if (ref.kind === 'comment') return { value: { replies: count, votes }, ru };
    return { value: { comments: { count, newest: children?.newest ?? null }, votes }, ru };
  }

  async patchParent(
    ref: ParentRef,
    etag: string,
    set: Record<string, unknown>,
  ): Promise<Charged<PatchOutcome>> {
    const operations: PatchOperation[] = Object.entries(set).map(([path, value]) => ({
      op: 'set',
      path,
      value,
    }));
    try {
      const response = await this.containerOf(ref)
        .item(ref.id, ref.pk)
        .patch(operations, { accessCondition: { type: 'IfMatch', condition: etag } });
      return { value: { status: 'written', etag: String(response.etag) }, ru: charge(response) };
    } catch (error) {
      const status = cosmosStatus(error);
      if (status === 412) return { value: { status: 'conflict' }, ru: charge(error as never) };
      if (status === 404) return { value: { status: 'missing' }, ru: charge(error as never) };
      throw error;
    }
  }

  async recordFailures(records: CountsFailureRecord[]): Promise<void> {
    await Promise.all(records.map((record) => this.migration.items.upsert(record)));
  }

  async listFailures(limit: number): Promise<RecordedFailure[]> {
    const { resources } = await this.migration.items
      .query<CountsFailureRecord & { _etag: string }>(
        {
          query:
            'SELECT TOP @limit * FROM c WHERE c.pk = @pk AND c.type = @type ORDER BY c.recordedAt',
          parameters: [
            { name: '@limit', value: limit },
            { name: '@pk', value: COUNTS_FAILURE_PK },
            { name: '@type', value: 'countsFailure' },
          ],
        },
        { partitionKey: COUNTS_FAILURE_PK },
      )
      .fetchAll();
    return resources.map(({ _etag, ...record }) => ({
      record: record as CountsFailureRecord,
      etag: _etag,
    }));
  }

  async clearFailure({ record, etag }: RecordedFailure): Promise<void> {
    try {
      await this.migration
        .item(record.id, record.pk)
        .delete({ accessCondition: { type: 'IfMatch', condition: etag } });
    } catch (error) {
      // 412: recorded again since it was listed, so it stays for the next reconcile; 404: gone.
      const status = cosmosStatus(error);
      if (status !== 412 && status !== 404) throw error;
    }
  }

  async changedSince(
    since: number,
    limit: number,
  ): Promise<Charged<{ documents: ChangedDocument[]; truncated: boolean }>> {
    let ru = 0;
    let truncated = false;
    const documents: ChangedDocument[] = [];
    for (const container of [this.comments, this.votes]) {
      // One more than the limit, to know whether there were more.
      const response = await container.items
        .query<ChangedDocument>({
          query: 'SELECT TOP @top * FROM c WHERE c._ts >= @since',
          parameters: [
            { name: '@top', value: limit + 1 },
            { name: '@since', value: since },
          ],
        })
        .fetchAll();
      ru += response.requestCharge ?? 0;
      if (response.resources.length > limit) truncated = true;
      documents.push(...response.resources.slice(0, limit));
    }
    return { value: { documents, truncated }, ru };
  }
}
