/** A document whose counts are kept from its children: a post or a comment. */
export type ParentKind = 'post' | 'comment';

export interface ParentRef {
  kind: ParentKind;
  id: string;
  pk: string;
}

/** A changed document as the change feed delivers it (system properties aside). */
export type ChangedDocument = Record<string, unknown> & { id: string; pk: string; type: string };

export const parentKey = (ref: ParentRef): string => `${ref.kind}|${ref.pk}|${ref.id}`;

const POST_PK_PREFIX = 'post:';

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

function voteTarget(targetType: unknown, targetId: unknown, targetPk: unknown): ParentRef[] {
  const id = text(targetId);
  const pk = text(targetPk);
  // An orphan vote (targetPk null) has no parent document to keep.
  if (!id || !pk) return [];
  if (targetType === 'post') return [{ kind: 'post', id, pk }];
  if (targetType === 'comment') return [{ kind: 'comment', id, pk }];
  return [];
}

function commentParents(
  postId: string | undefined,
  postPk: unknown,
  parentId: unknown,
  pk: string,
): ParentRef[] {
  const refs: ParentRef[] = [];
  const postPartition = text(postPk);
  if (postId && postPartition) refs.push({ kind: 'post', id: postId, pk: postPartition });
  const parent = text(parentId);
  // A reply lives in its post's partition, as its parent does.
  if (parent) refs.push({ kind: 'comment', id: parent, pk });
  return refs;
}

/**
 * The parents a changed comment, vote or tombstone makes dirty (docs/counts.md): a comment its post
 * and its parent comment, and itself (a vote on it may have been counted before it existed);
 * a vote its target; a tombstone the parents of what it replaced.
 */
export function parentsOf(document: ChangedDocument): ParentRef[] {
  switch (document.type) {
    case 'comment': {
      const threading = document.threading as { parentId?: unknown } | undefined;
      return [
        ...commentParents(text(document.postId), document.postPk, threading?.parentId, document.pk),
        { kind: 'comment', id: document.id, pk: document.pk },
      ];
    }
    case 'vote':
      return voteTarget(document.targetType, document.targetId, document.targetPk);
    case 'tombstone':
      if (document.deletedType === 'comment') {
        const postId = document.pk.startsWith(POST_PK_PREFIX)
          ? document.pk.slice(POST_PK_PREFIX.length)
          : undefined;
        return commentParents(postId, document.postPk, document.parentId, document.pk);
      }
      if (document.deletedType === 'vote') {
        return voteTarget(document.targetType, document.targetId, document.targetPk);
      }
      return [];
    default:
      return [];
  }
}

/** The distinct dirty parents of a batch: duplicates and reordering collapse to one each. */
export function dirtyParents(documents: readonly ChangedDocument[]): ParentRef[] {
  const parents = new Map<string, ParentRef>();
  for (const document of documents) {
    for (const ref of parentsOf(document)) parents.set(parentKey(ref), ref);
  }
  return [...parents.values()];
}
