import { app, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { recountParentsOf } from '../shared/counts/handle-batch';

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
  connection: 'COSMOS',
  databaseName: '%COSMOS_DATABASE%',
  containerName: 'comments',
  leaseContainerName: 'leases',
  leaseContainerPrefix: 'counts-comments-',
  createLeaseContainerIfNotExists: false,
  // A second between polls of a drained feed, not the default 5: a count shows within about
  // two, for one cheap read per lease and second.
  feedPollDelay: 1_000,
  retry: {
    strategy: 'exponentialBackoff',
    maxRetryCount: 3,
    minimumInterval: { seconds: 1 },
    maximumInterval: { seconds: 30 },
  },
  handler: countsFromComments,
});
