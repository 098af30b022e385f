import { Stage } from '../../src/shared/cutover/stages';

/**
 * What each stage routes to: the authoritative store, the second write, shadow reads, and
 * where a user's reads go (undefined: it depends on the user's Targeting cohort).
 */
export const STAGE_ROUTING: Record<Stage, [string, string | null, boolean, string | undefined]> = {
  'postgres-only': ['postgres', null, false, 'postgres'],
  'dual-write': ['postgres', 'cosmos', false, 'postgres'],
  'shadow-reads': ['postgres', 'cosmos', true, 'postgres'],
  'cosmos-reads': ['postgres', 'cosmos', true, undefined],
  'cosmos-primary': ['cosmos', 'postgres', true, 'cosmos'],
  'cosmos-only': ['cosmos', null, false, 'cosmos'],
};
