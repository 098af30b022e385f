import { idArgument } from '../args';
import { runIdSchema } from '../../shared/migration/inputs';
import { resumeRun } from '../../shared/migration/run-queries';
import { Environment } from '../environment';
import { createLocalEngine } from '../local-engine';
import { Output } from '../output';
import { finishRun } from './migrate';

/**
 * Finishes a run whose process stopped (Ctrl-C, a kill, a closed laptop): every batch that is
 * not done, failed ones included, goes to this process's queue once more; batches already done
 * are skipped. A batch left `running` by the dead process is taken again: its documents have
 * deterministic ids and are upserted, so writing them twice changes nothing.
 */
export async function resumeCommand(
  env: Environment,
  output: Output,
  given: string | undefined,
): Promise<number> {
  const runId = idArgument('resume', given, runIdSchema, 'run', 'run-20250101-120000-1a2b3c');
  const engine = createLocalEngine(env.config);
  try {
    const { requeued } = await resumeRun(engine, runId);
    output.info(
      requeued === 0
        ? `run ${runId}: every batch is done already`
        : `run ${runId}: resuming ${requeued} batches that are not done`,
    );
    return await finishRun(engine, output, runId);
  } finally {
    await engine.close();
  }
}
