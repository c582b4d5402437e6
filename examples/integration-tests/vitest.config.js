import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The whole run enters a throwaway user+net+mount namespace once: no root needed, nothing on this machine touched.
    globalSetup: ['netplumb/testing/vitest-setup'],
    // Test files run in parallel: each lab is a world of its own.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
  },
});
