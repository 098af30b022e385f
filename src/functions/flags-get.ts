import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { readFlags } from '../shared/cutover/cutover';
import { noQuerySchema } from '../shared/cutover/inputs';
import { errorResponse, json, parseInput } from '../shared/http/responses';

/** The migration's flags as stored (Microsoft Feature Management schema), and where. */
export async function flagsGet(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    parseInput(noQuerySchema, Object.fromEntries(request.query.entries()));
    return json(200, await readFlags(functionsEngine().flags));
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('flags-get', {
  methods: ['GET'],
  route: 'flags',
  authLevel: 'function',
  handler: flagsGet,
});
