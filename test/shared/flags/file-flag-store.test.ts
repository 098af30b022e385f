import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAG, withRolloutPercent } from '../../../src/shared/flags/feature-flags';
import { FileFlagStore } from '../../../src/shared/flags/file-flag-store';

const tempFile = () =>
  path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'flags-')), 'nested', 'feature-flags.json');

describe('FileFlagStore', () => {
  it('reads defaults before anything is written: every flag off but Migration.Enabled', async () => {
    const store = new FileFlagStore(tempFile());
    const snapshot = await store.read();
    expect(snapshot.flags[FLAG.migrationEnabled]).toMatchObject({
      flag: { enabled: true },
      etag: null,
    });
    expect(snapshot.flags[FLAG.dualWrite]).toMatchObject({ flag: { enabled: false }, etag: null });
    expect(snapshot.dualWriteStrategy).toBe('PostgresFirst');
  });

  it('writes the Microsoft Feature Management schema, keeping fields it does not know', async () => {
    const file = tempFile();
    const store = new FileFlagStore(file);
    const before = await store.read();
    const reads = before.flags[FLAG.cosmosReads];
    const flag = {
      ...withRolloutPercent({ ...reads.flag, enabled: true }, 25),
      telemetry: { enabled: true },
    };
    await store.write([{ ...reads, flag }]);
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(written.feature_management.feature_flags).toEqual([flag]);
    expect(written.feature_management.feature_flags[0].conditions.client_filters[0]).toEqual({
      name: 'Microsoft.Targeting',
      parameters: { Audience: { Users: [], Groups: [], DefaultRolloutPercentage: 25 } },
    });
    const after = await store.read();
    expect(after.flags[FLAG.cosmosReads].flag).toEqual(flag);
    expect(after.flags[FLAG.cosmosReads].etag).not.toBeNull();
    // No temporary or lock file is left beside it.
    expect(fs.readdirSync(path.dirname(file))).toEqual(['feature-flags.json']);
  });

  it('refuses a write on a stale etag and writes none of the batch', async () => {
    const store = new FileFlagStore(tempFile());
    const first = await store.read();
    const dual = first.flags[FLAG.dualWrite];
    await store.write([{ ...dual, flag: { ...dual.flag, enabled: true } }]);
    const shadow = first.flags[FLAG.shadowReads];
    await expect(
      store.write([
        { ...shadow, flag: { ...shadow.flag, enabled: true } },
        { ...dual, flag: { ...dual.flag, enabled: false } },
      ]),
    ).rejects.toMatchObject({ code: 'FLAGS_CONFLICT', status: 409 });
    const now = await store.read();
    expect(now.flags[FLAG.shadowReads].etag).toBeNull();
    expect(now.flags[FLAG.dualWrite].flag.enabled).toBe(true);
  });

  it('names the field of a file that is not a flag file', async () => {
    const file = tempFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      JSON.stringify({ feature_management: { feature_flags: [{ id: 'x' }] } }),
    );
    await expect(new FileFlagStore(file).read()).rejects.toMatchObject({
      code: 'FLAGS_INVALID',
      message: expect.stringContaining('feature_management.feature_flags.0.enabled'),
    });
    fs.writeFileSync(file, '{ not json');
    await expect(new FileFlagStore(file).read()).rejects.toMatchObject({ code: 'FLAGS_INVALID' });
  });
});
