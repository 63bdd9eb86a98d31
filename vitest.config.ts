/** Test runner configuration: one worker per core, tests beside their sources. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{impl,machines,simulator,adversary,vectors,reports}/**/*.test.ts', 'cli.test.ts', 'cli-mistakes.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
