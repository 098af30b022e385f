import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosmosDocument } from '../../../src/shared/entities/entity';
import {
  emailLookupKey,
  usernameLookupKey,
  UserRow,
  users,
} from '../../../src/shared/entities/users';
import { voteKey, VoteRow, votes } from '../../../src/shared/entities/votes';
import { transformBatch } from '../../../src/shared/migration/transform-batch';
import { createWorld, TestWorld } from '../../support/engine';

const ID = '0b0b0b0b-0000-4000-8000-000000000001';
const TS = '2024-01-01 00:00:00+00';
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** 2-, 3- and 4-byte characters; encoded, 6 + 9 + 12 = 27 bytes. */
const MIXED = 'é日😀';
/** "username:" (9) + 37 x 27 + 6 + 9 = 1,023 bytes. */
const USERNAME_AT_LIMIT = `${MIXED.repeat(37)}é日`;
/** "email:" (6) + 37 x 27 + "@" (3) + "examples." (9) + "é" (6) = 1,023 bytes. */
const EMAIL_AT_LIMIT = `${MIXED.repeat(37)}@examples.é`;
/** "vote_<uuid>_<uuid>_" (79) + 34 x 27 + 15 + 11 = 1,023 bytes. */
const TARGET_TYPE_AT_LIMIT = `${MIXED.repeat(34)}é日abcdefghijk`;

const user = (overrides: Partial<UserRow>): UserRow => ({
  id: ID,
  username: 'u',
  email: 'u@example.com',
  password_hash: 'h',
  created_at: TS,
  ...overrides,
});

const vote = (overrides: Partial<VoteRow>): VoteRow => ({
  id: ID,
  user_id: ID,
  username: 'u',
  target_id: ID,
  target_type: 'post',
  vote_type: 'like',
  target_pk: `user:${ID}`,
  created_at: TS,
  ...overrides,
});

describe('ids built from free text, at the Cosmos limits (UTF-8 bytes)', () => {
  it('the boundary texts make ids of exactly 1,023 bytes, with far fewer characters', () => {
    expect(bytes(usernameLookupKey(USERNAME_AT_LIMIT))).toBe(1023);
    expect(bytes(emailLookupKey(EMAIL_AT_LIMIT))).toBe(1023);
    expect(bytes(voteKey(ID, ID, TARGET_TYPE_AT_LIMIT))).toBe(1023);
    expect(USERNAME_AT_LIMIT.length).toBeLessThan(200);
  });

  it('a username lookup id of 1,023 bytes migrates; 1,024 is a row error naming the bytes', () => {
    const at = transformBatch(users, [user({ username: USERNAME_AT_LIMIT })]);
    expect(at.rowErrors).toEqual([]);
    const lookup = at.documents.find((d) => d.type === 'usernameLookup')!;
    expect(lookup.id).toBe(`username:${encodeURIComponent(USERNAME_AT_LIMIT)}`);
    expect(lookup.pk).toBe(lookup.id);

    const over = transformBatch(users, [user({ username: `${USERNAME_AT_LIMIT}a` })]);
    expect(over.documents).toEqual([]);
    expect(over.rowErrors).toEqual([
      {
        table: 'users',
        id: ID,
        code: 'ID_TOO_LONG',
        message: expect.stringMatching(
          /^username lookup id "username:%C3%A9.*"\.\.\. is 1024 bytes \(UTF-8\), over the Cosmos id limit of 1023 bytes$/,
        ),
      },
    ]);
  });

  it('an email lookup id of 1,023 bytes migrates; 1,024 is a row error', () => {
    expect(transformBatch(users, [user({ email: EMAIL_AT_LIMIT })]).rowErrors).toEqual([]);
    const over = transformBatch(users, [user({ email: `a${EMAIL_AT_LIMIT}` })]);
    expect(over.rowErrors.map((e) => [e.code, e.message.match(/is (\d+) bytes/)?.[1]])).toEqual([
      ['ID_TOO_LONG', '1024'],
    ]);
  });

  it('a vote id of 1,023 bytes migrates; 1,024 is a row error', () => {
    const at = transformBatch(votes, [vote({ target_type: TARGET_TYPE_AT_LIMIT })]);
    expect(at.rowErrors).toEqual([]);
    expect(bytes(at.documents[0]!.id)).toBe(1023);
    const over = transformBatch(votes, [vote({ target_type: `${TARGET_TYPE_AT_LIMIT}x` })]);
    expect(over.rowErrors).toEqual([
      {
        table: 'votes',
        id: ID,
        code: 'ID_TOO_LONG',
        message: expect.stringMatching(
          /^vote id "vote_.*"\.\.\. is 1024 bytes \(UTF-8\), over the Cosmos id limit of 1023 bytes$/,
        ),
      },
    ]);
  });

  it('a row over a limit writes none of its documents, and the rest of the batch goes on', () => {
    const other = '0b0b0b0b-0000-4000-8000-000000000002';
    const result = transformBatch(users, [
      user({ username: `${USERNAME_AT_LIMIT}😀` }),
      user({ id: other, username: USERNAME_AT_LIMIT, email: EMAIL_AT_LIMIT }),
    ]);
    expect(result.rowErrors.map((e) => [e.id, e.code])).toEqual([[ID, 'ID_TOO_LONG']]);
    expect(result.documents.map((d) => d.type)).toEqual(['user', 'usernameLookup', 'emailLookup']);
    expect(result.owners).toEqual([other, other, other]);
  });
});

describe('documents at the limits on the local Cosmos server', () => {
  let world: TestWorld;

  beforeAll(async () => {
    world = await createWorld('limits');
  });
  afterAll(() => world?.close());

  const roundTrip = async (container: string, document: CosmosDocument) => {
    await world.cosmos.database(world.database).container(container).items.create(document);
    return world.read(container, document.id, document.pk);
  };

  it('accepts and returns, unchanged, the 1,023-byte ids the transform builds', async () => {
    const { documents } = transformBatch(users, [
      user({ username: USERNAME_AT_LIMIT, email: EMAIL_AT_LIMIT }),
    ]);
    for (const document of documents) {
      expect(await roundTrip('users', document)).toEqual(document);
    }
    const [voteDocument] = transformBatch(votes, [
      vote({ target_type: TARGET_TYPE_AT_LIMIT }),
    ]).documents;
    expect(await roundTrip('votes', voteDocument!)).toEqual(voteDocument);
  });

  it('accepts a partition key value of 2,048 bytes (partition key version 2)', async () => {
    const pk = `${'😀'.repeat(511)}日x`;
    expect(bytes(pk)).toBe(2048);
    const document = { id: 'pk-at-limit', pk, type: 'probe' };
    expect(await roundTrip('users', document)).toEqual(document);
  });
});
