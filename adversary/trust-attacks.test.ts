/** Trust attacks ATK-21, ATK-22, ATK-23 (spec 11.4) and the oracles PROP-23, PROP-24, PROP-25. */
import { describe, expect, it } from 'vitest';
import { GRIND_HEX_CHARS, runTrustAttack, TRUST_ATTACKS } from './trust-attacks.ts';
import { loadRealBackends } from '../impl/crypto/backends.ts';

// runs on the real backends below: liboqs is loaded by this call, not by importing the simulator
await loadRealBackends();

describe('named trust attacks (spec 11.4)', () => {
  for (const atk of TRUST_ATTACKS) {
    describe(`${atk.id} ${atk.title}`, () => {
      it(`hardened: blocked (${atk.props.join(', ')} hold), every step carried out, detected`, () => {
        const r = runTrustAttack(atk, { profile: 'hardened', seed: 1, backend: 'symbolic' });
        expect(r.fired.every((n) => n > 0)).toBe(true);
        expect(r.violations).toEqual([]);
        expect(r.detected.length).toBeGreaterThan(0);
      });
      it(`compat: ${atk.compat === 'blocked' ? `${atk.props.join(', ')} hold` : `${atk.props.join(', ')} broken`}, the same way on a second run`, () => {
        const a = runTrustAttack(atk, { profile: 'compat', seed: 1, backend: 'symbolic', trace: true });
        expect(a.fired.every((n) => n > 0)).toBe(true);
        const broken = new Set(a.violations.map((v) => v.prop));
        if (atk.compat === 'blocked') expect(atk.props.filter((p) => broken.has(p))).toEqual([]);
        else expect(atk.props.every((p) => broken.has(p))).toBe(true);
        const b = runTrustAttack(atk, { profile: 'compat', seed: 1, backend: 'symbolic', trace: true });
        expect(b.world.trace.text()).toBe(a.world.trace.text());
      });
    });
  }
  it(`ATK-22 on real ML-DSA-65 keys: a ${GRIND_HEX_CHARS}-character suffix is forged and compat accepts it, hardened refuses it (REQ-KEY-031)`, () => {
    const atk = TRUST_ATTACKS.find((a) => a.id === 'ATK-22')!;
    const compat = runTrustAttack(atk, { profile: 'compat', seed: 2, backend: 'real', trace: true });
    expect(compat.violations.map((v) => v.prop)).toEqual(['PROP-23']);
    expect(compat.world.trace.text()).toMatch(/after \d+ key generations/);
    const hardened = runTrustAttack(atk, { profile: 'hardened', seed: 2, backend: 'real' });
    expect(hardened.detected).toEqual(['REQ-KEY-031']);
  }, 120_000);
});
