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
 * would have shrunk it. The audit stays synchronous: on N workers the main thread is one of them
 * beside N - 1 worker threads; it hands out tasks, makes tasks of its own between, and when the
 * queue has none for it blocks on a shared counter (Atomics.wait) until a worker posts a result.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { backendReport, fastestReal, loadRealBackends, type RealBackend } from '../impl/crypto/backends.ts';
import type { DifferentialResult } from '../impl/crypto/differential.ts';
import type { Backend } from '../simulator/run.ts';
import type { RunSpec } from './run-spec.ts';
import type { MachineCoverage } from './coverage.ts';
import { dictionaryTables } from './dictionary.ts';
import { costOf, draws, execute, HUNT_CHUNK, huntTasks, killSpec, mergeHunt, mutantNamed, sharedHuntTasks, type Generated, type Generator, type HuntResult, type RunResult, type SharedHunts, type Task, type TaskResult, type Traced } from './parallel-tasks.ts';

export type { Generator, RunResult } from './parallel-tasks.ts';

// A campaign reports the real backends and may run on them, so the thread that runs it has them
// loaded with this module; a worker thread of the campaign (parallel-worker.ts) loads them at its
// first task that needs them (a symbolic campaign's workers, but the one that checks the backends
// against each other, never do).
if (isMainThread) await loadRealBackends();

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

/** `total` with the counts of `add` added (the same machines, states and transitions: coverage is a sum). */
export function addCoverage(total: readonly MachineCoverage[], add: readonly MachineCoverage[]): MachineCoverage[] {
  const sum = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v + (b[k] ?? 0)]));
  return total.map((m, i) => {
    const n = add[i]!;
    return { ...m, starts: m.starts + n.starts, states: sum(m.states, n.states), transitions: sum(m.transitions, n.transitions) };
  });
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
      } else if ('hunts' in r) {
        runs += r.recorded.length;
        found += r.recorded.filter((x) => x.violations.length > 0).length;
        for (const h of r.hunts) {
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

/** Tasks a worker thread holds at once: it has its next one at hand while this thread makes one of its own. */
const DEPTH = 2;

/**
 * `n` threads: this one and `n - 1` worker threads. This thread has the campaign's code loaded
 * already (it reads the results), so it makes tasks too, between handing them out: one isolate
 * fewer to start, load and warm up than `n` worker threads beside an idle one.
 */
function threads(n: number, progress: Progress): Runner {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const pool = Array.from({ length: n - 1 }, () => {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./parallel-boot.mjs', import.meta.url), { workerData: { port: port2, signal: signal.buffer, tables: dictionaryTables() }, transferList: [port2] });
    worker.unref();
    return { worker, port: port1 as MessagePort, held: 0 };
  });
  return {
    run(tasks, queue, o = {}) {
      const out: (TaskResult | undefined)[] = [];
      let inFlight = 0;
      let last = Date.now();
      let alongside = o.alongside;
      const done = (i: number, r: TaskResult): void => {
        out[i] = r;
        progress.done(r);
        o.onResult?.(i, r);
        last = Date.now();
      };
      // the workers' results so far; whether there were any
      const collect = (): boolean => {
        let got = false;
        for (const w of pool) {
          for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
            const msg = m.message as { i: number; result?: TaskResult; error?: string };
            if (msg.error !== undefined) throw new Error(`worker: ${msg.error}`);
            w.held--;
            inFlight--;
            got = true;
            done(msg.i, msg.result!);
          }
        }
        return got;
      };
      for (;;) {
        hand: for (const w of pool) {
          while (w.held < DEPTH) {
            const i = queue.take();
            if (i === undefined) break hand;
            w.held++;
            inFlight++;
            w.port.postMessage({ i, task: tasks[i] });
          }
        }
        if (alongside) {
          // the caller's own work, while the workers start on their first tasks (not after them, alone)
          alongside();
          alongside = undefined;
        }
        if (collect()) continue; // their results may add tasks (a shrinking) or cancel some: hand out again first
        const i = queue.take();
        if (i !== undefined) {
          done(i, execute(tasks[i]!));
          continue;
        }
        if (inFlight === 0) return out; // every worker idle, and the queue gave none: nothing can add any
        const seen = Atomics.load(signal, 0);
        if (collect()) continue;
        if (Date.now() - last > STALL_MS) throw new Error(`no result from the workers in ${STALL_MS / 60_000} minutes`);
        Atomics.wait(signal, 0, seen, 1000);
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
    // a hunt in chunks (huntTasks); a chunk after one that killed is not started (mergeHunt stops at the first kill)
    const hunts = new Map<string, { at: number[]; slot?: number; killed: number }>();
    const huntOf = new Map<number, { at: number[]; killed: number }>();
    // the hunts of mutants that name no killer, on the same seeds, together (sharedHuntTasks): their
    // tasks hold other mutants' hunts too, and are all made (mergeHunt reads each up to its first kill)
    const together = new Map<string, { seeds: readonly number[]; mutants: string[] }>();
    for (const h of work.hunts) {
      if (mutantNamed(h.mutant).killers.length > 0) continue;
      const g = together.get(key(h.seeds)) ?? { seeds: h.seeds, mutants: [] };
      together.set(key(h.seeds), g);
      g.mutants.push(h.mutant);
    }
    // the recorded runs those hunts make anyway (their unmutated runs, observed) come from their
    // tasks (`recordedAt`: the task, and the place in its `record`)
    const recordedAt = new Map<string, { at: number; slot: number }>();
    const shareable = [...new Map(work.runs.filter((s) => s.backend === work.observed).map((s) => [key(s), s])).values()];
    for (const g of together.values()) {
      const at = sharedHuntTasks(g.mutants, g.seeds, HUNT_CHUNK, shareable.filter((s) => !recordedAt.has(key(s)))).map((t) => {
        const i = tasks.push(t) - 1;
        if (t.kind === 'hunts') t.record?.forEach((s, slot) => recordedAt.set(key(s), { at: i, slot }));
        return i;
      });
      g.mutants.forEach((m, slot) => hunts.set(m, { at, slot, killed: Infinity }));
    }
    // the other recorded runs; the observed ones made with traces (those that may be counterexamples come back with theirs)
    const runAt = new Map<string, number>();
    for (const spec of work.runs) if (!runAt.has(key(spec)) && !recordedAt.has(key(spec))) runAt.set(key(spec), tasks.push({ kind: 'run', spec, observe: spec.backend === work.observed, trace: spec.backend === work.observed }) - 1);
    const diffAt = tasks.push({ kind: 'differential', seed: work.differential.seed, cases: work.differential.cases }) - 1;
    for (const h of work.hunts) {
      if (mutantNamed(h.mutant).killers.length === 0) continue;
      const x = { at: huntTasks(h).map((t) => tasks.push(t) - 1), killed: Infinity };
      hunts.set(h.mutant, x);
      for (const i of x.at) huntOf.set(i, x);
    }
    const huntParts = (x: { at: number[]; slot?: number }): (HuntResult | undefined)[] => x.at.map((i) => (x.slot === undefined ? (results[i] as HuntResult | undefined) : (results[i] as SharedHunts | undefined)?.hunts[x.slot]));
    const recorded = (spec: RunSpec): RunResult => {
      const r = recordedAt.get(key(spec));
      return r === undefined ? (results[runAt.get(key(spec))!] as RunResult) : (results[r.at] as SharedHunts).recorded[r.slot]!;
    };
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
      run: recorded,
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
        for (const spec of work.runs) {
          const t = recorded(spec).tracedRun;
          if (t !== undefined) made.set(key(spec), t);
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
