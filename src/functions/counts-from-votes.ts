import { app, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { recountParentsOf } from '../shared/counts/handle-batch';

/**
 * A post's or comment's voteCount and voteCounts (and a post's lastActivityAt), recounted from
 * the votes change feed (tombstones included). Rethrows a batch with parents still failing,
 * so the retry policy runs it again; those parents are recorded for the reconcile first.
 */
export async function countsFromVotes(
  documents: unknown[],
  context: InvocationContext,
): Promise<void> {
  await recountParentsOf(functionsEngine(), documents, 'counts-from-votes', context);
}

app.cosmosDB('counts-from-votes', {
  connection: 'COSMOS',
  databaseName: '%COSMOS_DATABASE%',
  containerName: 'votes',
  leaseContainerName: 'leases',
  leaseContainerPrefix: 'counts-votes-',
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
  handler: countsFromVotes,
});
