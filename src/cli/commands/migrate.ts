import { EntityName } from '../../shared/entities/entity';
import { RunReport, getRun } from '../../shared/migration/run-queries';
import { startMigration } from '../../shared/migration/start-migration';
import { createLocalEngine, LocalEngine } from '../local-engine';
import { Environment } from '../environment';
import { EXIT_OK, EXIT_PROBLEMS, Output } from '../output';
import { ProgressView } from '../progress';
import { runJson, runText } from './run-report';

export interface MigrateOptions {
  entities?: EntityName[];
  batchSize?: number;
  dryRun?: boolean;
  /** False: a one-shot copy (`--no-sync`). */
  sync: boolean;
}

const PROGRESS_INTERVAL_MS = 500;

/** Plans, runs every batch in this process and reports; exit 2 when rows were not all migrated. */
export async function migrate(
  env: Environment,
  output: Output,
  options: MigrateOptions,
): Promise<number> {
  const engine = createLocalEngine(env.config);
  try {
    const started = await startMigration(engine, {
      entities: options.entities,
      batchSize: options.batchSize ?? env.config.migration.batchSize,
      dryRun: options.dryRun,
      sync: options.sync,
    });
    if (started.dryRun) {
      output.result(
        started,
        () =>
          `dry run: ${started.batches} batches planned\n${JSON.stringify(started.plan, null, 2)}`,
      );
      return EXIT_OK;
    }
    output.info(
      `run ${started.runId}: ${started.batches} batches over ${started.entities.join(', ')}`,
    );
    return await finishRun(engine, output, started.runId);
  } finally {
    await engine.close();
  }
}

/**
 * Shows progress until this process's queue has worked off the run's batches, then prints the
 * summary; exit 0 when every row was migrated, 2 otherwise (shared by migrate and resume).
 */
export async function finishRun(
  engine: LocalEngine,
  output: Output,
  runId: string,
): Promise<number> {
  const view = new ProgressView(Boolean(process.stderr.isTTY) && !output.json, (text) =>
    process.stderr.write(text),
  );
  const timer = setInterval(() => {
    getRun(engine, runId).then(
      (summary) => view.update(summary),
      () => undefined,
    );
  }, PROGRESS_INTERVAL_MS);
  try {
    await engine.localQueue.idle();
  } finally {
    clearInterval(timer);
  }
  const report: RunReport = await getRun(engine, runId, true);
  view.update(report);
  output.result(runJson(report), () => runText(report));
  return report.status === 'completed' ? EXIT_OK : EXIT_PROBLEMS;
}
