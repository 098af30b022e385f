import { repairValidation } from '../../shared/validation/repair';
import { Environment } from '../environment';
import { createLocalEngine } from '../local-engine';
import { EXIT_OK, EXIT_PROBLEMS, Output } from '../output';
import { badRequest } from '../../shared/errors/app-error';

export async function repairCommand(
  env: Environment,
  output: Output,
  validationId: string | undefined,
  deleteExtras: boolean,
): Promise<number> {
  if (!validationId) throw badRequest('INVALID_ARGUMENTS', 'repair needs a validation id');
  const engine = createLocalEngine(env.config);
  try {
    const result = await repairValidation(engine, validationId, { deleteExtras });
    output.result(result, () =>
      [
        `repair of ${validationId}: ${result.rowsRewritten} rows rewritten (${result.documentsWritten} documents), ` +
          `${result.deleted} extras deleted`,
        ...(result.extrasKept
          ? [`  ${result.extrasKept} extras kept (--delete-extras deletes them)`]
          : []),
        ...(result.sourceRowsGone
          ? [`  ${result.sourceRowsGone} rows are gone from the source since`]
          : []),
        ...(result.rowErrors
          ? [`  ${result.rowErrors} rows cannot be represented (row errors)`]
          : []),
        `check with: cosmos-migration validate --full`,
      ].join('\n'),
    );
    return result.rowErrors > 0 ? EXIT_PROBLEMS : EXIT_OK;
  } finally {
    await engine.close();
  }
}
