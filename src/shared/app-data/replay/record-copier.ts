import { WriteRef } from '../write-refs';

/** What a copy did to the store it wrote. */
export type CopyOutcome = 'written' | 'deleted' | 'absent';

/** Makes one store's copy of a record what the other store holds now. */
export interface RecordCopier {
  copy(ref: WriteRef): Promise<CopyOutcome>;
}

/** A copy is redone while the record changed under it, this often at most. */
export const COPY_ATTEMPTS = 3;

/** Ignores a not-found: a delete of what is already gone is done. */
export async function deleted(work: () => Promise<void>): Promise<CopyOutcome> {
  try {
    await work();
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'APP_NOT_FOUND') throw error;
  }
  return 'deleted';
}
