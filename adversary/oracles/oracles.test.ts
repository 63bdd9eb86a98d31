/** The property oracles (spec 12) on runs built for one judgement each: what they must flag, and what they must not. */
import { describe, expect, it } from 'vitest';
import { backendCrypto } from '../../simulator/run.ts';
import { scenario, type ScenarioRun } from '../../simulator/scenarios.ts';
import { createWorld } from '../../simulator/world.ts';
import { propertyMonitor } from './index.ts';
import { maliciousRelay } from '../relay.ts';

/** An honest room of owner, alice and bob (rotation every 15 messages) running `steps`, the oracles watching. */
function judged(profile: 'hardened' | 'compat', steps: (r: ScenarioRun) => void) {
  const relay = maliciousRelay([], () => undefined);
  let monitor: ReturnType<typeof propertyMonitor> | undefined;
  const world = createWorld({ seed: 11, profile, crypto: backendCrypto('symbolic'), tap: relay, clientConfig: { rotateEvery: 15 }, onStep: () => monitor?.step() });
  monitor = propertyMonitor(world, new Set(), () => relay.observed);
  const run: ScenarioRun = { world, members: [], removed: [], speakers: new Set(), next: 0, extraChecks: [] };
  for (const s of scenario('oracle', 'one judgement').members('alice', 'bob').create().admit('alice', 'bob').step(steps).steps) s(run);
  monitor.finish([]);
  return { world, violations: monitor.violations };
}

describe('PROP-18 oracle', () => {
  for (const profile of ['hardened', 'compat'] as const) {
    it(`${profile}: a rotation the owner's user asked for (REQ-OWN-030: at any time) is not judged count-driven`, () => {
      const { world, violations } = judged(profile, (r) => {
        for (let i = 0; i < 3; i++) r.world.user('alice', { type: 'user.send', text: `before ${i}` }, i * 40);
        r.world.runUntil(r.world.now() + 2_000);
        r.world.user('owner', { type: 'user.rotate' });
        r.world.runUntil(r.world.now() + 2_000);
        for (let i = 0; i < 3; i++) r.world.user('bob', { type: 'user.send', text: `after ${i}` }, i * 40);
        r.world.runUntil(r.world.now() + 5_000);
      });
      // the owner did rotate, with 3 messages in the epoch (the oracle used to call that a PROP-18 break)
      expect(world.clients.get('owner')!.statuses.some((s) => s.status.kind === 'epoch' && s.status.reason === 'rotate')).toBe(true);
      expect(violations).toEqual([]);
    });
  }
});
