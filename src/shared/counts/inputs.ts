import { z } from 'zod';
import { ChangedDocument } from './parents';

/** A change-feed batch: documents with at least `id`, `pk` and `type`; the rest as delivered. */
export const changedDocumentsSchema = z.array(
  z.looseObject({ id: z.string().min(1), pk: z.string().min(1), type: z.string().min(1) }),
);

export function parseChangedDocuments(input: unknown): ChangedDocument[] {
  const parsed = changedDocumentsSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`malformed change-feed batch: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  }
  return parsed.data as ChangedDocument[];
}
