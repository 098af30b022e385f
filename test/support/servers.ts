import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabase } from '../../src/shared/local/create-database';

/** Short, lowercase, unique: valid unquoted in PostgreSQL and as a Cosmos id. */
export function uniqueName(prefix: string): string {
  const base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  return `${/^[a-z]/.test(base) ? '' : 't'}${base}_${randomBytes(4).toString('hex')}`;
}

/** A new, empty PostgreSQL database on the shared test server; returns its url. */
export function freshDatabase(prefix: string): Promise<string> {
  return createDatabase(inject('postgresUrl'), uniqueName(prefix));
}

export function cosmosTarget(): { endpoint: string; key: string } {
  return { endpoint: inject('cosmosEndpoint'), key: inject('cosmosKey') };
}
