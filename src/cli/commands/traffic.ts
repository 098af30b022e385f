import path from 'node:path';
import { Engine } from '../../shared/composition/engine';
import { stageOf } from '../../shared/cutover/stages';
import { isLoopback } from '../../shared/cosmos/client';
import { badRequest } from '../../shared/errors/app-error';
import { TRAFFIC_LIMITS } from '../../shared/traffic/inputs';
import { OPERATION_KINDS } from '../../shared/traffic/mix';
import { runTraffic, TrafficDeps, TrafficSummary } from '../../shared/traffic/run-traffic';
import { StoreFigures } from '../../shared/traffic/store-figures';
import { CliValues, intOption } from '../args';
import { Environment } from '../environment';
import { createLocalEngine } from '../local-engine';
import { EXIT_OK, EXIT_PROBLEMS, Output } from '../output';

export interface TrafficCommandOptions {
  rate: number;
  durationSeconds: number;
  users?: number;
  seed?: number;
  maxInFlight?: number;
  /** Writes into stores that are not on this machine too. */
  yes?: boolean;
}

/** The command line's options, checked: --rate and --duration are required. */
export function trafficOptions(values: CliValues): TrafficCommandOptions {
  const { rate, durationSeconds: seconds, users } = TRAFFIC_LIMITS;
  const options = {
    rate: intOption(values.rate, 'rate', rate.min, rate.max),
    durationSeconds: intOption(values.duration, 'duration', seconds.min, seconds.max),
    users: intOption(values.users, 'users', users.min, users.max),
    seed: intOption(values.seed, 'seed', 0, 2 ** 31),
    maxInFlight: intOption(values['max-in-flight'], 'max-in-flight', 1, 10_000),
  };
  if (options.rate === undefined || options.durationSeconds === undefined)
    throw badRequest(
      'INVALID_ARGUMENTS',
      `traffic needs --rate N (operations per second, ${rate.min} to ${rate.max}) ` +
        `and --duration S (seconds, ${seconds.min} to ${seconds.max})`,
    );
  return {
    rate: options.rate,
    durationSeconds: options.durationSeconds,
    ...(options.users !== undefined ? { users: options.users } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    ...(values.yes === true ? { yes: true } : {}),
  };
}

/** The stores off this machine the traffic would write its synthetic data into. */
export function remoteStores(config: Environment['config']): string[] {
  const remote: string[] = [];
  const source = config.source.url ? new URL(config.source.url).hostname : 'localhost';
  if (!isLoopback(`postgres://${source.includes(':') ? `[${source}]` : source}`))
    remote.push(`PostgreSQL at ${source}`);
  if (config.cosmos.endpoint && !isLoopback(config.cosmos.endpoint))
    remote.push(`Cosmos at ${new URL(config.cosmos.endpoint).hostname}`);
  return remote;
}

/** The traffic's view of an engine: its router (as each acting user), figures and flags. */
export function trafficDepsOf(engine: Engine): TrafficDeps {
  const { router, metrics } = engine.appData;
  return {
    data: (userId) => router.as(userId),
    metrics,
    stage: async () => stageOf(await engine.flags.read()).stage,
    settled: () => router.settled(),
  };
}

/**
 * `traffic --rate N --duration S`: the Social Pulse mix through the router for S seconds;
 * Ctrl-C ends it early with the summary. Exit 2 when an operation failed in a store.
 */
export async function trafficCommand(
  env: Environment,
  output: Output,
  options: TrafficCommandOptions,
): Promise<number> {
  const { rate, durationSeconds } = options;
  const remote = remoteStores(env.config);
  if (remote.length > 0 && !options.yes)
    throw badRequest(
      'TRAFFIC_NOT_LOCAL',
      `traffic writes synthetic users, posts, comments and votes into ${remote.join(' and ')}: ` +
        'pass --yes to rehearse against them (never against production data)',
    );
  const engine = createLocalEngine(env.config);
  const abort = new AbortController();
  const interrupt = () => abort.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const tty = Boolean(process.stderr.isTTY) && !output.json;
  try {
    const flags = engine.flags.location;
    const where = /^https?:/.test(flags) ? flags : path.relative(process.cwd(), flags) || flags;
    output.info(
      `traffic: ${rate} operations/s for ${durationSeconds} s through the router (flags: ${where})`,
    );
    const summary = await runTraffic(trafficDepsOf(engine), {
      rate,
      durationMs: durationSeconds * 1000,
      ...(options.users !== undefined ? { users: options.users } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
      signal: abort.signal,
      ...(tty
        ? {
            onProgress: (s: TrafficSummary) =>
              process.stderr.write(`\x1b[2K\r${progressLine(s, durationSeconds)}`),
          }
        : {}),
    });
    if (tty) process.stderr.write('\x1b[2K\r');
    output.result(summary, () => trafficText(summary));
    return trafficExit(summary);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await engine.close();
  }
}

/** 0, or 2 when an operation failed in a store or was still unfinished at the end. */
export const trafficExit = (summary: TrafficSummary): number =>
  summary.operations.serverErrors > 0 || summary.operations.inFlight > 0 ? EXIT_PROBLEMS : EXIT_OK;

function progressLine(s: TrafficSummary, durationSeconds: number): string {
  const errors = s.operations.clientErrors + s.operations.serverErrors;
  return (
    `traffic ${Math.round(s.elapsedMs / 1000)}/${durationSeconds} s: ${s.operations.completed} operations ` +
    `(${s.achievedRate}/s), ${errors} errors, ${s.operations.inFlight} in flight`
  );
}

const ms = (value: number | null) => (value === null ? '-' : `${value} ms`);

const byCode = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');

/** A store's figures on one line: calls, errors, p95 (the demo's step lines). */
export const storeLine = (name: string, f: StoreFigures) =>
  `${name} ${f.count} calls ${f.errors} errors p95 ${ms(f.p95Ms)}`;

export function trafficText(s: TrafficSummary): string {
  const op = s.operations;
  const stage =
    s.stage.atStart === s.stage.atEnd
      ? `stage ${s.stage.atStart ?? 'unknown'}`
      : `stage ${s.stage.atStart ?? 'unknown'} -> ${s.stage.atEnd ?? 'unknown'}`;
  const lines = [
    `traffic: ${op.completed} operations in ${(s.activeMs / 1000).toFixed(1)} s ` +
      `(${s.achievedRate}/s of ${s.requested.rate} requested), ${stage}`,
    `  ${op.reads} reads, ${op.writes} writes as ${s.requested.users} users at most; ` +
      `${op.clientErrors} client errors${op.clientErrors ? ` (${byCode(s.errors.client)})` : ''}, ` +
      `${op.serverErrors} store failures${op.serverErrors ? ` (${byCode(s.errors.server)})` : ''}` +
      (op.dropped ? `, ${op.dropped} dropped (over ${s.requested.maxInFlight} in flight)` : '') +
      (op.inFlight ? `, ${op.inFlight} unfinished` : ''),
  ];
  if (s.stores) {
    lines.push(
      `${'store'.padEnd(9)} ${'calls'.padStart(7)} ${'errors'.padStart(7)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ` +
        `${'p99'.padStart(9)} ${'RU'.padStart(9)} ${'shadow'.padStart(7)} ${'differ'.padStart(7)}`,
    );
    for (const [name, f] of Object.entries(s.stores))
      lines.push(
        `${name.padEnd(9)} ${String(f.count).padStart(7)} ${String(f.errors).padStart(7)} ${ms(f.p50Ms).padStart(9)} ` +
          `${ms(f.p95Ms).padStart(9)} ${ms(f.p99Ms).padStart(9)} ${String(Math.round(f.requestCharge)).padStart(9)} ` +
          `${String(f.shadowReads).padStart(7)} ${String(f.shadowMismatches).padStart(7)}`,
      );
  }
  lines.push(
    `  by kind: ${OPERATION_KINDS.filter((k) => s.byKind[k].count > 0)
      .map((k) => `${k} ${s.byKind[k].count}`)
      .join(', ')}`,
  );
  for (const sample of s.errors.samples)
    lines.push(`  failure: ${sample.kind} [${sample.code}] ${sample.message}`);
  return lines.join('\n');
}
