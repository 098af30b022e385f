import { Container, CosmosClient } from '@azure/cosmos';
import type pg from 'pg';
import { voteKey } from '../../entities/votes';
import { AppError } from '../../errors/app-error';
import { AppRepository } from '../repository';
import { WriteRef } from '../write-refs';
import { COPY_ATTEMPTS, CopyOutcome, deleted, RecordCopier } from './record-copier';

interface Stored {
  _etag?: string;
  [field: string]: unknown;
}

type Read = { doc: Stored | undefined; etag: string | undefined };

/**
 * Cosmos → PostgreSQL, for the writes PostgreSQL missed while Cosmos was primary: the record's
 * current Cosmos document is written as its row (or the row deleted, with what hangs on it,
 * when Cosmos no longer has it). The copy is redone if the document changed meanwhile, so a
 * live write that landed between the read and the copy is never overwritten by older data.
 */
export class CopyToPostgres implements RecordCopier {
  private readonly containers: Record<'users' | 'posts' | 'comments' | 'votes', Container>;

  constructor(
    client: CosmosClient,
    database: string,
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly postgres: AppRepository,
  ) {
    const db = client.database(database);
    this.containers = {
      users: db.container('users'),
      posts: db.container('posts'),
      comments: db.container('comments'),
      votes: db.container('votes'),
    };
  }

  async copy(ref: WriteRef): Promise<CopyOutcome> {
    for (let attempt = 1; ; attempt++) {
      const before = await this.read(ref);
      const outcome = await this.write(ref, before.doc);
      const after = await this.read(ref);
      if (after.etag === before.etag) return outcome;
      if (attempt >= COPY_ATTEMPTS)
        throw new AppError(
          'REPLAY_RECORD_BUSY',
          `${ref.kind} kept changing in Cosmos while it was copied; retried later`,
        );
    }
  }

  private async read(ref: WriteRef): Promise<Read> {
    const point = async (container: Container, id: string, pk: string, type: string) => {
      const { resource } = await container.item(id, pk).read<Stored>();
      return resource?.type === type ? resource : undefined;
    };
    let doc: Stored | undefined;
    switch (ref.kind) {
      case 'user':
        doc = await point(this.containers.users, ref.id, `user:${ref.id}`, 'user');
        break;
      case 'post': {
        // A post's partition is its author's: found by id across partitions.
        const { resources } = await this.containers.posts.items
          .query<Stored>({
            query: "SELECT * FROM c WHERE c.type = 'post' AND c.id = @id",
            parameters: [{ name: '@id', value: ref.id }],
          })
          .fetchAll();
        doc = resources[0];
        break;
      }
      case 'comment':
        doc = await point(this.containers.comments, ref.id, `post:${ref.postId}`, 'comment');
        break;
      case 'vote':
        doc = await point(
          this.containers.votes,
          voteKey(ref.userId, ref.targetId, ref.targetType),
          `target:${ref.targetId}`,
          'vote',
        );
        break;
    }
    return { doc, etag: doc?._etag };
  }

  private async write(ref: WriteRef, doc: Stored | undefined): Promise<CopyOutcome> {
    const sql = (text: string, values: unknown[]) => this.pool.query(text, values);
    const field = (path: string) =>
      path.split('.').reduce<unknown>((value, key) => (value as Stored | null)?.[key], doc);
    switch (ref.kind) {
      case 'user':
        // The application never deletes a user.
        if (!doc) return 'absent';
        await sql(
          `INSERT INTO users (id, username, email, password_hash, created_at)
           VALUES ($1, $2, $3, $4, $5::timestamptz)
           ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username,
             email = EXCLUDED.email, password_hash = EXCLUDED.password_hash`,
          [ref.id, doc.username, doc.email, doc.passwordHash, field('metadata.createdAt')],
        );
        await sql(
          `UPDATE posts SET author_username = $2
           WHERE author_id = $1 AND author_username IS DISTINCT FROM $2`,
          [ref.id, doc.username],
        );
        return 'written';
      case 'post':
        if (!doc) return deleted(() => this.postgres.deletePost(ref.id));
        await sql(
          `INSERT INTO posts (id, title, content, author_id, author_username, created_at,
                              updated_at, comment_count)
           VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz, 0)
           ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, content = EXCLUDED.content,
             updated_at = EXCLUDED.updated_at`,
          [
            ref.id,
            doc.title,
            doc.content,
            field('author.id'),
            field('author.username'),
            field('timestamps.createdAt'),
            field('timestamps.updatedAt'),
          ],
        );
        return 'written';
      case 'comment':
        if (!doc) return deleted(() => this.postgres.deleteComment(ref.postId, ref.id));
        await sql(
          `INSERT INTO comments (id, post_id, content, user_id, parent_id, path, depth,
                                 created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9::timestamptz)
           ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content,
             updated_at = EXCLUDED.updated_at`,
          [
            ref.id,
            ref.postId,
            doc.content,
            field('author.id'),
            field('threading.parentId'),
            field('threading.path'),
            field('threading.depth'),
            field('timestamps.createdAt'),
            field('timestamps.updatedAt'),
          ],
        );
        return 'written';
      case 'vote':
        if (!doc)
          return deleted(() =>
            this.postgres.removeVote(ref.userId, {
              targetType: ref.targetType,
              targetId: ref.targetId,
              ...(ref.postId ? { postId: ref.postId } : {}),
            }),
          );
        await sql(
          `INSERT INTO votes (id, user_id, target_id, target_type, vote_type, created_at)
           VALUES ($1, $2, $3, $4, $5, $6::timestamptz)
           ON CONFLICT (user_id, target_id, target_type) DO UPDATE SET vote_type = EXCLUDED.vote_type`,
          [
            doc.sourceId,
            ref.userId,
            ref.targetId,
            ref.targetType,
            doc.voteType,
            field('timestamps.createdAt'),
          ],
        );
        return 'written';
    }
  }
}
