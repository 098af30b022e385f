import type { IndexingPolicy } from '@azure/cosmos';

/**
 * The meaningful parts of an index policy. Cosmos adds defaults when it stores one (the
 * `_etag` exclusion, `automatic`, legacy `indexes` arrays, ascending as the default order), so
 * a policy is compared by what it indexes, not by its JSON.
 */
interface Shape {
  mode: string;
  included: Set<string>;
  excluded: Set<string>;
  composites: Set<string>;
}

const SERVER_DEFAULT_EXCLUDED = '/"_etag"/?';

function shape(policy: IndexingPolicy | null | undefined): Shape {
  const included = policy?.includedPaths?.map((p) => p.path) ?? [];
  return {
    mode: (policy?.indexingMode ?? 'consistent').toLowerCase(),
    // No included paths at all is the default: everything.
    included: new Set(included.length > 0 ? included : ['/*']),
    excluded: new Set(
      (policy?.excludedPaths ?? []).map((p) => p.path).filter((p) => p !== SERVER_DEFAULT_EXCLUDED),
    ),
    composites: new Set(
      (policy?.compositeIndexes ?? []).map(
        (composite) =>
          `(${composite.map((p) => `${p.path} ${(p.order ?? 'ascending').toLowerCase() === 'descending' ? 'DESC' : 'ASC'}`).join(', ')})`,
      ),
    ),
  };
}

export interface PolicyDifferences {
  /**
   * Differences from the policy of containers.json: a lacking inclusion or composite index leaves
   * queries without their index, a lacking exclusion makes every write cost more.
   */
  problems: string[];
  /** Additions only (an extra inclusion or composite index): queries work, writes cost a bit more. */
  extras: string[];
}

/** `expected` null means the Cosmos default policy (everything indexed, no composites). */
export function comparePolicies(
  expected: IndexingPolicy | null,
  actual: IndexingPolicy | undefined,
): PolicyDifferences {
  const want = shape(expected);
  const have = shape(actual);
  const problems: string[] = [];
  const extras: string[] = [];
  const absent = (from: Set<string>, other: Set<string>) => [...from].filter((x) => !other.has(x));
  if (want.mode !== have.mode)
    problems.push(`indexing mode is ${have.mode}, expected ${want.mode}`);
  for (const path of absent(want.included, have.included))
    problems.push(`lacks included path ${path}`);
  for (const path of absent(want.excluded, have.excluded))
    problems.push(`lacks excluded path ${path}`);
  for (const index of absent(want.composites, have.composites))
    problems.push(`lacks composite index ${index}`);
  for (const path of absent(have.excluded, want.excluded)) problems.push(`also excludes ${path}`);
  for (const path of absent(have.included, want.included)) extras.push(`also includes ${path}`);
  for (const index of absent(have.composites, want.composites))
    extras.push(`has extra composite index ${index}`);
  return { problems, extras };
}
