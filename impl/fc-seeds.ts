/**
 * fast-check seeds for the property tests (issue 30). A property that searches (generated
 * adversary plans, command sequences, fault schedules) runs on its fixed seed, kept as a
 * regression, and also on the seed CI draws afresh for each run: `.ci/run` reads 4 bytes of
 * /dev/urandom, exports them as `PQROOM_FC_SEED` and prints it on its first lines. A failure under
 * either seed names it and the command that replays it. `PQROOM_FC_RUNS` sets the budget of the
 * drawn seed (to widen a search: `PQROOM_FC_SEED=7 PQROOM_FC_RUNS=3000 npx vitest run FILE`);
 * the fixed seeds keep theirs. Properties with no seed of their own take the drawn seed as
 * fast-check's global seed (`impl/fc-setup.ts`), so that their failures in CI replay too.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Parses a seed or a run count from the environment; a malformed one is a mistake, said so. */
function envInt(name: string, min: number, max: number): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}=${v}: expected an integer from ${min} to ${max}`);
  return n;
}

/** The seed CI drew for this run (`PQROOM_FC_SEED`), if any. */
export function drawnSeed(): number | undefined {
  return envInt('PQROOM_FC_SEED', -0x80000000, 0xffffffff);
}

/** One fast-check campaign of a property: its seed, its budget, and which seed it is. */
export interface SeedRun {
  readonly seed: number;
  readonly numRuns: number;
  readonly kind: 'fixed' | 'drawn';
}

/** The campaigns of a property with this fixed seed and budget: the fixed one, then the drawn one if any. */
export function seedRuns(fixed: number, runs: number): SeedRun[] {
  const out: SeedRun[] = [{ seed: fixed, numRuns: runs, kind: 'fixed' }];
  const drawn = drawnSeed();
  if (drawn !== undefined && drawn !== fixed) out.push({ seed: drawn, numRuns: envInt('PQROOM_FC_RUNS', 1, 1_000_000) ?? runs, kind: 'drawn' });
  return out;
}

/** The command that replays a seed for the test file at `fileUrl` (an `import.meta.url`). */
export function replayCommand(seed: number, fileUrl: string, numRuns?: number): string {
  const file = relative(process.cwd(), fileURLToPath(fileUrl));
  return `PQROOM_FC_SEED=${seed}${numRuns === undefined ? '' : ` PQROOM_FC_RUNS=${numRuns}`} npx vitest run ${file}`;
}

/**
 * Runs `body` once per campaign of `seedRuns(fixed, runs)`; a failure is thrown again with the
 * seed and the replay command first in its message (the original error as its cause).
 */
export function forEachSeed(fileUrl: string, fixed: number, runs: number, body: (r: SeedRun) => void): void {
  for (const r of seedRuns(fixed, runs)) {
    try {
      body(r);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`fast-check seed ${r.seed} (${r.kind === 'fixed' ? 'the fixed regression seed' : 'drawn by CI'}), ${r.numRuns} runs; replay: ${replayCommand(r.seed, fileUrl, r.kind === 'drawn' ? r.numRuns : undefined)}\n${msg}`, { cause: e });
    }
  }
}
