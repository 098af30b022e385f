import { EntityName } from '../../shared/entities/entity';
import { startValidation } from '../../shared/validation/start-validation';
import { getValidation } from '../../shared/validation/validation-queries';
import { ValidationSummary } from '../../shared/validation/validation-summary';
import { Environment } from '../environment';
import { createLocalEngine } from '../local-engine';
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
    const started = await startValidation(engine, {
      entities: options.entities,
      mode: options.sample === undefined ? 'full' : 'sample',
      sampleSize: options.sample,
      batchSize: options.batchSize ?? env.config.migration.batchSize,
      threshold: env.config.validation.consistencyThreshold,
      trigger: 'manual',
    });
    output.info(
      `validation ${started.validationId} (${started.mode}): ${started.batches} batches over ${started.entities.join(', ')}`,
    );
    const timer = setInterval(() => {
      getValidation(engine, started.validationId).then(
        (s) =>
          output.info(
            `  ${s.totals.checked} documents checked, ${s.totals.checked - s.totals.matched} differ`,
          ),
        () => undefined,
      );
    }, PROGRESS_INTERVAL_MS);
    try {
      await engine.localValidationQueue.idle();
    } finally {
      clearInterval(timer);
    }
    const summary = await getValidation(engine, started.validationId);
    output.result(validationJson(summary), () => validationText(summary));
    return summary.ready ? EXIT_OK : EXIT_PROBLEMS;
  } finally {
    await engine.close();
  }
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
