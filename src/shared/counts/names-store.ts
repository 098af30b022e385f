import { Charged } from './counts-store';

/** Where a user's embedded name lives: its posts (one partition), comments and votes (all). */
export type EmbeddedIn = 'posts' | 'comments' | 'votes';

export interface NamesStore {
  /** The user's current username, or undefined when the user document is gone. */
  currentUsername(userId: string): Promise<Charged<string | undefined>>;
  /** Sets the embedded username and displayName where they differ; returns how many it changed. */
  rename(where: EmbeddedIn, userId: string, username: string): Promise<Charged<number>>;
}
