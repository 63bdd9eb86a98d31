/**
 * Parallel campaigns (spec 11.4): a generator's runs, on any number of workers, are the ones a
 * sequential fast-check campaign makes (draws up to the first failure, then the same shrinking
 * steps), and a counterexample's trace made on a worker is the one this thread makes; a recorded
 * run made by the shared hunts is the run its own task would make. That a whole
 * audit gives the same result on 1 and 2 workers is in reports/audit-cli.test.ts; that a hunt cut in
 * chunks merges to the whole hunt (mergeHunt, huntMutants) is in mutants.test.ts, beside the same hunts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attackTrace, runSpec, type RunSpec } from './audit.ts';
import { EQUIVALENT_MUTANTS, huntMutant, huntOrder, MUTANTS } from './mutants.ts';
import { costOf, draws, execute, HUNT_CHUNK, huntTasks, sharedHuntTasks } from './parallel-tasks.ts';
import { runCampaign, type Generator } from './parallel.ts';
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
    // the caller's own work is done once, while the workers have their first tasks (the differential here)
    let alongside = 0;
    const c = runCampaign({ runs: [], observed: 'symbolic', generators: [], hunts: [], differential: { seed: 1, cases: 1 } }, 2, undefined, () => alongside++);
    try {
      expect(alongside).toBe(1);
      expect(c.traces(specs)).toEqual(inline);
      expect(alongside).toBe(1);
    } finally {
      c.close();
    }
  }, 300_000);

  it('should bring the traces of the recorded runs that may be counterexamples and of the hunts\' kills with their results, as this thread makes them', () => {
    const named: RunSpec = { attack: 'ATK-01', profile: 'compat', seed: 1, backend: 'symbolic' };
    const blocked: RunSpec = { ...named, profile: 'hardened' };
    const m = MUTANTS[0]!;
    const kill: RunSpec = { attack: m.killers[0]!, profile: 'hardened', seed: 1, backend: 'symbolic', mutant: m.id };
    const inline = [named, kill].map((s) => attackTrace(s, runSpec(s, true)));
    const c = runCampaign({ runs: [named, blocked], observed: 'symbolic', generators: [], hunts: [{ mutant: m.id, seeds: [1] }], differential: { seed: 1, cases: 1 } }, 2);
    try {
      expect(c.run(named).tracedRun).toBe(inline[0]);
      expect(c.run(blocked).blocked).toBe(true);
      expect(c.run(blocked).tracedRun).toBeUndefined(); // blocked and nothing broken: never written
      expect(c.hunt(m.id)).toMatchObject({ killed: true, by: { attack: kill.attack, seed: 1 }, tracedRun: inline[1] });
      expect(c.traces([kill, named, blocked])).toEqual([inline[1], inline[0], attackTrace(blocked, runSpec(blocked, true))]);
    } finally {
      c.close();
    }
  }, 300_000);

  it('should hunt equivalent mutants together in chunks on two workers to each one-task hunt, its every named attack on every seed', () => {
    // the first's check is asked for in 2 of the 106 runs, the other's in 7: runs shared and runs made again
    const ms = [EQUIVALENT_MUTANTS[0]!, EQUIVALENT_MUTANTS.find((x) => x.id === 'no-entitlement-start')!];
    const tasks = sharedHuntTasks(ms.map((m) => m.id), [1, 2]);
    expect(tasks.length).toBe(Math.ceil((huntOrder(ms[0]!).length * 2) / HUNT_CHUNK));
    expect(tasks.map((t) => costOf(t)).reduce((a, b) => a + b)).toBe(huntOrder(ms[0]!).length * 2);
    expect(huntTasks({ mutant: ms[0]!.id, seeds: [1, 2] })).toHaveLength(tasks.length); // hunted alone: the same chunks
    // recorded runs that are the hunts' own unmutated runs go to the chunk that makes them; a
    // compat run, a mutant's and one on a seed the hunts do not try stay tasks of their own
    const order = huntOrder(ms[0]!);
    const named = (attack: string, seed: number): RunSpec => ({ attack, profile: 'hardened', seed, backend: 'symbolic' });
    const shared = [named(order[0]!, 1), named(order[HUNT_CHUNK + 1]!, 1), named(order[3]!, 2)];
    const own = [{ ...shared[0]!, profile: 'compat' }, { ...shared[1]!, mutant: MUTANTS[0]!.id }, named(order[0]!, 3)] satisfies RunSpec[];
    const recording = sharedHuntTasks(ms.map((m) => m.id), [1, 2], HUNT_CHUNK, [...shared, ...own]).map((t) => (t.kind === 'hunts' ? (t.record ?? []) : []));
    expect(recording[0]).toEqual([shared[0]]);
    expect(recording[1]).toEqual([shared[1]]);
    expect(recording[Math.floor((order.length + 3) / HUNT_CHUNK)]).toEqual([shared[2]]);
    expect(recording.flat()).toHaveLength(3);
    const runs = [...shared.slice(0, 2), ...own];
    const c = runCampaign({ runs, observed: 'symbolic', generators: [], hunts: ms.map((m) => ({ mutant: m.id, seeds: [1] })), differential: { seed: 1, cases: 1 } }, 2);
    try {
      for (const m of ms) {
        const { mutant: _, ...whole } = huntMutant(m, [1]);
        expect(whole.killed).toBe(false);
        expect({ ...c.hunt(m.id), ms: 0 }, m.id).toEqual({ ...whole, ms: 0 });
      }
      // each recorded run's result is its own run task's (observed, with its machine coverage), wherever it was made
      for (const spec of runs) expect(c.run(spec), JSON.stringify(spec)).toEqual(execute({ kind: 'run', spec, observe: true, trace: true }));
    } finally {
      c.close();
    }
  }, 300_000);
});
