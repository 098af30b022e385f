import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { ENTITY_NAMES } from '../../src/shared/entities/entity';
import { RowErrorRecord } from '../../src/shared/entities/row-error';
import { entityModule } from '../../src/shared/entities/registry';
import { transformBatch } from '../../src/shared/migration/transform-batch';
import { SourceReader } from '../../src/shared/postgres/source-reader';
import { TestWorld } from '../support/engine';

const BIN = path.resolve(__dirname, '../../bin/cosmos-migration.js');

export interface RunningCli {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `cosmos-migration` in a child process and returns at once, so the test can kill it. */
export function startCli(args: string[], env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CI: 'true', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, exited };
}

/**
 * Polls `probe` until it returns a value, at most `timeoutMs`; fails with `what` and the child's
 * stderr when the time is up or the child exits first.
 */
export async function until<T>(
  what: string,
  cli: RunningCli,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  everyMs = 20,
): Promise<T> {
  let exited = false;
  void cli.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (exited) throw new Error(`the CLI exited before ${what}:\n${cli.stderr()}`);
    if (Date.now() > deadline)
      throw new Error(`no ${what} after ${timeoutMs} ms:\n${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Every document of a container without Cosmos's system properties, by `pk|id`. */
export async function storedDocuments(
  world: TestWorld,
  container: string,
): Promise<Map<string, unknown>> {
  const { resources } = await world.cosmos
    .database(world.database)
    .container(container)
    .items.query<Record<string, unknown>>('SELECT * FROM c')
    .fetchAll();
  return new Map(
    resources.map((resource) => {
      const { _rid, _self, _etag, _attachments, _ts, ...document } = resource;
      void [_rid, _self, _etag, _attachments, _ts];
      return [`${String(document.pk)}|${String(document.id)}`, document];
    }),
  );
}

/**
 * What a fresh extraction of the whole source gives: the documents per container by `pk|id`,
 * and the rows that cannot become documents. `reader` is an engine's: the migration's types.
 */
export async function freshExtraction(
  reader: SourceReader,
): Promise<{ documents: Map<string, Map<string, unknown>>; rowErrors: RowErrorRecord[] }> {
  const documents = new Map<string, Map<string, unknown>>();
  const rowErrors: RowErrorRecord[] = [];
  for (const name of ENTITY_NAMES) {
    const entity = entityModule(name);
    const transformed = transformBatch(
      entity,
      await reader.readBatch(entity, { from: null, to: null }),
    );
    rowErrors.push(...transformed.rowErrors);
    const into = documents.get(entity.container) ?? new Map<string, unknown>();
    // As stored: JSON, without undefined properties.
    for (const document of transformed.documents)
      into.set(`${document.pk}|${document.id}`, JSON.parse(JSON.stringify(document)));
    documents.set(entity.container, into);
  }
  return { documents, rowErrors };
}
