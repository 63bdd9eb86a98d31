/**
 * Runs generated mutants (adversary/mutation/sites.ts) against the campaign
 * (adversary/mutation/campaign.ts): each in a worker thread of its own, whose module graph is
 * fresh and loads the mutant's file from the mutated source (a loader hook, hook.mjs), the
 * checkout untouched. A worker that outlives its time is ended: the mutant made a run never end.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { transformSync } from 'esbuild';
import type { Budget, CampaignResult, Verdict } from './campaign.ts';
import { mutatedText, type GeneratedMutant } from './sites.ts';

/** The checkout. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What one mutant's worker found. */
export type Outcome = (CampaignResult | { readonly verdict: { readonly status: 'timeout'; readonly detail: string }; readonly runs: 0; readonly refused: readonly string[] }) & {
  /** Times the mutated code ran. */
  readonly reached: number;
  /** Times it computed something the original would not have. */
  readonly infected: number;
  /** Milliseconds of the campaign (the worker's start not counted; the time limit when it timed out). */
  readonly ms: number;
};

/** A mutant's status in the score. */
export type Status = Verdict['status'] | 'timeout';

/** Runs the campaign in a fresh worker, with `m`'s file mutated (or none: the control run). */
export function runInWorker(m: GeneratedMutant | undefined, budget: Budget, timeoutMs: number, root = ROOT): Promise<Outcome> {
  let workerData: Record<string, unknown> = { budget };
  if (m) {
    const path = join(root, m.file);
    const source = transformSync(mutatedText(root, m), { loader: 'ts', format: 'esm', sourcefile: path, target: 'es2023' }).code;
    workerData = { budget, url: pathToFileURL(path).href, source };
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./boot.mjs', import.meta.url), { workerData, resourceLimits: { maxOldGenerationSizeMb: 1536 }, stdout: true, stderr: true });
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      void worker.terminate();
      resolve({ verdict: { status: 'timeout', detail: `no result in ${timeoutMs / 1000} s` }, runs: 0, refused: [], reached: 0, infected: 0, ms: timeoutMs });
    }, timeoutMs);
    worker.once('message', (r: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(r);
    });
    worker.once('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // the mutated module failed to load or the campaign threw outside any run: the mutant is broken code
      resolve({ verdict: { status: 'broke-honest', by: 'loading', detail: `threw ${(e.message ?? String(e)).split('\n')[0]}` }, runs: 0, refused: [], reached: 0, infected: 0, ms: 0 });
    });
    worker.once('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`mutant worker exited (${code}) without a result`));
    });
  });
}

/** One mutant's result. */
export interface MutantOutcome {
  readonly mutant: GeneratedMutant;
  readonly outcome: Outcome;
}

/** Runs `mutants` on `workers` workers at once, each within `timeoutMs`; `onDone` after each. */
export async function runMutants(mutants: readonly GeneratedMutant[], o: { budget: Budget; timeoutMs: number; workers?: number; onDone?: (r: MutantOutcome, done: number) => void; root?: string }): Promise<MutantOutcome[]> {
  const out: MutantOutcome[] = new Array(mutants.length);
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (next < mutants.length) {
      const i = next++;
      const mutant = mutants[i]!;
      const outcome = await runInWorker(mutant, o.budget, o.timeoutMs, o.root);
      out[i] = { mutant, outcome };
      o.onDone?.(out[i]!, ++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.workers ?? availableParallelism()) }, lane));
  return out;
}
