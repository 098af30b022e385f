import { app, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { COUNTS_TRIGGER, recountParentsOf } from '../shared/counts/handle-batch';

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
  ...COUNTS_TRIGGER,
  containerName: 'votes',
  leaseContainerPrefix: 'counts-votes-',
  handler: countsFromVotes,
});
