import { createHash } from 'node:crypto';
import { ENTITY_NAMES } from '../entities/entity';
import { KeyLists } from './records';
import { SourceKeys } from './source-keys';

/**
 * Splits a round's keys into `parts` by a hash of (table, id): a row always lands in the same
 * part, whatever round it comes in, and parts are even whatever the ids look like.
 */
export function splitKeys(keys: SourceKeys, parts: number): KeyLists[] {
  const lists: KeyLists[] = Array.from(
    { length: parts },
    () => Object.fromEntries(ENTITY_NAMES.map((name) => [name, [] as string[]])) as KeyLists,
  );
  for (const name of ENTITY_NAMES) {
    for (const id of keys[name]) {
      const digest = createHash('sha1').update(`${name}\u0000${id}`).digest();
      lists[digest.readUInt32BE(0) % parts]![name].push(id);
    }
  }
  return lists;
}
