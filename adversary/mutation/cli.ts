/**
 * `pqroom mutate --generated`: the generated mutants of the check sites of `impl/` and `machines/`
 * (adversary/mutation/sites.ts) against the campaign (adversary/mutation/campaign.ts), each in a
 * worker of its own; prints the score and every survivor, argued or not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Budget } from './campaign.ts';
import { ROOT, runInWorker, runMutants, type MutantOutcome, type Outcome } from './run.ts';
import { score, scoreLines } from './score.ts';
import { generateMutants, OUT_OF_SCOPE, type GeneratedMutant } from './sites.ts';
import { ARGUED_SURVIVORS } from './survivors.ts';
import { unitVerdicts } from './unit.ts';

const HELP = `usage: pqroom mutate --generated [--limit N] [--filter TEXT] [--seeds S,S] [--plans N]
                     [--timeout SEC] [--workers N] [--json FILE] [--list] [--from FILE]

Generates mutants of the check sites of impl/ and machines/ (statements citing a requirement id:
conditions negated or made false, call statements dropped, bounds moved by one) and runs each
against the hardened campaign in a worker of its own: the honest scenarios, every named attack on
each seed, generated plans and login adversaries (symbolic backend), until something notices.
Prints the score and every survivor; a survivor is argued in adversary/mutation/survivors.ts or
reported as unexplained.

options:
  --generated    required: the generated mutants (the hand-written ones run in 'pqroom audit')
  --limit N      N mutants spread evenly over the list (default: all)
  --filter TEXT  only mutants whose id contains TEXT (e.g. impl/protocol/group.ts:19)
  --seeds S,S    seeds of the named attacks (default 1)
  --plans N      generated room plans, and a fifth as many login adversaries (default 8)
  --timeout SEC  a mutant's time limit, then it counts as hung (default 120)
  --workers N    mutants run at once (default: the number of cores)
  --json FILE    also write every mutant's result here
  --list         list the mutants and exit
  --from FILE    score a saved --json result against the arguments as they are now (no run)
  --tests        with --from: run the unit tests of each unexplained survivor's module against
                 it (vitest, in a copy of the committed checkout) and report which they kill
                 (--limit N: N of them, spread over the list)
  -h, --help     show this help

Exit status: 0 when the unmutated code passes the campaign and every survivor is argued (and no
argument is stale); 1 otherwise; 2 on bad arguments.`;

/** `n` of `xs`, spread evenly (the same ones for the same list). */
export function spread<T>(xs: readonly T[], n: number): T[] {
  if (n >= xs.length) return [...xs];
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]!);
}

/** Runs `pqroom mutate ...`; returns the exit code. */
export async function main(argv: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  let generated = false;
  let limit: number | undefined;
  let filter: string | undefined;
  let seeds: number[] = [1];
  let plans = 8;
  let timeout = 120;
  let workers = availableParallelism();
  let json: string | undefined;
  let list = false;
  let from: string | undefined;
  let tests = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = (v = val()): number => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new Error(`${a} needs a non-negative integer`);
      return n;
    };
    try {
      if (a === '-h' || a === '--help') {
        out(HELP);
        return 0;
      } else if (a === '--generated') generated = true;
      else if (a === '--limit') limit = num();
      else if (a === '--filter') filter = val();
      else if (a === '--seeds') seeds = val().split(',').map((s) => num(s));
      else if (a === '--plans') plans = num();
      else if (a === '--timeout') timeout = num();
      else if (a === '--workers') {
        workers = num();
        if (workers < 1 || workers > 64) throw new Error('--workers must be between 1 and 64');
      } else if (a === '--json') json = val();
      else if (a === '--list') list = true;
      else if (a === '--from') from = val();
      else if (a === '--tests') tests = true;
      else throw new Error(`unexpected argument ${a}`);
      if (seeds.length === 0) throw new Error('--seeds needs at least one seed');
    } catch (e) {
      err(`pqroom mutate: ${(e as Error).message}; see pqroom mutate --help`);
      return 2;
    }
  }
  if (!generated) {
    err("pqroom mutate: only the generated mutants run here: add --generated (the hand-written ones run in 'pqroom audit')");
    return 2;
  }
  const all = generateMutants(ROOT);
  if (from !== undefined) {
    let saved: { results: (Outcome & { id: string; original: string })[] };
    try {
      saved = JSON.parse(readFileSync(from, 'utf8')) as typeof saved;
      if (!Array.isArray(saved.results)) throw new Error('no results');
    } catch (e) {
      err(`pqroom mutate: ${from} is not a saved result of pqroom mutate --json (${(e as Error).message}); run pqroom mutate --generated --json FILE first`);
      return 2;
    }
    const byId = new Map(all.map((m) => [m.id, m]));
    const results: MutantOutcome[] = [];
    let changed = 0;
    for (const r of saved.results) {
      const m = byId.get(r.id);
      if (m && m.original === r.original) results.push({ mutant: m, outcome: r });
      else changed++;
    }
    const s = score(results, ARGUED_SURVIVORS, all);
    out(`pqroom mutate --generated --from ${from}: ${results.length} mutants scored${changed > 0 ? `, ${changed} left out (their code changed since)` : ''}`);
    for (const l of scoreLines(s)) out(l);
    if (!tests) return s.unexplained === 0 && s.stale.length === 0 && changed === 0 ? 0 : 1;
    const every = s.survivors.filter((x) => !x.argued).map((x) => byId.get(x.id)!);
    const unexplained = limit === undefined ? every : spread(every, limit);
    out(`the unit tests of each unexplained survivor's module (${unexplained.length} of ${every.length}${limit === undefined ? '' : ', spread over the list'}), ${workers} at once:`);
    const verdicts = await unitVerdicts(ROOT, unexplained, {
      lanes: workers,
      timeoutMs: timeout * 1000,
      onDone: (v, n) => err(`  [${n}/${unexplained.length}] ${v.id} ${v.status}${v.failed ? `: ${v.failed}` : ''}`),
    });
    const count = (st: string): number => verdicts.filter((v) => v.status === st).length;
    out(`  killed by a unit test ${count('killed')}, survived the unit tests ${count('survived')}, no verdict ${count('no-verdict')} (no tests found, or they fail as written)`);
    for (const v of verdicts) if (v.status !== 'killed') out(`  ${v.status === 'survived' ? 'SURVIVED the tests too' : 'no verdict'} ${v.id} (${v.tests.join(', ') || 'no tests'})${v.failed ? `: ${v.failed}` : ''}`);
    if (json !== undefined) writeFileSync(json, JSON.stringify({ from, verdicts }, null, 2) + '\n');
    return 1;
  }
  let chosen: GeneratedMutant[] = filter === undefined ? all : all.filter((m) => m.id.includes(filter));
  if (limit !== undefined) chosen = spread(chosen, limit);
  if (list) {
    for (const m of chosen) out(`${m.id}  ${m.req}  \`${m.original.slice(0, 80)}\` → \`${m.replacement.slice(0, 80)}\``);
    out(`${chosen.length} of ${all.length} generated mutants`);
    return 0;
  }
  const budget: Budget = { seeds, plans };
  const started = Date.now();
  const files = new Set(chosen.map((m) => m.file)).size;
  out(`pqroom mutate --generated: ${chosen.length} of ${all.length} mutants in ${files} files; each against the honest scenarios, every named attack on seed(s) ${seeds.join(',')}, ${plans} generated plans and ${Math.max(2, Math.ceil(plans / 5))} login adversaries (hardened, symbolic), ${timeout} s at most, ${workers} at once`);
  for (const x of OUT_OF_SCOPE) out(`  not mutated: ${x.files.source}: ${x.why}`);
  // the control: the code as written must pass the campaign, or no kill means anything
  const control = await runInWorker(undefined, budget, timeout * 1000);
  if (control.verdict.status !== 'survived') {
    out(`the unmutated code does not pass the campaign (${JSON.stringify(control.verdict)}): no score`);
    return 1;
  }
  out(`  control: the unmutated code passes (${control.runs} runs, ${(control.ms / 1000).toFixed(1)} s)`);
  const results = await runMutants(chosen, {
    budget,
    timeoutMs: timeout * 1000,
    workers,
    onDone: (r, n) => {
      const v = r.outcome.verdict;
      const what = v.status === 'killed' ? `killed by ${v.by} → ${v.prop}` : v.status === 'broke-honest' ? `broke ${v.by}` : v.status === 'timeout' ? 'hung' : 'SURVIVED';
      err(`  [${n}/${chosen.length}] ${r.mutant.id} (${r.mutant.req}) ${what} (${r.outcome.runs} runs, ${(r.outcome.ms / 1000).toFixed(1)} s)`);
    },
  });
  const s = score(results, ARGUED_SURVIVORS, all);
  const seconds = Math.round((Date.now() - started) / 1000);
  out(`${chosen.length} mutants in ${seconds} s (${(seconds / Math.max(1, chosen.length)).toFixed(1)} s a mutant with ${workers} at once)`);
  for (const l of scoreLines(s)) out(l);
  if (json !== undefined) writeFileSync(json, JSON.stringify({ budget, seconds, workers, score: s, results: results.map((r) => ({ id: r.mutant.id, req: r.mutant.req, original: r.mutant.original, replacement: r.mutant.replacement, ...r.outcome })) }, null, 2) + '\n');
  // an argument is stale only against the whole list (a filtered run does not run every argued mutant)
  const stale = s.stale.length > 0;
  return s.unexplained === 0 && !stale ? 0 : 1;
}
