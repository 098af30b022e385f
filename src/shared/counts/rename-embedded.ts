import { ChangedDocument } from './parents';
import { EmbeddedIn, NamesStore } from './names-store';

export interface RenameResult {
  users: number;
  updated: Record<EmbeddedIn, number>;
  ru: number;
}

const PLACES: EmbeddedIn[] = ['posts', 'comments', 'votes'];

/**
 * A changed user document: its username, as the users container holds it NOW (so an older or
 * duplicated delivery cannot bring back an old name), is set in the documents that embed it,
 * only where it differs. A user's changes reach the feed in order (one partition, one lease).
 */
export async function renameEmbedded(
  deps: { names: NamesStore },
  documents: readonly ChangedDocument[],
): Promise<RenameResult> {
  const userIds = [...new Set(documents.filter((d) => d.type === 'user').map((d) => d.id))];
  const result: RenameResult = {
    users: userIds.length,
    updated: { posts: 0, comments: 0, votes: 0 },
    ru: 0,
  };
  for (const userId of userIds) {
    const current = await deps.names.currentUsername(userId);
    result.ru += current.ru;
    if (current.value === undefined) continue;
    for (const where of PLACES) {
      const renamed = await deps.names.rename(where, userId, current.value);
      result.ru += renamed.ru;
      result.updated[where] += renamed.value;
    }
  }
  return result;
}
