/**
 * A shadow read's comparison: the field paths where two answers differ, never their values.
 * The denormalized counts are left out: Cosmos gets them from the change feed seconds later,
 * so they differ by design right after a write (validation checks them).
 */
const EVENTUAL_FIELDS = new Set(['commentCount', 'childCount', 'voteCount', 'voteCounts']);
const MAX_PATHS = 20;

export function differingPaths(served: unknown, shadow: unknown): string[] {
  const paths: string[] = [];
  walk(served, shadow, '', paths);
  return paths;
}

function walk(a: unknown, b: unknown, path: string, paths: string[]): void {
  if (paths.length >= MAX_PATHS || Object.is(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) paths.push(`${path || '$'}.length`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`, paths);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (EVENTUAL_FIELDS.has(key)) continue;
      walk(a[key], b[key], path ? `${path}.${key}` : key, paths);
    }
    return;
  }
  paths.push(path || '$');
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The records an answer is about (their ids), for a mismatch's sample. */
export function idsIn(value: unknown, limit = 10): string[] {
  const ids = new Set<string>();
  const visit = (node: unknown) => {
    if (ids.size >= limit) return;
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) {
      if (typeof node.id === 'string') ids.add(node.id);
      else if (typeof node.userId === 'string') ids.add(node.userId);
      if (Array.isArray(node.items)) node.items.forEach(visit);
    }
  };
  visit(value);
  return [...ids];
}
