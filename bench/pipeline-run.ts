// One pipeline run, then a full validation of what it wrote, in a process of their own, so
// the peak RSS of each phase is the engine's alone.
import { createLocalEngine } from '../src/cli/local-engine';
import { parseConfig } from '../src/shared/config/config';
import { getRun } from '../src/shared/migration/run-queries';
import { startMigration } from '../src/shared/migration/start-migration';
import { startValidation } from '../src/shared/validation/start-validation';
import { getValidation } from '../src/shared/validation/validation-queries';

async function main() {
  const [databaseUrl, endpoint, key, database] = process.argv.slice(2);
  const engine = createLocalEngine(
    parseConfig({
      DATABASE_URL: databaseUrl,
      COSMOS_ENDPOINT: endpoint,
      COSMOS_KEY: key,
      COSMOS_DATABASE: database,
    }),
  );
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peak = Math.max(peak, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 20);
  const batchSize = engine.config.migration.batchSize;
  let started = performance.now();
  const { runId } = await startMigration(engine, { batchSize });
  await engine.localQueue.idle();
  const seconds = (performance.now() - started) / 1000;
  const report = await getRun(engine, runId);
  const migratePeak = { rss: peak, heap: peakHeap };

  peak = baseline;
  peakHeap = 0;
  started = performance.now();
  const { validationId } = await startValidation(engine, {
    mode: 'full',
    batchSize,
    threshold: 1,
    trigger: 'manual',
  });
  await engine.localValidationQueue.idle();
  const validateSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const validation = await getValidation(engine, validationId);
  await engine.close();
  process.send?.({
    status: report.status,
    documents: report.totals.documentsWritten,
    rows: report.totals.rowsMigrated,
    lostRows: report.totals.lostRows,
    seconds,
    peakRssGrowthMb: (migratePeak.rss - baseline) / 1024 / 1024,
    peakHeapMb: migratePeak.heap / 1024 / 1024,
    validation: {
      ready: validation.ready,
      consistencyRate: validation.consistencyRate,
      checked: validation.totals.checked,
      seconds: validateSeconds,
      peakRssGrowthMb: (peak - baseline) / 1024 / 1024,
    },
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
