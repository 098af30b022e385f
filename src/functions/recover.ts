import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput, readJsonBody } from '../shared/http/responses';
import { recoverSchema } from '../shared/validation/inputs';
import { startRecovery } from '../shared/validation/recover';

/** Compares and repairs the rows created or updated in a time window (e.g. an outage). */
export async function recover(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const input = parseInput(recoverSchema, await readJsonBody(request));
    const engine = functionsEngine();
    const result = await startRecovery(engine, engine.config, input);
    context.log(`recover ${input.from}..${input.to}: validation ${result.validationId}`);
    return json(202, result, { Location: `/api/validations/${result.validationId}` });
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('recover', {
  methods: ['POST'],
  route: 'recover',
  authLevel: 'function',
  handler: recover,
});
