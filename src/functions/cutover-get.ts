import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { cutoverStatus } from '../shared/cutover/cutover';
import { errorResponse, json } from '../shared/http/responses';

/** The stage, the flags, each guard with its figure, and the latest changes. */
export async function cutoverGet(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
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
