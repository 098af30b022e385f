import { appConfigDebug } from './debug';
import { entitiesOption, intOption, parseCli } from './args';
import { demoCommand } from './commands/demo';
import { migrate } from './commands/migrate';
import { initSourceCommand, seedCommand } from './commands/source';
import { preflightCommand } from './commands/preflight';
import { recoverCommand } from './commands/recover';
import { repairCommand } from './commands/repair';
import { reportCommand } from './commands/report';
import { statusCommand } from './commands/status';
import { resumeCommand } from './commands/resume';
import { resumeValidationCommand, validateCommand } from './commands/validate';
import { initTargetCommand } from './commands/target';
import { hostCommand } from './commands/host';
import { syncCommand } from './commands/sync';
import { cutoverCommand, flagsCommand, rollbackCommand } from './commands/cutover';
import { localCosmosCommand } from './commands/local-cosmos';
import { trafficCommand, trafficOptions } from './commands/traffic';
import { EnvironmentNeeds, LOCAL_STATE_DIR, resolveEnvironment } from './environment';
import { stopLocalCosmos } from '../shared/local/persistent-cosmos';
import { createOutput, EXIT_FAILURE, EXIT_OK, reportFailure } from './output';
import { badRequest } from '../shared/errors/app-error';
import { limitHeapGrowth } from '../shared/runtime/heap-growth';

const USAGE = `cosmos-migration <command> [options]

commands:
  demo                      embedded PostgreSQL + local Cosmos, seed a sample, migrate it
  init-source               create the source schema (users, posts, comments, votes) in
                            DATABASE_URL
  seed --users N [--seed S] [--append]
                            fill the source with a deterministic sample
  init-target               create the Cosmos database and containers
  migrate [--entities users,posts,comments,votes] [--batch-size N] [--dry-run] [--no-sync]
                            full load, in this process; first sets up continuous sync (a
                            logical replication slot), unless --no-sync (a one-shot copy)
  resume <runId>            finish a run whose process stopped (Ctrl-C, kill, crash): every
                            batch not done yet, in this process, then the migrate summary
  sync [--follow]           apply every PostgreSQL change committed up to now (continuous sync);
                            --follow keeps applying until Ctrl-C, showing the lag
  sync status               the slot, retained WAL, lag, what the sync applied, its errors
  sync stop                 drop the slot and the publication (a slot left behind holds WAL)
  status <runId>            a run's progress and row errors
  validate [--entities ...] [--full | --sample N]
                            compare every document (or N sampled ids per entity) with the
                            source; exit 0 when ready to cut over, 2 when not
  validate --resume <validationId>
                            finish a validation whose process stopped, then its verdict
  repair <validationId> [--delete-extras]
                            re-migrate exactly what a validation found missing or different
  recover --from ISO --to ISO [--entities ...] [--delete-extras]
                            compare and repair the rows created or updated in a window
  report <runId> [--format md|json]
                            the run, its row errors and the latest validation
  stop-local                stop the local mode's Cosmos server (its documents are dropped)
  host [--port N]           the function app itself on http://localhost:7071 (npm start): every
                            function of src/functions, timers, queues, change feed; Ctrl-C stops it
  local-cosmos [--port N]   the local Cosmos server in the foreground; prints endpoint and key
  preflight [--no-sync]     check source, target, continuous sync and data before a load; size and
                            cost estimate (--no-sync: for a one-shot copy, sync checks not run)
  cutover                   the cutover stage, the flags, each guard with its figure
  cutover <stage> --reason TEXT [--percent N] [--force]
                            move one stage (postgres-only, dual-write, shadow-reads, cosmos-reads,
                            cosmos-primary, cosmos-only); exit 2 when a guard refuses (named),
                            1 on an unknown or skipped stage; --percent: Cosmos's share of reads
                            in cosmos-reads; --force overrides a failing guard, audited
  rollback --reason TEXT    back to dual-write (PostgreSQL serves reads and has every write)
  flags                     the migration's feature flags as stored (file or App Configuration)
  traffic --rate N --duration S [--users U] [--seed X] [--max-in-flight M] [--yes]
                            the Social Pulse read/write mix (70 % reads) through the stage router,
                            N operations/s for S seconds as up to U existing users (default 100);
                            writes test users, posts, comments and votes into the stores the
                            flags route to; per store calls, errors, p50/p95/p99, RU; exit 2
                            when an operation failed in a store

options: --json (one JSON document on stdout), -h/--help
environment: DATABASE_URL, COSMOS_ENDPOINT, COSMOS_KEY, COSMOS_DATABASE (see README)
exit codes: 0 ok, 2 finished with problems (row errors, failed batches), 1 failure`;

const NEEDS: Record<string, EnvironmentNeeds> = {
  demo: { source: true, target: true, freshSource: true },
  'init-source': { source: true, target: false },
  seed: { source: true, target: false },
  'init-target': { source: false, target: true },
  migrate: { source: true, target: true },
  resume: { source: true, target: true },
  sync: { source: true, target: true },
  status: { source: false, target: true },
  preflight: { source: true, target: true },
  validate: { source: true, target: true },
  repair: { source: true, target: true },
  recover: { source: true, target: true },
  report: { source: false, target: true },
  'stop-local': { source: false, target: false },
  cutover: { source: true, target: true },
  rollback: { source: true, target: true },
  flags: { source: false, target: false },
  traffic: { source: true, target: true },
};

export async function main(argv: string[]): Promise<number> {
  limitHeapGrowth();
  let output = createOutput(argv.includes('--json'));
  try {
    const { values, positionals } = parseCli(argv);
    output = createOutput(values.json);
    const [command, ...rest] = positionals;
    if (values.help || !command) {
      process.stdout.write(`${USAGE}\n`);
      return command || values.help ? EXIT_OK : EXIT_FAILURE;
    }
    // Long-running servers: they resolve their own settings and stop on Ctrl-C.
    const port = intOption(values.port, 'port', 0, 65535);
    if (command === 'host') return await hostCommand(port);
    if (command === 'local-cosmos') return await localCosmosCommand(output, port);
    const needs = NEEDS[command];
    if (!needs) throw badRequest('UNKNOWN_COMMAND', `unknown command "${command}" (see --help)`);
    if (values.remote)
      throw badRequest(
        'NOT_SUPPORTED',
        '--remote is not available yet; run the command in-process',
      );
    // Checked before any local server starts.
    const traffic = command === 'traffic' ? trafficOptions(values) : undefined;
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
          return await preflightCommand(env, output, !values['no-sync']);
        case 'init-target':
          return await initTargetCommand(env, output);
        case 'migrate':
          return await migrate(env, output, {
            entities: entitiesOption(values.entities),
            batchSize: intOption(values['batch-size'], 'batch-size', 100, 5000),
            dryRun: values['dry-run'],
            sync: !values['no-sync'],
          });
        case 'sync':
          return await syncCommand(env, output, rest[0], values.follow);
        case 'resume':
          return await resumeCommand(env, output, rest[0]);
        case 'validate':
          if (values.resume !== undefined) {
            if (
              values.full ||
              values.sample !== undefined ||
              values.entities ||
              values['batch-size']
            )
              throw badRequest(
                'INVALID_ARGUMENTS',
                'validate --resume takes the plan of the validation it resumes: no --full, --sample, --entities or --batch-size',
              );
            return await resumeValidationCommand(env, output, values.resume);
          }
          if (values.full && values.sample !== undefined)
            throw badRequest('INVALID_ARGUMENTS', 'choose --full or --sample N, not both');
          return await validateCommand(env, output, {
            entities: entitiesOption(values.entities),
            sample: intOption(values.sample, 'sample', 1, 1_000_000),
            batchSize: intOption(values['batch-size'], 'batch-size', 100, 5000),
          });
        case 'repair':
          return await repairCommand(env, output, rest[0], values['delete-extras']);
        case 'recover':
          return await recoverCommand(env, output, {
            from: values.from,
            to: values.to,
            entities: entitiesOption(values.entities),
            deleteExtras: values['delete-extras'],
          });
        case 'stop-local': {
          const { stopped, pid } = stopLocalCosmos(LOCAL_STATE_DIR);
          output.result({ stopped, pid }, () =>
            stopped
              ? `stopped the local Cosmos server (pid ${pid})`
              : 'no local Cosmos server was running',
          );
          return EXIT_OK;
        }
        case 'report':
          return await reportCommand(env, output, rest[0], values.format);
        case 'cutover':
          return await cutoverCommand(env, output, rest[0], {
            reason: values.reason,
            percent: intOption(values.percent, 'percent', 1, 100),
            force: values.force,
          });
        case 'rollback':
          return await rollbackCommand(env, output, values.reason);
        case 'flags':
          return await flagsCommand(env, output);
        case 'traffic':
          return await trafficCommand(env, output, traffic!);
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
