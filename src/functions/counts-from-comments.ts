import { app, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { COUNTS_TRIGGER, recountParentsOf } from '../shared/counts/handle-batch';

/**
 * A post's commentCount and lastActivityAt, and a comment's childCount, recounted from the
 * comments change feed (tombstones included). Rethrows a batch with parents still failing,
 * so the retry policy runs it again; those parents are recorded for the reconcile first.
 */
export async function countsFromComments(
  documents: unknown[],
  context: InvocationContext,
): Promise<void> {
  await recountParentsOf(functionsEngine(), documents, 'counts-from-comments', context);
}

app.cosmosDB('counts-from-comments', {
  ...COUNTS_TRIGGER,
  containerName: 'comments',
  leaseContainerPrefix: 'counts-comments-',
  handler: countsFromComments,
});
