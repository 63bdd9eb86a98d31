/** Test runner configuration: one worker per core, tests beside their sources. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{impl,machines,simulator,adversary,vectors,reports}/**/*.test.ts', 'cli.test.ts', 'cli-mistakes.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // the default reporter, then one line saying what was skipped and why (vitest.skipped.ts)
    reporters: ['default', './vitest.skipped.ts'],
  },
});
