import { setTimeout as sleep } from 'node:timers/promises';
import { badRequest } from '../../shared/errors/app-error';
import { addCatchUp, catchUp, CatchUpResult, emptyCatchUp } from '../../shared/sync/catch-up';
import { DEFAULT_CATCH_UP_ROUNDS } from '../../shared/sync/inputs';
import { stopSync } from '../../shared/sync/stop-sync';
import { syncStatus, SyncStatusReport } from '../../shared/sync/sync-status';
import { Environment } from '../environment';
import { createLocalEngine, LocalEngine } from '../local-engine';
import { EXIT_OK, EXIT_PROBLEMS, Output } from '../output';
import { formatBytes } from '../../shared/reports/bytes';

const FOLLOW_POLL_MS = 1_000;

/** `sync`, `sync --follow`, `sync status`, `sync stop`. */
export async function syncCommand(
  env: Environment,
  output: Output,
  action: string | undefined,
  follow: boolean,
): Promise<number> {
  const engine = createLocalEngine(env.config);
  try {
    if (action === 'status') return await status(engine, output);
    if (action === 'stop') return await stop(engine, output);
    if (action !== undefined) {
      throw badRequest('INVALID_ARGUMENTS', `sync takes status or stop, not "${action}"`);
    }
    return await (follow ? followChanges(engine, output) : applyOnce(engine, output));
  } finally {
    await engine.close();
  }
}

/** Passes over a fanned-out round: its parts run on this process's queue between two. */
const MAX_PASSES = 100;

/** catchUp, waiting here for the parts of fanned-out rounds (the in-process queue applies them). */
export async function catchUpHere(engine: LocalEngine): Promise<CatchUpResult> {
  const total = emptyCatchUp();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const result = await catchUp(engine.syncDeps(), DEFAULT_CATCH_UP_ROUNDS);
    addCatchUp(total, result);
    if (result.outcome !== 'fanned-out' && result.outcome !== 'waiting') break;
    await engine.localSyncQueue.idle();
  }
  return total;
}

/** Applies everything committed up to now, then exits: 0 caught up, 2 holding or row errors. */
async function applyOnce(engine: LocalEngine, output: Output): Promise<number> {
  const result = await catchUpHere(engine);
  const report = await syncStatus(engine.syncDeps());
  const summary = summaryOf(result, report);
  output.result(summary, () => describe(summary));
  return result.outcome === 'caught-up' && result.rowErrors === 0 ? EXIT_OK : EXIT_PROBLEMS;
}

/** Keeps applying until Ctrl-C, one line per round that applied something, with the lag. */
async function followChanges(engine: LocalEngine, output: Output): Promise<number> {
  let stopping = false;
  const stop = () => (stopping = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const total = emptyCatchUp();
  try {
    while (!stopping) {
      const result = await catchUpHere(engine);
      addCatchUp(total, result);
      if (result.changesRead > 0 || result.outcome === 'holding') {
        const report = await syncStatus(engine.syncDeps());
        output.info(
          `${new Date().toISOString()} ${result.outcome}: ${result.changesRead} changes` +
            `${result.reason ? ` (${result.reason})` : ''}, lag ${report.slot?.lagSeconds ?? '?'} s, ` +
            `retained WAL ${bytesOrUnknown(report.slot?.retainedWalBytes)}`,
        );
      }
      await sleep(FOLLOW_POLL_MS);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  const summary = summaryOf(total, await syncStatus(engine.syncDeps()));
  output.result(summary, () => describe(summary));
  return total.rowErrors === 0 ? EXIT_OK : EXIT_PROBLEMS;
}

async function status(engine: LocalEngine, output: Output): Promise<number> {
  const report = await syncStatus(engine.syncDeps());
  output.result(report, () => describeStatus(report));
  return report.state.status === 'failed' || report.slotError ? EXIT_PROBLEMS : EXIT_OK;
}

async function stop(engine: LocalEngine, output: Output): Promise<number> {
  const result = await stopSync({ capture: engine.changeStream, syncStore: engine.syncStore });
  output.result(
    result,
    () =>
      `sync stopped: slot ${result.tearDown.droppedSlot ? 'dropped' : 'was already gone'}, ` +
      `publication ${result.tearDown.droppedPublication ? 'dropped' : 'was already gone'}`,
  );
  return EXIT_OK;
}

type SyncSummary = ReturnType<typeof summaryOf>;

/** The `--json` document of `sync`. */
function summaryOf(result: CatchUpResult, report: SyncStatusReport) {
  return {
    outcome: result.outcome,
    ...(result.reason ? { reason: result.reason } : {}),
    rounds: result.rounds,
    changesRead: result.changesRead,
    entities: result.entities,
    rowErrors: result.rowErrors,
    lagSeconds: report.slot?.lagSeconds ?? null,
    retainedWalBytes: report.slot?.retainedWalBytes ?? null,
    slot: report.state.slot,
    confirmedLsn: report.state.confirmedLsn,
  };
}

function describe(summary: SyncSummary): string {
  const entities = Object.entries(summary.entities).map(
    ([name, e]) =>
      `  ${name.padEnd(9)} ${String(e.documentsUpserted).padStart(8)} upserted ${String(e.documentsDeleted).padStart(8)} deleted`,
  );
  return [
    `sync ${summary.outcome}${summary.reason ? ` (${summary.reason})` : ''}: ${summary.changesRead} changes in ${summary.rounds} rounds, slot ${summary.slot} at ${summary.confirmedLsn}`,
    ...entities,
    `lag ${summary.lagSeconds ?? '?'} s, retained WAL ${bytesOrUnknown(summary.retainedWalBytes ?? undefined)}${summary.rowErrors ? `, ${summary.rowErrors} row errors (sync status --json lists them)` : ''}`,
  ].join('\n');
}

function describeStatus(report: SyncStatusReport): string {
  const { state, slot } = report;
  return [
    `sync ${state.status}: slot ${state.slot}, publication ${state.publication}, for run ${state.runId}`,
    `confirmed ${state.confirmedLsn}; ${state.totals.changesRead} changes in ${state.totals.rounds} rounds since ${state.createdAt}`,
    slot
      ? `slot: ${slot.active ? 'active' : 'idle'}, wal_status ${slot.walStatus}, retained WAL ${formatBytes(slot.retainedWalBytes)}, lag ${slot.lagSeconds ?? '?'} s`
      : report.slotError
        ? `slot: ${report.slotError.code}: ${report.slotError.message}`
        : 'slot: dropped',
    ...(state.lastRound
      ? [
          `last round ${state.lastRound.finishedAt}: ${state.lastRound.changesRead} changes, ${state.lastRound.durationMs} ms`,
        ]
      : []),
    ...(state.error ? [`error [${state.error.code}] ${state.error.message}`] : []),
    ...(state.rowErrors.length
      ? [
          `row errors: ${state.rowErrors.length} (latest: ${state.rowErrors.at(-1)!.table} ${state.rowErrors.at(-1)!.id} ${state.rowErrors.at(-1)!.code})`,
        ]
      : []),
  ].join('\n');
}

const bytesOrUnknown = (bytes: number | undefined) =>
  bytes === undefined ? '?' : formatBytes(bytes);
