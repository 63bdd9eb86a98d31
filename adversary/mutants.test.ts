import { describe, expect, it } from 'vitest';
import { EQUIVALENT_MUTANTS, MUTANTS, huntMutant, huntMutants, huntOrder, runAgainstMutant, type MutantResult } from './mutants.ts';
import { runNamed } from './named.ts';
import { mergeHunt, type HuntResult } from './parallel-tasks.ts';

/**
 * A value several tests read, made at the first that asks for it. Runs and hunts are functions of
 * their arguments (symbolic backend, fixed seed): a call asserted by two tests is the same call, so
 * it is made once (issue 24: these hunts, about 50 runs each, were made two and three times).
 */
function once<T>(f: () => T): () => T {
  let made: { readonly v: T } | undefined;
  return () => (made ??= { v: f() }).v;
}
const noSenderSignature = MUTANTS.find((x) => x.id === 'no-sender-signature')!;
// the old REQ-MEM-013 claim: the killer mutant with its killers taken away, hunted as an equivalent one
const roster = MUTANTS.find((x) => x.id === 'no-epoch-roster-check')!;
const claim = { ...roster, killers: [], breaks: undefined };
const claimHunt = once(() => huntMutant(claim, [1]));
// no-sender-signature pinned to a property its first killer does not break
const wrongProp = { ...noSenderSignature, breaks: 'PROP-29' as const };
const wrongPropHunt = once(() => huntMutant(wrongProp, [1]));

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
    const m = noSenderSignature;
    expect(huntMutant(m, [1])).toMatchObject({ killed: true, by: { attack: m.killers[0], prop: m.breaks }, refused: [] });
    const wrong = wrongPropHunt();
    expect(wrong.by?.attack).not.toBe(m.killers[0]);
    expect(wrong.refused[0]).toContain('not the pinned PROP-29');
    const wrongStatus = huntMutant({ ...m, stalls: true }, [1]);
    expect(wrongStatus.by?.attack).not.toBe(m.killers[0]);
    expect(wrongStatus.refused[0]).toContain('completed, not as pinned');
  });
  it('a run that crashes is no kill: the exception is refused and recorded, the hunt goes on', () => {
    const m = noSenderSignature;
    const h = huntMutant({ ...m, killers: ['ATK-nothing'] }, [1]);
    expect(h.refused[0]).toMatch(/^ATK-nothing seed 1: threw /);
  });
  it('an equivalence claim is hunted with every named attack (issue 30): the old REQ-MEM-013 claim is refuted by ATK-28c breaking PROP-30', () => {
    const h = claimHunt();
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

// moved from parallel.test.ts (issue 24): they share this file's hunts of the same mutants
describe('hunts cut in chunks (adversary/parallel.ts hunts so): range by range, the whole hunt', () => {
  it('should hunt a killed mutant in chunks to the one-task hunt: the same kill, runs and refusals, whichever chunk kills it', () => {
    // its first killer refused (a pinned property it does not break), then killed by a later attack
    const m = wrongProp;
    const whole = wrongPropHunt();
    expect(whole.killed).toBe(true);
    expect(whole.refused.length).toBeGreaterThan(0);
    expect(whole.runs).toBeGreaterThan(2);
    const { mutant: _, ...expected } = whole;
    for (const size of [Math.ceil(whole.runs / 3)]) {
      const chunks: HuntResult[] = [];
      for (let from = 0; chunks.at(-1)?.killed !== true; from += size) {
        const { mutant: __, ...c } = huntMutant(m, [1], { range: { from, to: from + size } });
        chunks.push({ ...c, ms: 1 });
      }
      expect(mergeHunt(chunks), `chunks of ${size}`).toEqual({ ...expected, ms: chunks.length });
    }
  }, 120_000);

  it('should hunt mutants that name no killer together to the hunt of each alone: a claim refuted in one chunk, the others hunted on', () => {
    // the old REQ-MEM-013 claim, refuted by ATK-28c breaking PROP-30 (above), beside an equivalent mutant
    const ms = [claim, EQUIVALENT_MUTANTS[2]!];
    const alone: MutantResult[] = [claimHunt(), huntMutant(ms[1]!, [1])];
    const n = huntOrder(claim).length;
    const chunks: (MutantResult & { ms: number })[][] = [];
    for (let from = 0; from < n; from += 20) chunks.push(huntMutants(ms, [1], { from, to: Math.min(n, from + 20) }));
    ms.forEach((m, k) => {
      const { mutant: _, ...whole } = alone[k]!;
      const merged = mergeHunt(chunks.map((c) => ({ ...c[k]!, ms: 1 })));
      expect({ ...merged, ms: 0 }, m.id).toEqual({ ...whole, ms: 0 });
    });
    expect(claimHunt().by).toMatchObject({ attack: 'ATK-28c', prop: 'PROP-30' });
    expect(() => huntMutants([MUTANTS[0]!], [1])).toThrow(/names killers/);
  }, 300_000);

  it('should make the runs a campaign records through their maker, after every hunt has ended too, and judge the same outcome', () => {
    // the claim is refuted by ATK-28c; the last attack of its order comes after that
    const order = huntOrder(claim);
    const last = order[order.length - 1]!;
    expect(order.indexOf('ATK-28c')).toBeLessThan(order.length - 1);
    const made: string[] = [];
    const [h] = huntMutants([claim], [1], undefined, (attack) =>
      attack === 'ATK-28c' || attack === last
        ? (run) => {
            made.push(attack);
            return run(true); // with a trace, as the campaign records it: the same outcome
          }
        : undefined,
    );
    expect(made).toEqual(['ATK-28c', last]);
    const { mutant: _, ...whole } = claimHunt();
    expect({ ...h!, ms: 0 }).toMatchObject({ ...whole, ms: 0 });
  }, 300_000);
});
