import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput, readJsonBody } from '../shared/http/responses';
import { startValidationSchema } from '../shared/validation/inputs';
import { startValidation } from '../shared/validation/start-validation';

export async function validationsStart(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const input = parseInput(startValidationSchema, await readJsonBody(request));
    const engine = functionsEngine();
    const { validation, migration } = engine.config;
    const result = await startValidation(engine, {
      entities: input.entities,
      mode: input.mode,
      sampleSize: input.sampleSize ?? validation.sampleSize,
      batchSize: migration.batchSize,
      threshold: validation.consistencyThreshold,
      trigger: 'manual',
    });
    context.log(`validation ${result.validationId} (${result.mode}): ${result.batches} batches`);
    return json(202, result, { Location: `/api/validations/${result.validationId}` });
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('validations-start', {
  methods: ['POST'],
  route: 'validations',
  authLevel: 'function',
  handler: validationsStart,
});
