import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput } from '../shared/http/responses';
import { runIdSchema } from '../shared/migration/inputs';
import { migrationReportMarkdown } from '../shared/reports/markdown';
import { buildMigrationReport } from '../shared/reports/migration-report';

const formatSchema = z.enum(['json', 'md']).default('json');

export async function migrationsReport(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const runId = parseInput(runIdSchema, request.params.runId);
    const format = parseInput(formatSchema, request.query.get('format') ?? undefined);
    const report = await buildMigrationReport(functionsEngine(), runId);
    if (format === 'json') return json(200, report);
    return {
      status: 200,
      headers: { 'Content-Type': 'text/markdown; charset=utf-8' },
      body: migrationReportMarkdown(report),
    };
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('migrations-report', {
  methods: ['GET'],
  route: 'migrations/{runId}/report',
  authLevel: 'function',
  handler: migrationsReport,
});
