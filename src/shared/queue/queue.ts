export interface QueueMessage<T> {
  /** Service Bus duplicate detection drops a second message with the same id. */
  messageId: string;
  body: T;
}

/** Sends work to the workers (Service Bus in Azure, an in-process queue locally). */
export interface MessageQueue<T> {
  send(messages: QueueMessage<T>[]): Promise<void>;
}
