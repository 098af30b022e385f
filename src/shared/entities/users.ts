import { CosmosDocument, EntityModule, keysetRange } from './entity';
import { cosmosId, encodeKey, timestamp, uuid } from './values';

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
  extractSql: `
    SELECT u.id, u.username, u.email, u.password_hash, u.created_at
    FROM users u WHERE ${keysetRange('u')} ORDER BY u.id`,
  rowId: (row) => uuid(row.id),
  toDocuments(row): CosmosDocument[] {
    const id = cosmosId(uuid(row.id), 'user');
    const usernameKey = cosmosId(`username:${encodeKey(row.username)}`, 'username lookup');
    const emailKey = cosmosId(`email:${encodeKey(row.email)}`, 'email lookup');
    return [
      {
        id,
        pk: `user:${id}`,
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
