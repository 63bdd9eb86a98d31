/**
 * A run is a function of its seed on every crypto backend (spec 3.1, 3.7): the same seed gives the
 * same trace byte for byte on each backend and on any mix of backends, primitive by primitive; and
 * since every real backend computes the same bytes (de-randomised key generation, encapsulation
 * and hedged signing with the seed's randomness), the trace is the same on all of them.
 */
import { describe, expect, it } from 'vitest';
import { loadRealBackends, presentBackends, realCrypto } from '../impl/crypto/backends.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { NO_FAULTS } from './faults.ts';
import { simulate, type Backend, type RunOptions } from './run.ts';

// runs on the real backends below: liboqs is loaded by this call, not by importing the simulator
await loadRealBackends();

const present = presentBackends();
const PRIMITIVES = ['kemKeygen', 'kemEncapsulate', 'kemDecapsulate', 'sigKeygen', 'sign', 'verify'] as const;
const run = (backend: Backend, profile: RunOptions['profile'] = 'hardened'): RunOptions => ({ scenario: 'join-race', seed: 5, profile, faults: NO_FAULTS, backend });
/** The trace without its first line (the header names the backend). */
const body = (trace: string): string => trace.slice(trace.indexOf('\n') + 1);

describe('REQ-CRY-011 determinism on every backend (REQ-CRY-001, REQ-CRY-003)', () => {
  for (const profile of ['hardened', 'compat'] as const) {
    it(`should give byte-identical traces for one seed, twice on each backend (${profile})`, () => {
      for (const b of ['symbolic', ...present] as const) {
        const a = simulate(run(b, profile), true).trace;
        expect(a.length).toBeGreaterThan(1000);
        expect(simulate(run(b, profile), true).trace, b).toBe(a);
      }
    }, 300_000);

    it(`should give the same trace on every real backend (${profile})`, () => {
      const noble = body(simulate(run('noble', profile), true).trace);
      for (const b of present) expect(body(simulate(run(b, profile), true).trace), b).toBe(noble);
      // and the symbolic backend, whose stand-ins are other bytes, does not
      expect(body(simulate(run('symbolic', profile), true).trace)).not.toBe(noble);
    }, 300_000);
  }

  it('should give the same trace on mixes of the backends, each primitive from another one', () => {
    const noble = body(simulate(run('noble'), true).trace);
    const mixes = present.length * 2;
    for (let i = 0; i < mixes; i++) {
      const pick = PRIMITIVES.map((_, j) => present[(i + j * (1 + (i % 2))) % present.length]!);
      const mixed: CryptoProvider = { ...realCrypto('noble'), name: `mix ${pick.join('/')}` };
      PRIMITIVES.forEach((p, j) => Object.assign(mixed, { [p]: realCrypto(pick[j]!)[p] }));
      const a = body(simulate(run('noble'), true, undefined, mixed).trace);
      expect(a, mixed.name).toBe(noble);
      expect(body(simulate(run('noble'), true, undefined, mixed).trace), mixed.name).toBe(a);
    }
  }, 300_000);
});
