import { initSourceCommand, seedCommand } from './source';
import { migrate } from './migrate';
import { Environment } from '../environment';
import { Output } from '../output';

export const DEMO_USERS = 1000;

/** Embedded PostgreSQL and local Cosmos, schema, a seeded sample, then the full load. */
export async function demoCommand(
  env: Environment,
  output: Output,
  users = DEMO_USERS,
): Promise<number> {
  const quiet: Output = { ...output, result: () => undefined };
  await initSourceCommand(env, quiet);
  const seeded = await seedCommand(env, quiet, { users });
  output.info(
    `seeded ${seeded.total} rows (${seeded.users} users, ${seeded.posts} posts, ${seeded.comments} comments, ${seeded.votes} votes)`,
  );
  return migrate(env, output, {});
}
