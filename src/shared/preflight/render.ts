import { Check, PreflightReport, Verdict } from './report';

const MARK: Record<Verdict, string> = { pass: '✔', warn: '!', fail: '✖' };

const GROUPS: [string, (c: Check) => boolean][] = [
  ['source', (c) => c.id.startsWith('source.') || c.id.startsWith('data.')],
  ['continuous sync', (c) => c.id.startsWith('sync.')],
  ['target', (c) => c.id.startsWith('target.')],
  ['services', (c) => !/^(source|data|sync|target)\./.test(c.id)],
];

/** The report as a checklist for a terminal: verdicts, findings with counts, the estimate. */
export function renderReport(report: PreflightReport): string {
  const lines: string[] = [];
  const count = (verdict: Verdict) => report.checks.filter((c) => c.verdict === verdict).length;
  lines.push(
    `preflight: ${report.ok ? 'ready' : 'NOT ready'}: ${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed (${(report.durationMs / 1000).toFixed(1)} s)`,
  );
  const titleWidth = Math.max(...report.checks.map((c) => c.title.length));
  for (const [group, member] of GROUPS) {
    const checks = report.checks.filter(member);
    if (checks.length === 0) continue;
    lines.push('', group);
    for (const c of checks)
      lines.push(`  ${MARK[c.verdict]} ${c.title.padEnd(titleWidth)}  ${c.reason}`);
  }
  if (report.findings.length > 0) {
    lines.push('', 'data-quality findings (rows, over the whole table)');
    lines.push(
      ...table(
        ['entity', 'finding', 'rows', 'effect', 'what (example ids: --json)'],
        report.findings.map((f) => [f.entity, f.code, String(f.count), f.effect, f.message]),
        [2],
      ),
    );
  }
  const { estimate } = report;
  if (estimate) {
    lines.push('', `estimate (from ${estimate.sampledRows} sampled rows)`);
    lines.push(
      ...table(
        ['container', 'rows', 'docs/row', 'documents', 'avg bytes', 'RU/doc', 'RU', 'RU/s', 'time'],
        [
          ...estimate.perEntity.map((e) => [
            e.container,
            String(e.rows),
            String(round(e.documentsPerRow)),
            String(e.documents),
            String(e.avgDocumentBytes),
            e.avgRequestUnitsPerDocument.toFixed(2),
            String(e.requestUnits),
            String(e.ruPerSecond),
            duration(e.seconds),
          ]),
          [
            'total',
            '',
            '',
            String(estimate.totalDocuments),
            '',
            '',
            String(estimate.totalRequestUnits),
            '',
            duration(estimate.estimatedSeconds),
          ],
        ],
        [1, 2, 3, 4, 5, 6, 7, 8],
      ),
    );
    lines.push('  assumptions:');
    for (const assumption of estimate.assumptions) lines.push(`    - ${assumption}`);
  }
  if (report.notRun.length > 0) {
    lines.push('', 'not run:');
    for (const item of report.notRun) lines.push(`  - ${item}`);
  }
  return lines.join('\n');
}

function table(header: string[], rows: string[][], rightAligned: number[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) =>
    `  ${cells
      .map((cell, i) =>
        rightAligned.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!),
      )
      .join('  ')
      .trimEnd()}`;
  return [format(header), ...rows.map(format)];
}

const round = (n: number) => Math.round(n * 100) / 100;

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}
