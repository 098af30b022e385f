import { describe, expect, it } from 'vitest';
import { CosmosDocument } from '../../../src/shared/entities/entity';
import { DEPENDENTS } from '../../../src/shared/sync/dependents';

const post = (pk: string): CosmosDocument => ({ id: 'p1', pk, type: 'post' });
const comment = (pk: string): CosmosDocument => ({ id: 'c1', pk, type: 'comment', postId: 'p1' });
const embedders = (
  rule: keyof typeof DEPENDENTS,
  before: CosmosDocument[],
  after: CosmosDocument[],
) => DEPENDENTS[rule](before, after).embedders.map((r) => `${r.entity}.${r.column}`);

describe('DEPENDENTS: what a changed row makes dirty', () => {
  it('a post that moved partition re-reads its comments and votes, whichever stored copy comes first', () => {
    const moved = ['comments.post_id', 'votes.target_id'];
    expect(embedders('posts', [post('user:a')], [post('user:b')])).toEqual(moved);
    // Two copies stored (the new one written early as a parent): the move still shows.
    expect(embedders('posts', [post('user:b'), post('user:a')], [post('user:b')])).toEqual(moved);
    expect(embedders('posts', [post('user:a'), post('user:b')], [post('user:b')])).toEqual(moved);
  });

  it('a post that stayed, or is new, or is gone', () => {
    expect(embedders('posts', [post('user:a')], [post('user:a')])).toEqual([]);
    expect(embedders('posts', [], [post('user:a')])).toHaveLength(2);
    expect(embedders('posts', [post('user:a')], [])).toHaveLength(2);
    expect(embedders('posts', [], [])).toEqual([]);
  });

  it('a comment that moved re-reads its votes; its old and new parents are dirty', () => {
    const before = [{ ...comment('post:p0'), postId: 'p0', threading: { parentId: 'c0' } }];
    const after = [{ ...comment('post:p1'), threading: { parentId: null } }];
    const { parents, embedders: rows } = DEPENDENTS.comments(before, after);
    expect(rows.map((r) => `${r.entity}.${r.column}`)).toEqual(['votes.target_id']);
    expect(parents).toEqual(
      expect.arrayContaining([
        { entity: 'posts', id: 'p0' },
        { entity: 'posts', id: 'p1' },
        { entity: 'comments', id: 'c0' },
      ]),
    );
  });
});
