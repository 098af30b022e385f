/**
 * Votes per type in JavaScript's default key order (UTF-16 code units), so that equal
 * tallies compare equal whichever store or recount produced them.
 */
export function sortedCounts(
  counts: Record<string, number> | null | undefined,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

export const totalVotes = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((sum, n) => sum + n, 0);
