import { AppError, errorMessage } from '../errors/app-error';
import { FLAG } from './feature-flags';
import { FlagStore } from './flag-store';

/** Why a worker did not take its work, for its log line. */
export const PAUSED_REASON = `${FLAG.migrationEnabled} is off`;

export interface GateReading {
  /** `Migration.Enabled`: the workers may take work. */
  open: boolean;
  /**
   * Set when the store could not be read just now and the last value read is used: the
   * failure, for a warning.
   */
  staleBecause?: string;
}

/** Whether the workers (load, sync, validation) may take work: `Migration.Enabled`. */
export interface MigrationGate {
  /**
   * The flag as last read, read again when older than the cache. When the store cannot be
   * read, the last value read stands (`staleBecause` says why); when nothing was ever read,
   * throws `MIGRATION_FLAG_UNREADABLE` (503): guessing either way is worse than failing (see
   * docs/runbook.md, "Pausing the workers").
   */
  read(): Promise<GateReading>;
}

export interface MigrationGateOptions {
  /** How long a reading stands (0: every call reads the store). */
  cacheMs: number;
  now?: () => number;
}

/**
 * The gate over the flag store: one read per `cacheMs` for the whole process, however many
 * messages ask at once (they share the read in flight). A failed read is not repeated before
 * `cacheMs` either, so a store that is down is not hammered by every message.
 */
export function createMigrationGate(
  flags: Pick<FlagStore, 'read' | 'location'>,
  { cacheMs, now = Date.now }: MigrationGateOptions,
): MigrationGate {
  let known: boolean | undefined;
  let failure: AppError | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<GateReading> | undefined;

  const current = (): GateReading => {
    if (known === undefined) throw failure!;
    return failure ? { open: known, staleBecause: failure.message } : { open: known };
  };

  const refresh = async (): Promise<GateReading> => {
    try {
      const snapshot = await flags.read();
      known = snapshot.flags[FLAG.migrationEnabled].flag.enabled;
      failure = undefined;
    } catch (error) {
      failure = new AppError(
        'MIGRATION_FLAG_UNREADABLE',
        `cannot read ${FLAG.migrationEnabled} from ${flags.location}: ${errorMessage(error)}`,
        503,
        { cause: error },
      );
    } finally {
      checkedAt = now();
    }
    return current();
  };

  return {
    read() {
      if (now() - checkedAt < cacheMs) {
        try {
          return Promise.resolve(current());
        } catch (error) {
          return Promise.reject(error as Error);
        }
      }
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
