import { describe, expect, it } from 'vitest';
import { EQUIVALENT_MUTANTS, MUTANTS, runAgainstMutant } from './mutants.ts';
import { runNamed } from './named.ts';

describe('mutants (spec 12.2): the hardened profile with one check switched off', () => {
  it('names each mutant once, each removing a different requirement', () => {
    const all = [...MUTANTS, ...EQUIVALENT_MUTANTS];
    expect(new Set(all.map((m) => m.id)).size).toBe(all.length);
    expect(new Set(all.map((m) => m.removes)).size).toBe(all.length);
  });
  for (const m of MUTANTS) {
    it(`${m.id} (${m.removes} off) is killed by ${m.killers[0]}, while the same attack is blocked with the check on`, () => {
      const attack = m.killers[0]!;
      const r = runAgainstMutant(m, attack, 1);
      expect(r.violations.length, `${m.id} survived ${attack}`).toBeGreaterThan(0);
      expect(runNamed(attack, { profile: 'hardened', seed: 1, backend: 'symbolic' }).violations).toEqual([]);
    });
  }
  for (const m of EQUIVALENT_MUTANTS) {
    it(`${m.id} (${m.removes} off) is equivalent: under ${m.attack} no property fails and ${m.stoppedBy} stops the attack instead`, () => {
      const r = runAgainstMutant(m, m.attack, 1);
      expect(r.violations).toEqual([]);
      expect(r.detected).toContain(m.stoppedBy);
    });
  }
});
