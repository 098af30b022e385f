import { mapConcurrent } from '../concurrency/limits';
import { MessageQueue, QueueMessage } from './queue';

/**
 * Handles messages as they are sent, in the sender's own invocation: for work small enough to
 * finish there (a scheduled sample validation) whose result the sender needs.
 */
export class InlineQueue<T> implements MessageQueue<T> {
  constructor(
    private readonly handle: (message: QueueMessage<T>) => Promise<void>,
    private readonly concurrency: number,
  ) {}

  async send(messages: QueueMessage<T>[]): Promise<void> {
    await mapConcurrent(messages, this.concurrency, (message) => this.handle(message));
  }
}
