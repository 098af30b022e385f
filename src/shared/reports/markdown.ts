import { MigrationReport } from './migration-report';

/** Table cells hold user data: keep them on one line and out of the table syntax. */
const cell = (value: unknown) =>
  String(value).replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 160);

const table = (header: string[], rows: unknown[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function migrationReportMarkdown(report: MigrationReport): string {
  const lines = [
    `# Migration report: ${report.runId}`,
    '',
    `Status **${report.status}**, ${seconds(report.durationMs)}, started ${report.startedAt}` +
      `${report.finishedAt ? `, finished ${report.finishedAt}` : ''}. Lost rows: **${report.lostRows}**.`,
    '',
    '## Load',
    '',
    table(
      ['entity', 'source rows', 'documents', 'row errors', 'duration', 'docs/s', 'RU', '429s'],
      Object.entries(report.entities).map(([name, e]) => [
        name,
        e.sourceRows,
        e.documentsWritten,
        e.rowErrors,
        seconds(e.durationMs),
        e.documentsPerSecond,
        e.requestCharge,
        e.throttled,
      ]),
    ),
  ];
  const findings = Object.entries(report.entities).flatMap(([name, e]) =>
    Object.entries(e.findings).map(([finding, n]) => [name, finding, n]),
  );
  if (findings.length > 0)
    lines.push('', '### Data-quality findings', '', table(['entity', 'finding', 'rows'], findings));
  if (report.rowErrorsTotal > 0) {
    lines.push(
      '',
      `### Row errors (${report.rowErrorsTotal}${report.rowErrorsTotal > report.rowErrors.length ? `, first ${report.rowErrors.length}` : ''})`,
      '',
      table(
        ['table', 'id', 'code', 'reason'],
        report.rowErrors.map((e) => [e.table, e.id, e.code, e.message]),
      ),
    );
  }
  if (report.failedBatches.length > 0) {
    lines.push(
      '',
      '### Failed batches',
      '',
      table(
        ['batch', 'reason'],
        report.failedBatches.map((b) => [b.batchId, b.reason]),
      ),
    );
  }
  lines.push('', '## Validation', '');
  const validation = report.validation;
  if (!validation) {
    lines.push('No validation has run yet: `cosmos-migration validate --full`.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    `${validation.validationId} (${validation.mode}, ${validation.status}, started ${validation.startedAt}): ` +
      `**${validation.ready ? 'ready' : 'not ready'}**, consistency ${(validation.consistencyRate * 100).toFixed(4)} % ` +
      `(threshold ${(validation.threshold * 100).toFixed(2)} %).`,
    '',
    table(
      ['entity', 'checked', 'matched', 'mismatched', 'missing', 'extra', 'rate'],
      Object.entries(validation.entities).map(([name, v]) => [
        name,
        v.checked,
        v.matched,
        v.mismatched,
        v.missing,
        v.extra,
        v.consistencyRate,
      ]),
    ),
  );
  const differences = Object.entries(validation.entities).flatMap(([name, v]) =>
    v.differences.map((d) => [name, d.id, d.class, d.fields.join(', ')]),
  );
  if (differences.length > 0) {
    lines.push(
      '',
      '### Differences (first 100 per entity)',
      '',
      table(['entity', 'id', 'class', 'fields'], differences),
    );
  }
  for (const repair of validation.repairs) {
    lines.push(
      '',
      `Repaired ${repair.at}: ${repair.rowsRewritten} rows rewritten (${repair.documentsWritten} documents), ` +
        `${repair.deleted} extras deleted.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
