/**
 * `pqroom audit`: the campaign of `adversary/audit.ts`, a summary table on the terminal, the
 * machine-readable result (`--json FILE`, and `audit.json` in `--out DIR`, with the conformance
 * vectors as verified now), and the report beside it: `index.html`, `audit.md`, `junit.xml`
 * (reports/page/) and the traceability report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Profile } from '../impl/suite.ts';
import { intArg } from '../simulator/cli.ts';
import { BACKENDS, isBackend, requireBackend, type Backend } from '../simulator/run.ts';
import { writeReport } from './page/write.ts';
import { writeTraceability } from './traceability.ts';
import { VECTORS_DIR } from '../vectors/cli.ts';
import { vectorSummary } from '../vectors/verify.ts';
import { audit, auditTable, type AuditResult } from '../adversary/audit.ts';
import { defaultWorkers } from '../adversary/parallel.ts';
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
  --workers N    worker threads (default: the number of cores); the result is the same for any N
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

/** Runs `pqroom audit ...`; returns the exit code. */
export function main(argv: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): number {
  let profiles: Profile[] = ['hardened', 'compat'];
  let runs = 40;
  let seed = 1;
  let backend: Backend | 'both' = 'symbolic';
  let json: string | undefined;
  let dir = 'reports/out';
  let quiet = false;
  let workers = defaultWorkers();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = (): number => intArg(a, val());
    try {
      if (a === '-h' || a === '--help') {
        out(HELP);
        return 0;
      } else if (a === '--profile') {
        const p = val();
        if (p === 'all') profiles = ['hardened', 'compat'];
        else if (p === 'hardened' || p === 'compat') profiles = [p];
        else throw new Error(`unknown profile ${p}`);
      } else if (a === '--runs') runs = num();
      else if (a === '--seed') seed = num();
      else if (a === '--backend') {
        const b = val();
        if (b !== 'both' && !isBackend(b)) throw new Error(`unknown backend ${b} (one of ${BACKENDS.join(', ')}, both)`);
        backend = b === 'both' ? b : requireBackend(b);
      } else if (a === '--workers') {
        workers = num();
        if (workers < 1 || workers > 64) throw new Error('--workers must be between 1 and 64');
      } else if (a === '--json') json = val();
      else if (a === '--out') dir = val();
      else if (a === '--quiet') quiet = true;
      else throw new Error(`unexpected argument ${a}`);
    } catch (e) {
      err(`pqroom audit: ${(e as Error).message}\n\n${HELP}`);
      return 2;
    }
  }
  mkdirSync(dir, { recursive: true });
  const result: AuditResult = { ...audit({ profiles, runs, seed, backend, out: dir, workers, progressLine: !quiet, progress: quiet ? undefined : (l) => err(`  ${l}`) }), vectors: vectorSummary(VECTORS_DIR) };
  const table = auditTable(result);
  out(table);
  const text = JSON.stringify(result, null, 2) + '\n';
  writeFileSync(join(dir, 'audit.json'), text);
  if (json !== undefined) writeFileSync(json, text);
  const trace = writeTraceability(dir, join(dir, 'audit.json'));
  const report = writeReport(join(dir, 'audit.json'), dir);
  out(`\nwritten: ${join(dir, 'audit.json')}, ${report.files.slice(0, 3).join(', ')}, ${trace}${json === undefined ? '' : `, ${json}`}`);
  if (report.model.problems.length > 0) out(`the report shows ${report.model.problems.length} problem(s): see ${report.files[0]}`);
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
