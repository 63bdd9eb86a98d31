/**
 * Parallel campaigns (`pqroom audit --workers N`, spec 11.4): the runs of a campaign (named
 * attacks, generated plans and login adversaries, mutant hunts, and then the runs made again with
 * a trace for the counterexamples the audit writes) sharded
 * over worker threads, and merged in the order a single worker runs them, so that the result is
 * the same for any number of workers.
 *
 * Generated plans are drawn as fast-check draws them for the seed (a first pass that only
 * collects the values), run in parallel, and read in order up to the first failure; the failing
 * draw is then shrunk by fast-check from its path, in one worker, exactly as a sequential run
 * would have shrunk it. The audit stays synchronous: the main thread hands out tasks and blocks
 * on a shared counter (Atomics.wait) until a worker posts a result.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import fc from 'fast-check';
import { backendReport, fastestReal, loadRealBackends, presentBackends, realCrypto, type RealBackend } from '../impl/crypto/backends.ts';
import { differential, type DifferentialResult } from '../impl/crypto/differential.ts';
import type { Profile } from '../impl/suite.ts';
import { withTransitionObserver } from '../machines/observe.ts';
import type { Backend } from '../simulator/run.ts';
import { attackTrace, runSpec, type RunSpec } from './run-spec.ts';
import { coverageCollector, type MachineCoverage } from './coverage.ts';
import { dictionaryTables } from './dictionary.ts';
import { arbLoginPlan } from './login-plans.ts';
import { EQUIVALENT_MUTANTS, huntMutant, huntMutants, huntOrder, MUTANTS, type Mutant } from './mutants.ts';
import type { Outcome } from './named.ts';
import { arbFaults, arbPlan } from './plans.ts';

// A campaign reports the real backends and may run on them, so the thread that runs it has them
// loaded with this module; a worker thread of the campaign (parallel-worker.ts) loads them at its
// first task that needs them (a symbolic campaign's workers, but the one that checks the backends
// against each other, never do).
if (isMainThread) await loadRealBackends();

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
  | { readonly kind: 'hunts'; readonly mutants: readonly string[]; readonly seeds: readonly number[]; readonly from: number; readonly to: number }
  | { readonly kind: 'shrink'; readonly gen: Generator; readonly index: number }
  | { readonly kind: 'differential'; readonly seed: number; readonly cases: number }
  | { readonly kind: 'trace'; readonly spec: RunSpec };

/** A run's trace (`attackTrace`), as the audit writes it for a counterexample. */
export interface Traced {
  readonly trace: string;
}

type TaskResult = RunResult | HuntResult | HuntResult[] | Generated | DifferentialResult | Traced;

/** The real backends of a campaign: which are present, what each primitive runs on, and how far they agreed (spec 3.1). */
export interface CryptoReport {
  /** The backend `real` stands for here. */
  readonly real: RealBackend;
  readonly backends: ReturnType<typeof backendReport>;
  /** Seeded differential cases through every backend present (Wycheproof runs on each in the tests). */
  readonly differential: DifferentialResult & { readonly seed: number; readonly cases: number };
}

/** The default number of workers: the machine's cores. */
export function defaultWorkers(): number {
  return availableParallelism();
}

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
  const c = observe ? coverageCollector() : undefined;
  const r = c ? withTransitionObserver(c, () => runSpec(spec, trace)) : runSpec(spec, trace);
  return lite(r, c?.coverage(), trace && mayBeSaved(r) ? attackTrace(spec, r) : undefined);
}

/** `total` with the counts of `add` added (the same machines, states and transitions: coverage is a sum). */
export function addCoverage(total: readonly MachineCoverage[], add: readonly MachineCoverage[]): MachineCoverage[] {
  const sum = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v + (b[k] ?? 0)]));
  return total.map((m, i) => {
    const n = add[i]!;
    return { ...m, starts: m.starts + n.starts, states: sum(m.states, n.states), transitions: sum(m.transitions, n.transitions) };
  });
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

function mutantNamed(id: string): Mutant {
  const m = MUTANTS.find((x) => x.id === id) ?? EQUIVALENT_MUTANTS.find((x) => x.id === id);
  if (!m) throw new Error(`no mutant named ${id}`);
  return m;
}

/** The spec of a hunt's killing run (hunts run on the symbolic backend), as the audit writes it. */
function killSpec(mutant: string, by: NonNullable<HuntResult['by']>): RunSpec {
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
 * result, merged by `mergeHunt` as its own chunks would be.
 */
export function sharedHuntTasks(mutants: readonly string[], seeds: readonly number[], chunk: number = HUNT_CHUNK): Task[] {
  if (mutants.length === 0) return [];
  const n = huntOrder(mutantNamed(mutants[0]!)).length * seeds.length;
  const out: Task[] = [];
  for (let from = 0; from < n; from += chunk) out.push({ kind: 'hunts', mutants, seeds, from, to: Math.min(n, from + chunk) });
  return out;
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
    case 'hunts':
      return huntMutants(t.mutants.map(mutantNamed), t.seeds, { from: t.from, to: t.to }).map((h) => ({ killed: h.killed, ...(h.by ? { by: h.by } : {}), runs: h.runs, refused: h.refused, ms: h.ms }));
    case 'shrink':
      return shrink(t.gen, t.index);
    case 'differential':
      return differential(Object.fromEntries(presentBackends().map((b) => [b, realCrypto(b)])), t.seed, t.cases);
    case 'trace':
      return { trace: attackTrace(t.spec, runSpec(t.spec, true)) };
  }
}

/** Progress of a campaign: runs done, runs per second, counterexamples so far. */
export interface Progress {
  /** Counts a finished task. */
  done(r: TaskResult): void;
  /** Ends the line. */
  end(): void;
}

/** No progress shown. */
const SILENT: Progress = { done: () => undefined, end: () => undefined };

/** A progress line rewritten in place on a terminal (at most 5 times a second); nothing elsewhere. */
export function progressLine(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  const started = performance.now();
  let runs = 0;
  let found = 0;
  let shown = 0;
  const show = (): void => {
    const s = (performance.now() - started) / 1000;
    stream.write(`\r  pqroom audit: ${runs} runs, ${(runs / Math.max(s, 0.001)).toFixed(1)} runs/s, ${found} counterexamples\x1b[K`);
  };
  return {
    done(r) {
      if ('checks' in r || 'trace' in r) return;
      if ('violations' in r) {
        runs++;
        if (r.violations.length > 0) found++;
      } else if (Array.isArray(r)) {
        for (const h of r) {
          runs += h.runs;
          if (h.killed) found++;
        }
      } else if ('killed' in r) {
        runs += r.runs;
        if (r.killed) found++; // a mutant hunt: its kill is a counterexample (against the mutant)
      } else {
        runs += r.runs.length;
        found += r.runs.filter((x) => x.r.violations.length > 0).length;
      }
      if (performance.now() - shown > 200) {
        shown = performance.now();
        show();
      }
    },
    end() {
      show();
      stream.write('\n');
    },
  };
}

/** The order tasks are handed out in: `take` gives the next task's index, or undefined when none is left now. */
interface Queue {
  take(): number | undefined;
}

/** Tasks `0..n-1` in order. */
function inOrder(n: number): Queue {
  let next = 0;
  return { take: () => (next < n ? next++ : undefined) };
}

/**
 * Runs the tasks in the queue's order, in parallel; `onResult` may add tasks (to `tasks` and the
 * queue); `alongside`, once, in this thread while the workers have their first tasks.
 */
interface Runner {
  run(tasks: Task[], queue: Queue, o?: { onResult?: (i: number, r: TaskResult) => void; alongside?: () => void }): (TaskResult | undefined)[];
  close(): void;
}

function inline(progress: Progress): Runner {
  return {
    run(tasks, queue, o = {}) {
      const out: (TaskResult | undefined)[] = [];
      o.alongside?.();
      for (let i = queue.take(); i !== undefined; i = queue.take()) {
        out[i] = execute(tasks[i]!);
        progress.done(out[i]!);
        o.onResult?.(i, out[i]!);
      }
      return out;
    },
    close: () => undefined,
  };
}

/** The longest the main thread waits for any result before it gives up on the workers. */
const STALL_MS = 30 * 60_000;

function threads(n: number, progress: Progress): Runner {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const pool = Array.from({ length: n }, () => {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./parallel-boot.mjs', import.meta.url), { workerData: { port: port2, signal: signal.buffer, tables: dictionaryTables() }, transferList: [port2] });
    worker.unref();
    return { worker, port: port1 as MessagePort, busy: -1 };
  });
  return {
    run(tasks, queue, o = {}) {
      const out: (TaskResult | undefined)[] = [];
      let inFlight = 0;
      const started = Date.now();
      let alongside = o.alongside;
      for (;;) {
        for (const w of pool) {
          if (w.busy < 0) {
            const i = queue.take();
            if (i === undefined) break;
            w.busy = i;
            inFlight++;
            w.port.postMessage({ i, task: tasks[i] });
          }
        }
        if (alongside) {
          // the main thread's own work, while the workers make their first tasks (not after them, alone)
          alongside();
          alongside = undefined;
        }
        if (inFlight === 0) return out; // every worker idle, and the queue gave none: nothing can add any
        const seen = Atomics.load(signal, 0);
        let got = false;
        for (const w of pool) {
          for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
            const msg = m.message as { i: number; result?: TaskResult; error?: string };
            if (msg.error !== undefined) throw new Error(`worker: ${msg.error}`);
            w.busy = -1;
            inFlight--;
            got = true;
            out[msg.i] = msg.result!;
            progress.done(msg.result!);
            o.onResult?.(msg.i, msg.result!);
          }
        }
        if (!got) {
          if (Date.now() - started > STALL_MS) throw new Error(`no result from the workers in ${STALL_MS / 60_000} minutes`);
          Atomics.wait(signal, 0, seen, 1000);
        }
      }
    },
    close() {
      for (const w of pool) void w.worker.terminate();
    },
  };
}

/** A campaign's work, as the audit asks for it. */
export interface CampaignWork {
  /** Runs; those on the `observed` backend are observed (machine coverage), the others not. */
  readonly runs: readonly RunSpec[];
  /** The backend of the runs the campaign records (the real re-runs of `--backend both` are not). */
  readonly observed: Backend;
  readonly generators: readonly Generator[];
  readonly hunts: readonly { readonly mutant: string; readonly seeds: readonly number[] }[];
  /** Seeded differential cases of the real backends. */
  readonly differential: { readonly seed: number; readonly cases: number };
}

/** What a campaign's work gave, looked up by what was asked. */
export interface CampaignResults {
  run(spec: RunSpec): RunResult;
  generated(g: Generator): Generated;
  hunt(mutant: string): HuntResult;
  /** The real backends' report. */
  crypto(): CryptoReport;
  /** The traces of these runs (`attackTrace`, the runs made again with a trace), made on the campaign's workers; in the order given. */
  traces(specs: readonly RunSpec[]): string[];
  close(): void;
}

const key = (x: unknown): string => JSON.stringify(x);

/**
 * Carries out a campaign's work on `workers` threads (1: in this thread) and returns the results
 * a sequential campaign would have: the same runs, the same first failures, the same shrinking.
 */
export function runCampaign(work: CampaignWork, workers: number, progress: Progress = SILENT, alongside?: () => void): CampaignResults {
  const runner = workers > 1 ? threads(workers, progress) : inline(progress);
  try {
    const tasks: Task[] = [];
    const runAt = new Map<string, number>();
    // the recorded runs (observed) are made with traces: those that may be counterexamples come back with theirs
    for (const spec of work.runs) if (!runAt.has(key(spec))) runAt.set(key(spec), tasks.push({ kind: 'run', spec, observe: spec.backend === work.observed, trace: spec.backend === work.observed }) - 1);
    const diffAt = tasks.push({ kind: 'differential', seed: work.differential.seed, cases: work.differential.cases }) - 1;
    // a hunt in chunks (huntTasks); a chunk after one that killed is not started (mergeHunt stops at the first kill)
    const hunts = new Map<string, { at: number[]; slot?: number; killed: number }>();
    const huntOf = new Map<number, { at: number[]; killed: number }>();
    const together = new Map<string, { seeds: readonly number[]; mutants: string[] }>();
    for (const h of work.hunts) {
      if (mutantNamed(h.mutant).killers.length === 0) {
        const g = together.get(key(h.seeds)) ?? { seeds: h.seeds, mutants: [] };
        together.set(key(h.seeds), g);
        g.mutants.push(h.mutant);
        continue;
      }
      const x = { at: huntTasks(h).map((t) => tasks.push(t) - 1), killed: Infinity };
      hunts.set(h.mutant, x);
      for (const i of x.at) huntOf.set(i, x);
    }
    // the hunts of mutants that name no killer, on the same seeds, together (sharedHuntTasks): their
    // tasks hold other mutants' hunts too, and are all made (mergeHunt reads each up to its first kill)
    for (const g of together.values()) {
      const at = sharedHuntTasks(g.mutants, g.seeds).map((t) => tasks.push(t) - 1);
      g.mutants.forEach((m, slot) => hunts.set(m, { at, slot, killed: Infinity }));
    }
    const huntParts = (x: { at: number[]; slot?: number }): (HuntResult | undefined)[] => x.at.map((i) => (x.slot === undefined ? (results[i] as HuntResult | undefined) : (results[i] as HuntResult[] | undefined)?.[x.slot]));
    const others = tasks.length;
    // each generator's draws, in order; the first failure stops the draws after it
    const gens = work.generators.map((g) => {
      const specs = draws(g);
      const first = tasks.length;
      for (const spec of specs) tasks.push({ kind: 'run', spec, observe: true });
      return { g, first, n: specs.length, done: new Set<number>(), failed: undefined as number | undefined, shrinkAt: undefined as number | undefined };
    });
    const genOf = (i: number): (typeof gens)[number] | undefined => gens.find((x) => i >= x.first && i < x.first + x.n);
    // the order of dispatch (the results do not depend on it): the generators' draws first, one of
    // each in turn, so that a failure's shrinking (one task that cannot be cut) starts early and is
    // handed out as soon as it is known; then the other tasks, the longest first (costOf)
    const order: number[] = [];
    for (let k = 0; gens.some((x) => k < x.n); k++) for (const x of gens) if (k < x.n) order.push(x.first + k);
    order.push(...Array.from({ length: others }, (_, i) => i).sort((a, b) => costOf(tasks[b]!) - costOf(tasks[a]!) || a - b));
    const urgent: number[] = [];
    let next = 0;
    const skip = (i: number): boolean => {
      const x = genOf(i);
      if (x) return x.failed !== undefined && i - x.first > x.failed;
      const h = huntOf.get(i);
      return h !== undefined && h.at.indexOf(i) > h.killed;
    };
    const queue: Queue = {
      take() {
        if (urgent.length > 0) return urgent.shift();
        while (next < order.length) {
          const i = order[next++]!;
          if (!skip(i)) return i;
        }
        return undefined;
      },
    };
    const results = runner.run(tasks, queue, {
      ...(alongside ? { alongside } : {}),
      onResult: (i, r) => {
        const h = huntOf.get(i);
        if (h && (r as HuntResult).killed) h.killed = Math.min(h.killed, h.at.indexOf(i));
        const x = genOf(i);
        if (!x) return;
        const j = i - x.first;
        x.done.add(j);
        if ((r as RunResult).violations.length > 0 && (x.failed === undefined || j < x.failed)) x.failed = j;
        // shrink once every draw before the first failure is in (an earlier one might still fail)
        const f = x.failed;
        if (f !== undefined && x.shrinkAt === undefined && Array.from({ length: f }, (_, k) => x.done.has(k)).every(Boolean)) {
          x.shrinkAt = tasks.push({ kind: 'shrink', gen: x.g, index: f }) - 1;
          urgent.push(x.shrinkAt);
        }
      },
    });
    progress.end();
    return {
      run: (spec) => results[runAt.get(key(spec))!] as RunResult,
      hunt: (m) => mergeHunt(huntParts(hunts.get(m)!)),
      crypto: () => ({
        real: fastestReal(),
        backends: backendReport(),
        differential: { seed: work.differential.seed, cases: work.differential.cases, ...(results[diffAt] as DifferentialResult) },
      }),
      generated(g) {
        const x = gens.find((y) => key(y.g) === key(g))!;
        const upTo = x.failed === undefined ? x.n : x.failed + 1;
        const runs = Array.from({ length: upTo }, (_, k) => ({ spec: (tasks[x.first + k] as { spec: RunSpec }).spec, r: results[x.first + k] as RunResult }));
        if (x.shrinkAt === undefined) return { runs };
        const s = results[x.shrinkAt] as Generated;
        return { runs: [...runs, ...s.runs], ...(s.counterexample ? { counterexample: s.counterexample } : {}) };
      },
      traces(specs) {
        // the traces made with their runs (recorded runs that may be counterexamples, hunts' kills); the others made now
        const made = new Map<string, string>();
        for (const [k, i] of runAt) {
          const t = (results[i] as RunResult).tracedRun;
          if (t !== undefined) made.set(k, t);
        }
        for (const [mutant, h] of hunts) {
          const r = mergeHunt(huntParts(h));
          if (r.by && r.tracedRun !== undefined) made.set(key(killSpec(mutant, r.by)), r.tracedRun);
        }
        const missing = [...new Map(specs.filter((s) => !made.has(key(s))).map((s) => [key(s), s])).values()];
        runner.run(missing.map((spec) => ({ kind: 'trace', spec })), inOrder(missing.length)).forEach((r, i) => made.set(key(missing[i]!), (r as Traced).trace));
        return specs.map((s) => made.get(key(s))!);
      },
      close: () => runner.close(),
    };
  } catch (e) {
    runner.close();
    throw e;
  }
}
