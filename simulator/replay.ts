/**
 * The `pqroom replay` command: runs a recorded trace's seed and options again and compares the new
 * trace with the recorded one, line by line. A run is a function of its options, so any
 * difference means the code changed behaviour (or the trace was edited). The simulator rebuilds
 * its own scenarios; runs of other kinds (the audit's attacks) are rebuilt by the
 * {@link TraceRebuilder}s the caller passes in (cli.js passes the adversary's).
 */
import { readFileSync } from 'node:fs';
import { intArg, writeMermaid } from './cli.ts';
import { optionsFromHeader, simulate } from './run.ts';
import { parseTrace } from './trace.ts';

const HELP = `usage: pqroom replay TRACE [--mermaid FILE] [--mermaid-from MS] [--mermaid-to MS] [--mermaid-limit N]

Reads a trace written by pqroom simulate --trace or by pqroom audit (a counterexample), runs
it again with the seed and options of its first line (scenario, or attack, plan and mutant),
and compares the two traces line by line; for an attack it also shows the verdict. Exits 0 when they are
identical, 1 at the first differing line (both are shown), 2 when TRACE cannot be read.
A live trace (pqroom relay --trace, pqroom demo --trace) is summarised and rendered, not run.

options:
  --mermaid FILE   also write the recorded trace as a Mermaid sequenceDiagram
  --mermaid-from MS, --mermaid-to MS, --mermaid-limit N
                   the window and the most lines drawn
  -h, --help       show this help`;

/** How a replay compared. */
export interface ReplayOutcome {
  /** Whether the traces are identical. */
  readonly identical: boolean;
  /** Lines compared (the longer trace's count when they differ in length). */
  readonly lines: number;
  /** First differing line, 1-based. */
  readonly firstDifference?: { readonly line: number; readonly recorded: string | undefined; readonly replayed: string | undefined };
  /** The replayed trace. */
  readonly replayed: string;
}

/**
 * Runs a recorded run again from its trace's first line and returns the new trace, or undefined
 * when the header is not of its kind (throws when it is, but cannot be read).
 */
export type TraceRebuilder = (header: string) => string | undefined;

/** Rebuilds a run from its header: the first rebuilder that knows it, else a simulator scenario. */
function rebuild(header: string, rebuilders: readonly TraceRebuilder[]): string {
  for (const r of rebuilders) {
    const trace = r(header);
    if (trace !== undefined) return trace;
  }
  return simulate(optionsFromHeader(header), true).trace;
}

/** Replays a trace text (throws on a trace without a valid run header); `rebuilders` know runs other than the simulator's scenarios. */
export function replayTrace(recorded: string, rebuilders: readonly TraceRebuilder[] = []): ReplayOutcome {
  const old = recorded.split('\n');
  if (old.at(-1) === '') old.pop();
  if (old.length === 0) throw new Error('the trace is empty');
  const replayed = rebuild(old[0]!, rebuilders);
  const now = replayed.split('\n');
  if (now.at(-1) === '') now.pop();
  const n = Math.max(old.length, now.length);
  for (let i = 0; i < n; i++) {
    if (old[i] !== now[i]) return { identical: false, lines: n, firstDifference: { line: i + 1, recorded: old[i], replayed: now[i] }, replayed };
  }
  return { identical: true, lines: n, replayed };
}

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

/** Runs `pqroom replay ...`; returns the exit code. `rebuilders` rebuild runs other than the simulator's (cli.js passes the adversary's). */
export function main(argv: readonly string[], out: (s: string) => void = console.log, rebuilders: readonly TraceRebuilder[] = []): number {
  let file: string | undefined;
  let mermaid: string | undefined;
  const m: { from?: number; to?: number; limit?: number } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => intArg(a, argv[++i]);
    try {
      if (a === '-h' || a === '--help') {
        out(HELP);
        return 0;
      } else if (a === '--mermaid') {
        mermaid = argv[++i];
        if (mermaid === undefined) throw new Error('--mermaid needs a file');
      } else if (a === '--mermaid-from') m.from = num();
      else if (a === '--mermaid-to') m.to = num();
      else if (a === '--mermaid-limit') m.limit = num();
      else if (a.startsWith('-') || file !== undefined) throw new Error(`unexpected argument ${a}`);
      else file = a;
    } catch (e) {
      out(`pqroom replay: ${(e as Error).message}\n\n${HELP}`);
      return 2;
    }
  }
  if (file === undefined) {
    out(`pqroom replay: which trace?\n\n${HELP}`);
    return 2;
  }
  let text: string;
  let outcome: ReplayOutcome;
  try {
    text = readFileSync(file, 'utf8');
    const live = liveSummary(text);
    if (live !== undefined) {
      if (mermaid !== undefined) writeMermaid(mermaid, text, m);
      out(live);
      return 0;
    }
    outcome = replayTrace(text, rebuilders);
  } catch (e) {
    out(`pqroom replay: ${file}: ${(e as Error).message}`);
    return 2;
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
