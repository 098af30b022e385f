import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput } from '../shared/http/responses';
import { runIdSchema } from '../shared/migration/inputs';
import { getRun } from '../shared/migration/run-queries';

const ROW_ERRORS_SHOWN = 100;

export async function migrationsGet(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const runId = parseInput(runIdSchema, request.params.runId);
    const { rowErrorList, ...summary } = await getRun(functionsEngine(), runId, true);
    return json(200, { ...summary, rowErrors: rowErrorList.slice(0, ROW_ERRORS_SHOWN) });
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('migrations-get', {
  methods: ['GET'],
  route: 'migrations/{runId}',
  authLevel: 'function',
  handler: migrationsGet,
});
