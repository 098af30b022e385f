import { changedIdsPage, CosmosDocument, EntityModule, inWindow } from './entity';
import { cosmosId, encodeKey, partitionKey, timestamp, uuid } from './values';

/** The ids (and partition keys) of the lookup documents, before their limits are checked. */
export const usernameLookupKey = (username: string) => `username:${encodeKey(username)}`;
export const emailLookupKey = (email: string) => `email:${encodeKey(email)}`;

export interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  created_at: string | null;
}

export const users: EntityModule<UserRow> = {
  name: 'users',
  table: 'users',
  container: 'users',
  extractSql: (filter) => `
    SELECT u.id, u.username, u.email, u.password_hash, u.created_at
    FROM users u WHERE ${filter('u')} ORDER BY u.id`,
  // users has no updated_at: a changed username or email is only found by a full validation.
  changedSql: changedIdsPage(`SELECT id FROM users WHERE ${inWindow('created_at')}`),
  documentKinds: [
    { type: 'user', sourceKey: 'id' },
    { type: 'usernameLookup', sourceKey: 'userId' },
    { type: 'emailLookup', sourceKey: 'userId' },
  ],
  maskedFields: ['/passwordHash', '/email'],
  rowId: (row) => uuid(row.id),
  toDocuments(row): CosmosDocument[] {
    const id = cosmosId(uuid(row.id), 'user');
    const pk = partitionKey(`user:${id}`, 'user');
    const usernameKey = partitionKey(
      cosmosId(usernameLookupKey(row.username), 'username lookup'),
      'username lookup',
    );
    const emailKey = partitionKey(
      cosmosId(emailLookupKey(row.email), 'email lookup'),
      'email lookup',
    );
    return [
      {
        id,
        pk,
        type: 'user',
        username: row.username,
        email: row.email,
        passwordHash: row.password_hash,
        profile: { displayName: row.username, bio: null, avatarUrl: null },
        metadata: {
          createdAt: timestamp(row.created_at, 'created_at'),
          lastLoginAt: null,
          isActive: true,
        },
      },
      { id: usernameKey, pk: usernameKey, type: 'usernameLookup', userId: id },
      { id: emailKey, pk: emailKey, type: 'emailLookup', userId: id },
    ];
  },
};
