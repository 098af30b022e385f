import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput, readJsonBody } from '../shared/http/responses';
import { startMigrationSchema } from '../shared/migration/inputs';
import { startMigration } from '../shared/migration/start-migration';

export async function migrationsStart(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const input = parseInput(startMigrationSchema, await readJsonBody(request));
    const engine = functionsEngine();
    const result = await startMigration(engine, {
      entities: input.entities,
      batchSize: input.batchSize ?? engine.config.migration.batchSize,
      dryRun: input.dryRun,
      sync: input.sync ?? true,
    });
    context.log(
      `run ${result.runId} planned: ${result.batches} batches${result.dryRun ? ' (dry run)' : ''}`,
    );
    if (result.dryRun) return json(200, result);
    return json(202, result, { Location: `/api/migrations/${result.runId}` });
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('migrations-start', {
  methods: ['POST'],
  route: 'migrations',
  authLevel: 'function',
  handler: migrationsStart,
});
