import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAppData } from '../src/app-data';
import { createAppDataParts } from '../src/shared/composition/app-data';
import { at } from './support/app-data';
import { createWorld, TestWorld } from './support/engine';

const root = path.join(__dirname, '..');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));

describe('the cosmos-migration/app-data package export', () => {
  let world: TestWorld;

  beforeAll(async () => {
    world = await createWorld('app_export');
  });
  afterAll(() => world?.close());

  it('names the build of src/app-data.ts, with its declarations', () => {
    const { exports } = read('package.json');
    const { compilerOptions } = read('tsconfig.json');
    expect(compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.', declaration: true });
    expect(exports['./app-data']).toEqual({
      types: './dist/src/app-data.d.ts',
      default: './dist/src/app-data.js',
    });
    expect(fs.existsSync(path.join(root, 'src/app-data.ts'))).toBe(true);
  });

  it('opens on the settings given and routes by the stage in the flags (postgres-only here)', async () => {
    const flagsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'export-')), 'flags.json');
    const client = openAppData({ ...world.settings, FEATURE_FLAGS_FILE: flagsFile });
    try {
      const user = {
        id: randomUUID(),
        username: 'export-user',
        email: 'export@example.com',
        passwordHash: 'hash',
        createdAt: at(1),
      };
      const data = client.as(user.id);
      await data.createUser(user);
      expect(await data.findCredentials('export-user')).toEqual({
        userId: user.id,
        passwordHash: 'hash',
      });
      await expect(data.getUser('not-a-uuid')).rejects.toMatchObject({
        code: 'INVALID_ARGUMENTS',
        status: 400,
      });
      const totals = client.totals();
      expect(totals.postgres).toMatchObject({ count: 3, errors: 0 });
      expect(totals.cosmos.count).toBe(0);
      const { resources } = await world.cosmos
        .database(world.database)
        .container('users')
        .items.query('SELECT * FROM c')
        .fetchAll();
      expect(resources).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('says at startup, once, that without App Configuration the flags are a local file', async () => {
    const missing = path.join(os.tmpdir(), `no-such-dir-${randomUUID()}`, 'flags.json');
    const told: string[] = [];
    const parts = createAppDataParts(world.engine({ FEATURE_FLAGS_FILE: missing }), (code, m) =>
      told.push(`${code}: ${m}`),
    );
    await parts.close();
    expect(told).toEqual([
      `CUTOVER_FLAGS_LOCAL: APP_CONFIGURATION_ENDPOINT is not set: the cutover flags come from ${missing}, which does not exist: acting as in postgres-only`,
    ]);
  });
});
