import path from 'node:path';
import { InProcessQueue } from '../shared/queue/in-process-queue';
import { MessageQueue, QueueMessage } from '../shared/queue/queue';
import { HostLog, invokeOnce } from './invoke';
import { FileQueueJournal } from './queue-journal';
import { Registration } from './registrations';

/** What Service Bus keeps beside a message body and hands the trigger as metadata. */
interface Envelope {
  body: unknown;
  enqueuedTimeUtc: string;
  deadLetterReason?: string;
  deadLetterErrorDescription?: string;
}

export interface LocalServiceBusOptions {
  /** Where each queue's journal lives, so messages outlive the host process. */
  stateDir: string;
  /** host.json `extensions.serviceBus.maxConcurrentCalls`: deliveries in flight per queue. */
  maxConcurrentCalls: number;
  /** The queues' max delivery count, after which a message is dead-lettered. */
  maxDeliveryCount: number;
  log: HostLog;
}

interface LocalQueue {
  sender: MessageQueue<unknown>;
  enqueue(messages: QueueMessage<Envelope>[]): Promise<void>;
  stop(): Promise<void>;
}

export const DEAD_LETTER_SUFFIX = '/$DeadLetterQueue';

/**
 * Service Bus queues for the local host: each queue a function listens on delivers to it at
 * least once, redelivers after a failure up to the max delivery count, then moves the message
 * to `<queue>/$DeadLetterQueue`, whose own function (if any) receives it with the reason.
 * A queue nobody listens on keeps its messages. Every queue is journaled to disk.
 */
export class LocalServiceBus {
  private readonly queues = new Map<string, LocalQueue>();
  private readonly listeners = new Map<string, Registration>();

  constructor(
    listeners: { queueName: string; registration: Registration }[],
    private readonly options: LocalServiceBusOptions,
  ) {
    for (const { queueName, registration } of listeners)
      this.listeners.set(queueName, registration);
  }

  /** Opens every queue a function listens on and delivers what their journals still hold. */
  start(): void {
    for (const name of this.listeners.keys()) this.open(name);
  }

  /** The sender for a queue, as the engine's queue port. */
  queue(name: string): MessageQueue<unknown> {
    return this.open(name).sender;
  }

  /** Stops delivering; deliveries in flight finish, the rest stay in their journals. */
  async stop(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.stop()));
  }

  private open(name: string): LocalQueue {
    const known = this.queues.get(name);
    if (known) return known;
    const { journal, pending } = FileQueueJournal.open<Envelope>(
      path.join(this.options.stateDir, 'queues'),
      name,
    );
    const registration = this.listeners.get(name);
    const inner = new InProcessQueue<Envelope>({
      concurrency: registration ? this.options.maxConcurrentCalls : 0,
      maxDeliveryCount: this.options.maxDeliveryCount,
      journal,
      handle: async ({ message, deliveryCount }) => {
        const { body, ...properties } = message.body;
        await invokeOnce(
          registration!,
          [body],
          {
            reason: `New ServiceBus message detected on '${name}'.`,
            triggerMetadata: { messageId: message.messageId, deliveryCount, ...properties },
          },
          this.options.log,
        );
      },
      deadLetter: async (message, reason) => {
        const [code, ...description] = reason.split(': ');
        this.options.log(
          'warning',
          `message ${message.messageId} on ${name} dead-lettered: ${reason}`,
        );
        await this.open(`${name}${DEAD_LETTER_SUFFIX}`).enqueue([
          {
            messageId: message.messageId,
            body: {
              ...message.body,
              deadLetterReason: code,
              deadLetterErrorDescription: description.join(': '),
            },
          },
        ]);
      },
    });
    const wrap = (message: QueueMessage<unknown>): QueueMessage<Envelope> => ({
      messageId: message.messageId,
      body: { body: message.body, enqueuedTimeUtc: new Date().toISOString() },
    });
    const queue: LocalQueue = {
      sender: { send: (messages, options) => inner.send(messages.map(wrap), options) },
      enqueue: (messages) => inner.send(messages),
      async stop() {
        inner.stop();
        await inner.idle();
      },
    };
    this.queues.set(name, queue);
    void inner.send(pending);
    return queue;
  }
}
