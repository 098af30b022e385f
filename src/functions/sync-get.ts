import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput } from '../shared/http/responses';
import { syncStatusQuerySchema } from '../shared/sync/inputs';
import { syncStatus } from '../shared/sync/sync-status';

/** The sync's slot, confirmed LSN, retained WAL, lag, what it applied, its last round and errors. */
export async function syncGet(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    parseInput(syncStatusQuerySchema, Object.fromEntries(request.query.entries()));
    return json(200, await syncStatus(functionsEngine().syncDeps()));
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('sync-get', {
  methods: ['GET'],
  route: 'sync',
  authLevel: 'function',
  handler: syncGet,
});
