// One pipeline run, then a full validation of what it wrote, in a process of their own (as
// is the sink, bench/sink-run.ts), so the peak RSS of each phase is the engine's alone.
import { createLocalEngine } from '../src/cli/local-engine';
import { parseConfig } from '../src/shared/config/config';
import { limitHeapGrowth } from '../src/shared/runtime/heap-growth';
import { getRun } from '../src/shared/migration/run-queries';
import { startMigration } from '../src/shared/migration/start-migration';
import { startValidation } from '../src/shared/validation/start-validation';
import { getValidation } from '../src/shared/validation/validation-queries';
import { samplePeakMemory } from './peak-memory';

async function main() {
  // As the CLI and the Functions app start.
  limitHeapGrowth();
  const [databaseUrl, endpoint, key, database] = process.argv.slice(2);
  const engine = createLocalEngine(
    parseConfig({
      DATABASE_URL: databaseUrl,
      COSMOS_ENDPOINT: endpoint,
      COSMOS_KEY: key,
      COSMOS_DATABASE: database,
    }),
  );
  const batchSize = engine.config.migration.batchSize;
  const memory = samplePeakMemory();
  let started = performance.now();
  const { runId } = await startMigration(engine, { batchSize });
  await engine.localQueue.idle();
  const seconds = (performance.now() - started) / 1000;
  const migratePeak = memory.takePeak();
  const report = await getRun(engine, runId);

  started = performance.now();
  const { validationId } = await startValidation(engine, {
    mode: 'full',
    batchSize,
    threshold: 1,
    trigger: 'manual',
  });
  await engine.localValidationQueue.idle();
  const validateSeconds = (performance.now() - started) / 1000;
  const validatePeak = memory.takePeak();
  memory.stop();
  const validation = await getValidation(engine, validationId);
  await engine.close();
  process.send?.({
    status: report.status,
    documents: report.totals.documentsWritten,
    rows: report.totals.rowsMigrated,
    lostRows: report.totals.lostRows,
    seconds,
    peakRssGrowthMb: migratePeak.rssGrowthMb,
    peakHeapMb: migratePeak.heapMb,
    validation: {
      ready: validation.ready,
      consistencyRate: validation.consistencyRate,
      checked: validation.totals.checked,
      seconds: validateSeconds,
      peakRssGrowthMb: validatePeak.rssGrowthMb,
    },
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
