import { DocumentRef, DocumentReader, refKey, StoredDocument } from '../cosmos/document-reader';
import { Deletion, DocumentWriter } from '../cosmos/document-writer';
import { CosmosDocument, ENTITY_NAMES, EntityName } from '../entities/entity';
import { entityModule } from '../entities/registry';
import { rejectedRowError, RowErrorRecord } from '../entities/row-error';
import { transformBatch } from '../migration/transform-batch';
import { SourceReader } from '../postgres/source-reader';
import { DEPENDENTS, RelatedRows } from './dependents';
import { addKeys, emptyKeys, SourceKeys } from './source-keys';
import { tombstoneFor } from './tombstones';

export interface ApplyDeps {
  source: Pick<SourceReader, 'readRows' | 'relatedIds'>;
  reader: Pick<DocumentReader, 'documentsFor'>;
  writer: Pick<DocumentWriter, 'upsertAll' | 'deleteAll' | 'deleteWithTombstones'>;
  tombstoneTtlSeconds: number;
}

export interface EntityApplied {
  /** Changed rows plus the rows re-read because they depend on one (counts, names, keys). */
  rowsRead: number;
  documentsUpserted: number;
  documentsDeleted: number;
}

export interface ApplyResult {
  entities: Record<EntityName, EntityApplied>;
  rowErrors: RowErrorRecord[];
}

interface Side {
  /** Documents by the source row they come from. */
  byRow: Map<string, CosmosDocument[]>;
  rowErrors: RowErrorRecord[];
}

/**
 * Brings Cosmos in line with the current source rows for `changed` (the keys of a round),
 * whatever the changes were: each row is re-read with its entity's own extraction (the
 * change's payload is never trusted for data), the rows that embed something of it (counts,
 * names, partition keys) are re-read too, and what a row no longer produces (a deleted row,
 * an old lookup, a document that moved partition) is deleted, comments and votes with a
 * tombstone. Running it twice writes the same documents again: a replayed round is harmless.
 */
export async function applyKeys(deps: ApplyDeps, changed: SourceKeys): Promise<ApplyResult> {
  const before = new Map<EntityName, Side>();
  const after = new Map<EntityName, Side>();
  await Promise.all(
    ENTITY_NAMES.filter((name) => changed[name].size > 0).map(async (name) => {
      const ids = [...changed[name]];
      const [stored, current] = await Promise.all([
        storedDocuments(deps, name, ids),
        currentDocuments(deps, name, ids),
      ]);
      before.set(name, stored);
      after.set(name, current);
    }),
  );

  const dependent = emptyKeys();
  const embedders = new Map<string, { rows: RelatedRows; values: Set<string> }>();
  for (const [name, side] of after) {
    for (const id of changed[name]) {
      const { parents, embedders: rows } = DEPENDENTS[name](
        before.get(name)!.byRow.get(id) ?? [],
        side.byRow.get(id) ?? [],
      );
      for (const parent of parents) addKeys(dependent, parent.entity, [parent.id]);
      for (const related of rows) {
        const key = `${related.entity}.${related.column}.${related.targetType ?? ''}`;
        const entry = embedders.get(key) ?? { rows: related, values: new Set<string>() };
        entry.values.add(id);
        embedders.set(key, entry);
      }
    }
  }
  await Promise.all(
    [...embedders.values()].map(async ({ rows, values }) => {
      const ids = await deps.source.relatedIds(
        entityModule(rows.entity).table,
        rows.column,
        [...values],
        rows.targetType,
      );
      addKeys(dependent, rows.entity, ids);
    }),
  );

  const result: ApplyResult = {
    entities: Object.fromEntries(
      ENTITY_NAMES.map((name) => [
        name,
        { rowsRead: 0, documentsUpserted: 0, documentsDeleted: 0 },
      ]),
    ) as ApplyResult['entities'],
    rowErrors: [],
  };
  // The rows that only depend on a changed one go first, the changed rows' own documents
  // last: until those are written, Cosmos still holds what they were, so a round that dies
  // halfway is replayed with the same dependents (a renamed user's old name, a deleted
  // comment's post) instead of finding its own half-written state and missing them.
  await settleAll(
    ENTITY_NAMES.map(async (name) => {
      const extra = [...dependent[name]].filter((id) => !changed[name].has(id));
      const reread = extra.length > 0 ? await currentDocuments(deps, name, extra) : undefined;
      if (reread) await write(deps, result, name, reread, []);
      result.entities[name].rowsRead += extra.length;
    }),
  );
  await settleAll(
    ENTITY_NAMES.filter((name) => after.has(name)).map(async (name) => {
      const current = after.get(name)!;
      // A row that cannot be represented now keeps what it had: reported, never half-deleted.
      const failed = new Set(current.rowErrors.map((error) => error.id));
      const kept = new Set([...current.byRow.values()].flat().map(refKey));
      const deletions = [...before.get(name)!.byRow]
        .filter(([id]) => !failed.has(id))
        .flatMap(([, documents]) => documents)
        .filter((document) => !kept.has(refKey(document)));
      result.entities[name].rowsRead += changed[name].size;
      await write(deps, result, name, current, deletions);
    }),
  );
  return result;
}

/** Upserts a side's documents, then deletes `deletions`, counting both into `result`. */
async function write(
  deps: ApplyDeps,
  result: ApplyResult,
  name: EntityName,
  side: Side,
  deletions: CosmosDocument[],
): Promise<void> {
  const container = entityModule(name).container;
  const written = await deps.writer.upsertAll(container, [...side.byRow.values()].flat());
  const removed = await deleteDocuments(deps, container, deletions);
  const entity = result.entities[name];
  entity.documentsUpserted += written.written;
  entity.documentsDeleted += removed.written;
  result.rowErrors.push(
    ...side.rowErrors,
    ...[...written.rejected, ...removed.rejected].map((r) =>
      rejectedRowError(entityModule(name).table, r.id, r),
    ),
  );
}

/** Like Promise.all, but only once every branch has settled: no write goes on behind a failure. */
async function settleAll<T>(work: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** What Cosmos holds now for these rows (every document kind of the entity), by row. */
async function storedDocuments(deps: ApplyDeps, name: EntityName, ids: string[]): Promise<Side> {
  const entity = entityModule(name);
  const documents = await deps.reader.documentsFor(entity.container, entity.documentKinds, ids);
  const byRow = new Map<string, CosmosDocument[]>();
  for (const document of documents) {
    const kind = entity.documentKinds.find((k) => k.type === document.type);
    if (kind) addTo(byRow, String(document[kind.sourceKey]), withoutSystemProperties(document));
  }
  return { byRow, rowErrors: [] };
}

/** What the current source rows become, by row; a row that is gone has no entry. */
async function currentDocuments(deps: ApplyDeps, name: EntityName, ids: string[]): Promise<Side> {
  const entity = entityModule(name);
  const transformed = transformBatch(entity, await deps.source.readRows(entity, ids));
  const byRow = new Map<string, CosmosDocument[]>();
  transformed.documents.forEach((document, i) => addTo(byRow, transformed.owners[i]!, document));
  return { byRow, rowErrors: transformed.rowErrors };
}

async function deleteDocuments(deps: ApplyDeps, container: string, documents: CosmosDocument[]) {
  const withTombstone: Deletion[] = [];
  const plain: DocumentRef[] = [];
  for (const document of documents) {
    const tombstone = tombstoneFor(document, deps.tombstoneTtlSeconds);
    if (tombstone) withTombstone.push({ deleted: ref(document), tombstone });
    else plain.push(ref(document));
  }
  const none = { written: 0, rejected: [] };
  const [a, b] = await Promise.all([
    withTombstone.length > 0 ? deps.writer.deleteWithTombstones(container, withTombstone) : none,
    plain.length > 0 ? deps.writer.deleteAll(container, plain) : none,
  ]);
  return { written: a.written + b.written, rejected: [...a.rejected, ...b.rejected] };
}

function addTo(byRow: Map<string, CosmosDocument[]>, row: string, document: CosmosDocument): void {
  const documents = byRow.get(row);
  if (documents) documents.push(document);
  else byRow.set(row, [document]);
}

const ref = (document: CosmosDocument): DocumentRef => ({ id: document.id, pk: document.pk });

function withoutSystemProperties(document: StoredDocument): CosmosDocument {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) if (!key.startsWith('_')) copy[key] = value;
  return copy as CosmosDocument;
}
