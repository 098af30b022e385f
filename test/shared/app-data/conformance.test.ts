import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeContinuation } from '../../../src/shared/app-data/continuation';
import { CosmosAppRepository } from '../../../src/shared/app-data/cosmos-repository';
import {
  Comment,
  NewComment,
  NewPost,
  NewUser,
  NewVote,
  Page,
  Post,
  User,
  Vote,
  VoteTarget,
} from '../../../src/shared/app-data/model';
import { PostgresAppRepository } from '../../../src/shared/app-data/postgres-repository';
import { AppRepository } from '../../../src/shared/app-data/repository';
import { AppError } from '../../../src/shared/errors/app-error';
import { at } from '../../support/app-data';
import { changeFeedFunctions } from '../../support/counts';
import { createWorld, TestWorld } from '../../support/engine';

/** What an operation gave: its value, or its error as a caller sees it (code and status). */
type Outcome<T> =
  { value: T } | { error: { code: string; status: number } } | { unexpected: string };

async function outcome<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await work() };
  } catch (error) {
    if (error instanceof AppError) return { error: { code: error.code, status: error.status } };
    return { unexpected: String(error) };
  }
}

/** Newest first: createdAt, then id, both descending (the feeds' order). */
const newestFirst = (a: Post, b: Post) =>
  a.createdAt !== b.createdAt ? (a.createdAt! < b.createdAt! ? 1 : -1) : a.id < b.id ? 1 : -1;

const byPath = (a: Comment, b: Comment) => (a.path < b.path ? -1 : 1);

/**
 * Every operation of the application repository, with the same inputs (ids and timestamps
 * chosen once) on PostgreSQL and on Cosmos, must give the same answer: the same value, or the
 * same error code and status. Cosmos's counts and embedded names are the change-feed functions'
 * to write, so reads that carry them come after those functions have run on what changed.
 */
describe('the application repository answers alike from PostgreSQL and Cosmos', () => {
  let world: TestWorld;
  let postgres: PostgresAppRepository;
  let cosmos: CosmosAppRepository;
  let functions: ReturnType<typeof changeFeedFunctions>;
  /** An id nothing has: what a miss looks up. */
  const unknown = randomUUID();
  let n = 0;
  /** A fresh timestamp, later than every one before it. */
  const next = () => at(++n);
  /** Every post written and not deleted, as the feeds are to list them (counts aside). */
  const live = new Map<string, Post>();

  beforeAll(async () => {
    world = await createWorld('app_conformance');
    postgres = new PostgresAppRepository(world.source);
    cosmos = new CosmosAppRepository(world.cosmos, world.database, { tombstoneTtlSeconds: 3600 });
    functions = changeFeedFunctions(world.cosmos, world.database);
  });

  afterAll(() => world?.close());

  /** Runs `work` on PostgreSQL, then on Cosmos; both must succeed with equal values. */
  async function same<T>(work: (repo: AppRepository) => Promise<T>): Promise<T> {
    const fromPostgres = await outcome(() => work(postgres));
    const fromCosmos = await outcome(() => work(cosmos));
    expect(fromCosmos, 'Cosmos answers as PostgreSQL does').toEqual(fromPostgres);
    expect(fromPostgres).toHaveProperty('value');
    return (fromPostgres as { value: T }).value;
  }

  /** Runs `work` on both stores; both must fail with this code and status. */
  async function fails(
    work: (repo: AppRepository) => Promise<unknown>,
    code: string,
    status: number,
  ) {
    const expected = { error: { code, status } };
    expect(await outcome(() => work(postgres)), 'PostgreSQL').toEqual(expected);
    expect(await outcome(() => work(cosmos)), 'Cosmos').toEqual(expected);
  }

  /** Brings Cosmos's counts and embedded names up to date, as the change-feed functions would. */
  const settle = () => functions.settle();

  const userInput = (username: string): NewUser => ({
    id: randomUUID(),
    username,
    email: `${username}@example.com`,
    passwordHash: `hash-of-${username}`,
    createdAt: next(),
  });

  function newUser(username = `user-${randomUUID().slice(0, 8)}`): Promise<User> {
    const input = userInput(username);
    return same((repo) => repo.createUser(input));
  }

  async function newPost(author: User, createdAt = next(), title = 'a title'): Promise<Post> {
    const input: NewPost = {
      id: randomUUID(),
      authorId: author.id,
      title,
      content: 'text',
      createdAt,
    };
    const post = await same((repo) => repo.createPost(input));
    live.set(post.id, post);
    return post;
  }

  function newComment(post: Post, author: User, parent: Comment | null = null) {
    const input: NewComment = {
      id: randomUUID(),
      postId: post.id,
      authorId: author.id,
      parentId: parent?.id ?? null,
      content: `a comment by ${author.username}`,
      createdAt: next(),
    };
    return same((repo) => repo.createComment(input));
  }

  function vote(voter: User, target: VoteTarget, voteType: string): Promise<Vote> {
    const input: NewVote = {
      ...target,
      id: randomUUID(),
      userId: voter.id,
      voteType,
      createdAt: next(),
    };
    return same((repo) => repo.vote(input));
  }

  /** Every page of a feed, `limit` at a time, each page read from the store `storeOf(page)` names. */
  async function walk(
    read: (repo: AppRepository, continuation: string | null) => Promise<Page<Post>>,
    storeOf: (page: number) => AppRepository,
    limit: number,
  ): Promise<Page<Post>[]> {
    const pages: Page<Post>[] = [];
    let continuation: string | null = null;
    do {
      const page: Page<Post> = await read(storeOf(pages.length), continuation);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      // Only a full page says there may be more.
      if (page.continuation !== null) expect(page.items).toHaveLength(limit);
      pages.push(page);
      continuation = page.continuation;
    } while (continuation !== null && pages.length < 50);
    expect(continuation).toBeNull();
    return pages;
  }

  /**
   * The feed, paged on each store alone and alternating stores page by page (the continuation
   * is the keyset position, so one store's token continues the other's feed): the same pages,
   * the same posts in the expected order, each as `getPost` gives it.
   */
  async function sameFeed(
    read: (repo: AppRepository, continuation: string | null) => Promise<Page<Post>>,
    expected: Post[],
    limit: number,
  ) {
    const fromPostgres = await walk(read, () => postgres, limit);
    const fromCosmos = await walk(read, () => cosmos, limit);
    expect(fromCosmos).toEqual(fromPostgres);
    expect(await walk(read, (page) => (page % 2 === 0 ? cosmos : postgres), limit)).toEqual(
      fromPostgres,
    );
    expect(await walk(read, (page) => (page % 2 === 0 ? postgres : cosmos), limit)).toEqual(
      fromPostgres,
    );
    const items = fromPostgres.flatMap((page) => page.items);
    expect(items.map((post) => post.id)).toEqual(expected.sort(newestFirst).map((post) => post.id));
    expect(fromPostgres).toHaveLength(Math.max(1, Math.ceil(expected.length / limit)));
    for (const post of items) expect(await same((repo) => repo.getPost(post.id))).toEqual(post);
    return items;
  }

  it('users: creates, reads, renames and finds credentials alike; refuses a taken name, e-mail or id alike', async () => {
    const input = userInput('Alice / Ünïcode?#');
    const alice = await same((repo) => repo.createUser(input));
    expect(alice).toEqual({
      id: input.id,
      username: input.username,
      email: input.email,
      createdAt: input.createdAt,
    });
    expect(await same((repo) => repo.getUser(input.id))).toEqual(alice);
    expect(await same((repo) => repo.getUser(input.id.toUpperCase()))).toEqual(alice);
    expect(await same((repo) => repo.getUser(unknown))).toBeNull();

    const credentials = { userId: alice.id, passwordHash: input.passwordHash };
    expect(await same((repo) => repo.findCredentials(alice.username))).toEqual(credentials);
    expect(await same((repo) => repo.findCredentials(alice.email))).toEqual(credentials);
    // What UTF-8 makes of a lone surrogate (U+FFFD) is another login than the surrogate.
    const replaced = await newUser('a\uFFFDb');
    expect(await same((repo) => repo.findCredentials('a\uFFFDb'))).toMatchObject({
      userId: replaced.id,
    });
    const misses = [
      'alice / ünïcode?#',
      'nobody',
      'nobody@example.com',
      '',
      'a\u0000b',
      'a\uD800b',
    ];
    for (const miss of [...misses, 'x'.repeat(2_000)]) {
      expect(await same((repo) => repo.findCredentials(miss))).toBeNull();
    }
    // A login that is one user's username and another's e-mail is the username's.
    const byEmail = await newUser();
    const emailAsName = { ...userInput('x'), username: byEmail.email, email: `x-${byEmail.email}` };
    const byName = await same((repo) => repo.createUser(emailAsName));
    expect(await same((repo) => repo.findCredentials(byEmail.email))).toEqual({
      userId: byName.id,
      passwordHash: 'hash-of-x',
    });
    // Names and e-mails are unique as they are written: another case is another name.
    const upper = { ...userInput('x'), username: alice.username.toUpperCase() };
    await same((repo) => repo.createUser(upper));

    const taken = (changes: Partial<NewUser>) => ({ ...userInput('fresh'), ...changes });
    const refused = [
      taken({ username: alice.username }),
      taken({ email: alice.email }),
      taken({ id: alice.id }),
    ];
    for (const user of refused) await fails((repo) => repo.createUser(user), 'APP_CONFLICT', 409);
    for (const user of refused.slice(0, 2)) {
      expect(await same((repo) => repo.getUser(user.id))).toBeNull();
    }
    expect(await same((repo) => repo.findCredentials('fresh'))).toBeNull();
    expect(await same((repo) => repo.findCredentials('fresh@example.com'))).toBeNull();
    expect(await same((repo) => repo.getUser(alice.id))).toEqual(alice);

    const renamed = await same((repo) => repo.updateUser(alice.id, { username: 'alice-2' }));
    expect(renamed).toEqual({ ...alice, username: 'alice-2' });
    expect(await same((repo) => repo.getUser(alice.id))).toEqual(renamed);
    expect(await same((repo) => repo.findCredentials(alice.username))).toBeNull();
    expect(await same((repo) => repo.findCredentials('alice-2'))).toEqual(credentials);
    expect(await same((repo) => repo.findCredentials(alice.email))).toEqual(credentials);
    const moved = await same((repo) =>
      repo.updateUser(alice.id, { email: 'alice-2@example.com', passwordHash: 'new-hash' }),
    );
    expect(moved).toEqual({ ...renamed, email: 'alice-2@example.com' });
    expect(await same((repo) => repo.findCredentials(alice.email))).toBeNull();
    expect(await same((repo) => repo.findCredentials('alice-2@example.com'))).toEqual({
      userId: alice.id,
      passwordHash: 'new-hash',
    });
    expect(await same((repo) => repo.updateUser(alice.id, {}))).toEqual(moved);
    // The old name is free again.
    await same((repo) => repo.updateUser(byEmail.id, { username: alice.username }));
    expect(await same((repo) => repo.findCredentials(alice.username))).toMatchObject({
      userId: byEmail.id,
    });

    // A refused update changes nothing, not even its part that was free.
    for (const changes of [
      { username: byName.username },
      { email: byName.email },
      { username: 'not-taken', email: byName.email },
    ]) {
      await fails((repo) => repo.updateUser(alice.id, changes), 'APP_CONFLICT', 409);
    }
    expect(await same((repo) => repo.getUser(alice.id))).toEqual(moved);
    expect(await same((repo) => repo.findCredentials('not-taken'))).toBeNull();
    await fails((repo) => repo.updateUser(unknown, { username: 'y' }), 'APP_NOT_FOUND', 404);
  });

  it('posts and feeds: writes, reads, pages to the end on either store (a token of one continues on the other), deletes alike', async () => {
    const [first, second] = [await newUser(), await newUser()];
    const input: NewPost = {
      id: randomUUID(),
      authorId: first.id,
      title: 'Ünïcode / "quoted" ?#',
      content: 'line 1\nline 2',
      createdAt: next(),
    };
    const post = await same((repo) => repo.createPost(input));
    live.set(post.id, post);
    expect(post).toEqual({
      ...input,
      authorUsername: first.username,
      commentCount: 0,
      voteCount: 0,
      voteCounts: {},
      updatedAt: input.createdAt,
    });
    expect(await same((repo) => repo.getPost(post.id))).toEqual(post);
    expect(await same((repo) => repo.getPost(post.id.toUpperCase()))).toEqual(post);
    expect(await same((repo) => repo.getPost(unknown))).toBeNull();
    await fails((repo) => repo.createPost(input), 'APP_CONFLICT', 409);
    const unknownAuthor = { ...input, id: randomUUID(), authorId: unknown };
    await fails((repo) => repo.createPost(unknownAuthor), 'APP_NOT_FOUND', 404);

    // Four posts share a createdAt: the id orders them, across page boundaries.
    const tie = next();
    for (const [i, author] of [second, first, second, first, second, first, second].entries()) {
      await newPost(author, i < 4 ? tie : next(), `post ${i}`);
    }
    const title = { title: 'new title', updatedAt: next() };
    const titled = await same((repo) => repo.updatePost(post.id, title));
    expect(titled).toEqual({ ...post, ...title });
    const content = { content: 'new text', updatedAt: next() };
    const edited = await same((repo) => repo.updatePost(post.id, content));
    expect(edited).toEqual({ ...titled, ...content });
    live.set(post.id, edited);
    await fails((repo) => repo.updatePost(unknown, title), 'APP_NOT_FOUND', 404);

    // Counts and names on some posts: comments, votes, a rename of the second author.
    const [busy, other] = [...live.values()].filter((p) => p.authorId === second.id);
    const comment = await newComment(busy!, first);
    await newComment(busy!, second, comment);
    await vote(first, { targetType: 'post', targetId: busy!.id }, 'like');
    await vote(second, { targetType: 'post', targetId: busy!.id }, 'wow');
    await vote(first, { targetType: 'post', targetId: other!.id }, 'like');
    const renamed = await same((repo) =>
      repo.updateUser(second.id, { username: `${second.username}-2` }),
    );
    await settle();
    const busyNow = await same((repo) => repo.getPost(busy!.id));
    expect(busyNow).toEqual({
      ...busy,
      authorUsername: renamed.username,
      commentCount: 2,
      voteCount: 2,
      voteCounts: { like: 1, wow: 1 },
    });

    const everyPost = () => [...live.values()];
    for (const limit of [3, 4, 100]) {
      const items = await sameFeed(
        (repo, continuation) => repo.globalFeed({ limit, continuation }),
        everyPost(),
        limit,
      );
      expect(items).toContainEqual(busyNow);
    }
    for (const author of [first, second]) {
      const own = everyPost().filter((p) => p.authorId === author.id);
      expect(own.length).toBeGreaterThanOrEqual(4);
      const items = await sameFeed(
        (repo, continuation) => repo.userPosts(author.id, { limit: 2, continuation }),
        own,
        2,
      );
      for (const item of items)
        expect(item.authorUsername).toBe(
          author.id === second.id ? renamed.username : first.username,
        );
    }
    expect(await same((repo) => repo.userPosts(unknown, { limit: 5 }))).toEqual({
      items: [],
      continuation: null,
    });
    // A position past every post: an empty last page; one in the middle: the rest.
    const past = encodeContinuation('0001-01-01T00:00:00.000000Z', '0');
    expect(await same((repo) => repo.globalFeed({ limit: 5, continuation: past }))).toEqual({
      items: [],
      continuation: null,
    });
    const sorted = everyPost().sort(newestFirst);
    const middle = encodeContinuation(sorted[2]!.createdAt!, sorted[2]!.id);
    const rest = await same((repo) => repo.globalFeed({ limit: 100, continuation: middle }));
    expect(rest.items.map((p) => p.id)).toEqual(sorted.slice(3).map((p) => p.id));
    for (const limit of [0, 101, 2.5]) {
      await fails((repo) => repo.globalFeed({ limit }), 'INVALID_ARGUMENTS', 400);
      await fails((repo) => repo.userPosts(first.id, { limit }), 'INVALID_ARGUMENTS', 400);
    }
    for (const continuation of ['garbage', encodeContinuation('2031-01-01T00:00:00Z', 'x')]) {
      await fails(
        (repo) => repo.globalFeed({ limit: 5, continuation }),
        'INVALID_CONTINUATION',
        400,
      );
    }

    // A deleted post takes its comments and votes with it, from every read.
    await same((repo) => repo.deletePost(busy!.id));
    live.delete(busy!.id);
    await settle();
    expect(await same((repo) => repo.getPost(busy!.id))).toBeNull();
    expect(await same((repo) => repo.commentThread(busy!.id))).toEqual([]);
    const target = { targetType: 'post' as const, targetId: busy!.id };
    expect(await same((repo) => repo.targetVotes(target))).toEqual([]);
    expect(await same((repo) => repo.voteSummary(target))).toEqual({ total: 0, byType: {} });
    expect(await same((repo) => repo.userVote(first.id, target))).toBeNull();
    await fails((repo) => repo.deletePost(busy!.id), 'APP_NOT_FOUND', 404);
    await sameFeed(
      (repo, continuation) => repo.globalFeed({ limit: 3, continuation }),
      everyPost(),
      3,
    );
    // The other posts keep theirs.
    expect(await same((repo) => repo.getPost(other!.id))).toMatchObject({ voteCount: 1 });
  });

  it('comments: builds threads (replies, deeper replies), counts, edits and deletes subtrees alike', async () => {
    const [author, replier] = [await newUser(), await newUser()];
    const post = await newPost(author);
    const elsewhere = await newComment(await newPost(author), author);
    const a = await newComment(post, author);
    const b = await newComment(post, replier);
    const a1 = await newComment(post, replier, a);
    const a2 = await newComment(post, author, a);
    const a1x = await newComment(post, author, a1);
    const a1xy = await newComment(post, replier, a1x);
    const b1 = await newComment(post, author, b);
    expect(a).toEqual({
      id: a.id,
      postId: post.id,
      authorId: author.id,
      authorUsername: author.username,
      parentId: null,
      path: `${a.id}/`,
      depth: 0,
      content: `a comment by ${author.username}`,
      childCount: 0,
      voteCount: 0,
      voteCounts: {},
      createdAt: a.createdAt,
      updatedAt: a.createdAt,
    });
    expect(a1xy).toMatchObject({
      parentId: a1x.id,
      path: `${a.id}/${a1.id}/${a1x.id}/${a1xy.id}/`,
      depth: 3,
    });

    await settle();
    const thread = await same((repo) => repo.commentThread(post.id));
    const written = [a, b, a1, a2, a1x, a1xy, b1];
    expect(thread.map((c) => c.id)).toEqual([...written].sort(byPath).map((c) => c.id));
    const childCount = (c: Comment) => thread.find((t) => t.id === c.id)!.childCount;
    expect(written.map(childCount)).toEqual([2, 1, 1, 0, 1, 0, 0]);
    expect(await same((repo) => repo.getPost(post.id))).toMatchObject({ commentCount: 7 });
    expect(await same((repo) => repo.commentThread(unknown))).toEqual([]);

    const edit = { content: 'edited', updatedAt: next() };
    const edited = await same((repo) => repo.updateComment(post.id, a.id, edit));
    expect(edited).toEqual({ ...thread.find((c) => c.id === a.id), ...edit });
    await vote(author, { targetType: 'comment', targetId: a1x.id, postId: post.id }, 'like');

    // The subtree under a1 goes, with the votes on it; a and its other reply stay.
    await same((repo) => repo.deleteComment(post.id, a1.id));
    await settle();
    const after = await same((repo) => repo.commentThread(post.id));
    expect(after.map((c) => c.id)).toEqual([a, b, a2, b1].sort(byPath).map((c) => c.id));
    expect(after.find((c) => c.id === a.id)).toMatchObject({ childCount: 1, content: 'edited' });
    expect(await same((repo) => repo.getPost(post.id))).toMatchObject({ commentCount: 4 });
    const gone = { targetType: 'comment' as const, targetId: a1x.id, postId: post.id };
    expect(await same((repo) => repo.voteSummary(gone))).toEqual({ total: 0, byType: {} });
    expect(await same((repo) => repo.userVote(author.id, gone))).toBeNull();

    // A reply's names follow a rename.
    const renamed = await same((repo) =>
      repo.updateUser(replier.id, { username: `${replier.username}-2` }),
    );
    await settle();
    const named = await same((repo) => repo.commentThread(post.id));
    expect(named.filter((c) => c.authorId === replier.id).map((c) => c.authorUsername)).toEqual([
      renamed.username,
    ]);

    const reply = (changes: Partial<NewComment>): NewComment => ({
      id: randomUUID(),
      postId: post.id,
      authorId: author.id,
      parentId: null,
      content: 'x',
      createdAt: next(),
      ...changes,
    });
    for (const missing of [
      reply({ postId: unknown }),
      reply({ authorId: unknown }),
      reply({ parentId: unknown }),
      // A parent of another post, and a parent deleted with its subtree, are no parents here.
      reply({ parentId: elsewhere.id }),
      reply({ parentId: a1x.id }),
    ]) {
      await fails((repo) => repo.createComment(missing), 'APP_NOT_FOUND', 404);
    }
    const again = reply({ id: b1.id, parentId: b.id });
    await fails((repo) => repo.createComment(again), 'APP_CONFLICT', 409);
    for (const [postId, id] of [
      [post.id, a1.id],
      [post.id, unknown],
      [post.id, elsewhere.id],
      [unknown, a.id],
    ] as const) {
      await fails((repo) => repo.updateComment(postId, id, edit), 'APP_NOT_FOUND', 404);
      await fails((repo) => repo.deleteComment(postId, id), 'APP_NOT_FOUND', 404);
    }
    await settle();
    expect(await same((repo) => repo.commentThread(post.id))).toEqual(named);
  });

  it('votes: votes, changes, removes, lists and sums alike, and counts them on the target', async () => {
    const [author, ...voters] = [
      await newUser(),
      await newUser(),
      await newUser(),
      await newUser(),
    ];
    const post = await newPost(author);
    const comment = await newComment(post, author);
    const onPost: VoteTarget = { targetType: 'post', targetId: post.id };
    const onComment: VoteTarget = { targetType: 'comment', targetId: comment.id, postId: post.id };

    const createdAt = next();
    const input: NewVote = {
      ...onPost,
      id: randomUUID(),
      userId: voters[0]!.id,
      voteType: 'like',
      createdAt,
    };
    const first = await same((repo) => repo.vote(input));
    expect(first).toEqual({
      targetType: 'post',
      targetId: post.id,
      userId: voters[0]!.id,
      voteType: 'like',
      createdAt,
    });
    // A change keeps the first vote's createdAt; the same vote again changes nothing.
    const changed = await vote(voters[0]!, onPost, 'love');
    expect(changed).toEqual({ ...first, voteType: 'love' });
    expect(await vote(voters[0]!, onPost, 'love')).toEqual(changed);
    await vote(voters[1]!, onPost, 'angry');
    await vote(voters[2]!, onPost, 'love');
    await vote(voters[0]!, onComment, 'wow');
    const onCommentVote = await vote(voters[1]!, onComment, 'like');
    // A post's vote needs no postId, and a wrong one is not checked.
    await vote(author, { ...onPost, postId: unknown }, 'like');

    expect(await same((repo) => repo.userVote(voters[0]!.id, onPost))).toEqual(changed);
    expect(await same((repo) => repo.userVote(voters[1]!.id, onComment))).toEqual(onCommentVote);
    expect(await same((repo) => repo.userVote(voters[2]!.id, onComment))).toBeNull();
    const listed = await same((repo) => repo.targetVotes(onPost));
    expect(listed.map((v) => v.userId)).toEqual([author, ...voters].map((u) => u.id).sort());
    expect(await same((repo) => repo.targetVotes(onComment))).toHaveLength(2);
    const summary = await same((repo) => repo.voteSummary(onPost));
    expect(summary).toEqual({ total: 4, byType: { angry: 1, like: 1, love: 2 } });
    expect(Object.keys(summary.byType)).toEqual(['angry', 'like', 'love']);
    expect(await same((repo) => repo.voteSummary(onComment))).toEqual({
      total: 2,
      byType: { like: 1, wow: 1 },
    });
    const nobody: VoteTarget = { targetType: 'post', targetId: unknown };
    expect(await same((repo) => repo.voteSummary(nobody))).toEqual({ total: 0, byType: {} });
    expect(await same((repo) => repo.targetVotes(nobody))).toEqual([]);

    await settle();
    expect(await same((repo) => repo.getPost(post.id))).toMatchObject({
      voteCount: 4,
      voteCounts: summary.byType,
    });
    expect(await same((repo) => repo.commentThread(post.id))).toEqual([
      { ...comment, voteCount: 2, voteCounts: { like: 1, wow: 1 } },
    ]);

    await same((repo) => repo.removeVote(voters[0]!.id, onPost));
    await same((repo) => repo.removeVote(voters[0]!.id, onPost));
    await same((repo) => repo.removeVote(voters[0]!.id, onComment));
    await same((repo) => repo.removeVote(voters[2]!.id, onComment));
    expect(await same((repo) => repo.userVote(voters[0]!.id, onPost))).toBeNull();
    expect(await same((repo) => repo.voteSummary(onPost))).toEqual({
      total: 3,
      byType: { angry: 1, like: 1, love: 1 },
    });
    // A vote after a removal is a new vote, with its own createdAt.
    const again = await vote(voters[0]!, onPost, 'sad');
    expect(again).toEqual({ ...first, voteType: 'sad', createdAt: at(n) });
    await settle();
    expect(await same((repo) => repo.getPost(post.id))).toMatchObject({
      voteCount: 4,
      voteCounts: { angry: 1, like: 1, love: 1, sad: 1 },
    });
    expect(await same((repo) => repo.commentThread(post.id))).toEqual([
      { ...comment, voteCount: 1, voteCounts: { like: 1 } },
    ]);

    const ballot = (target: VoteTarget, changes: Partial<NewVote> = {}): NewVote => ({
      ...target,
      id: randomUUID(),
      userId: voters[2]!.id,
      voteType: 'like',
      createdAt: next(),
      ...changes,
    });
    for (const bad of [
      ballot({ targetType: 'post', targetId: unknown }),
      ballot({ targetType: 'post', targetId: comment.id }),
      ballot({ targetType: 'comment', targetId: unknown, postId: post.id }),
      ballot({ targetType: 'comment', targetId: post.id, postId: post.id }),
      ballot({ ...onComment, postId: unknown }),
      ballot(onPost, { userId: unknown }),
    ]) {
      await fails((repo) => repo.vote(bad), 'APP_NOT_FOUND', 404);
    }
    const withoutPost = ballot({ targetType: 'comment', targetId: comment.id });
    await fails((repo) => repo.vote(withoutPost), 'INVALID_ARGUMENTS', 400);
    expect(await same((repo) => repo.userVote(voters[2]!.id, onComment))).toBeNull();
  });

  it('rejects what is not an id, a target type or a timestamp alike, and writes nothing of it', async () => {
    const user = await newUser();
    const post = await newPost(user);
    const comment = await newComment(post, user);
    const bad = 'not-a-uuid';
    const time = next();
    const target: VoteTarget = { targetType: 'post', targetId: post.id };
    const newPostWith = (changes: Partial<NewPost>): NewPost => ({
      id: randomUUID(),
      authorId: user.id,
      title: 't',
      content: 'c',
      createdAt: time,
      ...changes,
    });
    const newCommentWith = (changes: Partial<NewComment>): NewComment => ({
      id: randomUUID(),
      postId: post.id,
      authorId: user.id,
      parentId: comment.id,
      content: 'c',
      createdAt: time,
      ...changes,
    });
    const voteWith = (changes: Partial<NewVote>): NewVote => ({
      ...target,
      id: randomUUID(),
      userId: user.id,
      voteType: 'like',
      createdAt: time,
      ...changes,
    });
    type Operation = [string, (repo: AppRepository) => Promise<unknown>];
    // Each input built once, here, for both stores.
    // Text neither store can hold as given: a NUL (PostgreSQL refuses it), a lone surrogate
    // (UTF-8 cannot hold it); a name or e-mail whose lookup id would be over Cosmos's 1,023
    // bytes; times of the right form that are no real instant (PostgreSQL refuses them).
    const nul = 'a\u0000b';
    const lone = 'a\uD800b';
    const long = 'x'.repeat(1_100);
    const unreal = [
      '2031-02-30T00:00:00Z',
      '2031-13-01T00:00:00Z',
      '2031-01-01T25:00:00Z',
      '2031-01-01T00:60:00Z',
      '0000-06-01T00:00:00Z',
    ];
    const inputs = {
      users: [
        { ...userInput('bad-id'), id: bad },
        { ...userInput('bad-time'), createdAt: 'yesterday' },
        ...unreal.map((createdAt) => ({ ...userInput('unreal-time'), createdAt })),
        { ...userInput('nul'), username: nul },
        { ...userInput('nul'), email: nul },
        { ...userInput('nul'), passwordHash: nul },
        { ...userInput('lone'), username: lone },
        { ...userInput('lone'), email: lone },
        { ...userInput('long'), username: long },
        { ...userInput('long'), email: `${long}@example.com` },
      ],
      userChanges: [{ username: nul }, { email: lone }, { passwordHash: nul }, { username: long }],
      posts: [
        newPostWith({ id: bad }),
        newPostWith({ authorId: bad }),
        newPostWith({ createdAt: '2031-01-01 00:00' }),
        ...unreal.map((createdAt) => newPostWith({ createdAt })),
        newPostWith({ title: nul }),
        newPostWith({ content: lone }),
      ],
      postChanges: [
        { title: 't', updatedAt: 'soon' },
        { title: 't', updatedAt: unreal[0]! },
        { title: nul, updatedAt: time },
        { content: lone, updatedAt: time },
      ],
      comments: (['id', 'postId', 'authorId', 'parentId'] as const)
        .map((field) => newCommentWith({ [field]: bad }))
        .concat(
          newCommentWith({ createdAt: '2031-01-01T00:00:00.1234567Z' }),
          newCommentWith({ createdAt: unreal[1]! }),
          newCommentWith({ content: nul }),
          newCommentWith({ content: lone }),
        ),
      commentChanges: [
        { content: 'c', updatedAt: '' },
        { content: 'c', updatedAt: unreal[2]! },
        { content: nul, updatedAt: time },
        { content: lone, updatedAt: time },
      ],
      votes: [
        voteWith({ userId: bad }),
        voteWith({ id: bad }),
        voteWith({ createdAt: '' }),
        voteWith({ createdAt: unreal[3]! }),
        voteWith({ targetId: bad }),
        voteWith({ targetType: 'user' as 'post' }),
        voteWith({ targetType: 'comment', targetId: comment.id, postId: bad }),
        voteWith({ voteType: nul }),
        voteWith({ voteType: lone }),
      ],
    };
    const badTargets: VoteTarget[] = [
      { targetType: 'post', targetId: bad },
      { targetType: 'user' as 'post', targetId: post.id },
    ];
    const operations: Operation[] = [
      ...inputs.users.map((input, i): Operation => [`createUser ${i}`, (r) => r.createUser(input)]),
      ['getUser', (r) => r.getUser(bad)],
      ['updateUser', (r) => r.updateUser(bad, { username: 'z' })],
      ...inputs.userChanges.map((changes, i): Operation => [
        `updateUser ${i}`,
        (r) => r.updateUser(user.id, changes),
      ]),
      ...inputs.posts.map((input, i): Operation => [`createPost ${i}`, (r) => r.createPost(input)]),
      ['getPost', (r) => r.getPost(bad)],
      ['updatePost id', (r) => r.updatePost(bad, { title: 't', updatedAt: time })],
      ...inputs.postChanges.map((changes, i): Operation => [
        `updatePost ${i}`,
        (r) => r.updatePost(post.id, changes),
      ]),
      ['deletePost', (r) => r.deletePost(bad)],
      ['userPosts', (r) => r.userPosts(bad, { limit: 5 })],
      ['commentThread', (r) => r.commentThread(bad)],
      ...inputs.comments.map((input, i): Operation => [
        `createComment ${i}`,
        (r) => r.createComment(input),
      ]),
      [
        'updateComment postId',
        (r) => r.updateComment(bad, comment.id, { content: 'c', updatedAt: time }),
      ],
      ['updateComment id', (r) => r.updateComment(post.id, bad, { content: 'c', updatedAt: time })],
      ...inputs.commentChanges.map((changes, i): Operation => [
        `updateComment ${i}`,
        (r) => r.updateComment(post.id, comment.id, changes),
      ]),
      ['deleteComment postId', (r) => r.deleteComment(bad, comment.id)],
      ['deleteComment id', (r) => r.deleteComment(post.id, bad)],
      ...inputs.votes.map((input, i): Operation => [`vote ${i}`, (r) => r.vote(input)]),
      ['removeVote userId', (r) => r.removeVote(bad, target)],
      ['userVote userId', (r) => r.userVote(bad, target)],
      ...badTargets.flatMap((t, i): Operation[] => [
        [`removeVote target ${i}`, (r) => r.removeVote(user.id, t)],
        [`userVote target ${i}`, (r) => r.userVote(user.id, t)],
        [`targetVotes target ${i}`, (r) => r.targetVotes(t)],
        [`voteSummary target ${i}`, (r) => r.voteSummary(t)],
      ]),
    ];
    const expected = { error: { code: 'INVALID_ARGUMENTS', status: 400 } };
    for (const [name, work] of operations) {
      expect({ name, postgres: await outcome(() => work(postgres)) }).toEqual({
        name,
        postgres: expected,
      });
      expect({ name, cosmos: await outcome(() => work(cosmos)) }).toEqual({
        name,
        cosmos: expected,
      });
    }
    await settle();
    expect(await same((repo) => repo.getUser(user.id))).toEqual(user);
    for (const input of inputs.users.slice(1)) {
      expect(await same((repo) => repo.getUser(input.id))).toBeNull();
    }
    for (const login of [nul, lone, long, `${long}@example.com`]) {
      expect(await same((repo) => repo.findCredentials(login))).toBeNull();
    }
    expect(await same((repo) => repo.commentThread(post.id))).toEqual([comment]);
    expect(await same((repo) => repo.targetVotes(target))).toEqual([]);
    expect(await same((repo) => repo.getPost(post.id))).toEqual({ ...post, commentCount: 1 });
    expect(await same((repo) => repo.userPosts(user.id, { limit: 10 }))).toEqual({
      items: [{ ...post, commentCount: 1 }],
      continuation: null,
    });
  });
});
