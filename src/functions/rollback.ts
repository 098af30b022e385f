import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { rollback } from '../shared/cutover/cutover';
import { actorOf, rollbackSchema } from '../shared/cutover/inputs';
import { errorResponse, json, parseInput, readJsonBody } from '../shared/http/responses';

/** Back to dual-write: 200 rolled back (or nothing to do), 409 while PostgreSQL writes wait for replay. */
export async function rollbackHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const input = parseInput(rollbackSchema, await readJsonBody(request));
    const result = await rollback(functionsEngine().cutoverDeps(), {
      reason: input.reason,
      actor: actorOf(request.headers),
    });
    context.log(`rollback ${result.from} -> ${result.to}: ${result.outcome}`);
    return json(result.outcome === 'refused' ? 409 : 200, result);
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('rollback', {
  methods: ['POST'],
  route: 'rollback',
  authLevel: 'function',
  handler: rollbackHandler,
});
