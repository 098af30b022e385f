import { AppError } from '../shared/errors/app-error';

/** A parsed route template: `migrations/{runId}`, `{id?}`, `{id:int}`, `{*rest}`. */
export interface RouteTemplate {
  template: string;
  match(path: string): Record<string, string> | undefined;
  /** Literal segments first, as the Functions host (ASP.NET routing) orders candidates. */
  precedence: number;
}

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean; constraint?: string; catchAll: boolean };

const CONSTRAINTS: Record<string, (value: string) => boolean> = {
  int: (value) => /^-?\d+$/.test(value),
  long: (value) => /^-?\d+$/.test(value),
  bool: (value) => /^(true|false)$/i.test(value),
  guid: (value) => /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(value),
  alpha: (value) => /^[a-z]+$/i.test(value),
};

export function parseRoute(template: string): RouteTemplate {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments = trimmed === '' ? [] : trimmed.split('/').map(parseSegment(template));
  const catchAllAt = segments.findIndex((s) => s.kind === 'param' && s.catchAll);
  if (catchAllAt >= 0 && catchAllAt !== segments.length - 1) {
    throw new AppError('HOST_INVALID_ROUTE', `route ${template}: a catch-all must come last`);
  }
  return {
    template: trimmed,
    precedence: segments.reduce(
      (sum, s, i) => sum + (s.kind === 'literal' ? 2 ** (segments.length - i) : 0),
      0,
    ),
    match(path) {
      const parts = path.split('/').filter((part) => part !== '');
      const params: Record<string, string> = {};
      for (const [i, segment] of segments.entries()) {
        if (segment.kind === 'param' && segment.catchAll) {
          params[segment.name] = parts.slice(i).map(decode).join('/');
          return params;
        }
        const part = parts[i];
        if (part === undefined) {
          if (segment.kind === 'param' && segment.optional && i === segments.length - 1) break;
          return undefined;
        }
        const value = decode(part);
        if (segment.kind === 'literal') {
          if (value.toLowerCase() !== segment.text.toLowerCase()) return undefined;
          continue;
        }
        if (segment.constraint && !CONSTRAINTS[segment.constraint]!(value)) return undefined;
        params[segment.name] = value;
      }
      return parts.length <= segments.length ? params : undefined;
    },
  };
}

function parseSegment(template: string) {
  return (text: string): Segment => {
    const param = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\?)?\}$/.exec(text);
    if (param) {
      const [, star, name, constraint, optional] = param;
      if (constraint && !CONSTRAINTS[constraint]) {
        throw new AppError(
          'HOST_INVALID_ROUTE',
          `route ${template}: unknown constraint :${constraint}`,
        );
      }
      return { kind: 'param', name: name!, optional: !!optional, constraint, catchAll: !!star };
    }
    if (/[{}]/.test(text)) {
      throw new AppError('HOST_INVALID_ROUTE', `route ${template}: cannot read segment "${text}"`);
    }
    return { kind: 'literal', text };
  };
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
