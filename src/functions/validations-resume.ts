import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput } from '../shared/http/responses';
import { validationIdSchema } from '../shared/validation/inputs';
import { resumeValidation } from '../shared/validation/validation-queries';

export async function validationsResume(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const validationId = parseInput(validationIdSchema, request.params.validationId);
    const result = await resumeValidation(functionsEngine(), validationId);
    context.log(`validation ${validationId}: ${result.requeued} batches re-enqueued`);
    return json(202, result, { Location: `/api/validations/${validationId}` });
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('validations-resume', {
  methods: ['POST'],
  route: 'validations/{validationId}/resume',
  authLevel: 'function',
  handler: validationsResume,
});
