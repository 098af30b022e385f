import { describe, expect, it } from 'vitest';
import { parseRoute } from '../../src/host/routes';

describe('route templates', () => {
  it('matches literals case-insensitively and captures parameters, decoded', () => {
    const route = parseRoute('migrations/{runId}/report');
    expect(route.match('Migrations/run-1/REPORT')).toEqual({ runId: 'run-1' });
    expect(route.match('migrations/a%20b/report')).toEqual({ runId: 'a b' });
    expect(route.match('migrations/run-1')).toBeUndefined();
    expect(route.match('migrations/run-1/report/extra')).toBeUndefined();
  });

  it('takes optional parameters, constraints and a catch-all', () => {
    expect(parseRoute('items/{id?}').match('items')).toEqual({});
    expect(parseRoute('items/{id?}').match('items/7')).toEqual({ id: '7' });
    expect(parseRoute('items/{id:int}').match('items/7')).toEqual({ id: '7' });
    expect(parseRoute('items/{id:int}').match('items/seven')).toBeUndefined();
    expect(parseRoute('files/{*rest}').match('files/a/b/c')).toEqual({ rest: 'a/b/c' });
  });

  it('ranks literal segments before parameters, as the Functions host does', () => {
    const literal = parseRoute('migrations/latest');
    const param = parseRoute('migrations/{runId}');
    expect(literal.match('migrations/latest')).toEqual({});
    expect(param.match('migrations/latest')).toEqual({ runId: 'latest' });
    expect(literal.precedence).toBeGreaterThan(param.precedence);
  });

  it('refuses templates it cannot read', () => {
    expect(() => parseRoute('a/{*rest}/b')).toThrow(/catch-all must come last/);
    expect(() => parseRoute('a/{id:weird}')).toThrow(/unknown constraint/);
    expect(() => parseRoute('a/{id')).toThrow(/cannot read segment/);
  });
});
