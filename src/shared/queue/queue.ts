export interface QueueMessage<T> {
  /** Service Bus duplicate detection drops a second message with the same id. */
  messageId: string;
  body: T;
}

export interface SendOptions {
  /**
   * Deliver no sooner than this many milliseconds from now (Service Bus
   * `scheduledEnqueueTimeUtc`; a timer in the in-process queue). Absent or 0: at once.
   */
  delayMs?: number;
}

/** Sends work to the workers (Service Bus in Azure, an in-process queue locally). */
export interface MessageQueue<T> {
  send(messages: QueueMessage<T>[], options?: SendOptions): Promise<void>;
}
