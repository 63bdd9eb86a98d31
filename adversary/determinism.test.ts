/**
 * An attack run is a function of its seed on every real backend, and the same function (spec 3.1,
 * 3.7): the trace and the verdict of a named attack are the same on noble, liboqs and native.
 * (The simulator's runs are checked the same way in simulator/determinism.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { loadRealBackends, presentBackends } from '../impl/crypto/backends.ts';
import type { Backend } from '../simulator/run.ts';
import { runLoginAttack } from './login-attacks.ts';
import { runNamed } from './named.ts';

// runs on the real backends below: liboqs is loaded by this call, not by importing the simulator
await loadRealBackends();

const present = presentBackends();

describe('REQ-CRY-011 determinism of attack runs on every backend', () => {
  it('should give the same attack run (trace and verdict) on every real backend, and twice on the fastest', () => {
    const lines = (b: Backend): string => {
      const r = runNamed('ATK-11', { profile: 'hardened', seed: 2, backend: b, trace: true });
      return JSON.stringify([r.lines, r.violations, r.blocked, r.detected]);
    };
    const noble = lines('noble');
    for (const b of present.filter((x) => x !== 'noble')) expect(lines(b), b).toBe(noble);
    expect(lines('real')).toBe(lines('real'));
  }, 300_000);

  it('REQ-LOG-001 should give the same login trace on every real backend, with real Argon2id at the interactive profile (hash-wasm on a helper thread, noble where it is absent; node:crypto\'s is held to both in impl/crypto/argon2-node.test.ts)', () => {
    const lines = (b: Backend): string => {
      const r = runLoginAttack(undefined, { profile: 'hardened', seed: 4, backend: b, trace: true });
      expect(r.world.clients.get('alice')!.passwordSends.length, b).toBeGreaterThan(0); // a login that answered with its password-derived key
      return r.world.trace.text();
    };
    const noble = lines('noble');
    expect(noble).toMatch(/logged in/);
    for (const b of present.filter((x) => x !== 'noble')) expect(lines(b), b).toBe(noble);
  }, 300_000);
});
