import type pg from 'pg';
import { describePostgresError } from '../../postgres/errors';
import { advanceSlot } from './advance';
import type {
  AdvanceResult,
  ChangeBatch,
  ChangeCapture,
  ChangeStream,
  ReadOptions,
  RoundLock,
  SetUpOptions,
  SlotStatus,
  StatusOptions,
  SyncSetUp,
  TearDownOptions,
  TearDownResult,
} from './change-stream';
import type { Lsn } from './lsn';
import { assertOwnNames, type ReplicationNames } from './names';
import { readChanges } from './read';
import { tryRoundLock } from './round-lock';
import { setUpReplication } from './set-up';
import { slotStatus } from './status';
import { tearDownReplication } from './tear-down';

/**
 * Continuous sync over PostgreSQL logical decoding with the built-in pgoutput plugin, through
 * the SQL interface (peek, then advance once applied) rather than the streaming protocol,
 * whose clients acknowledge positions on keepalives before anything was applied.
 *
 * The pool should be a source pool (`createSourcePool`): decoded values are printed with the
 * session's TimeZone and DateStyle. A round needs two of its connections when it holds the
 * round lock. Every failure is an AppError; see errors.ts and set-up-errors.ts for the codes.
 */
export class PostgresChangeStream implements ChangeStream, ChangeCapture {
  readonly names: ReplicationNames;

  constructor(
    private readonly pool: pg.Pool,
    names: ReplicationNames,
  ) {
    this.names = assertOwnNames(names);
  }

  setUp(options?: SetUpOptions): Promise<SyncSetUp> {
    return described(setUpReplication(this.pool, this.names, options));
  }

  read(options: ReadOptions): Promise<ChangeBatch> {
    return described(readChanges(this.pool, this.names, options));
  }

  advance(lsn: Lsn): Promise<AdvanceResult> {
    return described(advanceSlot(this.pool, this.names, lsn));
  }

  status(options?: StatusOptions): Promise<SlotStatus> {
    return described(slotStatus(this.pool, this.names, options));
  }

  tryLockRound(): Promise<RoundLock | null> {
    return described(tryRoundLock(this.pool, this.names));
  }

  tearDown(options?: TearDownOptions): Promise<TearDownResult> {
    return described(tearDownReplication(this.pool, this.names, options));
  }
}

/** Connection failures and other driver errors as the project's one-line AppErrors. */
function described<T>(work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    throw describePostgresError(error);
  });
}
