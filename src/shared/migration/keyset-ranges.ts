import { KeyRange, SourceReader } from '../postgres/source-reader';

/** A table split into keyset ranges of `batchSize` rows (never OFFSET), with its row count. */
export async function keysetRanges(
  source: Pick<SourceReader, 'count' | 'boundaries'>,
  table: string,
  batchSize: number,
): Promise<{ sourceRows: number; ranges: KeyRange[] }> {
  const [sourceRows, bounds] = await Promise.all([
    source.count(table),
    source.boundaries(table, batchSize),
  ]);
  // A table whose size is a multiple of the batch size would otherwise end in an empty batch.
  if (bounds.length > 0 && sourceRows % batchSize === 0) bounds.pop();
  const uppers: (string | null)[] = [...bounds, null];
  const ranges = uppers.map((to, i) => ({ from: i === 0 ? null : uppers[i - 1]!, to }));
  return { sourceRows, ranges };
}
