import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput, readJsonBody } from '../shared/http/responses';
import { catchUp } from '../shared/sync/catch-up';
import { DEFAULT_CATCH_UP_ROUNDS, syncRunSchema } from '../shared/sync/inputs';

/** A catch-up now: rounds until what was committed when it started is applied (or its bound). */
export async function syncRun(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const input = parseInput(syncRunSchema, await readJsonBody(request));
    const result = await catchUp(
      functionsEngine().syncDeps(),
      input.maxRounds ?? DEFAULT_CATCH_UP_ROUNDS,
    );
    context.log(
      `sync ${result.outcome}: ${result.rounds} rounds, ${result.changesRead} changes${result.reason ? ` (${result.reason})` : ''}`,
    );
    return json(200, result);
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('sync-run', {
  methods: ['POST'],
  route: 'sync',
  authLevel: 'function',
  handler: syncRun,
});
