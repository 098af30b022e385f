import { randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '../errors/app-error';
import { Comment, Timestamp, VoteTarget } from '../app-data/model';
import { AppData } from '../app-data/stage-router';
import { KnownData } from './known-data';
import { OperationKind, VOTE_TYPES } from './mix';
import { Chooser } from './random';
import { phrase } from './text';

export interface OperationContext {
  /** The data as this user sees it (the router's `as`). */
  data(userId?: string): AppData;
  known: KnownData;
  choose: Chooser;
  now(): Timestamp;
}

/** One operation, chosen: exactly one call of the application's data, as `kind`. */
export interface PlannedOperation {
  kind: OperationKind;
  run(): Promise<void>;
}

const FEED_PAGE = 20;
/** Comments of one thread taken into what the traffic knows. */
const THREAD_SAMPLE = 50;

const isNotFound = (error: unknown) => error instanceof AppError && error.status === 404;

/** Runs `work`; when it says the record is gone, `forget` it (a race with a deletion). */
async function forgetting(work: () => Promise<void>, forget: () => void): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (isNotFound(error)) forget();
    throw error;
  }
}

/**
 * The operation of `kind`, on records the traffic knows; when it knows none that fit (no
 * comment to reply to, no vote to change, no post of its own to delete), the nearest
 * operation that needs less is run instead and counted as what it is.
 */
export function planOperation(kind: OperationKind, ctx: OperationContext): PlannedOperation {
  const { known, choose } = ctx;
  const actor = () => known.actors.pick() ?? known.users.pick()!;
  const plan = (k: OperationKind, run: () => Promise<void>): PlannedOperation => ({
    kind: k,
    run,
  });
  const post = known.posts.pick();
  const comment = known.comments.pick();
  const target = (): VoteTarget | undefined => {
    if (comment && (!post || choose.chance(0.4)))
      return { targetType: 'comment', targetId: comment.id, postId: comment.postId };
    return post ? { targetType: 'post', targetId: post.id } : undefined;
  };
  const forgetTarget = (t: VoteTarget) => {
    if (t.targetType === 'post') return known.forgetPost(t.targetId);
    const voted = known.comments.get(t.targetId);
    if (voted) known.forgetComment(voted);
  };

  switch (kind) {
    case 'globalFeed':
      return plan(kind, async () => {
        const next = known.feedContinuation && choose.chance(0.3) ? known.feedContinuation : null;
        const page = await ctx
          .data(actor().id)
          .globalFeed({ limit: FEED_PAGE, continuation: next });
        for (const item of page.items) known.learnPost(item);
        known.feedContinuation = page.continuation;
      });
    case 'userPosts': {
      const author = known.users.pick();
      if (!author) return planOperation('globalFeed', ctx);
      return plan(kind, async () => {
        const page = await ctx.data(actor().id).userPosts(author.id, { limit: FEED_PAGE });
        for (const item of page.items) known.learnPost(item);
      });
    }
    case 'getPost':
      if (!post) return planOperation('globalFeed', ctx);
      return plan(kind, async () => {
        const found = await ctx.data(actor().id).getPost(post.id);
        if (found) known.learnPost(found);
        else known.forgetPost(post.id);
      });
    case 'commentThread':
      if (!post) return planOperation('globalFeed', ctx);
      return plan(kind, async () => {
        const thread = await ctx.data(actor().id).commentThread(post.id);
        for (const c of thread.slice(0, THREAD_SAMPLE)) known.learnComment(c);
      });
    case 'voteSummary': {
      const t = target();
      if (!t) return planOperation('globalFeed', ctx);
      return plan(kind, async () => {
        await ctx.data(actor().id).voteSummary(t);
      });
    }
    case 'userVote': {
      const t = target();
      if (!t) return planOperation('globalFeed', ctx);
      const voter = actor();
      return plan(kind, async () => {
        const vote = await ctx.data(voter.id).userVote(voter.id, t);
        if (vote) known.learnVote({ userId: voter.id, target: t, voteType: vote.voteType });
      });
    }
    case 'login': {
      const user = known.users.pick()!;
      // Mostly a username, sometimes an e-mail, now and then a mistyped name.
      const login = choose.chance(0.1)
        ? `nobody-${randomUUID().slice(0, 8)}`
        : user.email && choose.chance(0.3)
          ? user.email
          : user.username;
      return plan(kind, async () => {
        await ctx.data(user.id).findCredentials(login);
      });
    }
    case 'getUser': {
      const user = known.users.pick()!;
      return plan(kind, async () => {
        const found = await ctx.data(actor().id).getUser(user.id);
        if (found) known.learnFullUser(found);
      });
    }
    case 'createUser':
      return plan(kind, async () => {
        const user = newUser(ctx.now());
        const created = await ctx.data(user.id).createUser(user);
        known.learnFullUser(created);
      });
    case 'createPost': {
      const author = actor();
      return plan(kind, async () => {
        const created = await ctx.data(author.id).createPost({
          id: randomUUID(),
          authorId: author.id,
          title: phrase(choose, 2, 6),
          content: phrase(choose, 6, 30),
          createdAt: ctx.now(),
        });
        known.learnPost(created, true);
      });
    }
    case 'createComment':
    case 'reply': {
      const parent = kind === 'reply' ? comment : undefined;
      const postId = parent?.postId ?? post?.id;
      if (!postId) return planOperation('createPost', ctx);
      if (kind === 'reply' && !parent) return planOperation('createComment', ctx);
      const author = actor();
      return plan(kind, () =>
        forgetting(
          async () => {
            const created: Comment = await ctx.data(author.id).createComment({
              id: randomUUID(),
              postId,
              authorId: author.id,
              parentId: parent?.id ?? null,
              content: phrase(choose, 3, 20),
              createdAt: ctx.now(),
            });
            known.learnComment(created, true);
          },
          () => (parent ? known.forgetComment(parent) : known.forgetPost(postId)),
        ),
      );
    }
    case 'vote': {
      const t = target();
      if (!t) return planOperation('createPost', ctx);
      const voter = actor();
      return plan(kind, () =>
        forgetting(
          async () => {
            const vote = await ctx.data(voter.id).vote({
              ...t,
              id: randomUUID(),
              userId: voter.id,
              voteType: choose.weighted(VOTE_TYPES),
              createdAt: ctx.now(),
            });
            known.learnVote({ userId: voter.id, target: t, voteType: vote.voteType });
          },
          () => forgetTarget(t),
        ),
      );
    }
    case 'changeVote':
    case 'removeVote': {
      const vote = known.votes.pick();
      if (!vote) return planOperation('vote', ctx);
      if (kind === 'removeVote')
        return plan(kind, async () => {
          await ctx.data(vote.userId).removeVote(vote.userId, vote.target);
          known.forgetVote(vote);
        });
      const types = Object.keys(VOTE_TYPES).filter((type) => type !== vote.voteType);
      const voteType = choose.pick(types)!;
      return plan(kind, () =>
        forgetting(
          async () => {
            await ctx.data(vote.userId).vote({
              ...vote.target,
              id: randomUUID(),
              userId: vote.userId,
              voteType,
              createdAt: ctx.now(),
            });
            known.learnVote({ ...vote, voteType });
          },
          () => forgetTarget(vote.target),
        ),
      );
    }
    case 'editPost':
      if (!post) return planOperation('createPost', ctx);
      return plan(kind, () =>
        forgetting(
          async () => {
            const edited = await ctx.data(post.authorId).updatePost(post.id, {
              ...(choose.chance(0.3) ? { title: phrase(choose, 2, 6) } : {}),
              content: `${phrase(choose, 6, 30)} (edited)`,
              updatedAt: ctx.now(),
            });
            known.learnPost(edited);
          },
          () => known.forgetPost(post.id),
        ),
      );
    case 'editComment':
      if (!comment) return planOperation('createComment', ctx);
      return plan(kind, () =>
        forgetting(
          async () => {
            await ctx.data(comment.authorId).updateComment(comment.postId, comment.id, {
              content: `${phrase(choose, 3, 20)} (edited)`,
              updatedAt: ctx.now(),
            });
          },
          () => known.forgetComment(comment),
        ),
      );
    case 'deleteComment': {
      // Users delete their own: the traffic deletes only what it wrote.
      const own = known.comments.pickWhere((c) => c.own);
      if (!own) return planOperation('createComment', ctx);
      return plan(kind, async () => {
        known.forgetComment(own);
        await ctx.data(own.authorId).deleteComment(own.postId, own.id);
      });
    }
    case 'deletePost': {
      const own = known.posts.pickWhere((p) => p.own);
      if (!own) return planOperation('createPost', ctx);
      return plan(kind, async () => {
        known.forgetPost(own.id);
        await ctx.data(own.authorId).deletePost(own.id);
      });
    }
  }
}

/** A new user with a unique name, an e-mail and a password hash (never a real password). */
export function newUser(createdAt: Timestamp) {
  const suffix = randomBytes(5).toString('hex');
  const username = `pulse_${suffix}`;
  return {
    id: randomUUID(),
    username,
    email: `${username}@example.com`,
    passwordHash: `$traffic$${randomBytes(16).toString('hex')}`,
    createdAt,
  };
}
