/**
 * The campaign one generated mutant faces (adversary/mutation/sites.ts), run in a worker whose
 * modules load with that mutant's file replaced: honest scenarios first (their checks of spec 12's
 * simulator: every message delivered once, in order, no alarm), then every named attack of spec
 * 11.4 on each seed, then generated plans and login adversaries, all in the hardened profile on
 * the symbolic backend, until something notices.
 *
 * A kill is a property broken in a run that completed, judged as huntMutant judges a hand-written
 * mutant's other attacks: a property broken in a run that stalled, or a run that threw, is recorded
 * as refused, never a kill. An honest scenario whose checks fail (or that stalls, throws) is a
 * detection of another kind: the mutant broke the protocol for everyone, which no attack is
 * needed to see.
 */
import fc from 'fast-check';
import { NO_FAULTS } from '../../simulator/faults.ts';
import { simulate } from '../../simulator/run.ts';
import { runAttack, type Attack } from '../attacks.ts';
import { arbLoginPlan, runLoginPlan } from '../login-plans.ts';
import { loginOutcome, NAMED_ATTACKS, roomOutcome, runNamed, type Outcome } from '../named.ts';
import { arbFaults, arbPlan } from '../plans.ts';

/** How much of the campaign a mutant faces. */
export interface Budget {
  /** Seeds of the named attacks. */
  readonly seeds: readonly number[];
  /** Generated room plans (hardened) and a fifth as many login adversaries (at least 2), drawn with the first seed. */
  readonly plans: number;
}

/** The honest scenarios run first (each about 0.1 s on the symbolic backend). */
export const HONEST_SCENARIOS: readonly string[] = ['join-race', 'removal', 'offline-return', 'late-joiner'];

/** What noticed a mutant, or that nothing did. */
export type Verdict =
  /** a property broke in a completed run */
  | { readonly status: 'killed'; readonly by: string; readonly prop: string; readonly detail: string }
  /** an honest scenario failed its checks, stalled or threw */
  | { readonly status: 'broke-honest'; readonly by: string; readonly detail: string }
  /** nothing noticed */
  | { readonly status: 'survived' };

/** One mutant's campaign. */
export interface CampaignResult {
  readonly verdict: Verdict;
  /** Runs made. */
  readonly runs: number;
  /** Runs whose violations were not counted (stalled) or that threw: `what: why`. */
  readonly refused: readonly string[];
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);

/** Runs the campaign against the code as loaded (a mutant's worker), until something notices. */
export function runCampaign(b: Budget): CampaignResult {
  let runs = 0;
  const refused: string[] = [];
  for (const scenario of HONEST_SCENARIOS) {
    runs++;
    try {
      const r = simulate({ scenario, seed: b.seeds[0] ?? 1, profile: 'hardened', faults: NO_FAULTS, backend: 'symbolic' });
      if (r.error !== undefined) return { verdict: { status: 'broke-honest', by: scenario, detail: r.error }, runs, refused };
      const failed = r.result?.checks.find((c) => !c.ok);
      if (failed) return { verdict: { status: 'broke-honest', by: scenario, detail: `${failed.name}: ${failed.detail}`.slice(0, 300) }, runs, refused };
    } catch (e) {
      return { verdict: { status: 'broke-honest', by: scenario, detail: `threw ${message(e)}` }, runs, refused };
    }
  }
  const judge = (what: string, run: () => Outcome): Verdict | undefined => {
    runs++;
    let r: Outcome;
    try {
      r = run();
    } catch (e) {
      refused.push(`${what}: threw ${message(e)}`);
      return undefined;
    }
    if (r.stalled !== undefined) {
      if (r.violations.length > 0) refused.push(`${what}: stalled (${r.stalled})`);
      return undefined;
    }
    const v = r.violations[0];
    return v ? { status: 'killed', by: what, prop: v.prop, detail: v.detail } : undefined;
  };
  // an attack that breaks the unmutated profile (an open finding) would kill every mutant: left out
  const attacks = NAMED_ATTACKS.filter((a) => a.openFinding === undefined);
  for (const seed of b.seeds) {
    for (const a of attacks) {
      const v = judge(`${a.id} seed ${seed}`, () => runNamed(a.id, { profile: 'hardened', seed, backend: 'symbolic' }));
      if (v) return { verdict: v, runs, refused };
    }
  }
  const seed = b.seeds[0] ?? 1;
  const o = { profile: 'hardened' as const, backend: 'symbolic' as const };
  const plans = b.plans > 0 ? fc.sample(fc.tuple(arbPlan('hardened'), arbFaults(), fc.integer({ min: 1, max: 1_000_000 })), { numRuns: b.plans, seed }) : [];
  for (const [i, [plan, faults, s]] of plans.entries()) {
    const generated: Attack = { id: 'generated', title: 'a generated plan', weakness: '-', props: [], plan: () => plan };
    const v = judge(`generated plan ${i} (seed ${seed})`, () => roomOutcome(runAttack(generated, { ...o, seed: s, ...(faults === undefined ? {} : { faults }) })));
    if (v) return { verdict: v, runs, refused };
  }
  const logins = b.plans > 0 ? fc.sample(fc.tuple(arbLoginPlan(3), fc.integer({ min: 1, max: 1_000_000 })), { numRuns: Math.max(2, Math.ceil(b.plans / 5)), seed }) : [];
  for (const [i, [plan, s]] of logins.entries()) {
    const v = judge(`generated login ${i} (seed ${seed})`, () => {
      const r = runLoginPlan(plan, { ...o, seed: s });
      return loginOutcome(r);
    });
    if (v) return { verdict: v, runs, refused };
  }
  return { verdict: { status: 'survived' }, runs, refused };
}
