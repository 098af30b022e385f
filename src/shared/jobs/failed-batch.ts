interface FailableBatch {
  status: string;
  finishedAt: string | null;
  lastError: string | null;
}

/** A batch after its last delivery: failed, with the queue's reason and the last error seen. */
export function asFailed<T extends FailableBatch>(batch: T, reason: string): T {
  return {
    ...batch,
    status: 'failed',
    finishedAt: new Date().toISOString(),
    lastError: batch.lastError ? `${reason} (last error: ${batch.lastError})` : reason,
  };
}
