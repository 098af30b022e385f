// Peak RSS (and heap) of this process above the RSS it had when sampling began, sampled every
// 20 ms. RSS alone is a cheap read; the heap figure, which needs V8's statistics, is read
// every 100 ms.
import v8 from 'node:v8';

export interface Peak {
  rssGrowthMb: number;
  heapMb: number;
}

export interface PeakMemory {
  /** The peak since the start or the last call; the baseline stays the first one. */
  takePeak(): Peak;
  stop(): void;
}

const MB = 1024 * 1024;

export function samplePeakMemory(): PeakMemory {
  global.gc?.();
  const baseline = process.memoryUsage.rss();
  let rss = baseline;
  let heap = 0;
  let tick = 0;
  const sampler = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage.rss());
    if (tick++ % 5 === 0) heap = Math.max(heap, v8.getHeapStatistics().used_heap_size);
  }, 20);
  return {
    takePeak() {
      const peak = { rssGrowthMb: (rss - baseline) / MB, heapMb: heap / MB };
      rss = baseline;
      heap = 0;
      return peak;
    },
    stop: () => clearInterval(sampler),
  };
}
