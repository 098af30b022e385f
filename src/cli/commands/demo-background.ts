import { setTimeout as sleep } from 'node:timers/promises';
import { ChangeFeedStartFrom, StatusCodes } from '@azure/cosmos';
import { replayWrites } from '../../shared/app-data/replay/replay-writes';
import { replayDepsOf } from '../../shared/composition/app-data';
import { recountParentsOf } from '../../shared/counts/handle-batch';
import { errorMessage } from '../../shared/errors/app-error';
import { addCatchUp, CatchUpResult, emptyCatchUp } from '../../shared/sync/catch-up';
import { LocalEngine } from '../local-engine';
import { catchUpHere } from './sync';

/** A settle reads each feed at most this many pages, and goes round at most this often. */
const FEED_PAGES = 100;
const FEED_ROUNDS = 5;
/** Background passes at most (an hour's worth at the demo's interval): `stop()` ends it long before. */
const MAX_PASSES = 7_200;

const quiet = { log: () => undefined, error: () => undefined };

/**
 * What the function app does beside the application while a cutover runs, for the demo: the
 * sync timer (a catch-up), the counts functions on the comments and votes change feeds
 * (from now on; docs/counts.md), and the replay timer, one pass after the other every
 * `intervalMs`. Work that must not overlap a sync round (a catch-up on demand, a stage move,
 * whose guard reads the slot's lag) runs between two passes, through `exclusive`.
 */
export class DemoBackground {
  readonly sync = emptyCatchUp();
  recounted = 0;
  replayed = 0;
  errors: string[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly loop: Promise<void>;
  private readonly feeds;

  constructor(
    private readonly engine: LocalEngine,
    private readonly intervalMs: number,
  ) {
    const database = engine.cosmos.database(engine.config.cosmos.database);
    this.feeds = (['comments', 'votes'] as const).map((container) => ({
      source: `counts-from-${container}`,
      iterator: database.container(container).items.getChangeFeedIterator({
        changeFeedStartFrom: ChangeFeedStartFrom.Now(),
        maxItemCount: 100,
      }),
    }));
    this.loop = this.follow();
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** A pass now, between two background ones. */
  async settle(): Promise<void> {
    await this.exclusive(() => this.pass());
  }

  /** One pass: the sync caught up, the counts recounted, the replay queue worked. Inside `exclusive` only. */
  async pass(): Promise<CatchUpResult> {
    const result = await catchUpHere(this.engine);
    addCatchUp(this.sync, result);
    await this.recount();
    const replay = await replayWrites(replayDepsOf(this.engine), this.engine.config.replay.batch);
    this.replayed += replay.replayed + replay.leftToSync;
    return result;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.chain;
  }

  private async recount(): Promise<void> {
    for (let round = 0; round < FEED_ROUNDS; round++) {
      let changes = 0;
      for (const feed of this.feeds) {
        for (let page = 0; page < FEED_PAGES; page++) {
          const response = await feed.iterator.readNext();
          if (response.statusCode === StatusCodes.NotModified || response.result.length === 0)
            break;
          changes += response.result.length;
          const result = await recountParentsOf(this.engine, response.result, feed.source, quiet);
          this.recounted += result.writes;
        }
      }
      // A recount's own write to a comment comes back through its feed: once more, bounded.
      if (changes === 0) return;
    }
  }

  private async follow(): Promise<void> {
    for (let passes = 0; !this.stopped && passes < MAX_PASSES; passes++) {
      try {
        await this.settle();
      } catch (error) {
        if (this.errors.length < 10) this.errors.push(errorMessage(error));
      }
      await sleep(this.intervalMs);
    }
  }
}
