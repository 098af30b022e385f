import { InvocationContext } from '@azure/functions';
import { QueueMessage, SendOptions } from '../../src/shared/queue/queue';

/** Stands in for Service Bus: keeps what was sent, so a test delivers it to the worker. */
export class RecordingQueue<T> {
  sent: QueueMessage<T>[] = [];
  /** The delay each message was sent with (messageId → ms), when it had one. */
  delays = new Map<string, number>();

  async send(messages: QueueMessage<T>[], options: SendOptions = {}): Promise<void> {
    this.sent.push(...messages);
    if (options.delayMs)
      for (const message of messages) this.delays.set(message.messageId, options.delayMs);
  }

  /** What was sent since the last take. */
  take(): QueueMessage<T>[] {
    return this.sent.splice(0);
  }
}

/** The context the Functions host would pass, with every log line appended to `logs`. */
export function functionContext(logs: string[]) {
  return (functionName: string, triggerMetadata: Record<string, unknown> = {}) =>
    new InvocationContext({
      invocationId: `test-${functionName}`,
      functionName,
      logHandler: (_level, ...args) => logs.push(args.join(' ')),
      triggerMetadata,
    });
}
