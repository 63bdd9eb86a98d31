/**
 * Parallel campaigns (spec 11.4): a generator's runs, on any number of workers, are the ones a
 * sequential fast-check campaign makes (draws up to the first failure, then the same shrinking
 * steps). That a whole audit gives the same result on 1 and 2 workers is in audit.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSpec, type RunSpec } from './audit.ts';
import { draws, runCampaign, type Generator } from './parallel.ts';
import { arbFaults, arbPlan } from './plans.ts';

describe('runCampaign', () => {
  const gen: Generator = { what: 'plans', profile: 'compat', backend: 'symbolic', numRuns: 8, seed: 1 };

  it('should draw the plans fast-check draws for the seed', () => {
    const seen: RunSpec[] = [];
    fc.check(
      fc.property(fc.tuple(arbPlan('compat'), arbFaults()), fc.integer({ min: 1, max: 1_000_000 }), ([plan, faults], seed) => {
        seen.push({ attack: 'generated', plan, profile: 'compat', seed, backend: 'symbolic', ...(faults === undefined ? {} : { faults }) });
        return true;
      }),
      { numRuns: 8, seed: 1 },
    );
    expect(JSON.stringify(draws(gen))).toBe(JSON.stringify(seen));
  });

  it('should make the runs of a sequential campaign: the draws up to the first failure, then the same shrinking', () => {
    const sequential: string[] = [];
    const out = fc.check(
      fc.property(fc.tuple(arbPlan('compat'), arbFaults()), fc.integer({ min: 1, max: 1_000_000 }), ([plan, faults], seed) => {
        const spec: RunSpec = { attack: 'generated', plan, profile: 'compat', seed, backend: 'symbolic', ...(faults === undefined ? {} : { faults }) };
        const r = runSpec(spec);
        sequential.push(JSON.stringify([spec, r.violations]));
        return r.violations.length === 0;
      }),
      { numRuns: gen.numRuns, seed: gen.seed },
    );
    expect(out.failed).toBe(true); // compat breaks within a few plans: the shrinking is exercised
    for (const workers of [1, 2]) {
      const c = runCampaign({ runs: [], observed: 'symbolic', generators: [gen], hunts: [], differential: { seed: 1, cases: 1 } }, workers);
      try {
        const g = c.generated(gen);
        expect(g.runs.map((x) => JSON.stringify([x.spec, x.r.violations])), `${workers} worker(s)`).toEqual(sequential);
        expect(JSON.stringify(g.counterexample!.spec.plan)).toBe(JSON.stringify(out.counterexample![0][0]));
      } finally {
        c.close();
      }
    }
  }, 300_000);
});
