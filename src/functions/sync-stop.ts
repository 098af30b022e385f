import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput, readJsonBody } from '../shared/http/responses';
import { syncStopSchema } from '../shared/sync/inputs';
import { stopSync } from '../shared/sync/stop-sync';

/** Drops the slot and the publication: a slot left behind keeps WAL on the source. */
export async function syncStop(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    parseInput(syncStopSchema, await readJsonBody(request));
    const engine = functionsEngine();
    const result = await stopSync({ capture: engine.changeStream, syncStore: engine.syncStore });
    context.log(
      `sync stopped: slot ${result.tearDown.droppedSlot ? 'dropped' : 'already gone'}, publication ${result.tearDown.droppedPublication ? 'dropped' : 'already gone'}`,
    );
    return json(200, result);
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('sync-stop', {
  methods: ['DELETE'],
  route: 'sync',
  authLevel: 'function',
  handler: syncStop,
});
