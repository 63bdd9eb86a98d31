import { describe, expect, it } from 'vitest';
import { EQUIVALENT_MUTANTS, MUTANTS, huntMutant, runAgainstMutant } from './mutants.ts';
import { runNamed } from './named.ts';

describe('mutants (spec 12.2): the hardened profile with one check switched off', () => {
  it('names each mutant once, each removing a different requirement', () => {
    const all = [...MUTANTS, ...EQUIVALENT_MUTANTS];
    expect(new Set(all.map((m) => m.id)).size).toBe(all.length);
    expect(new Set(all.map((m) => m.removes)).size).toBe(all.length);
  });
  for (const m of MUTANTS) {
    it(`${m.id} (${m.removes} off) is killed by ${m.killers[0]} breaking ${m.breaks ?? 'a property'}${m.stalls ? ', the room stalled as pinned' : ', the room completing'}, while the same attack is blocked with the check on`, () => {
      const attack = m.killers[0]!;
      const r = runAgainstMutant(m, attack, 1);
      expect(r.violations.length, `${m.id} survived ${attack}`).toBeGreaterThan(0);
      expect(r.stalled !== undefined, `${m.id} under ${attack}: stalled ${r.stalled ?? 'no'}, pinned ${m.stalls ? 'stalls' : 'completes'}`).toBe(m.stalls === true);
      expect(r.violations.map((v) => v.prop), `${m.id} under ${attack}`).toContain(m.breaks);
      expect(runNamed(attack, { profile: 'hardened', seed: 1, backend: 'symbolic' }).violations).toEqual([]);
    });
  }
  it('every mutant pins the property its first killer breaks (spec 12.2)', () => {
    expect(MUTANTS.filter((m) => m.breaks === undefined).map((m) => m.id)).toEqual([]);
  });
  it('a hunt counts a kill only by the pinned property and status: pinned otherwise, the first killer is refused and recorded', () => {
    const m = MUTANTS.find((x) => x.id === 'no-sender-signature')!;
    expect(huntMutant(m, [1])).toMatchObject({ killed: true, by: { attack: m.killers[0], prop: m.breaks }, refused: [] });
    const wrongProp = huntMutant({ ...m, breaks: 'PROP-29' }, [1]);
    expect(wrongProp.by?.attack).not.toBe(m.killers[0]);
    expect(wrongProp.refused[0]).toContain('not the pinned PROP-29');
    const wrongStatus = huntMutant({ ...m, stalls: true }, [1]);
    expect(wrongStatus.by?.attack).not.toBe(m.killers[0]);
    expect(wrongStatus.refused[0]).toContain('completed, not as pinned');
  });
  it('a run that crashes is no kill: the exception is refused and recorded, the hunt goes on', () => {
    const m = MUTANTS.find((x) => x.id === 'no-sender-signature')!;
    const h = huntMutant({ ...m, killers: ['ATK-nothing'] }, [1]);
    expect(h.refused[0]).toMatch(/^ATK-nothing seed 1: threw /);
  });
  it('an equivalence claim is hunted with every named attack (issue 30): the old REQ-MEM-013 claim is refuted by ATK-28c breaking PROP-30', () => {
    const killer = MUTANTS.find((x) => x.id === 'no-epoch-roster-check')!;
    const claim = { ...killer, killers: [], breaks: undefined };
    const h = huntMutant(claim, [1]);
    expect(h.killed).toBe(true);
    expect(h.by).toMatchObject({ attack: 'ATK-28c', prop: 'PROP-30' });
  }, 120_000);
  for (const m of EQUIVALENT_MUTANTS) {
    it(`${m.id} (${m.removes} off) is equivalent: under ${m.attack} no property fails and ${m.stoppedBy} stops the attack instead`, () => {
      const r = runAgainstMutant(m, m.attack, 1);
      expect(r.violations).toEqual([]);
      expect(r.detected).toContain(m.stoppedBy);
    });
  }
});
