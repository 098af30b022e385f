import { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import { TokenCredential } from '@azure/identity';
import { MessageQueue, QueueMessage, SendOptions } from './queue';

export interface ServiceBusTarget {
  fullyQualifiedNamespace?: string;
  connectionString?: string;
}

/** Sends to a Service Bus queue; the Functions runtime delivers to the queue-triggered worker. */
export class ServiceBusQueue<T> implements MessageQueue<T> {
  private sender: ServiceBusSender | undefined;

  constructor(
    private readonly target: ServiceBusTarget,
    private readonly queueName: string,
    private readonly credential: () => TokenCredential,
  ) {}

  async send(messages: QueueMessage<T>[], options: SendOptions = {}): Promise<void> {
    const sender = this.senderFor();
    // A delayed message is a scheduled one: kept by Service Bus, enqueued at that time.
    const scheduled =
      options.delayMs && options.delayMs > 0
        ? { scheduledEnqueueTimeUtc: new Date(Date.now() + options.delayMs) }
        : {};
    let batch = await sender.createMessageBatch();
    for (const message of messages) {
      const serviceBusMessage: ServiceBusMessage = {
        messageId: message.messageId,
        body: message.body,
        contentType: 'application/json',
        ...scheduled,
      };
      if (!batch.tryAddMessage(serviceBusMessage)) {
        await sender.sendMessages(batch);
        batch = await sender.createMessageBatch();
        batch.tryAddMessage(serviceBusMessage);
      }
    }
    if (batch.count > 0) await sender.sendMessages(batch);
  }

  private senderFor(): ServiceBusSender {
    if (!this.sender) {
      const client = this.target.connectionString
        ? new ServiceBusClient(this.target.connectionString)
        : new ServiceBusClient(this.target.fullyQualifiedNamespace!, this.credential());
      this.sender = client.createSender(this.queueName);
    }
    return this.sender;
  }
}
