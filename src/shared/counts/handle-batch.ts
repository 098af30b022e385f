import type { CosmosDBv4FunctionOptions } from '@azure/functions';
import { AppError } from '../errors/app-error';
import { parseChangedDocuments } from './inputs';
import { CountsStore } from './counts-store';
import { recountParents, RecountResult } from './recount-parents';

interface Log {
  log(message: string): void;
  error(message: string): void;
}

/**
 * What the two counts functions share: validate the batch, recount its parents, log what it
 * cost, and throw (after the failures are recorded) when a parent is still not right.
 */
export async function recountParentsOf(
  deps: { counts: CountsStore },
  documents: unknown,
  source: string,
  log: Log,
): Promise<RecountResult> {
  const changed = parseChangedDocuments(documents);
  const result = await recountParents({ store: deps.counts }, changed, source);
  if (result.writes > 0 || result.failed.length > 0) {
    log.log(
      `${source}: ${changed.length} changes, ${result.parents} parents, ${result.writes} writes, ` +
        `${result.conflicts} conflicts, ${result.failed.length} failed ` +
        `(recount ${result.recountRu.toFixed(1)} RU, write ${result.writeRu.toFixed(1)} RU)`,
    );
  }
  if (result.failed.length > 0) {
    const first = result.failed[0]!;
    log.error(`${source}: ${first.parent.kind} ${first.parent.id}: ${first.reason}`);
    throw new AppError(
      'COUNTS_PARENTS_FAILED',
      `${result.failed.length} of ${result.parents} parents not recounted (recorded for the reconcile)`,
    );
  }
  return result;
}

/** The trigger options both counts functions share; each adds its container and lease prefix. */
export const COUNTS_TRIGGER = {
  connection: 'COSMOS',
  databaseName: '%COSMOS_DATABASE%',
  leaseContainerName: 'leases',
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
} satisfies Partial<CosmosDBv4FunctionOptions>;
