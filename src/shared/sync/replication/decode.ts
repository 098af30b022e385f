import { Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import type { EntityName } from '../../entities/entity';
import { errorMessage } from '../../errors/app-error';
import type { Change, RowKey, RowValues } from './change-stream';
import { decodeFailed, schemaChanged, truncated } from './errors';
import { normalizeLsn, type Lsn } from './lsn';
import { columnDifference, replicaIdentityProblem, syncedTable } from './schema-guard';
import { sourceValueParser } from './value-parsers';

/** One row of pg_logical_slot_peek_binary_changes. */
export interface PeekedRow {
  lsn: string;
  xid: string;
  data: Buffer;
}

export interface DecodedChanges {
  changes: Change[];
  transactions: number;
  /** The commit end of the last whole transaction, or null when there was none. */
  lastCommitEndLsn: Lsn | null;
}

type RowMessage = Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete;

interface OpenTransaction {
  xid: number;
  commitLsn: Lsn;
  commitTime: string;
  rows: { table: EntityName; lsn: Lsn; message: RowMessage }[];
}

/**
 * Turns one peek's rows into changes. A fresh parser per call is right: each peek is its own
 * decoding session, and pgoutput sends a table's Relation message again in every session
 * before that table's first change (and again after the table is altered).
 *
 * The package's PgoutputPlugin is used only for `parse`; its index does not export the
 * parser class itself, and the plugin's streaming half is never started.
 */
export function decodeChanges(rows: readonly PeekedRow[]): DecodedChanges {
  const parser = new PgoutputPlugin({ protoVersion: 1, publicationNames: [] });
  const changes: Change[] = [];
  let open: OpenTransaction | null = null;
  let transactions = 0;
  let lastCommitEndLsn: Lsn | null = null;
  for (const row of rows) {
    const message = parse(parser, row);
    switch (message.tag) {
      case 'begin':
        open = {
          xid: message.xid,
          commitLsn: requireLsn(message.commitLsn, row),
          commitTime: isoTime(message.commitTime),
          rows: [],
        };
        break;
      case 'relation':
        checkRelation(message);
        break;
      case 'insert':
      case 'update':
      case 'delete': {
        const table = syncedTable(message.relation.name);
        if (table)
          inTransaction(open, row).rows.push({ table, lsn: normalizeLsn(row.lsn), message });
        break;
      }
      case 'truncate': {
        const tables = message.relations.flatMap((relation) => {
          const table = relation ? syncedTable(relation.name) : null;
          return table ? [table] : [];
        });
        if (tables.length > 0) throw truncated(tables, inTransaction(open, row).commitLsn);
        break;
      }
      case 'commit': {
        const transaction = inTransaction(open, row);
        const commitEndLsn = requireLsn(message.commitEndLsn, row);
        for (const { table, lsn, message: change } of transaction.rows) {
          changes.push(toChange(table, change, { ...transaction, lsn, commitEndLsn }));
        }
        transactions++;
        lastCommitEndLsn = commitEndLsn;
        open = null;
        break;
      }
      default:
        // origin and type messages say nothing the sync needs; logical messages are not requested.
        break;
    }
  }
  return { changes, transactions, lastCommitEndLsn };
}

function parse(parser: PgoutputPlugin, row: PeekedRow): Pgoutput.Message {
  try {
    return parser.parse(row.data);
  } catch (error) {
    throw decodeFailed(`the message at ${row.lsn}: ${errorMessage(error)}`, error);
  }
}

/**
 * A table's description, sent before its first change in this read. A description that no
 * longer matches the data model means the table was altered; values are parsed into the
 * shapes a source-pool query returns (the parser reads `column.parser` for every later row).
 */
function checkRelation(relation: Pgoutput.MessageRelation): void {
  const table = syncedTable(relation.name);
  if (!table) return;
  const problem =
    columnDifference(
      table,
      relation.columns.map((column) => column.name),
    ) ?? replicaIdentityProblem(relation.replicaIdentity);
  if (problem) throw schemaChanged(table, problem);
  for (const column of relation.columns) column.parser = sourceValueParser(column.typeOid);
}

interface ChangeContext {
  xid: number;
  lsn: Lsn;
  commitLsn: Lsn;
  commitEndLsn: Lsn;
  commitTime: string;
}

function toChange(table: EntityName, message: RowMessage, context: ChangeContext): Change {
  const base = {
    table,
    lsn: context.lsn,
    commitLsn: context.commitLsn,
    commitEndLsn: context.commitEndLsn,
    xid: context.xid,
    commitTime: context.commitTime,
  };
  switch (message.tag) {
    case 'insert':
      return {
        ...base,
        op: 'insert',
        key: keyOf(message.new, table, message.tag, context.lsn),
        new: plain(message.new),
      };
    case 'update': {
      const key = keyOf(message.new, table, message.tag, context.lsn);
      // K: the id changed (default identity carries only the key); O: REPLICA IDENTITY FULL.
      const before = message.key ?? message.old;
      if (!before) return { ...base, op: 'update', key, new: plain(message.new) };
      const old = plain(before);
      const oldId = old.id;
      return {
        ...base,
        op: 'update',
        key,
        new: plain(message.new),
        old,
        ...(typeof oldId === 'string' && oldId !== key.id ? { oldKey: { id: oldId } } : {}),
      };
    }
    case 'delete': {
      const before = message.key ?? message.old;
      return {
        ...base,
        op: 'delete',
        key: keyOf(before, table, message.tag, context.lsn),
        old: plain(before ?? {}),
      };
    }
  }
}

/** Every table's primary key is `id` (docs/data-model.md), a UUID, so a string. */
function keyOf(
  tuple: Record<string, unknown> | null,
  table: EntityName,
  op: string,
  lsn: Lsn,
): RowKey {
  const id = tuple?.id;
  if (typeof id !== 'string') {
    throw decodeFailed(
      `the ${op} on ${table} at ${lsn} carries no id (check the table's replica identity)`,
    );
  }
  return { id };
}

/**
 * A tuple as an ordinary object of the columns the payload carries: the parser's tuples have
 * no prototype, and a TOAST value that did not change is `undefined` (not known, not null).
 */
function plain(tuple: Record<string, unknown>): RowValues {
  const values: RowValues = {};
  for (const [name, value] of Object.entries(tuple)) {
    if (value !== undefined) values[name] = value;
  }
  return values;
}

function inTransaction(open: OpenTransaction | null, row: PeekedRow): OpenTransaction {
  if (!open) throw decodeFailed(`a message at ${row.lsn} outside a transaction`);
  return open;
}

function requireLsn(lsn: string | null, row: PeekedRow): Lsn {
  if (!lsn) throw decodeFailed(`a transaction without a commit position at ${row.lsn}`);
  return normalizeLsn(lsn);
}

/** The parser's times are microseconds since the Unix epoch. */
function isoTime(micros: unknown): string {
  return new Date(Number(BigInt(micros as bigint) / 1000n)).toISOString();
}
