import { MessageQueue } from '../queue/queue';
import { MigrationGate } from './migration-gate';

export interface PauseDelays {
  /** The first pause of a message sends it back this much later… */
  requeueDelayMs: number;
  /** …each further pause of it twice as long as the one before, up to this. */
  maxRequeueDelayMs: number;
}

export interface HoldDeps<T> {
  gate: MigrationGate;
  /** The queue the message came from: it goes back there. */
  queue: MessageQueue<T>;
  delays: PauseDelays;
}

export interface DeliveredMessage<T> {
  /** The id it was delivered with (trigger metadata `messageId`). */
  messageId: string | undefined;
  /** The id it was first sent with, when the trigger gives none (a direct call). */
  fallbackId: string;
  body: T;
}

export type HoldOutcome =
  | { kind: 'open'; staleBecause?: string }
  | {
      kind: 'held';
      /** The id of the copy sent back (`<id>#paused-<n>`). */
      requeuedAs: string;
      /** How many times this message has been paused, this one included. */
      pauses: number;
      delayMs: number;
      staleBecause?: string;
    };

/**
 * A queue worker's first step: while `Migration.Enabled` is off, sends the message back to its
 * queue, the same body, to be delivered later, and says so; the worker then returns without
 * throwing, so the delivery completes: the delivery count does not grow and the message is
 * never dead-lettered. The copy's id is derived from the delivered one (`#paused-<n>`, n
 * counting the pauses), so it is not dropped by duplicate detection, yet a delivery repeated
 * after the copy was sent (the completion lost) sends the same id again, which is dropped:
 * one copy per pause, never two. If the send fails, it throws: the delivery is retried as any
 * failure is.
 */
export async function holdWhilePaused<T>(
  deps: HoldDeps<T>,
  delivered: DeliveredMessage<T>,
): Promise<HoldOutcome> {
  const reading = await deps.gate.read();
  const stale = reading.staleBecause ? { staleBecause: reading.staleBecause } : {};
  if (reading.open) return { kind: 'open', ...stale };
  const { messageId, pauses } = pausedMessageId(delivered.messageId ?? delivered.fallbackId);
  const delayMs = pauseDelayMs(pauses, deps.delays);
  await deps.queue.send([{ messageId, body: delivered.body }], { delayMs });
  return { kind: 'held', requeuedAs: messageId, pauses, delayMs, ...stale };
}

/** The delivered message's id, from a Service Bus trigger's metadata. */
export function deliveredMessageId(
  metadata: Record<string, unknown> | undefined,
): string | undefined {
  const id = metadata?.messageId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

const PAUSED_SUFFIX = /#paused-(\d+)$/;

/** `<id>` → `<id>#paused-1`, `<id>#paused-n` → `<id>#paused-(n+1)`. */
export function pausedMessageId(messageId: string): { messageId: string; pauses: number } {
  const match = PAUSED_SUFFIX.exec(messageId);
  const pauses = match ? Number(match[1]) + 1 : 1;
  const base = match ? messageId.slice(0, match.index) : messageId;
  return { messageId: `${base}#paused-${pauses}`, pauses };
}

/** The delay of a message's n-th pause: doubling from the first, capped. */
export function pauseDelayMs(pauses: number, delays: PauseDelays): number {
  const doubled = delays.requeueDelayMs * 2 ** Math.min(Math.max(pauses - 1, 0), 30);
  return Math.min(delays.maxRequeueDelayMs, doubled);
}
