import { describe, expect, it } from 'vitest';
import { comments, CommentRow } from '../../../src/shared/entities/comments';
import { posts, PostRow } from '../../../src/shared/entities/posts';
import { votes, VoteRow } from '../../../src/shared/entities/votes';
import { transformBatch } from '../../../src/shared/migration/transform-batch';

const ID = '0b0b0b0b-0000-4000-8000-000000000001';
const TS = '2024-01-01 00:00:00+00';

const post = (overrides: Partial<PostRow>): PostRow => ({
  id: ID,
  title: 't',
  content: 'c',
  author_id: ID,
  author_name: 'a',
  created_at: TS,
  updated_at: TS,
  sentiment_score: null,
  sentiment_colors: null,
  sentiment_type: null,
  sentiment_analysis: null,
  popularity_score: 1,
  is_blocked: false,
  toxicity_tags: null,
  toxicity_scores: null,
  comment_total: 0,
  vote_total: 0,
  vote_counts: {},
  last_activity_at: TS,
  ...overrides,
});

describe('rows whose keys are NULL', () => {
  it('a post without author, a comment without post and a vote without user are row errors, not guesses', () => {
    expect(transformBatch(posts, [post({ author_id: null })]).rowErrors).toEqual([
      {
        table: 'posts',
        id: ID,
        code: 'MISSING_KEY',
        message: 'author_id is NULL, so no partition key can be formed',
      },
    ]);
    const comment = {
      id: ID,
      post_id: null,
      post_author_id: null,
      content: 'x',
      user_id: null,
      author_name: null,
      parent_id: null,
      path: `${ID}/`,
      depth: 0,
      child_total: 0,
      sentiment_score: null,
      sentiment_colors: null,
      sentiment_type: null,
      is_blocked: null,
      toxicity_tags: null,
      toxicity_scores: null,
      vote_total: 0,
      vote_counts: {},
      created_at: null,
      updated_at: null,
    } satisfies CommentRow;
    expect(transformBatch(comments, [comment]).rowErrors[0]?.code).toBe('MISSING_KEY');
    const vote = {
      id: ID,
      user_id: null,
      username: null,
      target_id: ID,
      target_type: 'post',
      vote_type: 'like',
      target_pk: null,
      created_at: TS,
    } satisfies VoteRow;
    expect(transformBatch(votes, [vote]).rowErrors[0]?.code).toBe('MISSING_KEY');
  });

  it('a document over 2 MB is a row error while the rest of the batch goes on', () => {
    const result = transformBatch(posts, [
      post({ content: 'x'.repeat(2_100_000) }),
      post({ id: ID.replace('1', '2') }),
    ]);
    expect(result.rowErrors.map((e) => e.code)).toEqual(['DOCUMENT_TOO_LARGE']);
    expect(result.documents).toHaveLength(1);
    expect(result.rowsTransformed).toBe(1);
  });

  it('a free-text vote target type is encoded inside the id', () => {
    const vote = {
      id: ID,
      user_id: ID,
      username: 'u',
      target_id: ID,
      target_type: 'po/st?#',
      vote_type: 'like',
      target_pk: null,
      created_at: TS,
    } satisfies VoteRow;
    const [document] = transformBatch(votes, [vote]).documents;
    expect(document?.id).toBe(`vote_${ID}_${ID}_po%2Fst%3F%23`);
  });
});
