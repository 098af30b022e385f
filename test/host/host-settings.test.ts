import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveExpression } from '../../src/host/host';
import { readLocalSettings } from '../../src/host/host-settings';
import { effectiveSettings, parseConfig } from '../../src/shared/config/config';

const file = (content: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-'));
  const target = path.join(dir, 'local.settings.json');
  fs.writeFileSync(target, content);
  return target;
};

describe('host settings', () => {
  afterEach(() => {
    delete process.env.MIGRATION_QUEUE;
  });

  it('reads local.settings.json Values, and the environment wins over them', () => {
    const values = readLocalSettings(
      file(
        JSON.stringify({
          IsEncrypted: false,
          Values: { MIGRATION_QUEUE: 'from-file', MIGRATION_BATCH_SIZE: 200 },
        }),
      ),
    );
    expect(values).toEqual({ MIGRATION_QUEUE: 'from-file', MIGRATION_BATCH_SIZE: '200' });
    expect(parseConfig({}, values).serviceBus.migrationQueue).toBe('from-file');
    process.env.MIGRATION_QUEUE = 'from-env';
    expect(parseConfig({}, values).serviceBus.migrationQueue).toBe('from-env');
    expect(parseConfig({}, values).migration.batchSize).toBe(200);
    expect(effectiveSettings({ MIGRATION_QUEUE: 'override' }, values).MIGRATION_QUEUE).toBe(
      'override',
    );
  });

  it('treats a missing file as no settings and refuses a broken one clearly', () => {
    expect(readLocalSettings(path.join(os.tmpdir(), 'no-such-dir', 'local.settings.json'))).toEqual(
      {},
    );
    expect(() => readLocalSettings(file('{ "Values": '))).toThrow(/is not valid JSON/);
    expect(() => readLocalSettings(file('{ "Values": [1] }'))).toThrow(
      /"Values" must be an object/,
    );
  });

  it('resolves %SETTING% binding expressions, with the app defaults, and names a missing one', () => {
    expect(resolveExpression('f', '%MIGRATION_QUEUE%/$DeadLetterQueue', {})).toBe(
      'migration-batches/$DeadLetterQueue',
    );
    expect(resolveExpression('f', '%MIGRATION_QUEUE%', { MIGRATION_QUEUE: 'q' })).toBe('q');
    expect(() => resolveExpression('sync-changes', '%NO_SUCH_SETTING%', {})).toThrow(
      'function sync-changes: %NO_SUCH_SETTING% names a setting that is not set',
    );
  });
});
