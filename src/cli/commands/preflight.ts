import { createCosmosClient } from '../../shared/cosmos/client';
import { createPreflightDeps } from '../../shared/preflight/deps';
import { renderReport } from '../../shared/preflight/render';
import { runPreflight } from '../../shared/preflight/run-preflight';
import { Environment } from '../environment';
import { EXIT_OK, EXIT_PROBLEMS, Output } from '../output';

/** Exit 0 when no check fails (warnings allowed), 2 when one does; 1 (thrown) when it cannot run. */
export async function preflightCommand(
  env: Environment,
  output: Output,
  sync: boolean,
): Promise<number> {
  const cosmos = createCosmosClient(env.config.cosmos);
  try {
    const runtime = createPreflightDeps(env.config, cosmos);
    try {
      const report = await runPreflight(runtime.deps, { sync });
      output.result(report, () => renderReport(report));
      return report.ok ? EXIT_OK : EXIT_PROBLEMS;
    } finally {
      await runtime.close();
    }
  } finally {
    cosmos.dispose();
  }
}
