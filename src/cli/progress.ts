import { RunSummary } from '../shared/migration/run-summary';

const BAR_WIDTH = 28;

function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
}

export function progressLines(summary: RunSummary): string[] {
  return Object.entries(summary.entities).map(([name, progress]) => {
    const { total, done, failed } = progress.batches;
    const fraction = total === 0 ? 1 : (done + failed) / total;
    return (
      `${name.padEnd(9)} ${bar(fraction)} ${String(Math.round(fraction * 100)).padStart(3)}%  ` +
      `${progress.rowsRead}/${progress.sourceRows} rows  ${progress.documentsWritten} docs` +
      (progress.rowErrors ? `  ${progress.rowErrors} row errors` : '') +
      (failed ? `  ${failed} failed batches` : '')
    );
  });
}

/** Redraws progress bars in place on a TTY; elsewhere prints a plain line now and then. */
export class ProgressView {
  private drawn = 0;
  private lastPlain = 0;

  constructor(
    private readonly tty: boolean,
    private readonly write: (text: string) => void,
  ) {}

  update(summary: RunSummary): void {
    const lines = progressLines(summary);
    const footer =
      `${summary.documentsPerSecond} docs/s` +
      (summary.etaSeconds ? `  ETA ${summary.etaSeconds}s` : '');
    if (this.tty) {
      const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
      this.write(`${up}${[...lines, footer].map((line) => `\x1b[2K${line}`).join('\n')}\n`);
      this.drawn = lines.length + 1;
    } else if (Date.now() - this.lastPlain > 10_000) {
      this.lastPlain = Date.now();
      this.write(
        `progress: ${lines.map((line) => line.replace(/[█░]+ /, '')).join(' | ')} | ${footer}\n`,
      );
    }
  }
}
