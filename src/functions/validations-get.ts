import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput } from '../shared/http/responses';
import { validationIdSchema } from '../shared/validation/inputs';
import { getValidation } from '../shared/validation/validation-queries';

export async function validationsGet(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const validationId = parseInput(validationIdSchema, request.params.validationId);
    return json(200, await getValidation(functionsEngine(), validationId));
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('validations-get', {
  methods: ['GET'],
  route: 'validations/{validationId}',
  authLevel: 'function',
  handler: validationsGet,
});
