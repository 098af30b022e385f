import { getRun } from '../../shared/migration/run-queries';
import { runIdSchema } from '../../shared/migration/inputs';
import { parseInput } from '../../shared/http/responses';
import { createLocalEngine } from '../local-engine';
import { Environment } from '../environment';
import { EXIT_OK, EXIT_PROBLEMS, Output } from '../output';
import { runJson, runText } from './run-report';

export async function statusCommand(
  env: Environment,
  output: Output,
  runId: string | undefined,
): Promise<number> {
  const id = parseInput(runIdSchema, runId);
  const engine = createLocalEngine(env.config);
  try {
    const report = await getRun(engine, id, true);
    output.result(runJson(report), () => runText(report));
    return report.status === 'completed' || report.status === 'running' ? EXIT_OK : EXIT_PROBLEMS;
  } finally {
    await engine.close();
  }
}
