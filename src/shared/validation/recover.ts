import { AppConfig } from '../config/config';
import { EntityName } from '../entities/entity';
import { ValidationDeps } from './deps';
import { startValidation, StartValidationResult } from './start-validation';

export interface RecoverInput {
  from: string;
  to: string;
  entities?: EntityName[];
  deleteExtras?: boolean;
}

/**
 * Compares, and repairs as it goes, the rows created or updated in a window (an outage, a
 * sync gap): a window validation whose batches rewrite what differs.
 */
export function startRecovery(
  deps: ValidationDeps,
  config: AppConfig,
  input: RecoverInput,
): Promise<StartValidationResult> {
  return startValidation(deps, {
    entities: input.entities,
    mode: 'window',
    window: { from: input.from, to: input.to },
    batchSize: config.migration.batchSize,
    threshold: config.validation.consistencyThreshold,
    trigger: 'recover',
    repair: true,
    deleteExtras: input.deleteExtras ?? false,
  });
}
