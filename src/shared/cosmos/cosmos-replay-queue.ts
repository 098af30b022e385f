import { Container, CosmosClient } from '@azure/cosmos';
import { REPLAY_PK, ReplayEntry, ReplayQueue } from '../app-data/replay-queue';
import { refKey } from '../app-data/write-refs';
import { MIGRATION_CONTAINER } from './containers';
import { cosmosStatus } from './status';

/** The replay queue in the `migration` container, one document per record and store. */
export class CosmosReplayQueue implements ReplayQueue {
  private readonly container: Container;

  constructor(client: CosmosClient, database: string) {
    this.container = client.database(database).container(MIGRATION_CONTAINER);
  }

  async record(miss: Parameters<ReplayQueue['record']>[0]): Promise<void> {
    const id = `replay:${miss.target}:${refKey(miss.ref)}`;
    for (let attempt = 0; ; attempt++) {
      const { resource: existing } = await this.container.item(id, REPLAY_PK).read<ReplayEntry>();
      const entry: ReplayEntry = {
        id,
        pk: REPLAY_PK,
        type: 'replayWrite',
        target: miss.target,
        ref: miss.ref,
        operation: miss.operation,
        firstFailedAt: existing?.firstFailedAt ?? miss.at,
        lastFailedAt: miss.at,
        lastError: miss.error,
        attempts: existing?.attempts ?? 0,
      };
      try {
        // Replaced, not merely upserted: a replay that read the entry before must not delete it.
        if (existing)
          await this.container.item(id, REPLAY_PK).replace(entry, {
            accessCondition: { type: 'IfMatch', condition: existing._etag ?? '' },
          });
        else await this.container.items.create(entry);
        return;
      } catch (error) {
        const raced = cosmosStatus(error) === 412 || cosmosStatus(error) === 409;
        if (!raced || attempt >= 4) throw error;
      }
    }
  }

  async pending(): Promise<number> {
    const { resources } = await this.container.items
      .query<number>(
        {
          query: "SELECT VALUE COUNT(1) FROM c WHERE c.pk = @pk AND c.type = 'replayWrite'",
          parameters: [{ name: '@pk', value: REPLAY_PK }],
        },
        { partitionKey: REPLAY_PK },
      )
      .fetchAll();
    return resources[0] ?? 0;
  }

  async oldest(limit: number): Promise<ReplayEntry[]> {
    const { resources } = await this.container.items
      .query<ReplayEntry>(
        {
          query:
            "SELECT TOP @limit * FROM c WHERE c.pk = @pk AND c.type = 'replayWrite' ORDER BY c.lastFailedAt ASC",
          parameters: [
            { name: '@limit', value: limit },
            { name: '@pk', value: REPLAY_PK },
          ],
        },
        { partitionKey: REPLAY_PK },
      )
      .fetchAll();
    return resources;
  }

  async resolve(entry: ReplayEntry): Promise<boolean> {
    try {
      await this.container.item(entry.id, REPLAY_PK).delete({
        accessCondition: { type: 'IfMatch', condition: entry._etag ?? '' },
      });
      return true;
    } catch (error) {
      if (cosmosStatus(error) === 404) return true;
      if (cosmosStatus(error) === 412) return false;
      throw error;
    }
  }

  async retryLater(entry: ReplayEntry, error: string): Promise<void> {
    const { _etag, ...rest } = entry;
    try {
      await this.container
        .item(entry.id, REPLAY_PK)
        .replace(
          { ...rest, attempts: entry.attempts + 1, lastError: error },
          { accessCondition: { type: 'IfMatch', condition: _etag ?? '' } },
        );
    } catch (failure) {
      // A newer miss refreshed it, or it is gone: either way the next pass sees the truth.
      if (cosmosStatus(failure) !== 412 && cosmosStatus(failure) !== 404) throw failure;
    }
  }
}
