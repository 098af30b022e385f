/**
 * RU of one write by document size, from the table Microsoft publishes in "Understand request
 * unit consumption" (learn.microsoft.com/azure/cosmos-db/understand-request-unit-consumption):
 * a write with the default (index everything) policy, session consistency. Between two points
 * the charge is interpolated linearly; below 1 KB it is the 1 KB charge (a write never costs
 * less); above 2 MB it cannot happen (the limit).
 *
 * The local server always charges 1 RU, so nothing here can be measured on this machine. In
 * Azure, a run records the real RU of every batch: compare after a first small run.
 */
const WRITE_RU_BY_KB: readonly (readonly [number, number])[] = [
  [1, 4.95],
  [2, 6.29],
  [4, 6.67],
  [8, 7.04],
  [16, 9.52],
  [32, 11.23],
  [64, 22.67],
  [128, 48.19],
  [256, 98.29],
  [512, 184.57],
  [1024, 625],
  [2048, 1250],
];

export const RU_MODEL_SOURCE =
  "write RU by document size from Microsoft's published table (1 KB 4.95, 4 KB 6.67, 16 KB 9.52, 64 KB 22.67, 256 KB 98.29, 1 MB 625), linear in between";

export function writeRequestUnits(bytes: number): number {
  const kb = bytes / 1024;
  const [firstKb, firstRu] = WRITE_RU_BY_KB[0]!;
  if (kb <= firstKb) return firstRu;
  for (let i = 1; i < WRITE_RU_BY_KB.length; i++) {
    const [hiKb, hiRu] = WRITE_RU_BY_KB[i]!;
    if (kb <= hiKb) {
      const [loKb, loRu] = WRITE_RU_BY_KB[i - 1]!;
      return loRu + ((kb - loKb) / (hiKb - loKb)) * (hiRu - loRu);
    }
  }
  const [lastKb, lastRu] = WRITE_RU_BY_KB[WRITE_RU_BY_KB.length - 1]!;
  return (lastRu * kb) / lastKb;
}
