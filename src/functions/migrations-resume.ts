import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput } from '../shared/http/responses';
import { runIdSchema } from '../shared/migration/inputs';
import { resumeRun } from '../shared/migration/run-queries';

export async function migrationsResume(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const runId = parseInput(runIdSchema, request.params.runId);
    const result = await resumeRun(functionsEngine(), runId);
    context.log(`run ${runId}: ${result.requeued} batches re-enqueued`);
    return json(202, result, { Location: `/api/migrations/${runId}` });
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('migrations-resume', {
  methods: ['POST'],
  route: 'migrations/{runId}/resume',
  authLevel: 'function',
  handler: migrationsResume,
});
