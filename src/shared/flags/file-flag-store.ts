import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AppError, conflict } from '../errors/app-error';
import {
  defaultFlag,
  DUAL_WRITE_STRATEGIES,
  FeatureFlag,
  featureFlagSchema,
  FLAG_NAMES,
  FlagName,
} from './feature-flags';
import { FlagSnapshot, FlagStore, StoredFlag } from './flag-store';

/** The file: the configuration object App Configuration's provider builds, flags and setting. */
const flagFileSchema = z.looseObject({
  feature_management: z
    .looseObject({ feature_flags: z.array(featureFlagSchema).default([]) })
    .default({ feature_flags: [] }),
  Cutover: z
    .looseObject({ DualWriteStrategy: z.enum(DUAL_WRITE_STRATEGIES).optional() })
    .optional(),
});
type FlagFile = z.infer<typeof flagFileSchema>;

const LOCK_WAIT_MS = 5_000;
const LOCK_STALE_MS = 30_000;

export const flagEtag = (flag: FeatureFlag): string =>
  createHash('sha256').update(JSON.stringify(flag)).digest('hex').slice(0, 16);

/**
 * The flags in a local JSON file (the Microsoft Feature Management schema, as App
 * Configuration's provider presents it), for local runs. Every write re-reads the file under
 * a lock file, checks each flag's etag (a hash of its JSON), and replaces the file atomically
 * (written beside it, then renamed), so a crash never leaves half a file.
 */
export class FileFlagStore implements FlagStore {
  constructor(readonly location: string) {}

  async read(): Promise<FlagSnapshot> {
    return snapshotOf(this.readFile());
  }

  async write(flags: StoredFlag[]): Promise<void> {
    await this.locked(async () => {
      const file = this.readFile();
      const stored = file.feature_management.feature_flags;
      for (const { flag, etag } of flags) {
        const current = stored.findLast((f) => f.id === flag.id);
        const currentEtag = current ? flagEtag(current) : null;
        if (currentEtag !== etag)
          throw conflict(
            'FLAGS_CONFLICT',
            `flag ${flag.id} changed in ${this.location} since it was read`,
          );
      }
      const written = new Map(flags.map(({ flag }) => [flag.id, flag]));
      const kept = stored.filter((f) => !written.has(f.id));
      const next: FlagFile = {
        ...file,
        feature_management: {
          ...file.feature_management,
          feature_flags: [...kept, ...written.values()],
        },
      };
      this.replaceFile(next);
    });
  }

  private readFile(): FlagFile {
    let text: string;
    try {
      text = fs.readFileSync(this.location, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return flagFileSchema.parse({});
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new AppError(
        'FLAGS_INVALID',
        `${this.location} is not JSON: ${(error as Error).message}`,
      );
    }
    const result = flagFileSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new AppError(
        'FLAGS_INVALID',
        `${this.location}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
    }
    return result.data;
  }

  private replaceFile(file: FlagFile): void {
    fs.mkdirSync(path.dirname(this.location), { recursive: true });
    const temporary = `${this.location}.${process.pid}.tmp`;
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.location);
  }

  /** One writer at a time across processes: a lock file made exclusively, stale after 30 s. */
  private async locked<T>(work: () => Promise<T>): Promise<T> {
    fs.mkdirSync(path.dirname(this.location), { recursive: true });
    const lock = `${this.location}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        fs.closeSync(fs.openSync(lock, 'wx'));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age =
          Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > LOCK_STALE_MS) fs.rmSync(lock, { force: true });
        else if (Date.now() > deadline)
          throw new AppError('FLAGS_LOCKED', `${lock} is held by another writer`, 503);
        else await sleep(20);
      }
    }
    try {
      return await work();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

function snapshotOf(file: FlagFile): FlagSnapshot {
  const stored = file.feature_management.feature_flags;
  const flags = Object.fromEntries(
    FLAG_NAMES.map((name): [FlagName, StoredFlag] => {
      // The last of duplicates wins, as the feature manager reads them.
      const flag = stored.findLast((f) => f.id === name);
      return [
        name,
        flag ? { flag, etag: flagEtag(flag) } : { flag: defaultFlag(name), etag: null },
      ];
    }),
  ) as Record<FlagName, StoredFlag>;
  return { flags, dualWriteStrategy: file.Cutover?.DualWriteStrategy ?? 'PostgresFirst' };
}
