import { badRequest } from '../../shared/errors/app-error';
import { migrationReportMarkdown } from '../../shared/reports/markdown';
import { buildMigrationReport } from '../../shared/reports/migration-report';
import { Environment } from '../environment';
import { createLocalEngine } from '../local-engine';
import { EXIT_OK, Output } from '../output';

export async function reportCommand(
  env: Environment,
  output: Output,
  runId: string | undefined,
  format: string | undefined,
): Promise<number> {
  if (!runId) throw badRequest('INVALID_ARGUMENTS', 'report needs a run id');
  if (format !== undefined && format !== 'md' && format !== 'json') {
    throw badRequest('INVALID_ARGUMENTS', `--format is md or json, got ${JSON.stringify(format)}`);
  }
  const engine = createLocalEngine(env.config);
  try {
    const report = await buildMigrationReport(engine, runId);
    if (format === 'json' || output.json)
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(migrationReportMarkdown(report));
    return EXIT_OK;
  } finally {
    await engine.close();
  }
}
