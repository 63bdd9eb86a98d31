/**
 * `pqroom audit`: the campaign of `adversary/audit.ts`, a summary table on the terminal, the
 * machine-readable result (`--json FILE`, and `audit.json` in `--out DIR`, with the conformance
 * vectors as verified now), and the report beside it: `index.html`, `audit.md`, `junit.xml`
 * (reports/page/) and the traceability report.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Profile } from '../impl/suite.ts';
import { checkOutputDir, checkOutputFile, CliError, parseCommand, runCommand } from '../impl/cli-args.ts';
import { BACKENDS, requireBackend, type Backend } from '../simulator/options.ts';
import type { AuditResult } from '../adversary/audit.ts';
import { unexplained } from '../adversary/requirement-table.ts';

const HELP = `usage: pqroom audit [--profile hardened|compat|all] [--runs N] [--seed S] [--backend B]
                    [--workers N] [--json FILE] [--out DIR] [--quiet]

Runs the audit campaign against a malicious relay: every named attack of spec 11.4 in each
profile, N generated attack plans per profile (fast-check; a failure is shrunk to a minimal
plan), and every mutant of the hardened profile until some property fails. Prints a table
(property x profile: holds or broken with the counterexample's seed), writes the result as
JSON and every counterexample as a trace that 'pqroom replay' runs again, and beside them the
report: index.html (open it from disk), audit.md, junit.xml, and the traceability report
(spec requirements x code x tests x verdicts). 'pqroom report' writes the report again from a
saved result.

options:
  --profile P    hardened, compat or all (default all)
  --runs N       generated plans per profile (default 40), and a fifth as many login adversaries
  --seed S       campaign seed (default 1)
  --backend B    symbolic (default); real (the fastest real backend present), noble, liboqs
                 or native (that one); or both (symbolic, and the named attacks again on real)
  --workers N    threads (default: the number of cores): this one and N - 1 worker threads;
                 the result is the same for any N
  --json FILE    also write the result here
  --out DIR      result, report and counterexample traces (default reports/out)
  --quiet        no progress lines
  -h, --help     show this help

Exit status: 0 when every property is as the spec says (hardened: holds; compat: holds or
broken as spec 12 lists it, a broken one with a replayable counterexample), every mutant is
killed, no equivalent mutant's claim is refuted by its hunt, every requirement a property rests
on (spec 12.3) is guarded by a mutant or has the reason spec 12.4 states, and the report shows no other problem (every attack as spec 11.4 says, every vector
file verifies, every requirement cited by code and named by a test); 1 otherwise (a compat
weakness not found within N runs counts too); 2 on bad arguments.`;

/**
 * Runs `pqroom audit ...`; returns the exit code (errors in one line on `err`). The command line
 * and the outputs are checked before the campaign's modules (the adversary, the simulator, the
 * machines, the crypto, fast-check, the report) are loaded: a mistaken invocation or `--help` does
 * not load them (issue 24).
 */
export function main(argv: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  return runCommand('audit', err, () => campaign(argv, out, err));
}

async function campaign(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const p = parseCommand('audit', argv, { profile: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, workers: { type: 'string' }, json: { type: 'string' }, out: { type: 'string' }, quiet: { type: 'boolean' } });
  if (p.help) {
    out(HELP);
    return 0;
  }
  const prof = p.oneOf('profile', ['all', 'hardened', 'compat'], 'all');
  const profiles: Profile[] = prof === 'all' ? ['hardened', 'compat'] : [prof];
  const runs = p.int('runs', 40);
  const seed = p.int('seed', 1);
  const b = p.oneOf('backend', [...BACKENDS, 'both'], 'symbolic');
  let backend: Backend | 'both';
  try {
    backend = b === 'both' ? b : await requireBackend(b);
  } catch (e) {
    throw new CliError(`--backend ${b}: ${(e as Error).message}`);
  }
  // the default (the number of cores) is the campaign's, read once it is loaded
  const workersGiven = p.str('workers') === undefined ? undefined : p.int('workers', 1, { min: 1, max: 64 });
  const json = p.str('json');
  const dir = p.str('out') ?? 'reports/out';
  const quiet = p.flag('quiet');
  // the outputs are checked before the campaign runs, not after it
  checkOutputDir('--out', dir);
  if (json !== undefined) checkOutputFile('--json', json);
  mkdirSync(dir, { recursive: true });
  // one after the other, in the order of the static imports they were
  const { writeReport } = await import('./page/write.ts');
  const { writeTraceability } = await import('./traceability.ts');
  const { VECTORS_DIR } = await import('../vectors/cli.ts');
  const { vectorSummary } = await import('../vectors/verify.ts');
  const { audit, auditTable } = await import('../adversary/audit.ts');
  const { defaultWorkers } = await import('../adversary/parallel.ts');
  const workers = workersGiven ?? defaultWorkers();
  // the vector files are verified in this thread while the campaign's workers run, not after them
  let vectors: ReturnType<typeof vectorSummary> | undefined;
  const alongside = (): void => {
    vectors = vectorSummary(VECTORS_DIR);
  };
  const result: AuditResult = { ...audit({ profiles, runs, seed, backend, out: dir, workers, progressLine: !quiet, progress: quiet ? undefined : (l) => err(`  ${l}`), alongside }), vectors: vectors ?? vectorSummary(VECTORS_DIR) };
  const table = auditTable(result);
  out(table);
  const text = JSON.stringify(result, null, 2) + '\n';
  writeFileSync(join(dir, 'audit.json'), text);
  if (json !== undefined) writeFileSync(json, text);
  const trace = writeTraceability(dir, join(dir, 'audit.json'));
  const report = writeReport(join(dir, 'audit.json'), dir);
  out(`\nwritten: ${join(dir, 'audit.json')}, ${report.files.slice(0, 3).join(', ')}, ${trace}, ${join(dir, 'traceability.json')}${counterexamples(dir)}${json === undefined ? '' : `, ${json}`}`);
  if (result.backend === 'both') out(realLine(result));
  if (report.model.problems.length > 0) err(`the report shows ${report.model.problems.length} problem(s): see ${report.files[0]}`);
  // the issue's acceptance: every hardened property holds, every compat weakness is broken, every
  // mutant killed; and nothing else the report counts as a failure (an attack not as specified,
  // a vector file that fails, a traceability gap)
  return auditExit(result, report.model.problems.length);
}

/**
 * The exit status of `pqroom audit` for a result: 0 when every property is as spec 12 says, every
 * mutant is killed, no equivalence claim was refuted, every requirement a property rests on is
 * guarded by a mutant or explained (spec 12.3, 12.4), and the report shows no other problem; 1 otherwise.
 */
export function auditExit(result: AuditResult, problems: number): 0 | 1 {
  const asSpecified = Object.values(result.profiles).every((prof) => prof.properties.every((p) => p.asSpecified));
  const claims = result.equivalentMutants.every((e) => e.refuted !== true && (e.runs ?? 0) > 0);
  const explained = result.requirementTable !== undefined && unexplained(result.requirementTable).length === 0;
  return asSpecified && result.mutationScore === 1 && claims && explained && problems === 0 ? 0 : 1;
}

/** `, DIR/counterexamples/ (N traces)` when the campaign wrote any. */
function counterexamples(dir: string): string {
  const d = join(dir, 'counterexamples');
  const n = existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.jsonl')).length : 0;
  return n === 0 ? '' : `, ${d}/ (${n} replayable trace${n === 1 ? '' : 's'})`;
}

/** Whether, with `--backend both`, the named attacks' verdicts on real crypto agree with the symbolic ones. */
export function realLine(r: AuditResult): string {
  const checked = Object.values(r.profiles).flatMap((p) => p.attacks.filter((a) => a.realAgrees !== undefined).map((a) => ({ a, p })));
  const disagree = checked.filter((x) => x.a.realAgrees === false);
  return disagree.length === 0
    ? `--backend both: the real backend's verdicts agree with the symbolic ones on all ${checked.length} named attack runs`
    : `--backend both: the real backend DISAGREES on ${disagree.length} of ${checked.length} named attack runs: ${disagree.map((x) => x.a.id).join(', ')}`;
}
