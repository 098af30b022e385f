import { parseConfig } from '../shared/config/config';

/** Whether to print stack traces on failure (COSMOS_MIGRATION_DEBUG=1). */
export function appConfigDebug(): boolean {
  try {
    return parseConfig().debug;
  } catch {
    return false;
  }
}
