import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostLog } from '../../src/host/invoke';
import { LocalServiceBus } from '../../src/host/local-service-bus';
import { Registration } from '../../src/host/registrations';

const quiet: HostLog = () => undefined;

/** A Service Bus trigger registration as the app's `app.serviceBusQueue(...)` produces it. */
function listener(name: string, queueName: string, handler: Registration['handler']) {
  return {
    queueName,
    registration: {
      name,
      trigger: { type: 'serviceBusTrigger', direction: 'in' as const, queueName },
      handler,
    },
  };
}

const until = async (condition: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('local Service Bus of the host', () => {
  const stateDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bus-'));

  it('redelivers a failing message up to the max delivery count, then hands it to the dead-letter function with the reason', async () => {
    const deliveries: number[] = [];
    const deadLetters: { body: unknown; metadata: Record<string, unknown> }[] = [];
    const bus = new LocalServiceBus(
      [
        listener('work', 'jobs', (_body, context) => {
          const { deliveryCount } = (context as { triggerMetadata: { deliveryCount: number } })
            .triggerMetadata;
          deliveries.push(deliveryCount);
          throw new Error('cannot take it');
        }),
        listener('work-deadletter', 'jobs/$DeadLetterQueue', (body, context) => {
          deadLetters.push({
            body,
            metadata: (context as { triggerMetadata: Record<string, unknown> }).triggerMetadata,
          });
        }),
      ],
      { stateDir: stateDir(), maxConcurrentCalls: 2, maxDeliveryCount: 3, log: quiet },
    );
    bus.start();
    await bus.queue('jobs').send([{ messageId: 'm1', body: { n: 1 } }]);
    await until(() => deadLetters.length === 1);
    expect(deliveries).toEqual([1, 2, 3]);
    expect(deadLetters[0]!.body).toEqual({ n: 1 });
    expect(deadLetters[0]!.metadata).toMatchObject({
      messageId: 'm1',
      deadLetterReason: 'MaxDeliveryCountExceeded',
      deadLetterErrorDescription: 'cannot take it',
    });
    await bus.stop();
  });

  it('drops a second message with the same id (duplicate detection)', async () => {
    const seen: unknown[] = [];
    const bus = new LocalServiceBus([listener('work', 'jobs', (body) => void seen.push(body))], {
      stateDir: stateDir(),
      maxConcurrentCalls: 1,
      maxDeliveryCount: 3,
      log: quiet,
    });
    bus.start();
    await bus.queue('jobs').send([
      { messageId: 'same', body: 1 },
      { messageId: 'same', body: 2 },
    ]);
    await until(() => seen.length >= 1);
    await bus.stop();
    expect(seen).toEqual([1]);
  });

  it('lets deliveries in flight finish on stop and delivers what was left when the host starts again', async () => {
    const dir = stateDir();
    const handled: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = new LocalServiceBus(
      [
        listener('work', 'jobs', async (body) => {
          await gate;
          handled.push(body as number);
        }),
      ],
      { stateDir: dir, maxConcurrentCalls: 1, maxDeliveryCount: 3, log: quiet },
    );
    first.start();
    await first.queue('jobs').send([1, 2, 3, 4].map((n) => ({ messageId: `m${n}`, body: n })));
    const stopping = first.stop();
    release();
    await stopping;
    // The one in flight finished; the rest were never taken.
    expect(handled).toEqual([1]);

    const again: number[] = [];
    const second = new LocalServiceBus(
      [listener('work', 'jobs', (body) => void again.push(body as number))],
      { stateDir: dir, maxConcurrentCalls: 1, maxDeliveryCount: 3, log: quiet },
    );
    second.start();
    await until(() => again.length === 3);
    await second.stop();
    expect(again).toEqual([2, 3, 4]);
  });

  it('keeps messages of a queue nobody listens on', async () => {
    const dir = stateDir();
    const bus = new LocalServiceBus([], {
      stateDir: dir,
      maxConcurrentCalls: 1,
      maxDeliveryCount: 3,
      log: quiet,
    });
    await bus.queue('orphans').send([{ messageId: 'o1', body: 'kept' }]);
    await bus.stop();
    const seen: unknown[] = [];
    const later = new LocalServiceBus(
      [listener('late', 'orphans', (body) => void seen.push(body))],
      {
        stateDir: dir,
        maxConcurrentCalls: 1,
        maxDeliveryCount: 3,
        log: quiet,
      },
    );
    later.start();
    await until(() => seen.length === 1);
    await later.stop();
    expect(seen).toEqual(['kept']);
  });
});
