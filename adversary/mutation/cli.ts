/**
 * `pqroom mutate --generated`: the generated mutants of the check sites of `impl/` and `machines/`
 * (adversary/mutation/sites.ts) against the campaign (adversary/mutation/campaign.ts), each in a
 * worker of its own; prints the score and every survivor, argued or not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { checkInputFile, checkOutputFile, CliError, parseCommand, runCommand } from '../../impl/cli-args.ts';
import type { Budget } from './campaign.ts';
import type { MutantOutcome, Outcome } from './run.ts';
import type { GeneratedMutant } from './sites.ts';

/**
 * The mutation machinery (the TypeScript parser, esbuild, the workers, the score and the argued
 * survivors), loaded once the command line and its files are checked: a mistaken invocation or
 * `--help` does not load it (issue 24). One after the other, in the order of the static imports they were.
 */
async function machinery() {
  const { ROOT, runInWorker, runMutants } = await import('./run.ts');
  const { score, scoreLines } = await import('./score.ts');
  const { generateMutants, OUT_OF_SCOPE } = await import('./sites.ts');
  const { ARGUED_SURVIVORS, argumentKey } = await import('./survivors.ts');
  const { unitVerdicts } = await import('./unit.ts');
  return { ROOT, runInWorker, runMutants, score, scoreLines, generateMutants, OUT_OF_SCOPE, ARGUED_SURVIVORS, argumentKey, unitVerdicts };
}

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
  --filter TEXT  only mutants whose id (file:line:operator) or key (file function operator
                 \`text\`) contains TEXT (e.g. impl/protocol/group.ts:19, openWelcome)
  --seeds S,S    seeds of the named attacks (default 1)
  --plans N      generated room plans, and a fifth as many login adversaries (default 8)
  --timeout SEC  a mutant's time limit, then it counts as hung: argued like a survivor (default 120)
  --workers N    mutants run at once (default: the number of cores)
  --json FILE    also write every mutant's result here
  --list         list the mutants and exit
  --from FILE    score a saved --json result against the arguments as they are now (no run)
  --tests        with --from: run the unit tests of each unexplained survivor's module against
                 it (vitest, in a copy of the committed checkout) and report which they kill
                 (--limit N: N of them, spread over the list); without --from: no campaign, the
                 unit tests against each chosen mutant (--filter, --limit), a killed-by-test
                 argument's own test file against its mutant (the command fails when one passes)
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
  return runCommand('mutate', err, async () => {
    const s = { type: 'string' } as const;
    const f = { type: 'boolean' } as const;
    const p = parseCommand('mutate', argv, { generated: f, limit: s, filter: s, seeds: s, plans: s, timeout: s, workers: s, json: s, list: f, from: s, tests: f });
    if (p.help) {
      out(HELP);
      return 0;
    }
    const limit = p.str('limit') === undefined ? undefined : p.int('limit', 0);
    const seedsArg = p.str('seeds');
    const seeds = seedsArg === undefined ? [1] : seedsArg.split(',').map((x) => {
      const n = Number(x);
      if (x.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new CliError(`--seeds must be whole numbers of at least 0 separated by commas, not '${seedsArg}'`);
      return n;
    });
    const opts: Options = {
      limit,
      filter: p.str('filter'),
      seeds,
      plans: p.int('plans', 8),
      timeout: p.int('timeout', 120, { min: 1 }),
      workers: p.int('workers', Math.min(64, availableParallelism()), { min: 1, max: 64 }),
      json: p.str('json'),
      list: p.flag('list'),
      from: p.str('from'),
      tests: p.flag('tests'),
    };
    if (!p.flag('generated')) throw new CliError("only the generated mutants run here: add --generated (the hand-written ones run in 'pqroom audit')");
    if (opts.from !== undefined) checkInputFile('--from', opts.from);
    if (opts.json !== undefined) checkOutputFile('--json', opts.json);
    return run(opts, out, err);
  });
}

interface Options {
  readonly limit: number | undefined;
  readonly filter: string | undefined;
  readonly seeds: number[];
  readonly plans: number;
  readonly timeout: number;
  readonly workers: number;
  readonly json: string | undefined;
  readonly list: boolean;
  readonly from: string | undefined;
  readonly tests: boolean;
}

/** The work of `pqroom mutate --generated`, its arguments checked. */
async function run({ limit, filter, seeds, plans, timeout, workers, json, list, from, tests }: Options, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  // a saved result is read before the (slower) search for check sites
  let saved: { results: (Outcome & { id: string; key?: string; original: string })[] } | undefined;
  if (from !== undefined) {
    try {
      saved = JSON.parse(readFileSync(from, 'utf8')) as NonNullable<typeof saved>;
      if (!Array.isArray(saved.results)) throw new Error('no results');
    } catch (e) {
      throw new CliError(`--from ${from} is not a saved result of pqroom mutate --json (${e instanceof SyntaxError ? 'not valid JSON' : (e as Error).message}); run pqroom mutate --generated --json FILE first`);
    }
  }
  const { ROOT, runInWorker, runMutants, score, scoreLines, generateMutants, OUT_OF_SCOPE, ARGUED_SURVIVORS, unitVerdicts } = await machinery();
  const all = generateMutants(ROOT);
  if (from !== undefined && saved !== undefined) {
    const byId = new Map(all.map((m) => [m.id, m]));
    const byKey = new Map(all.map((m) => [m.key, m]));
    const results: MutantOutcome[] = [];
    let changed = 0;
    for (const r of saved.results) {
      // by key (the same text in the same function, wherever its line is now); a result saved before keys, by line and text
      const m = r.key !== undefined ? byKey.get(r.key) : byId.get(r.id);
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
  let chosen: GeneratedMutant[] = filter === undefined ? all : all.filter((m) => m.id.includes(filter) || m.key.includes(filter));
  if (limit !== undefined) chosen = spread(chosen, limit);
  if (tests && !list) return unitOnly(chosen, workers, timeout, json, out, err);
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
  if (json !== undefined) writeFileSync(json, JSON.stringify({ budget, seconds, workers, score: s, results: results.map((r) => ({ id: r.mutant.id, key: r.mutant.key, req: r.mutant.req, original: r.mutant.original, replacement: r.mutant.replacement, ...r.outcome })) }, null, 2) + '\n');
  // an argument is stale only against the whole list (a filtered run does not run every argued mutant)
  const stale = s.stale.length > 0;
  return s.unexplained === 0 && !stale ? 0 : 1;
}

/**
 * `--tests` without `--from`: no campaign, the unit tests against each chosen mutant; a mutant
 * argued killed-by-test is run against the test file its argument names, so every such argument
 * is checked (exit 1 when one is not borne out).
 */
async function unitOnly(chosen: readonly GeneratedMutant[], lanes: number, timeout: number, json: string | undefined, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { ROOT, ARGUED_SURVIVORS, argumentKey, unitVerdicts } = await machinery();
  const byKey = new Map(ARGUED_SURVIVORS.map((a) => [argumentKey(a), a]));
  const claimed = (m: GeneratedMutant) => {
    const a = byKey.get(m.key);
    return a?.kind === 'killed-by-test' && a.test !== undefined ? a : undefined;
  };
  out(`pqroom mutate --generated --tests: the unit tests against ${chosen.length} mutants, no campaign (a killed-by-test argument: the test file it names), ${lanes} at once`);
  const verdicts = await unitVerdicts(ROOT, chosen, {
    lanes,
    timeoutMs: timeout * 1000,
    testsFor: (m) => (claimed(m) ? [claimed(m)!.test!] : undefined),
    onDone: (v, n) => err(`  [${n}/${chosen.length}] ${v.id} ${v.status}${v.failed ? `: ${v.failed}` : ''}`),
  });
  const count = (st: string): number => verdicts.filter((v) => v.status === st).length;
  out(`  killed by a unit test ${count('killed')}, survived the unit tests ${count('survived')}, no verdict ${count('no-verdict')} (no tests found, or they fail as written)`);
  const broken: string[] = [];
  for (const [i, v] of verdicts.entries()) {
    const a = claimed(chosen[i]!);
    if (a && v.status !== 'killed') broken.push(v.id);
    if (v.status !== 'killed') out(`  ${a ? 'ARGUED killed-by-test, but ' : ''}${v.status === 'survived' ? 'SURVIVED the tests' : 'no verdict'} ${v.id} (${v.tests.join(', ') || 'no tests'})${v.failed ? `: ${v.failed}` : ''}`);
  }
  const argued = chosen.filter((m) => claimed(m)).length;
  out(`  killed-by-test arguments checked ${argued}, borne out ${argued - broken.length}`);
  if (json !== undefined) writeFileSync(json, JSON.stringify({ verdicts }, null, 2) + '\n');
  return broken.length === 0 ? 0 : 1;
}
