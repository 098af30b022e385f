import { errorMessage } from '../errors/app-error';
import { InlineQueue } from '../queue/inline-queue';
import { ValidationDeps } from './deps';
import { ValidationMessage } from './records';
import { startValidation, StartValidationOptions } from './start-validation';
import { failValidationBatch, validateBatch } from './validate-batch';
import { getValidation } from './validation-queries';
import { ValidationSummary } from './validation-summary';

/**
 * Plans and runs a validation within this call, without the queue: for small validations
 * (the scheduled sample) whose verdict the caller records. A batch that fails is recorded as
 * failed, so the verdict says so instead of waiting forever.
 */
export async function runValidationInline(
  deps: Omit<ValidationDeps, 'validationQueue'>,
  options: StartValidationOptions,
  concurrency: number,
): Promise<ValidationSummary> {
  const inline: ValidationDeps = {
    source: deps.source,
    reader: deps.reader,
    writer: deps.writer,
    validations: deps.validations,
    verifyTarget: (containers) => deps.verifyTarget(containers),
    syncGate: deps.syncGate,
    ...(deps.recheckDelayMs !== undefined ? { recheckDelayMs: deps.recheckDelayMs } : {}),
    validationQueue: new InlineQueue<ValidationMessage>(async ({ body }) => {
      try {
        await validateBatch(inline, body);
      } catch (error) {
        await failValidationBatch(inline, body, errorMessage(error));
      }
    }, concurrency),
  };
  const { validationId } = await startValidation(inline, options);
  return getValidation(deps, validationId);
}
