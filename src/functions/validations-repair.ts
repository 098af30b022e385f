import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput, readJsonBody } from '../shared/http/responses';
import { repairSchema, validationIdSchema } from '../shared/validation/inputs';
import { repairValidation } from '../shared/validation/repair';

export async function validationsRepair(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const validationId = parseInput(validationIdSchema, request.params.validationId);
    const input = parseInput(repairSchema, await readJsonBody(request));
    const result = await repairValidation(functionsEngine(), validationId, {
      deleteExtras: input.deleteExtras ?? false,
    });
    context.log(
      `repair of ${validationId}: ${result.rowsRewritten} rows rewritten, ${result.deleted} extras deleted`,
    );
    return json(200, result);
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('validations-repair', {
  methods: ['POST'],
  route: 'validations/{validationId}/repair',
  authLevel: 'function',
  handler: validationsRepair,
});
