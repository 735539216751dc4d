import { defineConfig } from 'vitest/config';

// Browser tests: the real server (in-process, on a test database) and Debian's
// Chromium driven by playwright-core. Run after `npm run build:web`.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
