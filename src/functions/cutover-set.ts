import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { moveToStage } from '../shared/cutover/cutover';
import { actorOf, moveStageSchema } from '../shared/cutover/inputs';
import { errorResponse, json, parseInput, readJsonBody } from '../shared/http/responses';

/** Moves one stage: 200 moved (or already there), 409 refused by a guard (named), 400 a skipped stage. */
export async function cutoverSet(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const input = parseInput(moveStageSchema, await readJsonBody(request));
    const result = await moveToStage(functionsEngine().cutoverDeps(), {
      ...input,
      actor: actorOf(request.headers),
    });
    context.log(`cutover ${result.from} -> ${result.to}: ${result.outcome}`);
    return json(result.outcome === 'refused' ? 409 : 200, result);
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('cutover-set', {
  methods: ['POST'],
  route: 'cutover',
  authLevel: 'function',
  handler: cutoverSet,
});
