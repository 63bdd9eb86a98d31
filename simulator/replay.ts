/**
 * Replaying a run (`pqroom replay`, simulator/replay-cli.ts): runs a recorded trace's seed and options again and compares the new
 * trace with the recorded one, line by line. A run is a function of its options, so any
 * difference means the code changed behaviour (or the trace was edited). The simulator rebuilds
 * its own scenarios; runs of other kinds (the audit's attacks) are rebuilt by the
 * {@link TraceRebuilder}s the caller passes in (cli.js passes the adversary's).
 */
import { optionsFromHeader, simulate } from './run.ts';

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
