import { Container, CosmosClient } from '@azure/cosmos';
import { AppError } from '../errors/app-error';
import { MIGRATION_CONTAINER } from './containers';
import { DocumentWriter } from './document-writer';
import { BULK_LIMIT } from './bulk';

/** The tool's own state in the `migration` container: point reads and bulk reads only. */
export class StateContainer {
  readonly container: Container;

  constructor(
    client: CosmosClient,
    database: string,
    private readonly writer: DocumentWriter,
  ) {
    this.container = client.database(database).container(MIGRATION_CONTAINER);
  }

  async read<T extends object>(id: string, pk: string): Promise<T | undefined> {
    try {
      const { resource } = await this.container.item(id, pk).read<T & { id: string }>();
      return resource ?? undefined;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  /** The documents with these ids in one partition that exist, in the order given. */
  async readAll<T>(ids: string[], pk: string): Promise<T[]> {
    const found: T[] = [];
    for await (const chunk of this.readChunks<T>(ids, pk)) found.push(...chunk);
    return found;
  }

  /** As readAll, a bulk call at a time, so a caller can fold many large documents in flat memory. */
  async *readChunks<T>(ids: string[], pk: string): AsyncGenerator<T[]> {
    for (let i = 0; i < ids.length; i += BULK_LIMIT) {
      const responses = await this.container.items.bulk(
        ids.slice(i, i + BULK_LIMIT).map((id) => ({ operationType: 'Read', id, partitionKey: pk })),
      );
      yield responses
        .filter((response) => response.statusCode === 200)
        .map((response) => response.resourceBody as unknown as T);
    }
  }

  async upsert(document: object): Promise<void> {
    await this.container.items.upsert(document);
  }

  async upsertAll(documents: object[]): Promise<void> {
    const result = await this.writer.upsertAll(MIGRATION_CONTAINER, documents as never);
    if (result.rejected.length > 0) {
      const first = result.rejected[0]!;
      throw new AppError(
        'STATE_WRITE_FAILED',
        `could not record migration state ${first.id}: ${first.message}`,
      );
    }
  }
}
