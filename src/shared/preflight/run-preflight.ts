import { ENTITY_NAMES } from '../entities/entity';
import { AppError } from '../errors/app-error';
import { DataQualityResult, findDataQualityProblems } from './data-quality';
import { estimateLoad } from './estimate';
import { PreflightDeps } from './ports';
import { runProbe } from './probes';
import { Check, check, Estimate, Finding, PreflightReport } from './report';
import { canExtract } from './extraction-tables';
import {
  checkLookupIndexes,
  checkSchema,
  checkServer,
  countRows,
  firstLine,
  MIN_VERSION_NUM,
} from './source-checks';
import { checkSync } from './sync-checks';
import { checkTarget } from './target-checks';

export interface PreflightOptions {
  /** Rows per table transformed for the size and cost estimate. Default 500. */
  sampleRows?: number;
  /** Keyset ranges the sample is read in. Default 5. */
  sampleRanges?: number;
  /** Example ids per finding. Default 5. */
  examples?: number;
  /** Deadline of each reachability probe. Default 15 s. */
  probeTimeoutMs?: number;
  /**
   * Check what continuous sync needs (migrate sets it up by default). False for a one-shot
   * copy (`migrate --no-sync`): the sync checks are then listed as not run. Default true.
   */
  sync?: boolean;
  /** Open transactions older than this are reported (creating the slot waits for them). Default 300 s. */
  longTransactionSeconds?: number;
}

interface SourceSide {
  checks: Check[];
  findings: Finding[];
  rowCounts: PreflightReport['rowCounts'];
  estimate: Estimate | null;
  notRun: string[];
}

/**
 * Everything an operator wants to know before a full load, read-only on both sides: can the
 * source and target be used, what in the data needs attention, and what the load will cost.
 * A problem found is a check's verdict; only an error preflight cannot report as one throws.
 */
export async function runPreflight(
  deps: PreflightDeps,
  options: PreflightOptions = {},
): Promise<PreflightReport> {
  const started = Date.now();
  const [source, target, probes] = await Promise.all([
    checkSource(deps, options),
    checkTarget(deps.target, deps.settings.database),
    Promise.all(deps.probes.map((probe) => runProbe(probe, options.probeTimeoutMs ?? 15_000))),
  ]);
  const checks = [...source.checks, ...target.checks, ...probes];
  return {
    ok: checks.every((c) => c.verdict !== 'fail'),
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    checks,
    findings: source.findings,
    rowCounts: source.rowCounts,
    estimate: source.estimate,
    notRun: [...source.notRun, ...target.notRun],
  };
}

async function checkSource(deps: PreflightDeps, options: PreflightOptions): Promise<SourceSide> {
  const side: SourceSide = { checks: [], findings: [], rowCounts: {}, estimate: null, notRun: [] };
  const server = await checkServer(deps.source);
  side.checks.push(...server.checks);
  if (!server.server) {
    side.notRun.push(
      'schema, row counts, continuous sync, data-quality findings and estimate: PostgreSQL is not reachable',
    );
    return side;
  }
  const schema = await checkSchema(deps.source);
  side.checks.push(schema.check);
  if (schema.presentTables.length > 0) {
    const indexes = await checkLookupIndexes(deps.source, schema.presentTables);
    if (indexes) side.checks.push(indexes);
    const counts = await countRows(deps.source, schema.presentTables);
    side.checks.push(counts.check);
    side.rowCounts = counts.rowCounts;
  }
  if (options.sync === false) {
    side.notRun.push('continuous sync checks: not asked for (a one-shot copy, migrate --no-sync)');
  } else {
    const sync = await checkSync(deps.source, server.server, deps.settings.syncName, {
      longTransactionSeconds: options.longTransactionSeconds,
      missingTables: schema.missingTables,
    });
    side.checks.push(...sync.checks);
    side.notRun.push(...sync.notRun);
  }

  if (server.server.versionNum < MIN_VERSION_NUM) {
    side.notRun.push('data-quality findings: they need PostgreSQL 12 or later');
  } else {
    const quality = await findDataQualityProblems(
      deps.source,
      schema.completeTables,
      options.examples ?? 5,
    );
    side.findings = quality.findings;
    if (quality.asked > 0) side.checks.push(...dataQualityChecks(quality));
    if (quality.notAsked.length > 0)
      side.notRun.push(
        `data-quality questions reading a missing table or column: ${quality.notAsked.join(', ')}`,
      );
    for (const partial of quality.partial) side.notRun.push(`data-quality ${partial}`);
  }

  const estimable = ENTITY_NAMES.filter(
    (t) => canExtract(t, schema.completeTables) && side.rowCounts[t] !== undefined,
  );
  const unestimable = ENTITY_NAMES.filter((t) => !estimable.includes(t));
  if (estimable.length > 0) {
    try {
      side.estimate = await estimateLoad(deps.source, side.rowCounts, estimable, deps.settings, {
        rowsPerEntity: options.sampleRows ?? 500,
        ranges: Math.min(options.sampleRanges ?? 5, options.sampleRows ?? 500),
      });
      side.checks.push(extractionCheck(side.estimate));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // The sample runs the migration's own extraction queries: if they fail, so would a run.
      side.checks.push(check('source.extraction', EXTRACTION_TITLE, 'fail', firstLine(error)));
      side.notRun.push('estimate: the extraction queries failed');
    }
  }
  if (unestimable.length > 0)
    side.notRun.push(
      `estimate for ${unestimable.join(', ')}: a table its extraction reads, or some of its columns, is missing`,
    );
  return side;
}

const EXTRACTION_TITLE = 'extraction queries (sample)';

function extractionCheck(estimate: Estimate): Check {
  const rows = estimate.perEntity.map((e) => `${e.entity} ${e.sampledRows}`).join(', ');
  const errors = estimate.perEntity.reduce((sum, e) => sum + e.sampleRowErrors, 0);
  return check(
    'source.extraction',
    EXTRACTION_TITLE,
    'pass',
    `read and transformed ${rows} rows${errors > 0 ? ` (${errors} would be row errors)` : ''}`,
  );
}

function dataQualityChecks({ findings, errors, notAsked }: DataQualityResult): Check[] {
  const summary = (list: Finding[]) =>
    list.map((f) => `${f.entity}.${f.code} ${f.count}`).join(', ');
  // "None found" must not read as "all clear" when some questions could not be asked.
  const none = `none found${notAsked.length > 0 ? ` (${notAsked.length} questions not asked: see not run)` : ''}`;
  const blocking = findings.filter((f) => f.effect === 'rowError');
  const other = findings.filter((f) => f.effect !== 'rowError');
  const checks = [
    blocking.length > 0
      ? check(
          'data.rowErrors',
          'rows the load cannot migrate',
          'fail',
          `${summary(blocking)}: each would be a row error (fix the rows, or accept them as reported)`,
        )
      : check('data.rowErrors', 'rows the load cannot migrate', 'pass', none),
    other.length > 0
      ? check(
          'data.findings',
          'data-quality findings',
          'warn',
          `${summary(other)} (migrated: corrected, as stored, or encoded)`,
        )
      : check('data.findings', 'data-quality findings', 'pass', none),
  ];
  if (errors.length > 0)
    checks.push(
      check(
        'data.queries',
        'data-quality queries',
        'fail',
        `could not evaluate ${errors.join('; ')}`,
      ),
    );
  return checks;
}
