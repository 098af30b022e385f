import {
  Container,
  CosmosClient,
  JSONObject,
  OperationInput,
  PatchOperation,
  RequestOptions,
  SqlParameter,
  SqlQuerySpec,
} from '@azure/cosmos';
import { mapConcurrent } from '../concurrency/limits';
import { comments as commentEntity } from '../entities/comments';
import { CosmosDocument, EntityModule } from '../entities/entity';
import { posts as postEntity } from '../entities/posts';
import { emailLookupKey, usernameLookupKey, users as userEntity, UserRow } from '../entities/users';
import { cosmosId } from '../entities/values';
import { sortedCounts } from '../entities/vote-counts';
import { voteKey, votes as voteEntity } from '../entities/votes';
import { AppError, conflict, notFound } from '../errors/app-error';
import { tombstoneFor } from '../sync/tombstones';
import { decodeContinuation, encodeContinuation } from './continuation';
import {
  checked,
  idOf,
  invalid,
  isStorableText,
  modelTime,
  sourceTime,
  storableText,
  targetOf,
} from './inputs';
import {
  Comment,
  CommentChanges,
  Credentials,
  FeedQuery,
  NewComment,
  NewPost,
  NewUser,
  NewVote,
  Page,
  Post,
  PostChanges,
  User,
  UserChanges,
  Vote,
  VoteSummary,
  VoteTarget,
  VoteTargetType,
} from './model';
import { AppRepository } from './repository';
import { cosmosStatus } from '../cosmos/status';

/** The stored documents, as far as this adapter reads them (docs/data-model.md has them whole). */
interface UserDocument extends CosmosDocument {
  username: string;
  email: string;
  passwordHash: string;
  metadata: { createdAt: string | null };
  _etag?: string;
}

interface LookupDocument extends CosmosDocument {
  userId: string;
  _etag?: string;
}

interface PostDocument extends CosmosDocument {
  title: string;
  content: string;
  author: { id: string; username: string };
  engagement: {
    commentCount: number;
    voteCount: number;
    voteCounts: Record<string, number>;
    lastActivityAt: string | null;
  };
  timestamps: { createdAt: string | null; updatedAt: string | null };
  _etag?: string;
}

interface CommentDocument extends CosmosDocument {
  postId: string;
  content: string;
  author: { id: string; username: string };
  threading: { parentId: string | null; path: string; depth: number; childCount: number };
  engagement: { voteCount: number; voteCounts: Record<string, number> };
  timestamps: { createdAt: string | null; updatedAt: string | null };
}

interface VoteDocument extends CosmosDocument {
  userId: string;
  targetId: string;
  targetType: VoteTargetType;
  voteType: string;
  timestamps: { createdAt: string | null };
}

/** A write that raced another (etag moved, document created or removed meanwhile) is redone this often. */
const WRITE_ATTEMPTS = 5;
/** Deletions in flight per level of a cascade (comments, then each comment's votes). */
const DELETIONS_IN_FLIGHT = 4;

/** The migration's own transform, so a document written here is the one a migration would write. */
function documentsOf<Row>(entity: EntityModule<Row>, row: Row): CosmosDocument[] {
  return checked(() => entity.toDocuments(row));
}

const ifMatch = (etag: string | undefined): RequestOptions => ({
  accessCondition: { type: 'IfMatch', condition: etag ?? '' },
});

const later = (a: string | null, b: string) => (a !== null && a > b ? a : b);

const toUser = (doc: UserDocument): User => ({
  id: doc.id,
  username: doc.username,
  email: doc.email,
  createdAt: doc.metadata.createdAt,
});

const toPost = (doc: PostDocument): Post => ({
  id: doc.id,
  authorId: doc.author.id,
  authorUsername: doc.author.username,
  title: doc.title,
  content: doc.content,
  commentCount: doc.engagement.commentCount,
  voteCount: doc.engagement.voteCount,
  voteCounts: sortedCounts(doc.engagement.voteCounts),
  createdAt: doc.timestamps.createdAt,
  updatedAt: doc.timestamps.updatedAt,
});

const toComment = (doc: CommentDocument): Comment => ({
  id: doc.id,
  postId: doc.postId,
  authorId: doc.author.id,
  authorUsername: doc.author.username,
  parentId: doc.threading.parentId,
  path: doc.threading.path,
  depth: doc.threading.depth,
  content: doc.content,
  childCount: doc.threading.childCount,
  voteCount: doc.engagement.voteCount,
  voteCounts: sortedCounts(doc.engagement.voteCounts),
  createdAt: doc.timestamps.createdAt,
  updatedAt: doc.timestamps.updatedAt,
});

const toVote = (doc: VoteDocument): Vote => ({
  userId: doc.userId,
  targetType: doc.targetType,
  targetId: doc.targetId,
  voteType: doc.voteType,
  createdAt: doc.timestamps.createdAt,
});

/** The lookups a user document holds now (built without the limit checks: they passed when written). */
function lookupsOf(user: UserDocument): LookupDocument[] {
  const username = usernameLookupKey(user.username);
  const email = emailLookupKey(user.email);
  return [
    { id: username, pk: username, type: 'usernameLookup', userId: user.id },
    { id: email, pk: email, type: 'emailLookup', userId: user.id },
  ];
}

async function readDocument<T extends CosmosDocument>(
  container: Container,
  id: string,
  pk: string,
  type: string,
): Promise<T | undefined> {
  const { resource } = await container.item(id, pk).read<T>();
  return resource?.type === type ? resource : undefined;
}

/** A partition's query names it in the WHERE too: the local server does not scope by partitionKey. */
async function query<T>(container: Container, spec: SqlQuerySpec, partitionKey?: string) {
  const options = partitionKey === undefined ? {} : { partitionKey };
  return (await container.items.query<T>(spec, options).fetchAll()).resources;
}

/** Runs `work` again when its etag-guarded write lost a race (412). */
async function retryOnEtag<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= WRITE_ATTEMPTS || cosmosStatus(error) !== 412) throw error;
    }
  }
}

async function createDocument(container: Container, document: CosmosDocument, what: string) {
  try {
    await container.items.create(document);
  } catch (error) {
    if (cosmosStatus(error) === 409) throw conflict('APP_CONFLICT', `${what} already exists`);
    throw error;
  }
}

/**
 * The application's repository on Cosmos DB. Documents are built by the entity transforms, so
 * they are exactly what the migration writes; counts are the change-feed functions' to write
 * (new documents carry zeros), embedded usernames the names-from-users function's.
 */
export class CosmosAppRepository implements AppRepository {
  readonly store = 'cosmos';
  private readonly users: Container;
  private readonly posts: Container;
  private readonly comments: Container;
  private readonly votes: Container;
  private readonly tombstoneTtlSeconds: number;

  constructor(client: CosmosClient, database: string, options: { tombstoneTtlSeconds: number }) {
    const db = client.database(database);
    this.users = db.container('users');
    this.posts = db.container('posts');
    this.comments = db.container('comments');
    this.votes = db.container('votes');
    this.tombstoneTtlSeconds = options.tombstoneTtlSeconds;
  }

  // ---- users

  async createUser(user: NewUser): Promise<User> {
    const id = idOf(user.id, 'id');
    const createdAt = sourceTime(modelTime(user.createdAt, 'createdAt'));
    storableText(user.username, 'username');
    storableText(user.email, 'email');
    storableText(user.passwordHash, 'passwordHash');
    const [document, ...lookups] = this.userDocuments({
      id,
      username: user.username,
      email: user.email,
      password_hash: user.passwordHash,
      created_at: createdAt,
    });
    await this.withLookups(lookups, () => createDocument(this.users, document, 'user'));
    return toUser(document);
  }

  async getUser(id: string): Promise<User | null> {
    const user = await this.readUser(idOf(id, 'id'));
    return user ? toUser(user) : null;
  }

  async updateUser(id: string, changes: UserChanges): Promise<User> {
    const userId = idOf(id, 'id');
    storableText(changes.username, 'username');
    storableText(changes.email, 'email');
    storableText(changes.passwordHash, 'passwordHash');
    return retryOnEtag(async () => {
      const current = await this.requireUser(userId);
      const [document, ...lookups] = this.userDocuments({
        id: userId,
        username: changes.username ?? current.username,
        email: changes.email ?? current.email,
        password_hash: changes.passwordHash ?? current.passwordHash,
        created_at:
          current.metadata.createdAt === null ? null : sourceTime(current.metadata.createdAt),
      });
      const previous = lookupsOf(current);
      const moved = lookups.filter((lookup, i) => lookup.id !== previous[i]!.id);
      await this.withLookups(moved, () =>
        this.users.item(userId, document.pk).replace(document, ifMatch(current._etag)),
      );
      // Only now: until the replace, the old name is still this user's.
      const left = previous.filter((lookup, i) => lookup.id !== lookups[i]!.id);
      await Promise.all(left.map((lookup) => this.releaseLookup(lookup)));
      return toUser(document);
    });
  }

  async findCredentials(login: string): Promise<Credentials | null> {
    // No username or e-mail holds a NUL or a lone surrogate (see storableText()), so no user has this login.
    if (typeof login !== 'string' || !isStorableText(login)) {
      return null;
    }
    const candidates: [string, (user: UserDocument) => string][] = [
      [usernameLookupKey(login), (user) => usernameLookupKey(user.username)],
      [emailLookupKey(login), (user) => emailLookupKey(user.email)],
    ];
    for (const [key, keyOf] of candidates) {
      const user = await this.lookUp(key);
      // A lookup left behind by an interrupted rename names a user who no longer holds it.
      if (user && keyOf(user) === key) return { userId: user.id, passwordHash: user.passwordHash };
    }
    return null;
  }

  private userDocuments(row: UserRow): [UserDocument, ...LookupDocument[]] {
    return documentsOf(userEntity, row) as [UserDocument, ...LookupDocument[]];
  }

  private readUser(id: string): Promise<UserDocument | undefined> {
    return readDocument<UserDocument>(this.users, id, `user:${id}`, 'user');
  }

  private async requireUser(id: string): Promise<UserDocument> {
    const user = await this.readUser(id);
    if (!user) throw notFound('APP_NOT_FOUND', `user ${id} not found`);
    return user;
  }

  /** The user a lookup id names; a login no lookup id can hold has none. */
  private async lookUp(key: string): Promise<UserDocument | undefined> {
    try {
      cosmosId(key, 'lookup');
    } catch {
      return undefined;
    }
    const { resource } = await this.users.item(key, key).read<LookupDocument>();
    if (resource?.type !== 'usernameLookup' && resource?.type !== 'emailLookup') return undefined;
    return this.readUser(resource.userId);
  }

  /** Claims the lookups, runs the write, and gives back what it claimed when either fails. */
  private async withLookups(lookups: LookupDocument[], write: () => Promise<unknown>) {
    const claimed: LookupDocument[] = [];
    try {
      for (const lookup of lookups) if (await this.claimLookup(lookup)) claimed.push(lookup);
      await write();
    } catch (error) {
      await Promise.all(claimed.map((lookup) => this.releaseLookup(lookup)));
      throw error;
    }
  }

  /**
   * Cosmos keeps usernames and e-mails unique: the lookup's create fails when another user
   * has it. True when this call wrote it; false when it already names this user (a retry).
   */
  private async claimLookup(lookup: LookupDocument): Promise<boolean> {
    try {
      await this.users.items.create(lookup);
      return true;
    } catch (error) {
      if (cosmosStatus(error) !== 409) throw error;
    }
    const held = await readDocument<LookupDocument>(this.users, lookup.id, lookup.pk, lookup.type);
    if (held?.userId === lookup.userId) return false;
    const what = lookup.type === 'usernameLookup' ? 'username' : 'e-mail';
    throw conflict('APP_CONFLICT', `the ${what} is already taken`);
  }

  /** Deletes a lookup of the user's unless the user holds it again (a concurrent update did). */
  private async releaseLookup(lookup: LookupDocument): Promise<void> {
    const held = await readDocument<LookupDocument>(this.users, lookup.id, lookup.pk, lookup.type);
    if (held?.userId !== lookup.userId) return;
    const user = await this.readUser(lookup.userId);
    if (user && lookupsOf(user).some((own) => own.id === lookup.id)) return;
    try {
      await this.users.item(held.id, held.pk).delete(ifMatch(held._etag));
    } catch (error) {
      // 412: claimed again meanwhile; 404: released meanwhile.
      if (cosmosStatus(error) !== 412 && cosmosStatus(error) !== 404) throw error;
    }
  }

  // ---- posts

  async createPost(post: NewPost): Promise<Post> {
    const id = idOf(post.id, 'id');
    const authorId = idOf(post.authorId, 'authorId');
    const createdAt = sourceTime(modelTime(post.createdAt, 'createdAt'));
    const author = await this.requireUser(authorId);
    storableText(post.title, 'title');
    storableText(post.content, 'content');
    // The source's column defaults: what a migration of the new row would find.
    const [document] = documentsOf(postEntity, {
      id,
      title: post.title,
      content: post.content,
      author_id: author.id,
      author_name: author.username,
      created_at: createdAt,
      updated_at: createdAt,
      sentiment_score: null,
      sentiment_colors: null,
      sentiment_type: null,
      sentiment_analysis: null,
      popularity_score: 1,
      is_blocked: false,
      toxicity_tags: null,
      toxicity_scores: null,
      comment_total: 0,
      vote_total: 0,
      vote_counts: {},
      last_activity_at: createdAt,
    }) as [PostDocument];
    await createDocument(this.posts, document, `post ${id}`);
    return toPost(document);
  }

  async getPost(id: string): Promise<Post | null> {
    const post = await this.findPost(idOf(id, 'id'));
    return post ? toPost(post) : null;
  }

  async updatePost(id: string, changes: PostChanges): Promise<Post> {
    const postId = idOf(id, 'id');
    const updatedAt = modelTime(changes.updatedAt, 'updatedAt');
    storableText(changes.title, 'title');
    storableText(changes.content, 'content');
    return retryOnEtag(async () => {
      const post = await this.requirePost(postId);
      const operations: PatchOperation[] = [
        ...(changes.title === undefined ? [] : [set('/title', changes.title)]),
        ...(changes.content === undefined ? [] : [set('/content', changes.content)]),
        set('/timestamps/updatedAt', updatedAt),
        set('/moderation/reviewedAt', updatedAt),
        // The etag keeps a counts function's newer lastActivityAt from being overwritten.
        set('/engagement/lastActivityAt', later(post.engagement.lastActivityAt, updatedAt)),
      ];
      const { resource } = await this.posts
        .item(post.id, post.pk)
        .patch<PostDocument>(operations, ifMatch(post._etag));
      return toPost(resource!);
    });
  }

  async deletePost(id: string): Promise<void> {
    const post = await this.requirePost(idOf(id, 'id'));
    const thread = await this.thread(post.id);
    await mapConcurrent(thread, DELETIONS_IN_FLIGHT, (comment) => this.deleteOneComment(comment));
    await this.deleteVotesOn('post', post.id);
    // Last, so that a retry after a failure still finds the post and what is left of it.
    try {
      await this.posts.item(post.id, post.pk).delete();
    } catch (error) {
      if (cosmosStatus(error) !== 404) throw error;
    }
  }

  globalFeed(query: FeedQuery): Promise<Page<Post>> {
    return this.feed(query);
  }

  userPosts(userId: string, query: FeedQuery): Promise<Page<Post>> {
    return this.feed(query, `user:${idOf(userId, 'userId')}`);
  }

  /** A post's partition is its author's, not known from its id: a cross-partition query by id. */
  private async findPost(id: string): Promise<PostDocument | undefined> {
    const [post] = await query<PostDocument>(this.posts, {
      query: "SELECT * FROM c WHERE c.type = 'post' AND c.id = @id",
      parameters: [{ name: '@id', value: id }],
    });
    return post;
  }

  private async requirePost(id: string): Promise<PostDocument> {
    const post = await this.findPost(id);
    if (!post) throw notFound('APP_NOT_FOUND', `post ${id} not found`);
    return post;
  }

  /**
   * Newest first by (createdAt, id), keyset-paged: the continuation is the last item's position,
   * so it does not depend on either store's paging state. Posts without a createdAt have no
   * position and are in no feed.
   */
  private async feed(feedQuery: FeedQuery, pk?: string): Promise<Page<Post>> {
    const { limit } = feedQuery;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw invalid('limit must be an integer from 1 to 100');
    }
    const conditions = ["c.type = 'post'", 'IS_STRING(c.timestamps.createdAt)'];
    // One more than the page, to know whether there is a next one.
    const parameters: SqlParameter[] = [{ name: '@n', value: limit + 1 }];
    if (pk !== undefined) {
      conditions.unshift('c.pk = @pk');
      parameters.push({ name: '@pk', value: pk });
    }
    if (feedQuery.continuation != null) {
      const after = decodeContinuation(feedQuery.continuation);
      conditions.push(
        '(c.timestamps.createdAt < @t OR (c.timestamps.createdAt = @t AND c.id < @id))',
      );
      parameters.push({ name: '@t', value: after.createdAt }, { name: '@id', value: after.id });
    }
    const documents = await query<PostDocument>(
      this.posts,
      {
        query:
          `SELECT TOP @n * FROM c WHERE ${conditions.join(' AND ')} ` +
          'ORDER BY c.timestamps.createdAt DESC, c.id DESC',
        parameters,
      },
      pk,
    );
    const items = documents.slice(0, limit).map(toPost);
    const last = items.at(-1);
    const more = documents.length > limit && last !== undefined;
    return { items, continuation: more ? encodeContinuation(last.createdAt!, last.id) : null };
  }

  // ---- comments

  async commentThread(postId: string): Promise<Comment[]> {
    return (await this.thread(idOf(postId, 'postId'))).map(toComment);
  }

  async createComment(comment: NewComment): Promise<Comment> {
    const id = idOf(comment.id, 'id');
    const postId = idOf(comment.postId, 'postId');
    const authorId = idOf(comment.authorId, 'authorId');
    const parentId = comment.parentId === null ? null : idOf(comment.parentId, 'parentId');
    const createdAt = sourceTime(modelTime(comment.createdAt, 'createdAt'));
    const [post, author, parent] = await Promise.all([
      this.requirePost(postId),
      this.requireUser(authorId),
      parentId === null ? undefined : this.requireComment(postId, parentId),
    ]);
    storableText(comment.content, 'content');
    const [document] = documentsOf(commentEntity, {
      id,
      post_id: postId,
      post_author_id: post.author.id,
      content: comment.content,
      user_id: author.id,
      author_name: author.username,
      parent_id: parentId,
      path: `${parent?.threading.path ?? ''}${id}/`,
      depth: parent ? parent.threading.depth + 1 : 0,
      child_total: 0,
      sentiment_score: null,
      sentiment_colors: null,
      sentiment_type: null,
      is_blocked: false,
      toxicity_tags: null,
      toxicity_scores: null,
      vote_total: 0,
      vote_counts: {},
      created_at: createdAt,
      updated_at: createdAt,
    }) as [CommentDocument];
    await createDocument(this.comments, document, `comment ${id}`);
    return toComment(document);
  }

  async updateComment(postId: string, id: string, changes: CommentChanges): Promise<Comment> {
    const commentId = idOf(id, 'id');
    const pk = `post:${idOf(postId, 'postId')}`;
    const operations = [
      set('/content', changes.content),
      set('/timestamps/updatedAt', modelTime(changes.updatedAt, 'updatedAt')),
    ];
    storableText(changes.content, 'content');
    try {
      // Ids are UUIDs, a tombstone's id never one: whatever this id names is the comment.
      const { resource } = await this.comments
        .item(commentId, pk)
        .patch<CommentDocument>(operations);
      return toComment(resource!);
    } catch (error) {
      if (cosmosStatus(error) === 404)
        throw notFound('APP_NOT_FOUND', `comment ${commentId} not found`);
      throw error;
    }
  }

  async deleteComment(postId: string, id: string): Promise<void> {
    const root = await this.requireComment(idOf(postId, 'postId'), idOf(id, 'id'));
    const subtree = await query<CommentDocument>(
      this.comments,
      {
        query:
          "SELECT * FROM c WHERE c.pk = @pk AND c.type = 'comment' " +
          'AND STARTSWITH(c.threading.path, @path)',
        parameters: [
          { name: '@pk', value: root.pk },
          { name: '@path', value: root.threading.path },
        ],
      },
      root.pk,
    );
    const replies = subtree.filter((comment) => comment.id !== root.id);
    await mapConcurrent(replies, DELETIONS_IN_FLIGHT, (reply) => this.deleteOneComment(reply));
    // Last, so that a retry after a failure still finds the subtree from it.
    await this.deleteOneComment(root);
  }

  private async requireComment(postId: string, id: string): Promise<CommentDocument> {
    const comment = await readDocument<CommentDocument>(
      this.comments,
      id,
      `post:${postId}`,
      'comment',
    );
    if (!comment) throw notFound('APP_NOT_FOUND', `comment ${id} of post ${postId} not found`);
    return comment;
  }

  private thread(postId: string): Promise<CommentDocument[]> {
    const pk = `post:${postId}`;
    return query<CommentDocument>(
      this.comments,
      {
        query:
          "SELECT * FROM c WHERE c.pk = @pk AND c.type = 'comment' ORDER BY c.threading.path ASC",
        parameters: [{ name: '@pk', value: pk }],
      },
      pk,
    );
  }

  /** Its votes first: a retry finds a comment's votes only through the comment. */
  private async deleteOneComment(comment: CommentDocument): Promise<void> {
    await this.deleteVotesOn('comment', comment.id);
    await this.deleteWithTombstone(this.comments, comment);
  }

  // ---- votes

  async vote(vote: NewVote): Promise<Vote> {
    const { targetType, targetId } = targetOf(vote);
    const userId = idOf(vote.userId, 'userId');
    const id = idOf(vote.id, 'id');
    const createdAt = sourceTime(modelTime(vote.createdAt, 'createdAt'));
    const [targetPk, voter] = await Promise.all([
      this.targetPartition(targetType, targetId, vote.postId),
      this.requireUser(userId),
    ]);
    storableText(vote.voteType, 'voteType');
    const [document] = documentsOf(voteEntity, {
      id,
      user_id: voter.id,
      username: voter.username,
      target_id: targetId,
      target_type: targetType,
      vote_type: vote.voteType,
      target_pk: targetPk,
      created_at: createdAt,
    }) as [VoteDocument];
    return toVote(await this.writeVote(document));
  }

  async removeVote(userId: string, target: VoteTarget): Promise<void> {
    const vote = await this.readVote(userId, target);
    if (vote) await this.deleteWithTombstone(this.votes, vote);
  }

  async userVote(userId: string, target: VoteTarget): Promise<Vote | null> {
    const vote = await this.readVote(userId, target);
    return vote ? toVote(vote) : null;
  }

  async targetVotes(target: VoteTarget): Promise<Vote[]> {
    const { targetType, targetId } = targetOf(target);
    return (await this.votesOn(targetType, targetId, 'ORDER BY c.userId ASC')).map(toVote);
  }

  async voteSummary(target: VoteTarget): Promise<VoteSummary> {
    const { targetType, targetId } = targetOf(target);
    const byType: Record<string, number> = {};
    // Counted here: the local server has no GROUP BY.
    const votes = await this.votesOn(targetType, targetId);
    for (const { voteType } of votes) byType[voteType] = (byType[voteType] ?? 0) + 1;
    return { total: votes.length, byType: sortedCounts(byType) };
  }

  /** The voted-on document's partition key, which the vote keeps as `targetPk`. */
  private async targetPartition(
    targetType: VoteTargetType,
    targetId: string,
    postId: string | undefined,
  ): Promise<string> {
    if (targetType === 'post') return (await this.requirePost(targetId)).pk;
    if (postId === undefined) throw invalid('a vote on a comment needs its postId');
    return (await this.requireComment(idOf(postId, 'postId'), targetId)).pk;
  }

  /**
   * One vote per user and target (its id says so). A changed vote keeps its sourceId and
   * createdAt, as PostgreSQL's ON CONFLICT DO UPDATE keeps the row's id and created_at.
   */
  private async writeVote(document: VoteDocument): Promise<VoteDocument> {
    for (let attempt = 1; ; attempt++) {
      const existing = await readDocument<VoteDocument>(
        this.votes,
        document.id,
        document.pk,
        'vote',
      );
      try {
        if (!existing) {
          await this.votes.items.create(document);
          return document;
        }
        if (existing.voteType === document.voteType) return existing;
        await this.votes
          .item(existing.id, existing.pk)
          .patch([set('/voteType', document.voteType)]);
        return { ...existing, voteType: document.voteType };
      } catch (error) {
        // Created or removed since the read: decide again.
        const status = cosmosStatus(error);
        if (attempt >= WRITE_ATTEMPTS || (status !== 409 && status !== 404)) throw error;
      }
    }
  }

  private readVote(userId: string, target: VoteTarget): Promise<VoteDocument | undefined> {
    const { targetType, targetId } = targetOf(target);
    const id = voteKey(idOf(userId, 'userId'), targetId, targetType);
    return readDocument<VoteDocument>(this.votes, id, `target:${targetId}`, 'vote');
  }

  private votesOn(targetType: VoteTargetType, targetId: string, orderBy = '') {
    const pk = `target:${targetId}`;
    return query<VoteDocument>(
      this.votes,
      {
        query:
          "SELECT * FROM c WHERE c.pk = @pk AND c.type = 'vote' AND c.targetType = @targetType " +
          orderBy,
        parameters: [
          { name: '@pk', value: pk },
          { name: '@targetType', value: targetType },
        ],
      },
      pk,
    );
  }

  private async deleteVotesOn(targetType: VoteTargetType, targetId: string): Promise<void> {
    const votes = await this.votesOn(targetType, targetId);
    await mapConcurrent(votes, DELETIONS_IN_FLIGHT, (vote) =>
      this.deleteWithTombstone(this.votes, vote),
    );
  }

  /**
   * The change feed shows no deletes: the deletion and its tombstone go in one transactional
   * batch, so the counts functions see every deletion they must recount.
   */
  private async deleteWithTombstone(container: Container, document: CosmosDocument) {
    const tombstone = tombstoneFor(document, this.tombstoneTtlSeconds)!;
    const operations: OperationInput[] = [
      { operationType: 'Delete', id: document.id },
      { operationType: 'Upsert', resourceBody: tombstone as unknown as JSONObject },
    ];
    const response = await container.items.batch(operations, document.pk);
    const results = response.result ?? [];
    const failed = results.findIndex((r) => r.statusCode >= 400 && r.statusCode !== 424);
    if (failed < 0 && (response.code ?? 200) < 400) return;
    // Deleted meanwhile, by a retry or another caller, whose batch wrote the tombstone.
    if (failed === 0 && results[0]!.statusCode === 404) return;
    const status = results[failed]?.statusCode ?? response.code;
    throw new AppError(
      'TARGET_ERROR',
      `Cosmos DB rejected the deletion of ${document.type} ${document.id} with status ${status}`,
    );
  }
}

function set(path: string, value: unknown): PatchOperation {
  return { op: 'set', path, value };
}
