import { performance } from 'node:perf_hooks';
import { measureRequests } from '../cosmos/throttling';
import { AppError, errorMessage } from '../errors/app-error';
import { RoutingSource } from './flag-routing';
import {
  CommentChanges,
  FeedQuery,
  NewComment,
  NewPost,
  NewUser,
  NewVote,
  PostChanges,
  UserChanges,
  VoteTarget,
} from './model';
import { OperationMetrics } from './operation-metrics';
import { ReplayQueue } from './replay-queue';
import { AppRepository, StoreName } from './repository';
import { differingPaths, idsIn } from './shadow-compare';
import { WriteRef } from './write-refs';

/** The application's data as the router serves it: the repository, whichever store answers. */
export type AppData = Omit<AppRepository, 'store'>;

export interface StageRouterDeps {
  stores: Record<StoreName, AppRepository>;
  routing: RoutingSource;
  replay: Pick<ReplayQueue, 'record'>;
  metrics: OperationMetrics;
  /** Told what the caller is not: a miss that could not be recorded, a shadow read's failure. */
  warn?: (code: string, message: string) => void;
  now?: () => Date;
}

/** An answer about the caller's input (not found, taken, invalid): the store worked. */
const isClientError = (error: unknown) =>
  error instanceof AppError && error.status >= 400 && error.status < 500;

const other = (store: StoreName): StoreName => (store === 'cosmos' ? 'postgres' : 'cosmos');

const voteRef = (userId: string, target: VoteTarget): WriteRef => ({
  kind: 'vote',
  userId: userId.toLowerCase(),
  targetType: target.targetType,
  targetId: target.targetId.toLowerCase(),
  ...(target.postId ? { postId: target.postId.toLowerCase() } : {}),
});

/**
 * Applies the current cutover stage to every call (docs/cutover.md): writes go to the
 * authoritative store first, and only if it took them to the other; a miss there is recorded
 * for replay and the request still succeeds. Reads are served by the user's store and, with
 * shadow reads on, also run on the other and compared in the background. Every call is timed
 * and counted per store.
 */
export class StageRouter {
  private readonly shadows = new Set<Promise<void>>();

  constructor(private readonly deps: StageRouterDeps) {}

  /** The data as `userId` (the requester) sees it: their reads follow their Targeting cohort. */
  as(userId?: string): AppData {
    const read = <T>(op: string, run: (repo: AppRepository) => Promise<T>) =>
      this.read(op, userId, run);
    const write = <T>(op: string, refs: WriteRef[], run: (repo: AppRepository) => Promise<T>) =>
      this.write(op, refs, run);
    const lower = (id: string) => String(id).toLowerCase();
    return {
      createUser: (user: NewUser) =>
        write('createUser', [{ kind: 'user', id: lower(user.id) }], (r) => r.createUser(user)),
      getUser: (id: string) => read('getUser', (r) => r.getUser(id)),
      updateUser: (id: string, changes: UserChanges) =>
        write('updateUser', [{ kind: 'user', id: lower(id) }], (r) => r.updateUser(id, changes)),
      findCredentials: (login: string) => read('findCredentials', (r) => r.findCredentials(login)),
      createPost: (post: NewPost) =>
        write('createPost', [{ kind: 'post', id: lower(post.id) }], (r) => r.createPost(post)),
      getPost: (id: string) => read('getPost', (r) => r.getPost(id)),
      updatePost: (id: string, changes: PostChanges) =>
        write('updatePost', [{ kind: 'post', id: lower(id) }], (r) => r.updatePost(id, changes)),
      deletePost: (id: string) =>
        write('deletePost', [{ kind: 'post', id: lower(id) }], (r) => r.deletePost(id)),
      globalFeed: (query: FeedQuery) => read('globalFeed', (r) => r.globalFeed(query)),
      userPosts: (author: string, query: FeedQuery) =>
        read('userPosts', (r) => r.userPosts(author, query)),
      commentThread: (postId: string) => read('commentThread', (r) => r.commentThread(postId)),
      createComment: (comment: NewComment) =>
        write(
          'createComment',
          [{ kind: 'comment', postId: lower(comment.postId), id: lower(comment.id) }],
          (r) => r.createComment(comment),
        ),
      updateComment: (postId: string, id: string, changes: CommentChanges) =>
        write('updateComment', [{ kind: 'comment', postId: lower(postId), id: lower(id) }], (r) =>
          r.updateComment(postId, id, changes),
        ),
      deleteComment: (postId: string, id: string) =>
        write('deleteComment', [{ kind: 'comment', postId: lower(postId), id: lower(id) }], (r) =>
          r.deleteComment(postId, id),
        ),
      vote: (vote: NewVote) => write('vote', [voteRef(vote.userId, vote)], (r) => r.vote(vote)),
      removeVote: (voter: string, target: VoteTarget) =>
        write('removeVote', [voteRef(voter, target)], (r) => r.removeVote(voter, target)),
      userVote: (voter: string, target: VoteTarget) =>
        read('userVote', (r) => r.userVote(voter, target)),
      targetVotes: (target: VoteTarget) => read('targetVotes', (r) => r.targetVotes(target)),
      voteSummary: (target: VoteTarget) => read('voteSummary', (r) => r.voteSummary(target)),
    };
  }

  /** Waits for the shadow reads still being compared. */
  async settled(): Promise<void> {
    while (this.shadows.size > 0) await Promise.allSettled([...this.shadows]);
  }

  private async write<T>(
    operation: string,
    refs: WriteRef[],
    run: (repo: AppRepository) => Promise<T>,
  ): Promise<T> {
    const routing = await this.deps.routing.current();
    const result = await this.call(routing.primary, operation, run);
    const secondary = routing.secondary;
    if (secondary) {
      try {
        await this.call(secondary, operation, run);
      } catch (error) {
        await this.recordMiss(secondary, operation, refs, error);
      }
    }
    return result;
  }

  private async recordMiss(
    target: StoreName,
    operation: string,
    refs: WriteRef[],
    error: unknown,
  ): Promise<void> {
    const at = (this.deps.now?.() ?? new Date()).toISOString();
    const message = errorMessage(error);
    for (const ref of refs) {
      try {
        await this.deps.replay.record({ target, ref, operation, error: message, at });
      } catch (failure) {
        // The authoritative store has the write; failing the request now would invite a
        // retry of a write that landed. The sync still repairs Cosmos while it runs.
        this.deps.warn?.(
          'REPLAY_RECORD_FAILED',
          `${operation}: ${target} missed the write of ${ref.kind} and the miss could not be recorded for replay: ${errorMessage(failure)}`,
        );
      }
    }
  }

  private async read<T>(
    operation: string,
    userId: string | undefined,
    run: (repo: AppRepository) => Promise<T>,
  ): Promise<T> {
    const routing = await this.deps.routing.current();
    const served = await routing.readStore(userId);
    const shadow = routing.shadowReads ? other(served) : null;
    const shadowCall = shadow ? this.call(shadow, operation, run) : undefined;
    shadowCall?.catch(() => undefined);
    let result: T;
    try {
      result = await this.call(served, operation, run);
    } catch (error) {
      // Before Cosmos is authoritative its failure must cost the user nothing.
      if (served !== 'cosmos' || routing.primary !== 'postgres' || isClientError(error))
        throw error;
      return shadowCall ?? this.call('postgres', operation, run);
    }
    if (shadow && shadowCall) this.compareLater(operation, served, shadow, result, shadowCall);
    return result;
  }

  private compareLater<T>(
    operation: string,
    served: StoreName,
    shadow: StoreName,
    result: T,
    shadowCall: Promise<T>,
  ): void {
    const comparison = shadowCall.then(
      (shadowResult) => {
        const paths = differingPaths(result, shadowResult);
        this.deps.metrics.recordShadow(
          shadow,
          paths.length === 0
            ? null
            : { operation, served, ids: idsIn([result, shadowResult]), paths },
        );
      },
      (error: unknown) => {
        const code = error instanceof AppError ? error.code : 'ERROR';
        this.deps.metrics.recordShadow(shadow, {
          operation,
          served,
          ids: idsIn(result),
          paths: [`<${code}>`],
        });
      },
    );
    const tracked = comparison.finally(() => this.shadows.delete(tracked));
    this.shadows.add(tracked);
  }

  private async call<T>(
    store: StoreName,
    operation: string,
    run: (repo: AppRepository) => Promise<T>,
  ): Promise<T> {
    const repo = this.deps.stores[store];
    const started = performance.now();
    let requestCharge = 0;
    try {
      const { result, stats } = await measureRequests(() => run(repo));
      requestCharge = stats.requestCharge;
      this.deps.metrics.recordCall(store, operation, {
        ok: true,
        ms: performance.now() - started,
        requestCharge,
      });
      return result;
    } catch (error) {
      this.deps.metrics.recordCall(store, operation, {
        ok: isClientError(error),
        ms: performance.now() - started,
        requestCharge,
      });
      throw error;
    }
  }
}
