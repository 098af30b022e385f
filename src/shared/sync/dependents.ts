import { CosmosDocument, EntityName } from '../entities/entity';
import { RelatedColumn } from '../postgres/source-reader';

/** Ids of `entity` rows whose `column` is one of the given values (the source is asked). */
export interface RelatedRows {
  entity: EntityName;
  column: RelatedColumn;
  /** A `target_type` the rows must have (votes), when the column alone is ambiguous. */
  targetType?: 'post' | 'comment';
}

/** What a changed row makes dirty besides itself, from its documents before and after. */
export interface Dependents {
  /** Parent documents whose counts or activity it feeds, by entity. */
  parents: { entity: EntityName; id: unknown }[];
  /** Rows that embed something of it that changed (a name, a partition key), to re-read. */
  embedders: RelatedRows[];
}

type Rule = (before: CosmosDocument[], after: CosmosDocument[]) => Dependents;

const main = (documents: CosmosDocument[], type: string) =>
  documents.find((document) => document.type === type);
const get = (document: CosmosDocument | undefined, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (value, key) => (value as Record<string, unknown> | undefined)?.[key],
      document,
    );
/**
 * True when the row's main document is new, gone, or in another partition. Every stored copy
 * counts: a row can briefly have two (re-read as a parent at its new partition before its own
 * move was applied), and whichever a query returns first must not hide the move.
 */
const moved = (type: string, before: CosmosDocument[], after: CosmosDocument[]) => {
  const now = main(after, type)?.pk;
  const stored = before.filter((document) => document.type === type);
  return stored.length === 0 ? now !== undefined : stored.some((document) => document.pk !== now);
};

/**
 * Who depends on whom (the data model's embedded counts and copies): a comment feeds its
 * post's `commentCount`/`lastActivityAt` and its parent's `childCount`; a vote its target's
 * counts; a user's name is copied into its posts, comments and votes; a post's partition key
 * into its comments' `postPk` and its votes' `targetPk`; a comment's into its votes'.
 */
export const DEPENDENTS: Record<EntityName, Rule> = {
  users: (before, after) => ({
    parents: [],
    embedders:
      get(main(before, 'user'), 'username') === get(main(after, 'user'), 'username')
        ? []
        : [
            { entity: 'posts', column: 'author_id' },
            { entity: 'comments', column: 'user_id' },
            { entity: 'votes', column: 'user_id' },
          ],
  }),
  posts: (before, after) => ({
    parents: [],
    embedders: moved('post', before, after)
      ? [
          { entity: 'comments', column: 'post_id' },
          { entity: 'votes', column: 'target_id', targetType: 'post' },
        ]
      : [],
  }),
  comments: (before, after) => ({
    parents: [...before, ...after]
      .filter((document) => document.type === 'comment')
      .flatMap((document) => [
        { entity: 'posts' as const, id: document.postId },
        { entity: 'comments' as const, id: get(document, 'threading.parentId') },
      ]),
    embedders: moved('comment', before, after)
      ? [{ entity: 'votes', column: 'target_id', targetType: 'comment' }]
      : [],
  }),
  votes: (before, after) => ({
    parents: [...before, ...after]
      .filter((document) => document.type === 'vote')
      .map((document) => ({
        entity: document.targetType === 'comment' ? ('comments' as const) : ('posts' as const),
        id: document.targetId,
      })),
    embedders: [],
  }),
};
