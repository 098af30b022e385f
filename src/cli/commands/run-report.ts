import { RunReport } from '../../shared/migration/run-queries';

/** The `--json` summary: every source row is either written or listed as a row error. */
export function runJson(report: RunReport) {
  return {
    runId: report.runId,
    status: report.status,
    entities: Object.fromEntries(
      Object.entries(report.entities).map(([name, p]) => [
        name,
        {
          sourceRows: p.sourceRows,
          rowsRead: p.rowsRead,
          rowsMigrated: p.rowsMigrated,
          documentsWritten: p.documentsWritten,
          rowErrors: p.rowErrors,
          requestCharge: Math.round(p.requestCharge),
          throttled: p.throttled,
          findings: p.findings,
          batches: p.batches,
        },
      ]),
    ),
    lostRows: report.totals.lostRows,
    rowErrors: report.rowErrorList,
    failedBatches: report.failedBatches,
    documentsPerSecond: report.documentsPerSecond,
    durationMs: report.durationMs,
    sync: report.sync,
  };
}

export function runText(report: RunReport): string {
  const header = `${'entity'.padEnd(9)} ${'source'.padStart(8)} ${'migrated'.padStart(9)} ${'errors'.padStart(7)} ${'documents'.padStart(10)} ${'RU'.padStart(9)} ${'429s'.padStart(5)}`;
  const rows = Object.entries(report.entities).map(
    ([name, p]) =>
      `${name.padEnd(9)} ${String(p.sourceRows).padStart(8)} ${String(p.rowsMigrated).padStart(9)} ${String(p.rowErrors).padStart(7)} ` +
      `${String(p.documentsWritten).padStart(10)} ${String(Math.round(p.requestCharge)).padStart(9)} ${String(p.throttled).padStart(5)}`,
  );
  const findings = Object.entries(report.totals.findings).map(([name, n]) => `  ${name}: ${n}`);
  const errors = report.rowErrorList
    .slice(0, 20)
    .map((e) => `  ${e.table} ${e.id} [${e.code}] ${e.message}`);
  const failed = report.failedBatches.map((b) => `  ${b.batchId}: ${b.reason}`);
  return [
    `run ${report.runId}: ${report.status} in ${(report.durationMs / 1000).toFixed(1)} s (${report.documentsPerSecond} docs/s)`,
    header,
    ...rows,
    `lost rows: ${report.totals.lostRows}`,
    ...(findings.length ? ['data-quality findings:', ...findings] : []),
    ...(errors.length ? [`row errors (${report.rowErrorList.length}):`, ...errors] : []),
    ...(report.rowErrorList.length > 20
      ? [`  ... ${report.rowErrorList.length - 20} more (--json lists all)`]
      : []),
    ...(failed.length ? ['failed batches:', ...failed] : []),
    report.sync
      ? `continuous sync: slot ${report.sync.slot} holds every change since ${report.sync.startLsn}; \`cosmos-migration sync\` applies them`
      : 'one-shot copy (no sync): changes made to the source since the load began are not captured',
  ].join('\n');
}
