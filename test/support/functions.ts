import { InvocationContext } from '@azure/functions';
import { QueueMessage } from '../../src/shared/queue/queue';

/** Stands in for Service Bus: keeps what was sent, so a test delivers it to the worker. */
export class RecordingQueue<T> {
  sent: QueueMessage<T>[] = [];

  async send(messages: QueueMessage<T>[]): Promise<void> {
    this.sent.push(...messages);
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
