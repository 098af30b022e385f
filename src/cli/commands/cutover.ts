import os from 'node:os';
import { badRequest } from '../../shared/errors/app-error';
import {
  cutoverStatus,
  CutoverStatus,
  FlagsReport,
  moveToStage,
  MoveResult,
  readFlags,
  rollback,
} from '../../shared/cutover/cutover';
import { GuardCheck } from '../../shared/cutover/ports';
import { Environment } from '../environment';
import { createLocalEngine } from '../local-engine';
import { EXIT_OK, EXIT_PROBLEMS, Output } from '../output';

/** Who ran the command, for the audit. */
const actor = () => `${os.userInfo().username}@${os.hostname()} (cli)`;

export interface CutoverOptions {
  reason?: string;
  percent?: number;
  force: boolean;
}

/** `cutover` (the stage and its guards) or `cutover <stage> --reason ...` (a move). */
export async function cutoverCommand(
  env: Environment,
  output: Output,
  stage: string | undefined,
  options: CutoverOptions,
): Promise<number> {
  const engine = createLocalEngine(env.config);
  try {
    const deps = engine.cutoverDeps();
    if (stage === undefined) {
      if (options.reason !== undefined || options.percent !== undefined || options.force)
        throw badRequest(
          'INVALID_ARGUMENTS',
          'cutover without a stage only shows the stage: name a stage to move',
        );
      const status = await cutoverStatus(deps);
      output.result(status, () => describeStatus(status));
      return EXIT_OK;
    }
    const result = await moveToStage(deps, {
      stage,
      reason: options.reason ?? '',
      percent: options.percent,
      force: options.force,
      actor: actor(),
    });
    output.result(result, () => describeMove(result));
    return exitFor(result);
  } finally {
    await engine.close();
  }
}

/** `rollback --reason ...`: back to dual-write. */
export async function rollbackCommand(
  env: Environment,
  output: Output,
  reason: string | undefined,
): Promise<number> {
  const engine = createLocalEngine(env.config);
  try {
    const result = await rollback(engine.cutoverDeps(), { reason: reason ?? '', actor: actor() });
    output.result(result, () => describeMove(result));
    return exitFor(result);
  } finally {
    await engine.close();
  }
}

/** `flags`: the migration's flags as stored. */
export async function flagsCommand(env: Environment, output: Output): Promise<number> {
  const engine = createLocalEngine(env.config);
  try {
    const report = await readFlags(engine.flags);
    output.result(report, () => describeFlags(report));
    return EXIT_OK;
  } finally {
    await engine.close();
  }
}

/** 0 moved (or already there), 2 refused by a guard. */
const exitFor = (result: MoveResult) => (result.outcome === 'refused' ? EXIT_PROBLEMS : EXIT_OK);

const mark = (guard: GuardCheck) =>
  `${guard.ok ? 'ok  ' : 'FAIL'} ${guard.name.padEnd(13)} ${guard.message}`;

function describeStatus(status: CutoverStatus): string {
  const lines = [
    `stage       ${status.stage ?? 'none: the flags match no stage (a rollback sets them to dual-write)'}` +
      (status.cosmosReadPercent > 0 && status.cosmosReadPercent < 100
        ? ` (${status.cosmosReadPercent} % of users read from Cosmos)`
        : ''),
    `next        ${status.next ?? '-'}`,
    `workers     ${status.migrationEnabled ? 'enabled' : 'PAUSED (Migration.Enabled is off)'}`,
    `dual writes ${status.dualWriteStrategy}`,
    `flags       ${status.flagStore}`,
    'guards of a move forward:',
    ...status.guards.map((guard) => `  ${mark(guard)}`),
  ];
  if (status.recentChanges.length > 0) {
    lines.push('recent changes:');
    for (const change of status.recentChanges)
      lines.push(
        `  ${change.at} ${change.from ?? '?'} -> ${change.to} by ${change.actor} (${change.trigger}${change.force ? ', forced' : ''}): ${change.reason}`,
      );
  }
  return lines.join('\n');
}

function describeMove(result: MoveResult): string {
  const head =
    result.outcome === 'moved'
      ? `moved ${result.from ?? '?'} -> ${result.to}`
      : result.outcome === 'unchanged'
        ? `already at ${result.to}: nothing changed`
        : `refused: ${result.from ?? '?'} -> ${result.to} needs ${result.refusedBy.join(', ')} (--force with a reason overrides)`;
  return [head, ...result.guards.map((guard) => `  ${mark(guard)}`)].join('\n');
}

function describeFlags(report: FlagsReport): string {
  return [
    `flags in ${report.store} (stage ${report.stage ?? 'none'})`,
    ...report.flags.map(
      (flag) =>
        `  ${flag.enabled ? 'on ' : 'off'} ${flag.id}${flag.stored ? '' : ' (default, not stored)'}`,
    ),
    `  ${report.dualWriteStrategy} Cutover:DualWriteStrategy`,
  ].join('\n');
}
