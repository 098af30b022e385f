// One pipeline run in its own process, so its peak RSS is the engine's alone.
import { createLocalEngine } from '../src/cli/local-engine';
import { parseConfig } from '../src/shared/config/config';
import { getRun } from '../src/shared/migration/run-queries';
import { startMigration } from '../src/shared/migration/start-migration';

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
  const started = performance.now();
  const { runId } = await startMigration(engine, { batchSize: engine.config.migration.batchSize });
  await engine.localQueue.idle();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const report = await getRun(engine, runId);
  await engine.close();
  process.send?.({
    status: report.status,
    documents: report.totals.documentsWritten,
    rows: report.totals.rowsMigrated,
    lostRows: report.totals.lostRows,
    seconds,
    peakRssGrowthMb: (peak - baseline) / 1024 / 1024,
    peakHeapMb: peakHeap / 1024 / 1024,
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
