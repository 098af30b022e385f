import { AppError, errorMessage } from '../errors/app-error';
import { isWrite, OPERATION_KINDS, OperationKind } from './mix';

export interface KindFigures {
  /** Finished, whatever the outcome. */
  count: number;
  ok: number;
  clientErrors: number;
  serverErrors: number;
}

export interface ErrorSample {
  kind: OperationKind;
  code: string;
  message: string;
}

/** What an operation's failure was: the caller's (4xx: gone, taken, invalid) or the stores'. */
export function classify(error: unknown): { code: string; client: boolean } {
  if (error instanceof AppError)
    return { code: error.code, client: error.status >= 400 && error.status < 500 };
  const code = (error as { code?: unknown } | null)?.code;
  return {
    code: typeof code === 'string' || typeof code === 'number' ? `ERROR_${code}` : 'UNEXPECTED',
    client: false,
  };
}

const SAMPLES = 5;

/** The client's side of a run: operations finished by kind, errors by code. */
export class ClientTotals {
  readonly byKind = Object.fromEntries(
    OPERATION_KINDS.map((kind) => [kind, { count: 0, ok: 0, clientErrors: 0, serverErrors: 0 }]),
  ) as Record<OperationKind, KindFigures>;
  readonly clientErrors: Record<string, number> = {};
  readonly serverErrors: Record<string, number> = {};
  /** The first few server errors, with their messages (never data). */
  readonly samples: ErrorSample[] = [];

  ok(kind: OperationKind): void {
    this.byKind[kind].count++;
    this.byKind[kind].ok++;
  }

  failed(kind: OperationKind, error: unknown): void {
    const { code, client } = classify(error);
    const figures = this.byKind[kind];
    figures.count++;
    if (client) {
      figures.clientErrors++;
      this.clientErrors[code] = (this.clientErrors[code] ?? 0) + 1;
      return;
    }
    figures.serverErrors++;
    this.serverErrors[code] = (this.serverErrors[code] ?? 0) + 1;
    if (this.samples.length < SAMPLES)
      this.samples.push({ kind, code, message: errorMessage(error).split('\n')[0]!.slice(0, 300) });
  }

  sums() {
    const all = Object.entries(this.byKind) as [OperationKind, KindFigures][];
    const sum = (pick: (f: KindFigures) => number, only?: (k: OperationKind) => boolean) =>
      all.filter(([k]) => !only || only(k)).reduce((n, [, f]) => n + pick(f), 0);
    return {
      completed: sum((f) => f.count),
      ok: sum((f) => f.ok),
      clientErrors: sum((f) => f.clientErrors),
      serverErrors: sum((f) => f.serverErrors),
      reads: sum(
        (f) => f.count,
        (k) => !isWrite(k),
      ),
      writes: sum((f) => f.count, isWrite),
    };
  }
}
