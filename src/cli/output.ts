import { AppError, errorMessage } from '../shared/errors/app-error';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Finished, but found problems (row errors, failed batches, inconsistencies). */
export const EXIT_PROBLEMS = 2;

export interface Output {
  json: boolean;
  /** Human-readable lines on stderr, so stdout stays one JSON document under --json. */
  info(line: string): void;
  result(value: unknown, human: () => string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    info: (line) => process.stderr.write(`${line}\n`),
    result(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
  };
}

/** One line, never a stack trace (set COSMOS_MIGRATION_DEBUG=1 for one). */
export function reportFailure(output: Output, error: unknown, debug: boolean): number {
  const code = error instanceof AppError ? error.code : 'UNEXPECTED';
  const message = errorMessage(error).split('\n')[0];
  if (output.json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  process.stderr.write(`error [${code}]: ${message}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return EXIT_FAILURE;
}
