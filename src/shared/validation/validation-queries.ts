import { notFound } from '../errors/app-error';
import { ValidationDeps } from './deps';
import { ValidationRecord } from './records';
import { validationMessage } from './start-validation';
import { summarizeValidation, ValidationSummary } from './validation-summary';

export async function loadValidation(
  deps: Pick<ValidationDeps, 'validations'>,
  validationId: string,
): Promise<ValidationRecord> {
  const validation = await deps.validations.getValidation(validationId);
  if (!validation) throw notFound('VALIDATION_NOT_FOUND', `no validation ${validationId}`);
  return validation;
}

export async function getValidation(
  deps: Pick<ValidationDeps, 'validations'>,
  validationId: string,
): Promise<ValidationSummary> {
  const validation = await loadValidation(deps, validationId);
  return summarizeValidation(validation, deps.validations.batches(validation));
}

/** Re-enqueues every batch that is not done, under new message ids. */
export async function resumeValidation(
  deps: Pick<ValidationDeps, 'validations' | 'validationQueue'>,
  validationId: string,
): Promise<{ validationId: string; requeued: number }> {
  const validation = await loadValidation(deps, validationId);
  const resumed = { ...validation, resumes: validation.resumes + 1 };
  const messages = [];
  for await (const chunk of deps.validations.batches(validation)) {
    for (const batch of chunk.filter((b) => b.status !== 'done')) {
      if (batch.status === 'failed') {
        await deps.validations.saveBatch({ ...batch, status: 'queued', finishedAt: null });
      }
      messages.push({
        messageId: `${batch.id}#resume-${resumed.resumes}`,
        body: validationMessage(batch),
      });
    }
  }
  if (messages.length === 0) return { validationId, requeued: 0 };
  await deps.validations.saveValidation(resumed);
  await deps.validationQueue.send(messages);
  return { validationId, requeued: messages.length };
}
