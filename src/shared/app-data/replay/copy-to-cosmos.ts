import type pg from 'pg';
import { EntityName } from '../../entities/entity';
import { AppError } from '../../errors/app-error';
import { applyKeys, ApplyDeps } from '../../sync/apply-keys';
import { addKeys, emptyKeys } from '../../sync/source-keys';
import { AppRepository } from '../repository';
import { WriteRef } from '../write-refs';
import { COPY_ATTEMPTS, CopyOutcome, deleted, RecordCopier } from './record-copier';

/**
 * PostgreSQL → Cosmos, for the writes Cosmos missed while the sync was not applying (paused
 * at cosmos-primary): the record's current row goes through the sync's own apply (documents,
 * lookups, embedded names, tombstones), or, when the row is gone, the Cosmos record is deleted
 * with what hangs on it. Redone if the row changed meanwhile.
 */
export class CopyToCosmos implements RecordCopier {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly apply: ApplyDeps,
    private readonly cosmos: AppRepository,
  ) {}

  async copy(ref: WriteRef): Promise<CopyOutcome> {
    for (let attempt = 1; ; attempt++) {
      const before = await this.row(ref);
      const outcome = await this.write(ref, before);
      const after = await this.row(ref);
      if (JSON.stringify(after) === JSON.stringify(before)) return outcome;
      if (attempt >= COPY_ATTEMPTS)
        throw new AppError(
          'REPLAY_RECORD_BUSY',
          `${ref.kind} kept changing in PostgreSQL while it was copied; retried later`,
        );
    }
  }

  /** The row as text (its id and every column), or null when there is none. */
  private async row(ref: WriteRef): Promise<{ id: string; text: string } | null> {
    const [table, where, values] = rowQuery(ref);
    const { rows } = await this.pool.query<{ id: string; text: string }>(
      `SELECT t.id::text AS id, row_to_json(t)::text AS text FROM ${table} t WHERE ${where}`,
      values,
    );
    return rows[0] ?? null;
  }

  private async write(ref: WriteRef, row: { id: string } | null): Promise<CopyOutcome> {
    if (row) {
      const keys = emptyKeys();
      addKeys(keys, ENTITY[ref.kind], [row.id]);
      await applyKeys(this.apply, keys);
      return 'written';
    }
    switch (ref.kind) {
      case 'user':
        return 'absent';
      case 'post':
        return deleted(() => this.cosmos.deletePost(ref.id));
      case 'comment':
        return deleted(() => this.cosmos.deleteComment(ref.postId, ref.id));
      case 'vote':
        return deleted(() =>
          this.cosmos.removeVote(ref.userId, {
            targetType: ref.targetType,
            targetId: ref.targetId,
            ...(ref.postId ? { postId: ref.postId } : {}),
          }),
        );
    }
  }
}

const ENTITY: Record<WriteRef['kind'], EntityName> = {
  user: 'users',
  post: 'posts',
  comment: 'comments',
  vote: 'votes',
};

function rowQuery(ref: WriteRef): [string, string, unknown[]] {
  switch (ref.kind) {
    case 'user':
      return ['users', 't.id = $1', [ref.id]];
    case 'post':
      return ['posts', 't.id = $1', [ref.id]];
    case 'comment':
      return ['comments', 't.id = $1 AND t.post_id = $2', [ref.id, ref.postId]];
    case 'vote':
      return [
        'votes',
        't.user_id = $1 AND t.target_id = $2 AND t.target_type = $3',
        [ref.userId, ref.targetId, ref.targetType],
      ];
  }
}
