import { app, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { parseChangedDocuments } from '../shared/counts/inputs';
import { renameEmbedded } from '../shared/counts/rename-embedded';
import { errorMessage } from '../shared/errors/app-error';

/** A changed user's username, set where posts, comments and votes embed an older one. */
export async function namesFromUsers(
  documents: unknown[],
  context: InvocationContext,
): Promise<void> {
  const changed = parseChangedDocuments(documents);
  try {
    const result = await renameEmbedded({ names: functionsEngine().names }, changed);
    const { posts, comments, votes } = result.updated;
    if (posts + comments + votes > 0) {
      context.log(
        `names: ${result.users} users, renamed in ${posts} posts, ${comments} comments, ${votes} votes (${result.ru.toFixed(1)} RU)`,
      );
    }
  } catch (error) {
    context.error(`names from ${changed.length} user changes failed: ${errorMessage(error)}`);
    throw error;
  }
}

app.cosmosDB('names-from-users', {
  connection: 'COSMOS',
  databaseName: '%COSMOS_DATABASE%',
  containerName: 'users',
  leaseContainerName: 'leases',
  leaseContainerPrefix: 'names-users-',
  createLeaseContainerIfNotExists: false,
  retry: {
    strategy: 'exponentialBackoff',
    maxRetryCount: 5,
    minimumInterval: { seconds: 1 },
    maximumInterval: { minutes: 1 },
  },
  handler: namesFromUsers,
});
