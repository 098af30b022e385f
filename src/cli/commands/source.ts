import pg from 'pg';
import { describePostgresError } from '../../shared/postgres/errors';
import { initSource } from '../../shared/source/schema';
import { seedSource, SeedSummary } from '../../shared/source/seed';
import { Environment } from '../environment';
import { EXIT_OK, Output } from '../output';

async function withSourceClient<T>(
  env: Environment,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: env.config.source.url });
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw describePostgresError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function initSourceCommand(env: Environment, output: Output): Promise<number> {
  await withSourceClient(env, (client) => initSource(client));
  output.result({ initialized: true }, () => 'source schema ready (users, posts, comments, votes)');
  return EXIT_OK;
}

export async function seedCommand(
  env: Environment,
  output: Output,
  options: { users: number; seed?: number; append?: boolean },
): Promise<SeedSummary> {
  const summary = await withSourceClient(env, async (client) => {
    await initSource(client);
    let last = 0;
    return seedSource(client, {
      ...options,
      onProgress: (table, rows) => {
        if (Date.now() - last > 2_000) {
          last = Date.now();
          output.info(`seeding ${table}: ${rows} rows`);
        }
      },
    });
  });
  output.result(
    summary,
    () =>
      `seeded ${summary.total} rows: ${summary.users} users, ${summary.posts} posts, ${summary.comments} comments, ${summary.votes} votes`,
  );
  return summary;
}
