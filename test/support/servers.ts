import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase();
}

/** A new, empty PostgreSQL database on the shared test server. */
export async function freshDatabase(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: inject('postgresUrl') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
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
