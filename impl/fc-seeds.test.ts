import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { forEachSeed, seedRuns } from './fc-seeds.ts';

const saved = { seed: process.env.PQROOM_FC_SEED, runs: process.env.PQROOM_FC_RUNS };
const restore = (k: 'PQROOM_FC_SEED' | 'PQROOM_FC_RUNS', v: string | undefined): void => {
  if (v === undefined) delete process.env[k];
  else process.env[k] = v;
};

describe('fast-check seeds: the fixed regression seed and the one CI draws (issue 30)', () => {
  afterEach(() => {
    restore('PQROOM_FC_SEED', saved.seed);
    restore('PQROOM_FC_RUNS', saved.runs);
  });

  it('runs a property on its fixed seed, and on the drawn seed too when there is one, with its own budget', () => {
    delete process.env.PQROOM_FC_SEED;
    delete process.env.PQROOM_FC_RUNS;
    expect(seedRuns(7, 16)).toEqual([{ seed: 7, numRuns: 16, kind: 'fixed' }]);
    process.env.PQROOM_FC_SEED = '123456789';
    expect(seedRuns(7, 16)).toEqual([{ seed: 7, numRuns: 16, kind: 'fixed' }, { seed: 123456789, numRuns: 16, kind: 'drawn' }]);
    process.env.PQROOM_FC_RUNS = '3000';
    expect(seedRuns(7, 16)).toEqual([{ seed: 7, numRuns: 16, kind: 'fixed' }, { seed: 123456789, numRuns: 3000, kind: 'drawn' }]);
    process.env.PQROOM_FC_SEED = '7';
    expect(seedRuns(7, 16)).toEqual([{ seed: 7, numRuns: 16, kind: 'fixed' }]);
    process.env.PQROOM_FC_SEED = 'soon';
    expect(() => seedRuns(7, 16)).toThrow(/^PQROOM_FC_SEED=soon: expected an integer/);
  });

  it('names the seed that failed and the command that replays it', () => {
    process.env.PQROOM_FC_SEED = '4242';
    delete process.env.PQROOM_FC_RUNS;
    const seen: number[] = [];
    let err: Error | undefined;
    try {
      forEachSeed(import.meta.url, 1, 5, ({ seed, numRuns }) => {
        seen.push(seed);
        // fails on the drawn seed only: every value it generates is refused
        fc.assert(fc.property(fc.nat(), (n) => seed === 1 || n < 0), { seed, numRuns });
      });
    } catch (e) {
      err = e as Error;
    }
    expect(seen).toEqual([1, 4242]);
    expect(err?.message).toMatch(/^fast-check seed 4242 \(drawn by CI\), 5 runs; replay: PQROOM_FC_SEED=4242 PQROOM_FC_RUNS=5 npx vitest run impl\/fc-seeds\.test\.ts\n/);
    expect(err?.message).toMatch(/Property failed after 1 tests/);
  });
});
