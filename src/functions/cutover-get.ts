import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { cutoverStatus } from '../shared/cutover/cutover';
import { noQuerySchema } from '../shared/cutover/inputs';
import { errorResponse, json, parseInput } from '../shared/http/responses';

/** The stage, the flags, each guard with its figure, and the latest changes. */
export async function cutoverGet(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    parseInput(noQuerySchema, Object.fromEntries(request.query.entries()));
    return json(200, await cutoverStatus(functionsEngine().cutoverDeps()));
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('cutover-get', {
  methods: ['GET'],
  route: 'cutover',
  authLevel: 'function',
  handler: cutoverGet,
});
