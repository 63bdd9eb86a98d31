/** Test runner configuration: one worker per core and one more, tests beside their sources. */
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{impl,machines,simulator,adversary,vectors,reports}/**/*.test.ts', 'cli.test.ts', 'cli-mistakes.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // one file per core at a time, and one more: vitest's default in a run is one fewer than the cores,
    // which on this 2-core machine ran the files one at a time (issue 24); a live or browser file
    // spends much of its time waiting (a deadline, a retransmission, a page), holding a core idle, which
    // the extra file fills (reports/results.md, session 41)
    maxWorkers: availableParallelism() + 1,
    setupFiles: ['impl/fc-setup.ts'],
    // the default reporter, then one line saying what was skipped and why (vitest.skipped.ts)
    reporters: ['default', './vitest.skipped.ts'],
    // `npm run coverage`: line and branch coverage of the sources (tests excluded), measured by V8
    coverage: {
      provider: 'v8',
      include: ['{impl,machines,simulator,adversary,vectors,reports}/**/*.ts', 'cli.js'],
      exclude: ['**/*.test.ts', 'reports/out/**'],
      reporter: ['text-summary', 'json-summary', 'text'],
      reportsDirectory: 'reports/out/coverage',
    },
  },
});
