import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachSeed } from '../impl/fc-seeds.ts';
import { runAttack } from './attacks.ts';
import { arbFaults, arbPlan, requireFired } from './plans.ts';
import type { Plan } from './relay.ts';

// the fixed regression seed and its budget; CI adds a seed of its own (`impl/fc-seeds.ts`)
const RUNS = 16;
const SEED = 20261123;

const run = (profile: 'hardened' | 'compat', plan: Plan, seed: number, faults?: string) =>
  runAttack({ id: 'generated', title: 'generated plan', weakness: '-', props: [], plan: () => plan }, { profile, seed, backend: 'symbolic', ...(faults === undefined ? {} : { faults }) });

describe('generated adversary plans (fast-check)', () => {
  it(`hardened: every checked property holds over ${RUNS} generated plans per seed, each of which fired a step (one that fires nothing is drawn again), some under generated faults (crashes, partitions, relay restarts, a lossy network)`, () => {
    forEachSeed(import.meta.url, SEED, RUNS, ({ seed: fcSeed, numRuns }) => {
      let fired = 0;
      let idle = 0;
      fc.assert(
        fc.property(arbPlan('hardened'), arbFaults(), fc.integer({ min: 1, max: 1_000 }), (plan, faults, seed) => {
          const r = run('hardened', plan, seed, faults);
          if (!r.fired.some((n) => n > 0)) idle++;
          requireFired(r.fired);
          fired++;
          if (r.violations.length > 0) throw new Error(`${r.violations[0]!.prop} at ${r.violations[0]!.party}: ${r.violations[0]!.detail}`);
        }),
        { numRuns, seed: fcSeed },
      );
      // every run counted fired a step; the plans that fired nothing were drawn again, not counted
      expect(fired).toBe(numRuns);
      expect(idle).toBeLessThan(numRuns);
    });
  }, 600_000);

  it('a generated plan that fires nothing is rejected, not counted as a run where the properties held (issue 30)', () => {
    // a step that matches a frame the room never sends (the 99th chat bob receives) never fires
    const idle: Plan = [{ cap: 'CAP-02', op: 'drop', match: { dir: 'down', client: 'bob', msg: 'RoomDelivery(AppMessage)', nth: 99 } }];
    const r = run('hardened', idle, 1);
    expect(r.fired).toEqual([0]);
    expect(r.violations).toEqual([]); // it would have passed, trivially
    const out = fc.check(fc.property(fc.constant(idle), (plan) => requireFired(run('hardened', plan, 1).fired)), { numRuns: 2, seed: 1, maxSkipsPerRun: 1 });
    expect(out.failed).toBe(true);
    expect(out.numSkips).toBeGreaterThan(0);
    expect(out.numRuns).toBe(0);
    // a plan that fires is taken
    const dropping: Plan = [{ cap: 'CAP-02', op: 'drop', match: { dir: 'down', client: 'bob', msg: 'RoomDelivery(AppMessage)', nth: 1 } }];
    expect(run('hardened', dropping, 1).fired[0]).toBeGreaterThan(0);
    expect(fc.check(fc.property(fc.constant(dropping), (plan) => requireFired(run('hardened', plan, 1).fired)), { numRuns: 1, seed: 1 }).failed).toBe(false);
  }, 120_000);

  it('compat: generation finds a property violation on its own and shrinks it to a one-step plan', () => {
    const out = fc.check(
      fc.property(arbPlan('compat'), fc.integer({ min: 1, max: 1_000 }), (plan, seed) => run('compat', plan, seed).violations.length === 0),
      { numRuns: 200, seed: SEED },
    );
    expect(out.failed).toBe(true);
    const [plan, seed] = out.counterexample!;
    expect(plan.length).toBe(1);
    // the shrunk counterexample replays: same plan, same seed, same violations
    const a = run('compat', plan, seed);
    const b = run('compat', plan, seed);
    expect(a.violations.length).toBeGreaterThan(0);
    expect(b.violations).toEqual(a.violations);
  }, 600_000);
});
