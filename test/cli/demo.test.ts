import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileFlagStore } from '../../src/shared/flags/file-flag-store';
import { stageWrites } from '../../src/shared/cutover/stages';
import { cli } from '../support/cli';

const STATE_DIR = path.resolve('.cosmos-migration');
const demoFlagDirs = () =>
  fs.existsSync(STATE_DIR)
    ? fs.readdirSync(STATE_DIR).filter((name) => name.startsWith('demo-flags-'))
    : [];

describe('cosmos-migration demo', () => {
  it('loads, validates, then rehearses the cutover under traffic on flags of its own', async () => {
    // The user's own flags (in dual-write) and App Configuration must stay untouched.
    const userFlags = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'demo-')), 'flags.json');
    const store = new FileFlagStore(userFlags);
    await store.write(stageWrites(await store.read(), 'dual-write', 0));
    const before = fs.readFileSync(userFlags, 'utf8');
    const leftBefore = demoFlagDirs();

    const { code, stdout, stderr } = cli(['demo', '--users', '100', '--json'], {
      FEATURE_FLAGS_FILE: userFlags,
      APP_CONFIGURATION_ENDPOINT: 'https://not-this-one.invalid',
    });
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    // The run summary is the document; the rehearsal is added to it.
    expect(result.status).toBe('completed');
    expect(result.lostRows).toBe(0);
    const rehearsal = result.rehearsal;
    expect(rehearsal.ok).toBe(true);
    expect(rehearsal.stagesReached).toEqual([
      'postgres-only',
      'dual-write',
      'shadow-reads',
      'cosmos-reads',
    ]);
    const steps = rehearsal.steps;
    expect(steps.map((s: { action: string; to: string }) => `${s.action} ${s.to}`)).toEqual([
      'move dual-write',
      'move shadow-reads',
      'move cosmos-reads',
      'rollback dual-write',
    ]);
    for (const step of steps) expect(step.outcome).toBe('moved');
    for (const step of steps.slice(0, 3)) {
      expect(step.validation.ready).toBe(true);
      expect(step.guards.map((g: { name: string }) => g.name)).toEqual(
        expect.arrayContaining(['validation', 'sync-lag', 'replay-queue']),
      );
      expect(step.guards.every((g: { ok: boolean }) => g.ok)).toBe(true);
    }
    expect(steps[3]).toMatchObject({ from: 'cosmos-reads', to: 'dual-write' });
    expect(rehearsal.finalStage).toBe('dual-write');
    expect(rehearsal.finalValidation.ready).toBe(true);
    expect(rehearsal.durationMs).toBeLessThan(60_000);

    // Traffic ran through every step and reached Cosmos once dual-write was on.
    const traffic = rehearsal.traffic;
    expect(traffic.stage).toEqual({ atStart: 'postgres-only', atEnd: 'dual-write' });
    expect(traffic.operations.completed).toBeGreaterThan(100);
    expect(traffic.operations.serverErrors).toBe(0);
    expect(traffic.stores.cosmos.count).toBeGreaterThan(0);
    expect(traffic.stores.cosmos.shadowReads).toBeGreaterThan(0);
    expect(steps[0].traffic.operations.completed).toBeLessThan(
      steps[3].traffic.operations.completed,
    );

    expect(stderr).toMatch(/^cutover rehearsal: 20 operations\/s through the router/m);
    expect(stderr).toMatch(/-> dual-write +validation ready .*\| \d+ operations: postgres /);
    expect(stderr).toMatch(/rollback -> dual-write +from cosmos-reads/);
    expect(stderr).toMatch(/final full validation at dual-write, traffic stopped: READY/);

    // The user's flags are as they were; the demo's own file is gone.
    expect(fs.readFileSync(userFlags, 'utf8')).toBe(before);
    expect(demoFlagDirs()).toEqual(leftBefore);
  });
});
