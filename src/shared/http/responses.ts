import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { AppError, badRequest, errorMessage } from '../errors/app-error';

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return { status, jsonBody: body, headers };
}

/** `{ error: { code, message } }` with the error's status; unexpected errors are logged, not leaked. */
export function errorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof AppError && error.status < 500) {
    return json(error.status, { error: { code: error.code, message: error.message } });
  }
  context.error(`${context.functionName} failed: ${errorMessage(error)}`);
  const code = error instanceof AppError ? error.code : 'INTERNAL_ERROR';
  const message =
    error instanceof AppError ? error.message : 'an unexpected error occurred; see the logs';
  return json(500, { error: { code, message } });
}

/** Parses input with a zod schema; a problem becomes a 400 naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw badRequest('INVALID_INPUT', `${field}: ${issue.message}`);
  }
  return result.data;
}

/** The request body as JSON; an empty body is `{}`. */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('INVALID_JSON', 'body: not valid JSON');
  }
}
