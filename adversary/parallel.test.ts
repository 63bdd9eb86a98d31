/**
 * Parallel campaigns (spec 11.4): a generator's runs, on any number of workers, are the ones a
 * sequential fast-check campaign makes (draws up to the first failure, then the same shrinking
 * steps), and a counterexample's trace made on a worker is the one this thread makes. That a whole
 * audit gives the same result on 1 and 2 workers is in reports/audit-cli.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attackTrace, runSpec, type RunSpec } from './audit.ts';
import { MUTANTS } from './mutants.ts';
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

  it('should make the traces of counterexamples on the workers byte for byte as this thread makes them, in the order asked', () => {
    // a named attack that breaks compat, the same run with a trace asked twice, and a mutant's killing run
    const named: RunSpec = { attack: 'ATK-01', profile: 'compat', seed: 1, backend: 'symbolic' };
    const mutant: RunSpec = { attack: MUTANTS[0]!.killers[0]!, profile: 'hardened', seed: 1, backend: 'symbolic', mutant: MUTANTS[0]!.id };
    const specs = [named, mutant, named];
    const inline = specs.map((s) => attackTrace(s, runSpec(s, true)));
    expect(inline[0]).toContain('"kind":"verdict"');
    const c = runCampaign({ runs: [], observed: 'symbolic', generators: [], hunts: [], differential: { seed: 1, cases: 1 } }, 2);
    try {
      expect(c.traces(specs)).toEqual(inline);
    } finally {
      c.close();
    }
  }, 300_000);
});
