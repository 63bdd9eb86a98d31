/**
 * The `pqroom replay` command (simulator/replay.ts replays): the command line and the trace file are
 * checked before the simulator, the machines and the crypto are loaded, so that a mistaken
 * invocation or `--help` does not load them (issue 24).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { checkInputFile, checkOutputFile, CliError, parseCommand, runCommand } from '../impl/cli-args.ts';
import { writeMermaid } from './cli.ts';
import type { ReplayOutcome, TraceRebuilder } from './replay.ts';
import { parseTrace } from './trace.ts';

const HELP = `usage: pqroom replay TRACE [--mermaid FILE] [--mermaid-from MS] [--mermaid-to MS] [--mermaid-limit N]

Reads a trace written by pqroom simulate --trace or by pqroom audit (a counterexample), runs
it again with the seed and options of its first line (scenario, or attack, plan and mutant),
and compares the two traces line by line; for an attack it also shows the verdict. Exits 0 when they are
identical, 1 at the first differing line (both are shown), 2 when TRACE cannot be read.
A live trace (pqroom relay --trace, pqroom demo --trace) is summarised and rendered, not run.
The counterexample paths audit.json records (counterexamples/NAME.jsonl) are relative to its
folder: a relative TRACE not found in the current folder is looked for in reports/out, the
audit's default folder.

options:
  --mermaid FILE   also write the recorded trace as a Mermaid sequenceDiagram
  --mermaid-from MS, --mermaid-to MS, --mermaid-limit N
                   the window and the most lines drawn
  -h, --help       show this help`;

/** The verdict line of an attack trace, readable. */
function verdictOf(trace: string): string | undefined {
  const last = trace.trimEnd().split('\n').at(-1);
  if (!last) return undefined;
  const v = JSON.parse(last) as { kind?: string; blocked?: boolean; violations?: { prop: string; party: string; t: number; detail: string }[] };
  if (v.kind !== 'verdict') return undefined;
  if (v.blocked) return 'verdict: blocked (no property failed)';
  return ['verdict: the same violations', ...(v.violations ?? []).slice(0, 5).map((x) => `  ${x.prop} at ${x.party}, t=${x.t} ms: ${x.detail}`), ...((v.violations?.length ?? 0) > 5 ? [`  ... ${v.violations!.length - 5} more`] : [])].join('\n');
}

/**
 * A live trace (`pqroom relay --trace`, `pqroom demo --trace`) depends on the wall clock, the
 * network and the platform generator: it is not re-run, only summarised (and rendered).
 */
function liveSummary(text: string): string | undefined {
  const events = parseTrace(text);
  const head = events[0] as { kind?: string; live?: boolean; role?: string } | undefined;
  if (head?.kind !== 'run' || head.live !== true) return undefined;
  const kinds = new Map<string, number>();
  for (const e of events) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  const counts = [...kinds].filter(([k]) => k !== 'run').map(([k, n]) => `${k} ${n}`).join(', ');
  return `live trace of the ${head.role ?? '?'} (${events.length} lines: ${counts}); a live run is not re-run, only rendered with --mermaid`;
}

/** The backend a trace's first line names (a run on `symbolic` needs no real backend loaded), if it names one. */
function backendOf(text: string): unknown {
  try {
    return (JSON.parse(text.slice(0, text.indexOf('\n') >>> 0)) as { backend?: unknown }).backend;
  } catch {
    return undefined;
  }
}

/** The folder pqroom audit writes to by default (reports/audit-cli.ts), where the counterexample paths of its audit.json start. */
const AUDIT_OUT = join('reports', 'out');

/** The trace file TRACE names: as given, or a relative one missing here in the audit's default folder (a path audit.json records). */
function traceFile(file: string): string {
  if (isAbsolute(file) || existsSync(file) || !existsSync(join(AUDIT_OUT, file))) return file;
  return join(AUDIT_OUT, file);
}

/** The rebuilders of runs other than the simulator's: given, or loaded once the trace is read (cli.js loads the adversary's so). */
export type Rebuilders = readonly TraceRebuilder[] | (() => Promise<readonly TraceRebuilder[]>);

/** Runs `pqroom replay ...`; returns the exit code (errors in one line on `err`). `rebuilders` rebuild runs other than the simulator's (cli.js passes the adversary's). */
export function main(argv: readonly string[], out: (s: string) => void = console.log, rebuilders: Rebuilders = [], err: (s: string) => void = console.error): Promise<number> {
  return runCommand('replay', err, () => replayCommand(argv, out, rebuilders));
}

async function replayCommand(argv: readonly string[], out: (s: string) => void, rebuilders: Rebuilders): Promise<number> {
  const p = parseCommand('replay', argv, { mermaid: { type: 'string' }, 'mermaid-from': { type: 'string' }, 'mermaid-to': { type: 'string' }, 'mermaid-limit': { type: 'string' } }, { positionals: 1 });
  if (p.help) {
    out(HELP);
    return 0;
  }
  const given = p.positionals[0];
  if (given === undefined) throw new CliError('which trace? give the file (pqroom replay TRACE; pqroom replay --help)');
  const file = traceFile(given);
  if (!existsSync(file) && !isAbsolute(file)) throw new CliError(`TRACE ${file}: no such file here nor in ${AUDIT_OUT}; check the path (audit.json's counterexample paths are relative to its folder: run the command there)`);
  checkInputFile('TRACE', file);
  const mermaid = p.str('mermaid');
  if (mermaid !== undefined) checkOutputFile('--mermaid', mermaid);
  const m: { from?: number; to?: number; limit?: number } = {};
  if (p.str('mermaid-from') !== undefined) m.from = p.int('mermaid-from', 0);
  if (p.str('mermaid-to') !== undefined) m.to = p.int('mermaid-to', 0);
  if (p.str('mermaid-limit') !== undefined) m.limit = p.int('mermaid-limit', 0, { min: 1 });
  const notATrace = (e: unknown): CliError => new CliError(`${file}: ${(e as Error).message}; is it a trace written by pqroom simulate --trace, pqroom audit, relay or demo --trace?`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    const live = liveSummary(text);
    if (live !== undefined) {
      if (mermaid !== undefined) writeMermaid(mermaid, text, m);
      out(live);
      return 0;
    }
  } catch (e) {
    throw notATrace(e);
  }
  // a run to make again: only now the simulator (and the adversary's rebuilders) are loaded
  const { replayTrace } = await import('./replay.ts');
  if (backendOf(text) !== 'symbolic') await (await import('../impl/crypto/backends.ts')).loadRealBackends();
  const known = typeof rebuilders === 'function' ? await rebuilders() : rebuilders;
  let outcome: ReplayOutcome;
  try {
    outcome = replayTrace(text, known);
  } catch (e) {
    throw notATrace(e);
  }
  if (mermaid !== undefined) writeMermaid(mermaid, text, m);
  if (outcome.identical) {
    out(`identical: ${outcome.lines} lines replayed from ${file}`);
    const verdict = verdictOf(outcome.replayed);
    if (verdict) out(verdict);
    return 0;
  }
  const d = outcome.firstDifference!;
  out([`differs at line ${d.line} of ${outcome.lines}:`, `  recorded: ${d.recorded ?? '(end of trace)'}`, `  replayed: ${d.replayed ?? '(end of trace)'}`].join('\n'));
  return 1;
}
