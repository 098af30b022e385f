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

/**
 * A caller's timestamp, checked and normalized as both stores keep it (UTC, with its `Z`), and a
 * real instant: 2031-02-30, month 13, 25:00, 23:59:60 or year 0 pass the text form alone, and
 * PostgreSQL would refuse or roll them over.
 */
export function modelTime(value: string, field: string): string {
  const time = checked(() => timestamp(sourceTime(value), field)!);
  const date = new Date(time);
  if (
    time.startsWith('0000') ||
    Number.isNaN(date.getTime()) ||
    date.toISOString().slice(0, 19) !== time.slice(0, 19)
  )
    throw invalid(`${field} ${JSON.stringify(value)} is not a real date and time`);
  return time;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text both stores hold as given: PostgreSQL refuses a NUL, and UTF-8 (the driver, a lookup id) has no lone surrogate. */
export const isStorableText = (value: string): boolean =>
  !value.includes('\u0000') && !LONE_SURROGATE.test(value);

export function storableText(value: string | undefined, field: string): void {
  if (value !== undefined && !isStorableText(value))
    throw invalid(`${field} holds a NUL or a lone surrogate`);
}
