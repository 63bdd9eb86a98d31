/**
 * The tasks of a parallel campaign (adversary/parallel.ts, spec 11.4) and how a thread carries
 * each out: a run, a mutant hunt or a chunk of one, the shared hunts of the mutants that name no
 * killer, a generator's shrinking, the backends' differential cases, a run made again with a trace.
 * A worker thread (parallel-worker.ts) loads this module, not the campaign's.
 */
import fc from 'fast-check';
import { presentBackends, realCrypto } from '../impl/crypto/backends.ts';
import { differential, type DifferentialResult } from '../impl/crypto/differential.ts';
import type { Profile } from '../impl/suite.ts';
import { withTransitionObserver } from '../machines/observe.ts';
import type { Backend } from '../simulator/run.ts';
import { attackTrace, runSpec, type RunSpec } from './run-spec.ts';
import { coverageCollector, type MachineCoverage } from './coverage.ts';
import { arbLoginPlan } from './login-plans.ts';
import { EQUIVALENT_MUTANTS, huntMutant, huntMutants, huntOrder, MUTANTS, type Mutant } from './mutants.ts';
import type { Outcome } from './named.ts';
import { arbFaults, arbPlan } from './plans.ts';

/** Whether a task runs real crypto (and its thread must have the real backends loaded first). */
export function needsRealBackends(t: Task): boolean {
  switch (t.kind) {
    case 'run':
    case 'trace':
      return t.spec.backend !== 'symbolic';
    case 'shrink':
      return t.gen.backend !== 'symbolic';
    case 'hunt':
    case 'hunts':
      return false; // mutants are hunted on the symbolic backend (huntMutant)
    case 'differential':
      return true;
  }
}

/**
 * What the merge needs of a run (its trace lines stay in the worker), with the machine coverage of
 * an observed run, and the run's trace (`attackTrace`) when it was asked for and the run may be a
 * counterexample (a property broken or the attack not blocked).
 */
export type RunResult = Pick<Outcome, 'violations' | 'blocked' | 'detected' | 'findings' | 'checked'> & { readonly coverage?: MachineCoverage[]; readonly tracedRun?: string };

/** A generator of a campaign: generated room plans or login adversaries of one profile. */
export interface Generator {
  readonly what: 'plans' | 'logins';
  readonly profile: Profile;
  readonly backend: Backend;
  readonly numRuns: number;
  readonly seed: number;
}

/** A mutant hunt's result. */
export interface HuntResult {
  readonly killed: boolean;
  readonly by?: { readonly attack: string; readonly seed: number; readonly prop: string; readonly detail: string };
  /** Runs tried. */
  readonly runs: number;
  /** Runs whose violations were not counted as a kill (a stall or an exception), each `ATK-nn seed s: why`. */
  readonly refused: readonly string[];
  /** Milliseconds the hunt took (a timing: it differs from run to run). */
  readonly ms: number;
  /** The killing run's trace, when the hunt was made with traces (a whole hunt: its kill is a counterexample the audit writes). */
  readonly tracedRun?: string;
}

/** A generator's runs in campaign order: each run's spec and result, the shrunk counterexample last. */
export interface Generated {
  /** Every run in the order a sequential campaign makes them (draws up to the first failure, then each shrinking step). */
  readonly runs: readonly { readonly spec: RunSpec; readonly r: RunResult }[];
  /** The shrunk counterexample and its result, when a run failed. */
  readonly counterexample?: { readonly spec: RunSpec; readonly r: RunResult };
}

/** One unit of work for a worker. */
export type Task =
  /** A run; with `trace`, made with a trace, kept when the run may be a counterexample (the trace phase need not make it again). */
  | { readonly kind: 'run'; readonly spec: RunSpec; readonly observe?: boolean; readonly trace?: boolean }
  /** A mutant hunt, or the runs `from` to `to` of it (a chunk: `huntMutant`'s range). */
  | { readonly kind: 'hunt'; readonly mutant: string; readonly seeds: readonly number[]; readonly from?: number; readonly to?: number }
  /** The runs `from` to `to` of the hunts of mutants that name no killer, together (`huntMutants`): one result per mutant, in order. */
  /** With `record`, those of its unmutated runs the campaign records too, made observed and traced as a `run` task would make them. */
  | { readonly kind: 'hunts'; readonly mutants: readonly string[]; readonly seeds: readonly number[]; readonly from: number; readonly to: number; readonly record?: readonly RunSpec[] }
  | { readonly kind: 'shrink'; readonly gen: Generator; readonly index: number }
  | { readonly kind: 'differential'; readonly seed: number; readonly cases: number }
  | { readonly kind: 'trace'; readonly spec: RunSpec };

/** A run's trace (`attackTrace`), as the audit writes it for a counterexample. */
export interface Traced {
  readonly trace: string;
}

/** A `hunts` task's result: one hunt per mutant, in order, and the results of the runs it recorded, in the order of `record`. */
export interface SharedHunts {
  readonly hunts: HuntResult[];
  readonly recorded: RunResult[];
}

export type TaskResult = RunResult | HuntResult | SharedHunts | Generated | DifferentialResult | Traced;

function lite(r: Outcome, coverage?: MachineCoverage[], tracedRun?: string): RunResult {
  return { violations: r.violations, blocked: r.blocked, detected: r.detected, findings: r.findings, checked: r.checked, ...(coverage ? { coverage } : {}), ...(tracedRun === undefined ? {} : { tracedRun }) };
}

/** Whether a run's trace may be written as a counterexample: it broke a property, or its attack was not blocked. */
const mayBeSaved = (r: Outcome): boolean => r.violations.length > 0 || !r.blocked;

/**
 * Runs a spec; observed, with the machine coverage of that run (machines/observe.ts); with `trace`,
 * made with a trace (the same outcome; about 12% more time) whose text comes back if the run may
 * be a counterexample, instead of the run being made again for it.
 */
function run(spec: RunSpec, observe: boolean, trace = false): RunResult {
  return made(spec, observe, trace, (t) => runSpec(spec, t))[1];
}

/** `run`, with the run made by `make` (the same run as `runSpec(spec, trace)`); its outcome too. */
function made(spec: RunSpec, observe: boolean, trace: boolean, make: (trace: boolean) => Outcome): [Outcome, RunResult] {
  const c = observe ? coverageCollector() : undefined;
  const r = c ? withTransitionObserver(c, () => make(trace)) : make(trace);
  return [r, lite(r, c?.coverage(), trace && mayBeSaved(r) ? attackTrace(spec, r) : undefined)];
}

/** The spec of a draw: room plans come with a fault schedule (or none), login plans alone. */
function specOf(g: Generator, drawn: unknown, seed: number): RunSpec {
  if (g.what === 'logins') return { attack: 'generated-login', loginPlan: drawn as RunSpec['loginPlan'], profile: g.profile, seed, backend: g.backend };
  const [plan, faults] = drawn as [RunSpec['plan'], string | undefined];
  return { attack: 'generated', plan, profile: g.profile, seed, backend: g.backend, ...(faults === undefined ? {} : { faults }) };
}

/** The audit's property over a generator's draws (the arbitraries the sequential campaign uses). */
function property(g: Generator, predicate: (drawn: unknown, seed: number) => boolean): fc.IProperty<[unknown, number]> {
  const arb: fc.Arbitrary<unknown> = g.what === 'plans' ? fc.tuple(arbPlan(g.profile), arbFaults()) : arbLoginPlan(3);
  return fc.property(arb, fc.integer({ min: 1, max: 1_000_000 }), predicate);
}

/** The run specs fast-check draws for a generator, in order (a pass whose predicate only collects). */
export function draws(g: Generator): RunSpec[] {
  const out: RunSpec[] = [];
  fc.check(
    property(g, (plan, seed) => {
      out.push(specOf(g, plan, seed));
      return true;
    }),
    { numRuns: g.numRuns, seed: g.seed },
  );
  return out;
}

/** Shrinks the failing draw `index` of `g` as fast-check does from its path; the runs exclude the draw itself. */
function shrink(g: Generator, index: number): Generated {
  const runs: { spec: RunSpec; r: RunResult }[] = [];
  let first = true;
  const out = fc.check(
    property(g, (plan, seed) => {
      const spec = specOf(g, plan, seed);
      const r = run(spec, true);
      if (first) first = false; // the failing draw again: the campaign has it already
      else runs.push({ spec, r });
      return r.violations.length === 0;
    }),
    { numRuns: g.numRuns, seed: g.seed, path: String(index) },
  );
  if (!out.failed || !out.counterexample) throw new Error(`draw ${index} of the ${g.what} of ${g.profile} did not fail again`);
  const [plan, seed] = out.counterexample;
  const spec = specOf(g, plan, seed);
  return { runs, counterexample: { spec, r: lite(runSpec(spec)) } };
}

export function mutantNamed(id: string): Mutant {
  const m = MUTANTS.find((x) => x.id === id) ?? EQUIVALENT_MUTANTS.find((x) => x.id === id);
  if (!m) throw new Error(`no mutant named ${id}`);
  return m;
}

/** The spec of a hunt's killing run (hunts run on the symbolic backend), as the audit writes it. */
export function killSpec(mutant: string, by: NonNullable<HuntResult['by']>): RunSpec {
  return { attack: by.attack, profile: 'hardened', seed: by.seed, backend: 'symbolic', mutant };
}

/** Runs per chunk of a hunt cut in chunks (one worker's share, so that no hunt is one long task). */
export const HUNT_CHUNK = 16;

/**
 * The tasks of a hunt: one, when the mutant names killers (its first killer kills it at once), and
 * otherwise (an equivalent mutant, never killed, whose hunt is every named attack on every seed)
 * consecutive chunks of `HUNT_CHUNK` runs, merged by `mergeHunt`.
 */
export function huntTasks(h: { readonly mutant: string; readonly seeds: readonly number[] }, chunk: number = HUNT_CHUNK): Task[] {
  const m = mutantNamed(h.mutant);
  if (m.killers.length > 0) return [{ kind: 'hunt', mutant: h.mutant, seeds: h.seeds }];
  const n = huntOrder(m).length * h.seeds.length;
  const out: Task[] = [];
  for (let from = 0; from < n; from += chunk) out.push({ kind: 'hunt', mutant: h.mutant, seeds: h.seeds, from, to: Math.min(n, from + chunk) });
  return out;
}

/**
 * The tasks of the hunts of mutants that name no killer, on the same seeds: consecutive chunks of
 * `HUNT_CHUNK` runs of all of them together (`huntMutants`: each run made once, and again against
 * a mutant only when it asked for that mutant's check); mutant `k`'s part of a task is its `k`-th
 * result, merged by `mergeHunt` as its own chunks would be. The runs of `record` (named attacks,
 * hardened, symbolic, with no mutant or faults: the hunts' own unmutated runs) that the hunts try
 * go to the task that makes them, which records them too: each is made once, not twice.
 */
export function sharedHuntTasks(mutants: readonly string[], seeds: readonly number[], chunk: number = HUNT_CHUNK, record: readonly RunSpec[] = []): Task[] {
  if (mutants.length === 0) return [];
  const order = huntOrder(mutantNamed(mutants[0]!));
  const n = order.length * seeds.length;
  const at = (s: RunSpec): number => (huntsMayRecord(s) && seeds.includes(s.seed) && order.includes(s.attack) ? seeds.indexOf(s.seed) * order.length + order.indexOf(s.attack) : -1);
  const out: Task[] = [];
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk);
    const mine = record.filter((s) => at(s) >= from && at(s) < to);
    out.push({ kind: 'hunts', mutants, seeds, from, to, ...(mine.length > 0 ? { record: mine } : {}) });
  }
  return out;
}

/** Whether a recorded run is a shared hunt's unmutated run (`sharedHuntTasks` may make it): a named attack, hardened, symbolic, observed and traced, with no mutant or faults. */
function huntsMayRecord(spec: RunSpec): boolean {
  return spec.profile === 'hardened' && spec.backend === 'symbolic' && spec.mutant === undefined && spec.faults === undefined && spec.plan === undefined && spec.loginPlan === undefined && !spec.attack.startsWith('generated');
}

/**
 * The result of a hunt from its chunks' in order (those after the first kill may be missing): the
 * runs and refusals of each chunk up to the first kill, that kill. The one-task hunt's result, its time
 * the sum of the chunks'.
 */
export function mergeHunt(chunks: readonly (HuntResult | undefined)[]): HuntResult {
  let runs = 0;
  let ms = 0;
  const refused: string[] = [];
  for (const c of chunks) {
    if (!c) throw new Error('a chunk of the hunt before its first kill has no result');
    runs += c.runs;
    ms += c.ms;
    refused.push(...c.refused);
    if (c.killed) return { killed: true, ...(c.by ? { by: c.by } : {}), runs, refused, ms, ...(c.tracedRun === undefined ? {} : { tracedRun: c.tracedRun }) };
  }
  return { killed: false, runs, refused, ms };
}

/**
 * A deterministic estimate of a task's cost, in symbolic runs, that orders the dispatch (the longest
 * first, so that no long task is left for the end while the other workers idle); never the results.
 */
export function costOf(t: Task): number {
  switch (t.kind) {
    case 'run':
    case 'trace':
      return t.spec.backend === 'symbolic' ? 1 : 3; // a real run's noble ML-DSA: measured 2-3 symbolic runs, up to 20 for the Argon2 logins
    case 'hunt':
      return t.from === undefined || t.to === undefined ? 1 : t.to - t.from; // a hunt in one task is killed by its first killer
    case 'hunts':
      return t.to - t.from; // each run made once; again only against a mutant whose check it asked for
    case 'shrink':
      return 4;
    case 'differential':
      return t.cases / 2; // measured: 10 cases about 5 symbolic runs
  }
}

/** Carries out one task (in a worker, or in the main thread with one worker). */
export function execute(t: Task): TaskResult {
  switch (t.kind) {
    case 'run':
      return run(t.spec, t.observe === true, t.trace === true);
    case 'hunt': {
      // an equivalent mutant is hunted like any other: a kill refutes its claim (spec 12.2)
      const m = mutantNamed(t.mutant);
      const t0 = Date.now();
      // a whole hunt is a mutant's with killers, killed by its first run: made with traces, the
      // kill's trace (written by the audit) comes with it; the chunks of a hunt never killed, without
      const whole = t.from === undefined || t.to === undefined;
      const h = huntMutant(m, t.seeds, whole ? { trace: true } : { range: { from: t.from!, to: t.to! } });
      const tracedRun = h.by && h.outcome ? attackTrace(killSpec(t.mutant, h.by), h.outcome) : undefined;
      return { killed: h.killed, ...(h.by ? { by: h.by } : {}), runs: h.runs, refused: h.refused, ms: Date.now() - t0, ...(tracedRun === undefined ? {} : { tracedRun }) };
    }
    case 'hunts': {
      // the runs it records are made observed and traced, as their own `run` tasks would be; one
      // that throws fails the task, as its `run` task would have (a hunt counts it a refusal)
      const record = new Map((t.record ?? []).map((spec) => [`${spec.attack} ${spec.seed}`, { spec, result: undefined as RunResult | undefined }]));
      let failed: { error: unknown } | undefined;
      const hunts = huntMutants(t.mutants.map(mutantNamed), t.seeds, { from: t.from, to: t.to }, (attack, seed) => {
        const x = record.get(`${attack} ${seed}`);
        if (x === undefined) return undefined;
        return (make) => {
          try {
            const [r, result] = made(x.spec, true, true, make);
            x.result = result;
            return r;
          } catch (error) {
            failed ??= { error };
            throw error;
          }
        };
      });
      if (failed) throw failed.error;
      const recorded = [...record.values()].map(({ spec, result }) => {
        if (result === undefined) throw new Error(`the shared hunts' runs ${t.from} to ${t.to} do not hold ${spec.attack} on seed ${spec.seed}`);
        return result;
      });
      return { hunts: hunts.map((h) => ({ killed: h.killed, ...(h.by ? { by: h.by } : {}), runs: h.runs, refused: h.refused, ms: h.ms })), recorded };
    }
    case 'shrink':
      return shrink(t.gen, t.index);
    case 'differential':
      return differential(Object.fromEntries(presentBackends().map((b) => [b, realCrypto(b)])), t.seed, t.cases);
    case 'trace':
      return { trace: attackTrace(t.spec, runSpec(t.spec, true)) };
  }
}
