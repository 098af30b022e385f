import { CosmosClient, SqlParameter } from '@azure/cosmos';
import { DocumentKind, TOMBSTONE_TYPE } from '../entities/entity';
import { RuBudget } from '../migration/ru-budget';
import { KeyRange } from '../postgres/source-reader';
import { BulkRunner } from './bulk';

export interface DocumentRef {
  id: string;
  pk: string;
}

/** A stored document's identity and the source row it claims to come from. */
export interface StoredKey extends DocumentRef {
  type: unknown;
  sourceKey: unknown;
}

export type StoredDocument = Record<string, unknown>;

/** Reads the target for validation: point reads for documents, small key-only queries for extras. */
export interface DocumentReader {
  /** The document of each ref, in the order given; `undefined` where there is none. */
  readMany(container: string, refs: DocumentRef[]): Promise<(StoredDocument | undefined)[]>;
  /** Documents of these kinds whose source key falls in the range. */
  keysInRange(
    container: string,
    kinds: readonly DocumentKind[],
    range: KeyRange,
  ): Promise<StoredKey[]>;
  /** Documents of these kinds whose source key is one of `sourceIds`. */
  keysFor(
    container: string,
    kinds: readonly DocumentKind[],
    sourceIds: string[],
  ): Promise<StoredKey[]>;
  /** The documents of these kinds whose source key is one of `sourceIds`, whole, in one query. */
  documentsFor(
    container: string,
    kinds: readonly DocumentKind[],
    sourceIds: string[],
  ): Promise<StoredDocument[]>;
  /** How many documents the container holds, tombstones aside. */
  countDocuments(container: string): Promise<number>;
  /** Documents that are of none of these kinds (nor tombstones) or lack a string source key. */
  unattributed(container: string, kinds: readonly DocumentKind[]): Promise<StoredKey[]>;
}

export const refKey = (ref: DocumentRef) => `${ref.pk}\u0000${ref.id}`;

const INITIAL_RU_PER_READ = 1;
const PAGE_SIZE = 1000;
/**
 * Pages of whole documents for the sync's before-read: one round asks for a few thousand, and
 * every page is a query of its own (Cosmos caps a page at 4 MB whatever this says).
 */
const DOCUMENTS_PAGE_SIZE = 10_000;

export class CosmosDocumentReader implements DocumentReader {
  private readonly bulk: BulkRunner;

  /** Bulk point reads in flight are capped for the whole process, as the writer's are. */
  constructor(
    private readonly client: CosmosClient,
    private readonly database: string,
    budget: RuBudget,
    maxInFlight: number,
    maxRetries = 30,
  ) {
    this.bulk = new BulkRunner(budget, INITIAL_RU_PER_READ, maxInFlight, maxRetries);
  }

  async readMany(
    containerName: string,
    refs: DocumentRef[],
  ): Promise<(StoredDocument | undefined)[]> {
    const responses = await this.bulk.runAll(
      this.container(containerName),
      refs.map(({ id, pk }) => ({ operationType: 'Read', id, partitionKey: pk })),
    );
    return responses.map((response, i) => {
      const status = response?.statusCode ?? 0;
      if (status === 200) return response!.resourceBody as StoredDocument;
      if (status === 404) return undefined;
      throw new Error(`reading ${refs[i]!.id} from ${containerName} failed with status ${status}`);
    });
  }

  keysInRange(
    containerName: string,
    kinds: readonly DocumentKind[],
    range: KeyRange,
  ): Promise<StoredKey[]> {
    const parameters: SqlParameter[] = [];
    if (range.from !== null) parameters.push({ name: '@from', value: range.from });
    if (range.to !== null) parameters.push({ name: '@to', value: range.to });
    const condition = (key: string) => {
      const parts = [`IS_STRING(c.${key})`];
      if (range.from !== null) parts.push(`c.${key} > @from`);
      if (range.to !== null) parts.push(`c.${key} <= @to`);
      return parts.join(' AND ');
    };
    return this.keys(containerName, kinds, condition, parameters);
  }

  keysFor(
    containerName: string,
    kinds: readonly DocumentKind[],
    sourceIds: string[],
  ): Promise<StoredKey[]> {
    if (sourceIds.length === 0) return Promise.resolve([]);
    return this.keys(containerName, kinds, (key) => `ARRAY_CONTAINS(@ids, c.${key})`, [
      { name: '@ids', value: sourceIds },
    ]);
  }

  async documentsFor(
    containerName: string,
    kinds: readonly DocumentKind[],
    sourceIds: string[],
  ): Promise<StoredDocument[]> {
    if (sourceIds.length === 0) return [];
    const where = kinds.map(
      (kind, i) => `(c.type = @type${i} AND ARRAY_CONTAINS(@ids, c.${kind.sourceKey}))`,
    );
    const iterator = this.container(containerName).items.query<StoredDocument>(
      {
        query: `SELECT * FROM c WHERE ${where.join(' OR ')}`,
        parameters: [
          { name: '@ids', value: sourceIds },
          ...kinds.map((kind, i) => ({ name: `@type${i}`, value: kind.type })),
        ],
      },
      { maxItemCount: DOCUMENTS_PAGE_SIZE },
    );
    const documents: StoredDocument[] = [];
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      for (const document of resources) documents.push(document);
    }
    return documents;
  }

  async countDocuments(containerName: string): Promise<number> {
    const { resources } = await this.container(containerName)
      .items.query<number>({
        query: `SELECT VALUE COUNT(1) FROM c WHERE NOT IS_DEFINED(c.type) OR c.type != @tombstone`,
        parameters: [{ name: '@tombstone', value: TOMBSTONE_TYPE }],
      })
      .fetchAll();
    return resources.reduce((sum, count) => sum + count, 0);
  }

  unattributed(containerName: string, kinds: readonly DocumentKind[]): Promise<StoredKey[]> {
    const known = kinds.map((kind, i) => `(c.type = @type${i} AND IS_STRING(c.${kind.sourceKey}))`);
    known.push('c.type = @tombstone');
    return this.query(
      containerName,
      kinds,
      `SELECT c.id, c.pk, c.type FROM c WHERE NOT (${known.join(' OR ')})`,
      [
        ...kinds.map((kind, i) => ({ name: `@type${i}`, value: kind.type })),
        { name: '@tombstone', value: TOMBSTONE_TYPE },
      ],
    );
  }

  private keys(
    containerName: string,
    kinds: readonly DocumentKind[],
    condition: (sourceKey: string) => string,
    parameters: SqlParameter[],
  ): Promise<StoredKey[]> {
    const fields = [...new Set(kinds.map((kind) => kind.sourceKey).filter((key) => key !== 'id'))];
    const select = ['c.id', 'c.pk', 'c.type', ...fields.map((key) => `c.${key}`)].join(', ');
    const where = kinds.map((kind, i) => `(c.type = @type${i} AND ${condition(kind.sourceKey)})`);
    return this.query(containerName, kinds, `SELECT ${select} FROM c WHERE ${where.join(' OR ')}`, [
      ...parameters,
      ...kinds.map((kind, i) => ({ name: `@type${i}`, value: kind.type })),
    ]);
  }

  private async query(
    containerName: string,
    kinds: readonly DocumentKind[],
    query: string,
    parameters: SqlParameter[],
  ): Promise<StoredKey[]> {
    const iterator = this.container(containerName).items.query<Record<string, unknown>>(
      { query, parameters },
      { maxItemCount: PAGE_SIZE },
    );
    const keys: StoredKey[] = [];
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      for (const item of resources) {
        const kind = kinds.find((k) => k.type === item.type);
        keys.push({
          id: String(item.id),
          pk: String(item.pk),
          type: item.type,
          sourceKey: kind ? item[kind.sourceKey] : undefined,
        });
      }
    }
    return keys;
  }

  private container(name: string) {
    return this.client.database(this.database).container(name);
  }
}
