import { errorMessage } from '../errors/app-error';
import { MessageQueue, QueueMessage, SendOptions } from './queue';

export interface Delivery<T> {
  message: QueueMessage<T>;
  deliveryCount: number;
}

export interface InProcessQueueOptions<T> {
  concurrency: number;
  maxDeliveryCount: number;
  handle(delivery: Delivery<T>): Promise<void>;
  deadLetter(message: QueueMessage<T>, reason: string): Promise<void>;
  /** Told of each message taken in and each one done with (handled or dead-lettered): a durable copy. */
  journal?: QueueJournal<T>;
}

export interface QueueJournal<T> {
  accepted(message: QueueMessage<T>): void;
  settled(message: QueueMessage<T>): void;
}

/**
 * The local stand-in for a Service Bus queue, with the same guarantees the workers rely on:
 * at-least-once delivery, redelivery after a failure up to a max delivery count, then the
 * dead-letter handler, duplicate detection on `messageId`, and scheduled (delayed) messages.
 */
export class InProcessQueue<T> implements MessageQueue<T> {
  private readonly waiting: Delivery<T>[] = [];
  private readonly seen = new Set<string>();
  /** Delayed messages, each set on its timer (journaled already, as Service Bus keeps them). */
  private readonly scheduled = new Map<NodeJS.Timeout, Delivery<T>[]>();
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly options: InProcessQueueOptions<T>) {}

  async send(messages: QueueMessage<T>[], options: SendOptions = {}): Promise<void> {
    const accepted: Delivery<T>[] = [];
    for (const message of messages) {
      if (this.seen.has(message.messageId)) continue;
      this.seen.add(message.messageId);
      this.options.journal?.accepted(message);
      accepted.push({ message, deliveryCount: 1 });
    }
    const delayMs = options.delayMs ?? 0;
    if (delayMs > 0 && accepted.length > 0 && !this.stopped) {
      const timer = setTimeout(() => {
        this.scheduled.delete(timer);
        this.waiting.push(...accepted);
        this.pump();
      }, delayMs);
      this.scheduled.set(timer, accepted);
      return;
    }
    this.waiting.push(...accepted);
    this.pump();
  }

  /**
   * Resolves when nothing is in flight, waiting or scheduled for later (or the queue was
   * stopped).
   */
  idle(): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking messages; what is in flight finishes. Scheduled messages are not delivered
   * (their journal keeps them for the next start).
   */
  stop(): void {
    this.stopped = true;
    for (const [timer, deliveries] of this.scheduled) {
      clearTimeout(timer);
      this.waiting.push(...deliveries);
    }
    this.scheduled.clear();
    if (this.settled()) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }

  private settled(): boolean {
    return (
      this.active === 0 &&
      (this.stopped || (this.waiting.length === 0 && this.scheduled.size === 0))
    );
  }

  private pump(): void {
    while (!this.stopped && this.active < this.options.concurrency && this.waiting.length > 0) {
      const delivery = this.waiting.shift()!;
      this.active++;
      void this.deliver(delivery).finally(() => {
        this.active--;
        this.pump();
        if (this.settled()) {
          this.idleWaiters.splice(0).forEach((resolve) => resolve());
        }
      });
    }
  }

  private async deliver(delivery: Delivery<T>): Promise<void> {
    try {
      await this.options.handle(delivery);
    } catch (error) {
      if (delivery.deliveryCount < this.options.maxDeliveryCount) {
        this.waiting.push({ message: delivery.message, deliveryCount: delivery.deliveryCount + 1 });
        return;
      }
      const reason = `MaxDeliveryCountExceeded: ${errorMessage(error)}`;
      await this.options.deadLetter(delivery.message, reason).catch(() => undefined);
    }
    this.options.journal?.settled(delivery.message);
  }
}
