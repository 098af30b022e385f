import { VoteTargetType } from './model';

/**
 * What a write touched, by the record a replay copies: enough to find the record on either
 * store (a comment by its post, a vote by its user and target).
 */
export type WriteRef =
  | { kind: 'user'; id: string }
  | { kind: 'post'; id: string }
  | { kind: 'comment'; postId: string; id: string }
  | { kind: 'vote'; userId: string; targetType: VoteTargetType; targetId: string; postId?: string };

/** A stable key per record: one queue entry per record, however often its writes failed. */
export function refKey(ref: WriteRef): string {
  switch (ref.kind) {
    case 'user':
    case 'post':
      return `${ref.kind}:${ref.id}`;
    case 'comment':
      return `comment:${ref.postId}:${ref.id}`;
    case 'vote':
      return `vote:${ref.userId}:${ref.targetType}:${ref.targetId}`;
  }
}
