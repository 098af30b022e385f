import { describe, expect, it } from 'vitest';
import { differingFields, fieldValues, MASK } from '../../../src/shared/validation/compare';

describe('document comparison', () => {
  const expected = {
    id: 'a',
    pk: 'user:a',
    type: 'post',
    title: 'x',
    engagement: { voteCounts: { joy: 2 }, commentCount: 0 },
    tags: ['a', 'b'],
    sentiment: null,
  };

  it('ignores system properties and finds nothing in an equal document', () => {
    expect(
      differingFields(expected, { ...structuredClone(expected), _rid: 'r', _etag: '"e"', _ts: 1 }),
    ).toEqual([]);
  });

  it('names every differing, missing and unexpected property by JSON pointer', () => {
    const actual: Record<string, unknown> = structuredClone(expected);
    (actual.engagement as { voteCounts: Record<string, number> }).voteCounts.joy = 3;
    (actual.engagement as Record<string, unknown>).extra = 1;
    actual.tags = ['a', 'c'];
    delete actual.sentiment;
    actual['odd/key~'] = true;
    expect(differingFields(expected, actual).sort()).toEqual(
      [
        '/engagement/voteCounts/joy',
        '/engagement/extra',
        '/tags/1',
        '/sentiment',
        '/odd~1key~0',
      ].sort(),
    );
  });

  it('compares numbers exactly, arrays by length and order, null apart from missing', () => {
    expect(differingFields({ n: 1 }, { n: 1.0000001 })).toEqual(['/n']);
    expect(differingFields({ a: [1, 2] }, { a: [1, 2, 3] })).toEqual(['/a']);
    expect(differingFields({ a: null }, { a: {} })).toEqual(['/a']);
    expect(differingFields({ a: '1' }, { a: 1 })).toEqual(['/a']);
  });

  it('masks secrets and cuts long values in the detail', () => {
    const values = fieldValues(
      ['/passwordHash', '/email', '/content'],
      { passwordHash: 'h1', email: 'a@b', content: 'y'.repeat(5000) },
      { passwordHash: 'h2', email: 'c@d', content: 'z' },
      ['/passwordHash', '/email'],
    );
    expect(values['/passwordHash']).toEqual({ expected: MASK, actual: MASK });
    expect(values['/email']).toEqual({ expected: MASK, actual: MASK });
    expect(String(values['/content']!.expected).length).toBeLessThan(300);
    expect(JSON.stringify(values)).not.toMatch(/h1|h2|a@b|c@d/);
  });
});
