import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runAttack } from './attacks.ts';
import { arbFaults, arbPlan } from './plans.ts';
import type { Plan } from './relay.ts';

// CI budget; `PQROOM_FC_RUNS` and `PQROOM_FC_SEED` widen or move the search
const RUNS = Number(process.env.PQROOM_FC_RUNS ?? 16);
const SEED = Number(process.env.PQROOM_FC_SEED ?? 20261123);

const run = (profile: 'hardened' | 'compat', plan: Plan, seed: number, faults?: string) =>
  runAttack({ id: 'generated', title: 'generated plan', weakness: '-', props: [], plan: () => plan }, { profile, seed, backend: 'symbolic', ...(faults === undefined ? {} : { faults }) });

describe('generated adversary plans (fast-check)', () => {
  it(`hardened: every checked property holds over ${RUNS} generated plans, some under generated faults (crashes, partitions, relay restarts, a lossy network)`, () => {
    fc.assert(
      fc.property(arbPlan('hardened'), arbFaults(), fc.integer({ min: 1, max: 1_000 }), (plan, faults, seed) => {
        const r = run('hardened', plan, seed, faults);
        if (r.violations.length > 0) throw new Error(`${r.violations[0]!.prop} at ${r.violations[0]!.party}: ${r.violations[0]!.detail}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  }, 600_000);

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
