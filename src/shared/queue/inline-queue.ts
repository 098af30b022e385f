import { setTimeout as sleep } from 'node:timers/promises';
import { mapConcurrent } from '../concurrency/limits';
import { MessageQueue, QueueMessage, SendOptions } from './queue';

/**
 * Handles messages as they are sent, in the sender's own invocation: for work small enough to
 * finish there (a scheduled sample validation) whose result the sender needs. A delay is
 * waited out in that invocation too.
 */
export class InlineQueue<T> implements MessageQueue<T> {
  constructor(
    private readonly handle: (message: QueueMessage<T>) => Promise<void>,
    private readonly concurrency: number,
  ) {}

  async send(messages: QueueMessage<T>[], options: SendOptions = {}): Promise<void> {
    if (options.delayMs && options.delayMs > 0) await sleep(options.delayMs);
    await mapConcurrent(messages, this.concurrency, (message) => this.handle(message));
  }
}
