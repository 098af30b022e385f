import { EntityName } from '../entities/entity';

/** A type the extraction and transform handle as the source schema intends (e.g. VARCHAR or TEXT). */
type TypeFamily =
  'uuid' | 'text' | 'timestamptz' | 'integer' | 'float' | 'text[]' | 'jsonb' | 'boolean';

const FAMILIES: Record<TypeFamily, RegExp> = {
  uuid: /^uuid$/,
  text: /^(text|character varying(\(\d+\))?)$/,
  timestamptz: /^timestamp(\(\d\))? with time zone$/,
  integer: /^(integer|smallint|bigint)$/,
  float: /^double precision$/,
  'text[]': /^(text|character varying(\(\d+\))?)\[\]$/,
  jsonb: /^jsonb$/,
  boolean: /^boolean$/,
};

/** The source schema (docs/data-model.md), column by column. */
export const EXPECTED_COLUMNS: Record<EntityName, Record<string, TypeFamily>> = {
  users: {
    id: 'uuid',
    username: 'text',
    email: 'text',
    password_hash: 'text',
    created_at: 'timestamptz',
  },
  posts: {
    id: 'uuid',
    title: 'text',
    content: 'text',
    author_id: 'uuid',
    author_username: 'text',
    created_at: 'timestamptz',
    updated_at: 'timestamptz',
    comment_count: 'integer',
    sentiment_score: 'float',
    sentiment_colors: 'text[]',
    sentiment_type: 'text',
    sentiment_analysis: 'jsonb',
    popularity_score: 'float',
    is_blocked: 'boolean',
    toxicity_tags: 'text[]',
    toxicity_scores: 'jsonb',
  },
  comments: {
    id: 'uuid',
    post_id: 'uuid',
    content: 'text',
    user_id: 'uuid',
    parent_id: 'uuid',
    path: 'text',
    depth: 'integer',
    sentiment_score: 'float',
    sentiment_colors: 'text[]',
    sentiment_type: 'text',
    is_blocked: 'boolean',
    toxicity_tags: 'text[]',
    toxicity_scores: 'jsonb',
    created_at: 'timestamptz',
    updated_at: 'timestamptz',
  },
  votes: {
    id: 'uuid',
    user_id: 'uuid',
    target_id: 'uuid',
    target_type: 'text',
    vote_type: 'text',
    created_at: 'timestamptz',
  },
};

export interface SchemaDifferences {
  missingTables: string[];
  /** `table.column` */
  missingColumns: string[];
  /** `table.column is <actual>, expected <family>` */
  otherTypes: string[];
}

export function compareSchema(actual: Map<string, Map<string, string>>): SchemaDifferences {
  const result: SchemaDifferences = { missingTables: [], missingColumns: [], otherTypes: [] };
  for (const [table, columns] of Object.entries(EXPECTED_COLUMNS)) {
    const present = actual.get(table);
    if (!present) {
      result.missingTables.push(table);
      continue;
    }
    for (const [column, family] of Object.entries(columns)) {
      const type = present.get(column);
      if (type === undefined) result.missingColumns.push(`${table}.${column}`);
      else if (!FAMILIES[family].test(type))
        result.otherTypes.push(`${table}.${column} is ${type}, expected ${family}`);
    }
  }
  return result;
}

export const expectedColumnCount = (): number =>
  Object.values(EXPECTED_COLUMNS).reduce((sum, columns) => sum + Object.keys(columns).length, 0);
