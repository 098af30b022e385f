import { AppError, errorMessage } from '../errors/app-error';

interface PgLikeError {
  code?: string;
  message?: string;
  address?: string;
  port?: number;
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  '57P01', // admin_shutdown: the backend was terminated
  '57P02',
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006',
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

export function isTransientPostgresError(error: unknown): boolean {
  const { code, message = '' } = (error ?? {}) as PgLikeError;
  return (
    (code !== undefined && TRANSIENT_CODES.has(code)) ||
    /Connection terminated|terminating connection|not queryable|timeout exceeded when trying to connect/i.test(
      message,
    )
  );
}

/** One line an operator can act on, instead of a driver stack trace. */
export function describePostgresError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const { code, address, port } = (error ?? {}) as PgLikeError;
  const message = errorMessage(error);
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return new AppError(
        'SOURCE_UNREACHABLE',
        `cannot reach PostgreSQL${address ? ` at ${address}:${port}` : ''} (${code}): check DATABASE_URL`,
      );
    case '28P01':
    case '28000':
      return new AppError('SOURCE_AUTH_FAILED', `PostgreSQL rejected the credentials: ${message}`);
    case '3D000':
      return new AppError('SOURCE_DATABASE_MISSING', `PostgreSQL: ${message}`);
    case '42P01':
      return new AppError(
        'SOURCE_TABLE_MISSING',
        `PostgreSQL: ${message} (run init-source, or check the schema)`,
      );
    case '42703':
      return new AppError(
        'SOURCE_COLUMN_MISSING',
        `PostgreSQL: ${message} (the schema differs from the one in docs/data-model.md)`,
      );
    default:
      return new AppError('SOURCE_ERROR', `PostgreSQL error${code ? ` ${code}` : ''}: ${message}`);
  }
}
