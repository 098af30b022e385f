import { RowError } from '../entities/row-error';
import { timestamp } from '../entities/values';
import { badRequest } from '../errors/app-error';
import { VoteTarget, VoteTargetType } from './model';

/** A caller's input both stores check alike, so that either answers a bad value the same way. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TARGET_TYPES: readonly string[] = ['post', 'comment'] satisfies VoteTargetType[];

export const invalid = (message: string) => badRequest('INVALID_ARGUMENTS', message);

/** Ids are the caller's UUIDs, lowercased as PostgreSQL prints them; anything else never reaches a URL or a query. */
export function idOf(value: string, what: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw invalid(`${what} must be a UUID`);
  return value.toLowerCase();
}

export function targetOf(target: VoteTarget): { targetType: VoteTargetType; targetId: string } {
  if (!TARGET_TYPES.includes(target.targetType))
    throw invalid('targetType must be post or comment');
  return { targetType: target.targetType, targetId: idOf(target.targetId, 'targetId') };
}

/** What the entity transforms reject (a too long lookup id, a bad timestamp) is the caller's input. */
export function checked<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof RowError) throw invalid(error.message);
    throw error;
  }
}

/** A model timestamp as PostgreSQL's UTC text, which the transforms normalize as they do a row's. */
export const sourceTime = (value: string) => String(value).replace(/Z$/i, '+00');

/** A caller's timestamp, checked and normalized as both stores keep it (UTC, with its `Z`). */
export const modelTime = (value: string, field: string): string =>
  checked(() => timestamp(sourceTime(value), field)!);
