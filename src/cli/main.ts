import { appConfigDebug } from './debug';
import { entitiesOption, intOption, parseCli } from './args';
import { demoCommand } from './commands/demo';
import { migrate } from './commands/migrate';
import { initSourceCommand, seedCommand } from './commands/source';
import { preflightCommand } from './commands/preflight';
import { statusCommand } from './commands/status';
import { initTargetCommand } from './commands/target';
import { EnvironmentNeeds, resolveEnvironment } from './environment';
import { createOutput, EXIT_FAILURE, EXIT_OK, reportFailure } from './output';
import { badRequest } from '../shared/errors';

const USAGE = `cosmos-migration <command> [options]

commands:
  demo                      embedded PostgreSQL + local Cosmos, seed a sample, migrate it
  init-source               create the source schema (DESIGN §2) in DATABASE_URL
  seed --users N [--seed S] [--append]
                            fill the source with a deterministic sample
  init-target               create the Cosmos database and containers
  migrate [--entities users,posts,comments,votes] [--batch-size N] [--dry-run]
                            full load, in this process
  status <runId>            a run's progress and row errors
  preflight                 check source, target and data before a load; size and cost estimate

options: --json (one JSON document on stdout), -h/--help
environment: DATABASE_URL, COSMOS_ENDPOINT, COSMOS_KEY, COSMOS_DATABASE (see README)
exit codes: 0 ok, 2 finished with problems (row errors, failed batches), 1 failure`;

const NEEDS: Record<string, EnvironmentNeeds> = {
  demo: { source: true, target: true, freshSource: true },
  'init-source': { source: true, target: false },
  seed: { source: true, target: false },
  'init-target': { source: false, target: true },
  migrate: { source: true, target: true },
  status: { source: false, target: true },
  preflight: { source: true, target: true },
};

export async function main(argv: string[]): Promise<number> {
  let output = createOutput(argv.includes('--json'));
  try {
    const { values, positionals } = parseCli(argv);
    output = createOutput(values.json);
    const [command, ...rest] = positionals;
    if (values.help || !command) {
      process.stdout.write(`${USAGE}\n`);
      return command || values.help ? EXIT_OK : EXIT_FAILURE;
    }
    const needs = NEEDS[command];
    if (!needs) throw badRequest('UNKNOWN_COMMAND', `unknown command "${command}" (see --help)`);
    if (values.remote)
      throw badRequest(
        'NOT_SUPPORTED',
        '--remote is not available yet; run the command in-process',
      );
    const env = await resolveEnvironment(output, needs);
    try {
      switch (command) {
        case 'demo':
          return await demoCommand(env, output, intOption(values.users, 'users', 1, 10_000_000));
        case 'init-source':
          return await initSourceCommand(env, output);
        case 'seed': {
          const users = intOption(values.users, 'users', 1, 10_000_000);
          if (users === undefined) throw badRequest('INVALID_ARGUMENTS', 'seed needs --users N');
          await seedCommand(env, output, {
            users,
            seed: intOption(values.seed, 'seed', 0, 2 ** 31),
            append: values.append,
          });
          return EXIT_OK;
        }
        case 'preflight':
          return await preflightCommand(env, output);
        case 'init-target':
          return await initTargetCommand(env, output);
        case 'migrate':
          return await migrate(env, output, {
            entities: entitiesOption(values.entities),
            batchSize: intOption(values['batch-size'], 'batch-size', 100, 5000),
            dryRun: values['dry-run'],
          });
        default:
          return await statusCommand(env, output, rest[0]);
      }
    } finally {
      await env.stop();
    }
  } catch (error) {
    return reportFailure(output, error, appConfigDebug());
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
