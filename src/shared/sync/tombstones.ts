import { CosmosDocument, TOMBSTONE_TYPE } from '../entities/entity';

/** Default `SYNC_TOMBSTONE_TTL`: long enough for every change-feed reader to have seen it. */
export const DEFAULT_TOMBSTONE_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The latest-version change feed shows no deletes, so a deleted comment or vote leaves, in its
 * own partition and the same transactional batch, a document that says what it was: the
 * change feed recounts its parent from it. It expires by its own `ttl`.
 */
export function tombstoneFor(
  deleted: CosmosDocument,
  ttlSeconds: number,
  now = new Date(),
): CosmosDocument | undefined {
  const base = {
    id: `tombstone:${deleted.id}`,
    pk: deleted.pk,
    type: TOMBSTONE_TYPE,
    deletedId: deleted.id,
    // The data model's fixed-width microsecond timestamps (JavaScript has milliseconds).
    deletedAt: now.toISOString().replace(/Z$/, '000Z'),
    ttl: ttlSeconds,
  };
  if (deleted.type === 'comment') {
    const threading = deleted.threading as { parentId?: unknown } | undefined;
    return {
      ...base,
      deletedType: 'comment',
      parentId: threading?.parentId ?? null,
      postPk: deleted.postPk ?? null,
    };
  }
  if (deleted.type === 'vote') {
    return {
      ...base,
      deletedType: 'vote',
      targetId: deleted.targetId ?? null,
      targetType: deleted.targetType ?? null,
      targetPk: deleted.targetPk ?? null,
    };
  }
  return undefined;
}
