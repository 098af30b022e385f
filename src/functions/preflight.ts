import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { functionsEngine } from '../shared/composition/functions-engine';
import { errorResponse, json, parseInput } from '../shared/http/responses';
import { createPreflightDeps } from '../shared/preflight/deps';
import { runPreflight } from '../shared/preflight/run-preflight';

const querySchema = z.strictObject({
  sampleRows: z.coerce.number().int().min(1).max(10_000).optional(),
  // `?sync=false`: for a one-shot copy; the continuous sync's checks are listed as not run.
  sync: z.enum(['true', 'false']).optional(),
});

/** 200 with the report whatever its verdicts (`ok: false` when a check fails); 500 only when it cannot run. */
export async function preflight(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const input = parseInput(querySchema, Object.fromEntries(request.query.entries()));
    const engine = functionsEngine();
    const runtime = createPreflightDeps(engine.config, engine.cosmos);
    try {
      const report = await runPreflight(runtime.deps, {
        sampleRows: input.sampleRows,
        sync: input.sync !== 'false',
      });
      const failed = report.checks.filter((c) => c.verdict === 'fail').map((c) => c.id);
      context.log(
        `preflight ${report.ok ? 'passed' : `failed: ${failed.join(', ')}`} in ${report.durationMs} ms`,
      );
      return json(200, report);
    } finally {
      await runtime.close();
    }
  } catch (error) {
    return errorResponse(error, context);
  }
}

app.http('preflight', {
  methods: ['GET'],
  route: 'preflight',
  authLevel: 'function',
  handler: preflight,
});
