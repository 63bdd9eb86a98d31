/**
 * Generated login adversaries (spec 9.6): hardened keeps PROP-21, PROP-22 and PROP-28 over generated
 * plans; in compat, generation finds a violation on its own and shrinks it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachSeed } from '../impl/fc-seeds.ts';
import { replayTrace } from '../simulator/replay.ts';
import { attackTrace, rebuildAuditTrace, runSpec, type RunSpec } from './audit.ts';
import { arbLoginPlan, runLoginPlan, LOGIN_SCHEDULE_FRAMES } from './login-plans.ts';
import { requireFired } from './plans.ts';

describe('generated login adversaries', () => {
  it('should see every frame of the honest schedule when the plan does nothing', () => {
    for (const profile of ['hardened', 'compat'] as const) {
      const r = runLoginPlan([], { profile, seed: 1, backend: 'symbolic' });
      expect(r.frames).toBe(LOGIN_SCHEDULE_FRAMES);
      expect(r.violations).toEqual([]);
    }
  });

  it('PROP-21 PROP-22 PROP-28 hardened: no generated plan makes a client answer a challenge that does not prove the relay key, or under a salt or KDF it must refuse, or anyone accept a replayed login', () => {
    let biting = 0; // plans that do break compat: the ones hardened's result is about
    forEachSeed(import.meta.url, 42, 60, ({ seed: fcSeed, numRuns }) => {
      fc.assert(
        fc.property(arbLoginPlan(3), fc.integer({ min: 1, max: 1_000 }), (plan, seed) => {
          const r = runLoginPlan(plan, { profile: 'hardened', seed, backend: 'symbolic' });
          requireFired(r.fired); // a plan that fired nothing is drawn again, not counted
          expect(r.violations).toEqual([]);
          if (runLoginPlan(plan, { profile: 'compat', seed, backend: 'symbolic' }).violations.length > 0) biting++;
        }),
        { numRuns, seed: fcSeed },
      );
    });
    expect(biting).toBeGreaterThan(0);
  });

  it('PROP-21 compat: generation finds a client answering a replayed or edited challenge, and shrinks the plan', () => {
    const out = fc.check(
      fc.property(arbLoginPlan(3), (plan) => runLoginPlan(plan, { profile: 'compat', seed: 1, backend: 'symbolic' }).violations.length === 0),
      { numRuns: 300, seed: 42 },
    );
    expect(out.failed).toBe(true);
    const plan = out.counterexample![0];
    const r = runLoginPlan(plan, { profile: 'compat', seed: 1, backend: 'symbolic' });
    expect(r.violations.map((v) => v.prop)).toContain('PROP-21');
    expect(plan.length).toBeLessThanOrEqual(2);
    // the same plan against hardened is blocked
    expect(runLoginPlan(plan, { profile: 'hardened', seed: 1, backend: 'symbolic' }).violations).toEqual([]);
    // as the audit writes it, the counterexample replays to the same bytes
    const spec: RunSpec = { attack: 'generated-login', loginPlan: plan, profile: 'compat', seed: 1, backend: 'symbolic' };
    const replayed = replayTrace(attackTrace(spec, runSpec(spec, true)), [rebuildAuditTrace]);
    expect(replayed.identical).toBe(true);
    expect(replayed.replayed).toMatch(/"prop":"PROP-21"/);
  });

  it('PROP-22: a dropped frame delivered later by a copy is that frame delayed, not a replay (a false violation generation once found)', () => {
    const plan = [
      { op: 'replay', nth: 10, onto: 'same', when: 1 },
      { op: 'edit', nth: 10, at: 0 },
      { op: 'reflect', nth: 1 },
    ] as const;
    const r = runLoginPlan(plan, { profile: 'hardened', seed: 1, backend: 'symbolic' });
    expect(r.fired.every((n) => n > 0)).toBe(true);
    expect(r.violations).toEqual([]);
  });

  it('PROP-22 REQ-LOG-013: an edited expiry in LoginFinish is refused (the audit of --runs 500 --seed 1 found it accepted, when server_confirm did not cover expires_at)', () => {
    const plan = [
      { op: 'edit', nth: 6, at: 829 }, // the server's LoginFinish to alice, a byte of expires_at
      { op: 'drop', nth: 2 },
    ] as const;
    const r = runLoginPlan(plan, { profile: 'hardened', seed: 1, backend: 'symbolic' });
    expect(r.fired.every((n) => n > 0)).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.detected).toContain('REQ-LOG-013');
  });
});
