import { initSourceCommand, seedCommand } from './source';
import { migrate } from './migrate';
import { validateCommand } from './validate';
import { rehearseCutover } from './demo-rehearsal';
import { Environment } from '../environment';
import { EXIT_OK, EXIT_PROBLEMS, Output } from '../output';

export const DEMO_USERS = 1000;

/**
 * Embedded PostgreSQL and local Cosmos, schema, a seeded sample, the full load, its proof,
 * then a cutover rehearsal under traffic (demo-rehearsal.ts) on the demo's own flags.
 */
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
  // The migration summary stays the one result; under --json it is printed at the end, with
  // the rehearsal's result added to it as `rehearsal`.
  let run: unknown;
  const migrateOutput: Output = output.json
    ? { ...output, result: (value) => (run = value) }
    : output;
  const migrated = await migrate(env, migrateOutput, { sync: true });
  // The verdicts go to stderr.
  output.info('');
  const verdict: Output = { ...output, result: (_value, human) => output.info(human()) };
  const validated = await validateCommand(env, verdict, {});
  const rehearsal = await rehearseCutover(env, output);
  if (output.json) output.result({ ...(run as object), rehearsal }, () => '');
  return Math.max(migrated, validated, rehearsal.ok ? EXIT_OK : EXIT_PROBLEMS);
}
