import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlagRouting, routingOf } from '../../../src/shared/app-data/flag-routing';
import { readPercentFor, Stage, stageWrites } from '../../../src/shared/cutover/stages';
import { FileFlagStore } from '../../../src/shared/flags/file-flag-store';
import { STAGE_ROUTING } from '../../support/routing';

const flagFile = () =>
  path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'routing-')), 'feature-flags.json');

async function atStage(store: FileFlagStore, stage: Stage, percent?: number) {
  const snapshot = await store.read();
  await store.write(stageWrites(snapshot, stage, readPercentFor(stage, percent, 0)));
  return routingOf(await store.read());
}

const USERS = Array.from({ length: 2000 }, () => randomUUID());

async function cohort(routing: Awaited<ReturnType<typeof routingOf>>): Promise<Set<string>> {
  const chosen = new Set<string>();
  for (const user of USERS) if ((await routing.readStore(user)) === 'cosmos') chosen.add(user);
  return chosen;
}

describe('routing from the cutover flags', () => {
  it('follows each stage: the authoritative store, the second write, shadow reads', async () => {
    const store = new FileFlagStore(flagFile());
    for (const [stage, [primary, secondary, shadowReads, reads]] of Object.entries(STAGE_ROUTING)) {
      const routing = await atStage(store, stage as Stage);
      expect({ stage, ...routing, readStore: undefined }).toEqual({
        stage,
        primary,
        secondary,
        shadowReads,
        readStore: undefined,
        source: 'flags',
      });
      if (reads) expect(await routing.readStore(randomUUID())).toBe(reads);
    }
  });

  it('sends the Targeting percentage of users to Cosmos, sticky per user, keeping the cohort as it grows', async () => {
    const store = new FileFlagStore(flagFile());
    await atStage(store, 'dual-write');
    await atStage(store, 'shadow-reads');
    const ten = await cohort(await atStage(store, 'cosmos-reads', 10));
    expect(ten.size / USERS.length).toBeGreaterThan(0.07);
    expect(ten.size / USERS.length).toBeLessThan(0.13);
    // The same users again, read anew.
    expect(await cohort(await routingOf(await store.read()))).toEqual(ten);
    const fifty = await cohort(await atStage(store, 'cosmos-reads', 50));
    expect(fifty.size / USERS.length).toBeGreaterThan(0.45);
    expect(fifty.size / USERS.length).toBeLessThan(0.55);
    expect([...ten].every((user) => fifty.has(user))).toBe(true);
  });

  it('acts as in postgres-only, loudly, when the flags were never readable; keeps the last ones read after', async () => {
    const file = flagFile();
    const told: [string, boolean][] = [];
    let clock = 0;
    const routing = new FlagRouting(new FileFlagStore(file), {
      refreshMs: 1000,
      now: () => clock,
      onReadError: (message, fallback) => told.push([message, fallback]),
    });
    fs.writeFileSync(file, '{ not json');
    const fallback = await routing.current();
    expect(fallback).toMatchObject({ primary: 'postgres', secondary: null, source: 'fallback' });
    expect(told).toEqual([[expect.stringMatching(/acting as in postgres-only$/), true]]);

    fs.rmSync(file);
    await atStage(new FileFlagStore(file), 'dual-write');
    // Not read again within the refresh interval...
    expect((await routing.current()).source).toBe('fallback');
    clock += 1000;
    expect(await routing.current()).toMatchObject({ secondary: 'cosmos', source: 'flags' });

    fs.writeFileSync(file, '{ not json');
    clock += 1000;
    expect(await routing.current()).toMatchObject({ secondary: 'cosmos', source: 'flags' });
    expect(told[1]).toEqual([expect.stringMatching(/keeping the flags read last$/), false]);
  });
});
