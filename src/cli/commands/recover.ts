import { EntityName } from '../../shared/entities/entity';
import { parseInput } from '../../shared/http/responses';
import { recoverSchema } from '../../shared/validation/inputs';
import { startRecovery } from '../../shared/validation/recover';
import { getValidation } from '../../shared/validation/validation-queries';
import { Environment } from '../environment';
import { createLocalEngine } from '../local-engine';
import { EXIT_OK, EXIT_PROBLEMS, Output } from '../output';
import { validationJson, validationText } from './validate';

export interface RecoverOptions {
  from?: string;
  to?: string;
  entities?: EntityName[];
  deleteExtras: boolean;
}

/** Compares and repairs the rows created or updated in a window; exit 2 if any batch failed. */
export async function recoverCommand(
  env: Environment,
  output: Output,
  options: RecoverOptions,
): Promise<number> {
  const input = parseInput(recoverSchema, {
    from: options.from,
    to: options.to,
    entities: options.entities,
    deleteExtras: options.deleteExtras,
  });
  const engine = createLocalEngine(env.config);
  try {
    const started = await startRecovery(engine, env.config, input);
    output.info(`recover ${input.from} .. ${input.to}: ${started.batches} batches`);
    await engine.localValidationQueue.idle();
    const summary = await getValidation(engine, started.validationId);
    output.result(
      validationJson(summary),
      () => `${validationText(summary)}\n(differences found were repaired)`,
    );
    return summary.status === 'completed' ? EXIT_OK : EXIT_PROBLEMS;
  } finally {
    await engine.close();
  }
}
