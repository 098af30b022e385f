import { app, InvocationContext, Timer } from '@azure/functions';
import { replayWrites } from '../shared/app-data/replay/replay-writes';
import { replayDepsOf } from '../shared/composition/app-data';
import { functionsEngine } from '../shared/composition/functions-engine';

/**
 * Copies the records a store missed in a dual write from the other store (REPLAY_SCHEDULE,
 * default every 15 s): PostgreSQL's misses while Cosmos is primary, Cosmos's while the sync is
 * not applying (the sync repairs them otherwise). A rollback from cosmos-primary waits for it.
 */
export async function replayWritesTimer(timer: Timer, context: InvocationContext): Promise<void> {
  const engine = functionsEngine();
  const summary = await replayWrites(replayDepsOf(engine), engine.config.replay.batch);
  if (summary.replayed > 0 || summary.leftToSync > 0 || summary.failed.length > 0)
    context.log(
      `replay-writes${timer.isPastDue ? ' (past due)' : ''}: ${summary.replayed} copied, ` +
        `${summary.leftToSync} left to the sync, ${summary.failed.length} failed, ` +
        `${summary.pending} waiting`,
    );
  const first = summary.failed[0];
  if (first) context.warn(`replay-writes: ${first.entry}: ${first.error}`);
}

app.timer('replay-writes', {
  schedule: '%REPLAY_SCHEDULE%',
  handler: replayWritesTimer,
});
