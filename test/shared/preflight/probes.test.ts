import { TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/shared/config/config';
import {
  AppConfigurationProbe,
  reachabilityProbes,
  ServiceBusProbe,
} from '../../../src/shared/preflight/azure-probes';
import { ReachabilityProbe } from '../../../src/shared/preflight/ports';
import { runProbe } from '../../../src/shared/preflight/probes';
import { runPreflight } from '../../../src/shared/preflight/run-preflight';
import { createWorld } from '../../support/engine';
import { preflightRuntime } from './fixture';

/** Stands in for Service Bus / App Configuration, which have no local server here. */
const fake = (id: string, check: ReachabilityProbe['check']): ReachabilityProbe => ({
  id,
  title: `${id} reachable`,
  check,
});

const fakeCredential: TokenCredential = {
  getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

describe('reachability probes', () => {
  it('passes, fails with the error’s first line, or fails on its deadline', async () => {
    expect(
      await runProbe(
        fake('ok', async () => ({ verdict: 'pass', reason: 'answered' })),
        1000,
      ),
    ).toEqual({ id: 'ok', title: 'ok reachable', verdict: 'pass', reason: 'answered' });
    expect(
      await runProbe(
        fake('bad', async () => {
          throw new Error('connect ECONNREFUSED 10.0.0.1:5671\n    at stack');
        }),
        1000,
      ),
    ).toMatchObject({ verdict: 'fail', reason: 'connect ECONNREFUSED 10.0.0.1:5671' });
    let aborted = false;
    const hanging = fake(
      'slow',
      (signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve({ verdict: 'pass', reason: 'too late' });
          });
        }),
    );
    expect(await runProbe(hanging, 200)).toMatchObject({
      verdict: 'fail',
      reason: 'no answer within 0.2 s',
    });
    expect(aborted).toBe(true);
  });

  it('makes the report fail when a configured service cannot be reached', async () => {
    const world = await createWorld('pf_probe');
    const runtime = preflightRuntime(world.settings, world.cosmos, [
      fake('serviceBus', async () => {
        throw new Error('MessagingEntityNotFound: queue migration-batches does not exist');
      }),
      fake('appConfiguration', async () => ({ verdict: 'pass', reason: 'answered' })),
    ]);
    try {
      const report = await runPreflight(runtime.deps);
      expect(report.ok).toBe(false);
      expect(report.checks.filter((c) => c.verdict === 'fail')).toEqual([
        {
          id: 'serviceBus',
          title: 'serviceBus reachable',
          verdict: 'fail',
          reason: 'MessagingEntityNotFound: queue migration-batches does not exist',
        },
      ]);
    } finally {
      await runtime.close();
      await world.close();
    }
  });

  it('reports services the configuration does not name as warnings', async () => {
    const probes = reachabilityProbes(parseConfig({}), () => fakeCredential);
    const checks = await Promise.all(probes.map((probe) => runProbe(probe, 1000)));
    expect(checks).toEqual([
      {
        id: 'serviceBus',
        title: 'Service Bus reachable',
        verdict: 'warn',
        reason:
          'not configured (SERVICEBUS__fullyQualifiedNamespace unset; local mode uses an in-process queue)',
      },
      {
        id: 'appConfiguration',
        title: 'App Configuration reachable',
        verdict: 'warn',
        reason: 'not configured (APP_CONFIGURATION_ENDPOINT unset; cutover flags need it in Azure)',
      },
    ]);
    const configured = reachabilityProbes(
      parseConfig({
        SERVICEBUS__fullyQualifiedNamespace: 'sb-x.servicebus.windows.net',
        APP_CONFIGURATION_ENDPOINT: 'https://appcs-x.azconfig.io',
      }),
      () => fakeCredential,
    );
    expect(configured[0]).toBeInstanceOf(ServiceBusProbe);
    expect(configured[1]).toBeInstanceOf(AppConfigurationProbe);
  });

  it('real adapters fail with a reason when nothing answers (closed loopback ports)', async () => {
    const appConfiguration = await runProbe(
      new AppConfigurationProbe('https://127.0.0.1:1', () => fakeCredential),
      10_000,
    );
    expect(appConfiguration.verdict).toBe('fail');
    expect(appConfiguration.reason).toMatch(/ECONNREFUSED|connect/i);
    const serviceBus = await runProbe(
      new ServiceBusProbe(
        {
          connectionString:
            'Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=test;SharedAccessKey=dGVzdA==;UseDevelopmentEmulator=true',
        },
        'migration-batches',
        () => fakeCredential,
      ),
      10_000,
    );
    expect(serviceBus).toMatchObject({
      verdict: 'fail',
      reason: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});
