import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: test files run one at a time so the servers are not starved.
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
