import { Container, CosmosClient, PriorityLevel, SqlQuerySpec } from '@azure/cosmos';
import { Charged } from './counts-store';
import { EmbeddedIn, NamesStore } from './names-store';

const PAGE = 100;

interface Target {
  /** The object holding `username` and `displayName`. */
  field: 'author' | 'user';
  query(userId: string, username: string): SqlQuerySpec;
  partitionKey?: (userId: string) => string;
}

const differs = (field: string) =>
  `(NOT IS_DEFINED(c.${field}.username) OR c.${field}.username != @username OR c.${field}.displayName != @username)`;

const TARGETS: Record<EmbeddedIn, Target> = {
  posts: {
    field: 'author',
    // All of a user's posts share its partition.
    partitionKey: (userId) => `user:${userId}`,
    query: (userId, username) => ({
      query: `SELECT c.id, c.pk FROM c WHERE c.pk = @pk AND c.type = 'post' AND ${differs('author')}`,
      parameters: [
        { name: '@pk', value: `user:${userId}` },
        { name: '@username', value: username },
      ],
    }),
  },
  comments: {
    field: 'author',
    query: (userId, username) => ({
      query: `SELECT c.id, c.pk FROM c WHERE c.type = 'comment' AND c.author.id = @userId AND ${differs('author')}`,
      parameters: [
        { name: '@userId', value: userId },
        { name: '@username', value: username },
      ],
    }),
  },
  votes: {
    field: 'user',
    query: (userId, username) => ({
      query: `SELECT c.id, c.pk FROM c WHERE c.type = 'vote' AND c.userId = @userId AND ${differs('user')}`,
      parameters: [
        { name: '@userId', value: userId },
        { name: '@username', value: username },
      ],
    }),
  },
};

/** Embedded names in Cosmos: cross-partition queries paged and at low priority, point patches. */
export class CosmosNamesStore implements NamesStore {
  private readonly containers: Record<EmbeddedIn | 'users', Container>;

  constructor(client: CosmosClient, database: string) {
    const db = client.database(database);
    this.containers = {
      users: db.container('users'),
      posts: db.container('posts'),
      comments: db.container('comments'),
      votes: db.container('votes'),
    };
  }

  async currentUsername(userId: string): Promise<Charged<string | undefined>> {
    try {
      const response = await this.containers.users
        .item(userId, `user:${userId}`)
        .read<{ type?: string; username?: string }>();
      const user = response.resource;
      const username =
        user?.type === 'user' && typeof user.username === 'string' ? user.username : undefined;
      return { value: username, ru: response.requestCharge ?? 0 };
    } catch (error) {
      if ((error as { code?: number }).code === 404) return { value: undefined, ru: 0 };
      throw error;
    }
  }

  async rename(where: EmbeddedIn, userId: string, username: string): Promise<Charged<number>> {
    const target = TARGETS[where];
    const container = this.containers[where];
    const pk = target.partitionKey?.(userId);
    const pages = container.items.query<{ id: string; pk: string }>(
      target.query(userId, username),
      {
        maxItemCount: PAGE,
        priorityLevel: PriorityLevel.Low,
        ...(pk ? { partitionKey: pk } : {}),
      },
    );
    let ru = 0;
    let changed = 0;
    // Patching changes what the query selects: collect the keys first, then patch them.
    const keys: { id: string; pk: string }[] = [];
    while (pages.hasMoreResults()) {
      const page = await pages.fetchNext();
      ru += page.requestCharge ?? 0;
      keys.push(...page.resources);
    }
    for (const key of keys) {
      try {
        const response = await container.item(key.id, key.pk).patch(
          [
            { op: 'set', path: `/${target.field}/username`, value: username },
            { op: 'set', path: `/${target.field}/displayName`, value: username },
          ],
          { priorityLevel: PriorityLevel.Low },
        );
        ru += response.requestCharge ?? 0;
        changed++;
      } catch (error) {
        // Deleted since the query: nothing to rename.
        if ((error as { code?: number }).code !== 404) throw error;
      }
    }
    return { value: changed, ru };
  }
}
