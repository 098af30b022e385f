import { describe, expect, it } from 'vitest';
import { InProcessQueue } from '../../../src/shared/queue/in-process-queue';
import { InlineQueue } from '../../../src/shared/queue/inline-queue';
import { QueueMessage } from '../../../src/shared/queue/queue';

describe('in-process queue: scheduled messages', () => {
  const queueOf = (handled: { body: number; at: number }[], journal?: string[]) =>
    new InProcessQueue<number>({
      concurrency: 2,
      maxDeliveryCount: 1,
      handle: async ({ message }) => void handled.push({ body: message.body, at: Date.now() }),
      deadLetter: () => Promise.reject(new Error('nothing is dead-lettered here')),
      ...(journal
        ? {
            journal: {
              accepted: (message: QueueMessage<number>) => journal.push(`+${message.messageId}`),
              settled: (message: QueueMessage<number>) => journal.push(`-${message.messageId}`),
            },
          }
        : {}),
    });

  it('delivers a delayed message no sooner than its delay; idle waits for it', async () => {
    const handled: { body: number; at: number }[] = [];
    const journal: string[] = [];
    const queue = queueOf(handled, journal);
    const sentAt = Date.now();
    await queue.send([{ messageId: 'later', body: 2 }], { delayMs: 300 });
    await queue.send([{ messageId: 'now', body: 1 }]);
    // Journaled when sent, as Service Bus keeps a scheduled message from the moment it is sent.
    expect(journal.slice(0, 2)).toEqual(['+later', '+now']);
    expect(journal).not.toContain('-later');
    await queue.idle();
    expect(handled.map((h) => h.body)).toEqual([1, 2]);
    expect(handled[1]!.at - sentAt).toBeGreaterThanOrEqual(290);
    expect(journal).toEqual(['+later', '+now', '-now', '-later']);
  });

  it('still drops a repeated id, scheduled or not', async () => {
    const handled: { body: number; at: number }[] = [];
    const queue = queueOf(handled);
    await queue.send([{ messageId: 'a', body: 1 }], { delayMs: 50 });
    await queue.send([{ messageId: 'a', body: 2 }]);
    await queue.idle();
    expect(handled.map((h) => h.body)).toEqual([1]);
  });

  it('on stop, does not deliver what is scheduled and is idle at once (the journal keeps it)', async () => {
    const handled: { body: number; at: number }[] = [];
    const journal: string[] = [];
    const queue = queueOf(handled, journal);
    await queue.send([{ messageId: 'later', body: 1 }], { delayMs: 10_000 });
    const idle = queue.idle();
    queue.stop();
    await idle;
    expect(handled).toEqual([]);
    expect(journal).toEqual(['+later']);
  });

  it('the inline queue waits a delay out before handling', async () => {
    const handled: number[] = [];
    const queue = new InlineQueue<number>(async (message) => void handled.push(message.body), 1);
    const started = Date.now();
    await queue.send([{ messageId: 'x', body: 1 }], { delayMs: 100 });
    expect(handled).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });
});
