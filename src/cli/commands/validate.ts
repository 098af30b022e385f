import { EntityName } from '../../shared/entities/entity';
import { AppConfig } from '../../shared/config/config';
import { startValidation, StartValidationOptions } from '../../shared/validation/start-validation';
import { validationIdSchema } from '../../shared/validation/inputs';
import { getValidation, resumeValidation } from '../../shared/validation/validation-queries';
import { ValidationSummary } from '../../shared/validation/validation-summary';
import { idArgument } from '../args';
import { Environment } from '../environment';
import { createLocalEngine, LocalEngine } from '../local-engine';
import { EXIT_OK, EXIT_PROBLEMS, Output } from '../output';

export interface ValidateOptions {
  entities?: EntityName[];
  /** Ids per entity; absent means full. */
  sample?: number;
  batchSize?: number;
}

const PROGRESS_INTERVAL_MS = 10_000;

/** Validates in this process; exit 0 when ready to cut over, 2 when not. */
export async function validateCommand(
  env: Environment,
  output: Output,
  options: ValidateOptions,
): Promise<number> {
  const engine = createLocalEngine(env.config);
  try {
    const started = await startValidation(engine, validationPlan(env.config, options));
    output.info(
      `validation ${started.validationId} (${started.mode}): ${started.batches} batches over ${started.entities.join(', ')}`,
    );
    return await followValidation(engine, output, started.validationId, () =>
      engine.localValidationQueue.idle(),
    );
  } finally {
    await engine.close();
  }
}

function validationPlan(config: AppConfig, options: ValidateOptions): StartValidationOptions {
  return {
    entities: options.entities,
    mode: options.sample === undefined ? 'full' : 'sample',
    sampleSize: options.sample,
    batchSize: options.batchSize ?? config.migration.batchSize,
    threshold: config.validation.consistencyThreshold,
    trigger: 'manual',
  };
}

/** A validation run to its end on this engine's own queue, quietly (the demo's rehearsal). */
export async function validateHere(
  engine: LocalEngine,
  options: ValidateOptions = {},
): Promise<ValidationSummary> {
  const started = await startValidation(engine, validationPlan(engine.config, options));
  await engine.localValidationQueue.idle();
  return getValidation(engine, started.validationId);
}

/** Resume passes at most: a later one only sends a census that ran before its ranges were done. */
const RESUME_PASSES = 3;

/**
 * Finishes a validation whose process stopped: every batch that is not done goes to this
 * process's queue once more (done ones are skipped; one left `running` is compared again, which
 * only reads, or repairs again with the same documents). A census resent alongside its ranges
 * may find them unfinished and leave it to the last range to send it again; when the stopped
 * process had saved a range but not counted it, that never comes, so while the validation is
 * unfinished with nothing left in flight it is resumed again (at most RESUME_PASSES times).
 */
export async function resumeValidationCommand(
  env: Environment,
  output: Output,
  validationId: string,
): Promise<number> {
  idArgument(
    'validate --resume',
    validationId,
    validationIdSchema,
    'validation',
    'val-20250101-120000-1a2b3c',
  );
  const engine = createLocalEngine(env.config);
  try {
    const first = await resumeValidation(engine, validationId);
    output.info(
      first.requeued === 0
        ? `validation ${validationId}: every batch is done already`
        : `validation ${validationId}: resuming ${first.requeued} batches that are not done`,
    );
    return await followValidation(engine, output, validationId, async () => {
      let requeued = first.requeued;
      for (let pass = 1; requeued > 0; pass++) {
        await engine.localValidationQueue.idle();
        const { status } = await getValidation(engine, validationId);
        if (status !== 'running' || pass === RESUME_PASSES) return;
        ({ requeued } = await resumeValidation(engine, validationId));
      }
    });
  } finally {
    await engine.close();
  }
}

/** Shows progress while `work` runs, then prints the verdict; exit 0 when ready, 2 when not. */
async function followValidation(
  engine: LocalEngine,
  output: Output,
  validationId: string,
  work: () => Promise<void>,
): Promise<number> {
  const timer = setInterval(() => {
    getValidation(engine, validationId).then(
      (s) =>
        output.info(
          `  ${s.totals.checked} documents checked, ${s.totals.checked - s.totals.matched} differ`,
        ),
      () => undefined,
    );
  }, PROGRESS_INTERVAL_MS);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const summary = await getValidation(engine, validationId);
  output.result(validationJson(summary), () => validationText(summary));
  return summary.ready ? EXIT_OK : EXIT_PROBLEMS;
}

/** The `--json` document of issue 3: per entity counts and the first differences. */
export function validationJson(summary: ValidationSummary) {
  return {
    validationId: summary.validationId,
    mode: summary.mode,
    status: summary.status,
    ready: summary.ready,
    consistencyRate: summary.consistencyRate,
    threshold: summary.threshold,
    entities: Object.fromEntries(
      Object.entries(summary.entities).map(([name, v]) => [
        name,
        {
          checked: v.checked,
          matched: v.matched,
          mismatched: v.mismatched,
          missing: v.missing,
          extra: v.extra,
          rowErrors: v.rowErrors,
          consistencyRate: v.consistencyRate,
          differences: v.differences.map((d) => ({ id: d.id, class: d.class, fields: d.fields })),
          // Expected and actual values of the mismatched fields, by id (secrets masked).
          values: Object.fromEntries(
            v.differences.filter((d) => d.values).map((d) => [d.id, d.values]),
          ),
        },
      ]),
    ),
    failedBatches: summary.failedBatches,
    durationMs: summary.durationMs,
    documentsPerSecond: summary.documentsPerSecond,
  };
}

export function validationText(summary: ValidationSummary): string {
  const header = `${'entity'.padEnd(9)} ${'checked'.padStart(8)} ${'matched'.padStart(8)} ${'mismatch'.padStart(8)} ${'missing'.padStart(8)} ${'extra'.padStart(6)} ${'rate'.padStart(9)}`;
  const rows = Object.entries(summary.entities).map(
    ([name, v]) =>
      `${name.padEnd(9)} ${String(v.checked).padStart(8)} ${String(v.matched).padStart(8)} ${String(v.mismatched).padStart(8)} ` +
      `${String(v.missing).padStart(8)} ${String(v.extra).padStart(6)} ${v.consistencyRate.toFixed(6).padStart(9)}`,
  );
  const differences = Object.entries(summary.entities).flatMap(([name, v]) =>
    v.differences
      .slice(0, 10)
      .map(
        (d) => `  ${name} ${d.id} ${d.class}${d.fields.length ? ` ${d.fields.join(', ')}` : ''}`,
      ),
  );
  const failed = summary.failedBatches.map((b) => `  ${b.batchId}: ${b.reason}`);
  return [
    `validation ${summary.validationId} (${summary.mode}): ${summary.ready ? 'READY' : 'NOT READY'}, ` +
      `consistency ${summary.consistencyRate} (threshold ${summary.threshold}), ${(summary.durationMs / 1000).toFixed(1)} s`,
    header,
    ...rows,
    ...(differences.length
      ? ['differences (first 10 per entity; --json has up to 100):', ...differences]
      : []),
    ...(failed.length ? ['failed batches:', ...failed] : []),
    ...(summary.ready
      ? []
      : [`repair with: cosmos-migration repair ${summary.validationId} [--delete-extras]`]),
  ].join('\n');
}
