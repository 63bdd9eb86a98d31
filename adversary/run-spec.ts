/**
 * One run of the audit campaign as data (spec 11.4): a named attack, a generated plan or a
 * generated login adversary, in a profile, with a seed, a backend and perhaps a mutant; enough to
 * run it again, here or in a worker thread of a parallel campaign (adversary/parallel.ts).
 */
import { withCheckOff } from '../impl/mutants.ts';
import type { Profile } from '../impl/suite.ts';
import { TRACE_FORMAT, type Backend } from '../simulator/run.ts';
import { runAttack, type Attack } from './attacks.ts';
import { runLoginPlan, type LoginPlan } from './login-plans.ts';
import { MUTANTS } from './mutants.ts';
import { loginOutcome, roomOutcome, runNamed, type Outcome } from './named.ts';
import type { Plan } from './relay.ts';

/** What one run was: enough to run it again. */
export interface RunSpec {
  /** A named attack, `generated` with its plan, or `generated-login` with its login plan. */
  readonly attack: string;
  readonly plan?: Plan;
  readonly loginPlan?: LoginPlan;
  readonly profile: Profile;
  readonly seed: number;
  readonly backend: Backend;
  /** The mutant's switched-off requirement, if any. */
  readonly mutant?: string;
  /** A fault schedule the run was made under (`--faults` syntax), if any. */
  readonly faults?: string;
}

/** Runs a spec, with or without a trace. */
export function runSpec(spec: RunSpec, trace = false): Outcome {
  const mutant = spec.mutant === undefined ? undefined : MUTANTS.find((m) => m.id === spec.mutant);
  if (spec.mutant !== undefined && !mutant) throw new Error(`no mutant named ${spec.mutant}`);
  const o = { profile: spec.profile, seed: spec.seed, backend: spec.backend, trace, ...(spec.faults === undefined ? {} : { faults: spec.faults }) };
  return withCheckOff(mutant?.removes, () => {
    if (spec.attack === 'generated-login') return loginOutcome(runLoginPlan(spec.loginPlan ?? [], o));
    if (spec.attack !== 'generated') return runNamed(spec.attack, o);
    const plan = spec.plan ?? [];
    const generated: Attack = { id: 'generated', title: 'a generated plan', weakness: '-', props: [], plan: () => plan };
    return roomOutcome(runAttack(generated, o));
  });
}

/** The trace of an attack run: a header that says how to run it again, the events, and the verdict. */
export function attackTrace(spec: RunSpec, r: Outcome): string {
  const header = { t: 0, kind: 'run', format: TRACE_FORMAT, ...spec };
  const verdict = { t: r.elapsed, kind: 'verdict', blocked: r.blocked, violations: r.violations, detected: r.detected, ...(r.findings.length > 0 ? { findings: r.findings } : {}) };
  return [JSON.stringify(header), ...r.lines, JSON.stringify(verdict)].join('\n') + '\n';
}
