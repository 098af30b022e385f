import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** Short, lowercase, unique: valid unquoted in PostgreSQL and as a Cosmos id. */
export function uniqueName(prefix: string): string {
  const base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  return `${/^[a-z]/.test(base) ? '' : 't'}${base}_${randomBytes(4).toString('hex')}`;
}

/** A new, empty PostgreSQL database on the shared test server; returns its url. */
export async function freshDatabase(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: inject('postgresUrl') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(inject('postgresUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

export function cosmosTarget(): { endpoint: string; key: string } {
  return { endpoint: inject('cosmosEndpoint'), key: inject('cosmosKey') };
}
