import { Queryable } from './queryable';

export const SOURCE_TABLES = ['users', 'posts', 'comments', 'votes'] as const;

/** The source schema (docs/data-model.md), plus the indexes a real app has behind its foreign keys (the migration's aggregates use them). */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id UUID PRIMARY KEY, username VARCHAR UNIQUE NOT NULL, email VARCHAR UNIQUE NOT NULL,
  password_hash VARCHAR NOT NULL, created_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE IF NOT EXISTS posts (
  id UUID PRIMARY KEY, title VARCHAR NOT NULL, content TEXT NOT NULL,
  author_id UUID REFERENCES users(id), author_username VARCHAR NOT NULL,
  created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(),
  comment_count INTEGER DEFAULT 0, sentiment_score DOUBLE PRECISION,
  sentiment_colors TEXT[], sentiment_type VARCHAR, sentiment_analysis JSONB,
  popularity_score DOUBLE PRECISION DEFAULT 1.0, is_blocked BOOLEAN DEFAULT FALSE,
  toxicity_tags TEXT[], toxicity_scores JSONB);
CREATE TABLE IF NOT EXISTS comments (
  id UUID PRIMARY KEY, post_id UUID REFERENCES posts(id), content TEXT NOT NULL,
  user_id UUID REFERENCES users(id), parent_id UUID REFERENCES comments(id),
  path VARCHAR NOT NULL, depth INTEGER NOT NULL, sentiment_score DOUBLE PRECISION,
  sentiment_colors TEXT[], sentiment_type VARCHAR, is_blocked BOOLEAN DEFAULT FALSE,
  toxicity_tags TEXT[], toxicity_scores JSONB,
  created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE IF NOT EXISTS votes (
  id UUID PRIMARY KEY, user_id UUID REFERENCES users(id), target_id UUID NOT NULL,
  target_type VARCHAR NOT NULL, vote_type VARCHAR NOT NULL,
  created_at TIMESTAMPTZ DEFAULT NOW(), UNIQUE(user_id, target_id, target_type));
CREATE INDEX IF NOT EXISTS comments_post_id_idx ON comments(post_id);
CREATE INDEX IF NOT EXISTS comments_parent_id_idx ON comments(parent_id);
CREATE INDEX IF NOT EXISTS posts_author_id_idx ON posts(author_id);
CREATE INDEX IF NOT EXISTS votes_target_idx ON votes(target_id, target_type);
`;

/** Any constant will do: it only has to be the same for every caller of initSource. */
const SCHEMA_LOCK_KEY = 0x50c1a1;

/**
 * Idempotent and atomic. One simple-protocol query with several statements runs as one implicit
 * transaction, which rolls back on error; an explicit BEGIN would instead leave a pooled
 * connection stuck in an aborted transaction. The advisory lock serializes concurrent callers,
 * whose simultaneous CREATE TABLE IF NOT EXISTS would otherwise fail on pg_type's unique index.
 */
export async function initSource(db: Queryable): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY}); ${SCHEMA}`);
}
