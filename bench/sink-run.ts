// The sink ceiling in a process of its own, like the pipeline (bench/pipeline-run.ts): the
// same documents, already built (read before the clock starts), bulk-upserted by the
// engine's writer at the pipeline's concurrency.
import { parseConfig } from '../src/shared/config/config';
import { createCosmosClient } from '../src/shared/cosmos/client';
import { CosmosDocumentWriter } from '../src/shared/cosmos/document-writer';
import { CosmosDocument } from '../src/shared/entities/entity';
import { ENTITIES } from '../src/shared/entities/registry';
import { bulkCallsInFlight } from '../src/shared/composition/engine';
import { limitHeapGrowth } from '../src/shared/runtime/heap-growth';
import { mapConcurrent } from '../src/shared/concurrency/limits';
import { RuBudget } from '../src/shared/migration/ru-budget';
import { transformBatch } from '../src/shared/migration/transform-batch';
import { createSourcePool } from '../src/shared/postgres/pool';
import { PostgresSourceReader } from '../src/shared/postgres/source-reader';

async function main() {
  limitHeapGrowth();
  const [databaseUrl, endpoint, key, database] = process.argv.slice(2);
  const config = parseConfig({
    DATABASE_URL: databaseUrl,
    COSMOS_ENDPOINT: endpoint,
    COSMOS_KEY: key,
    COSMOS_DATABASE: database,
  });
  const documents = await buildDocuments(databaseUrl!);
  const client = createCosmosClient(config.cosmos);
  const writer = new CosmosDocumentWriter(
    client,
    database!,
    new RuBudget(0),
    bulkCallsInFlight(config),
  );
  // The garbage of building the documents is not the sink's: collect it before the clock.
  global.gc?.();
  const started = performance.now();
  let written = 0;
  await mapConcurrent(Object.entries(documents), 1, async ([container, docs]) => {
    const result = await writer.upsertAll(container, docs);
    written += result.written;
  });
  const seconds = (performance.now() - started) / 1000;
  client.dispose();
  process.send?.({ documents: written, seconds });
}

async function buildDocuments(url: string): Promise<Record<string, CosmosDocument[]>> {
  const reader = new PostgresSourceReader(createSourcePool(url));
  const documents: Record<string, CosmosDocument[]> = {};
  for (const entity of Object.values(ENTITIES)) {
    const rows = await reader.readBatch(entity, { from: null, to: null });
    documents[entity.container] = transformBatch(entity, rows).documents;
  }
  await reader.close();
  return documents;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
