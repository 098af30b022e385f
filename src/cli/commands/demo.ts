import { initSourceCommand, seedCommand } from './source';
import { migrate } from './migrate';
import { validateCommand } from './validate';
import { Environment } from '../environment';
import { Output } from '../output';

export const DEMO_USERS = 1000;

/** Embedded PostgreSQL and local Cosmos, schema, a seeded sample, the full load, then its proof. */
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
  const migrated = await migrate(env, output, { sync: true });
  // The migration summary stays the one result (and --json document); the verdict goes to stderr.
  output.info('');
  const verdict: Output = { ...output, result: (_value, human) => output.info(human()) };
  const validated = await validateCommand(env, verdict, {});
  return Math.max(migrated, validated);
}
