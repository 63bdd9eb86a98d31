/**
 * A counterexample as the audit report shows it (spec 12): the violations of the run, the
 * adversary's moves read from its trace, and a Mermaid sequence diagram of the run up to the
 * violation shown, with that violation highlighted. Computed from the trace the audit writes, so
 * that the report needs nothing but the audit's JSON.
 */
import { traceToMermaid } from '../simulator/mermaid.ts';
import { parseTrace } from '../simulator/trace.ts';
import type { Violation } from './oracles/index.ts';

/** What the report draws and says of one counterexample run. */
export interface Drawn {
  /** The trace file, relative to the audit's output folder. */
  readonly trace: string;
  /** The violation the diagram ends at. */
  readonly violation: Violation;
  /** Every violation of the run (the first 8), in order. */
  readonly violations: readonly Violation[];
  /** Violations beyond those listed. */
  readonly moreViolations: number;
  /** The adversary's moves, in order (the first 12): `t ms: what detail`. */
  readonly moves: readonly string[];
  /** Moves beyond those listed. */
  readonly moreMoves: number;
  /** A Mermaid sequence diagram: the last lines of the run up to the violation, which is highlighted. */
  readonly diagram: string;
}

/** Diagram lines kept before the violation. */
const DIAGRAM_LINES = 36;

/** Draws the run of `traceText` (a trace `attackTrace` wrote) up to the first violation of `prop` (or the first of all). */
export function drawCounterexample(trace: string, traceText: string, prop?: string): Drawn {
  const events = parseTrace(traceText);
  const verdict = events.at(-1) as { kind: string; violations?: Violation[] } | undefined;
  const violations = verdict?.kind === 'verdict' ? (verdict.violations ?? []) : [];
  const violation = violations.find((v) => prop === undefined || v.prop === prop);
  if (!violation) throw new Error(`${trace}: the run shows no violation${prop === undefined ? '' : ` of ${prop}`}`);
  const moves: string[] = [];
  for (const e of events as readonly (Record<string, unknown> & { t: number; kind: string })[]) {
    if (e.kind === 'event' && e.actor === 'adversary' && e.what !== 'armed') moves.push(`${e.t} ms: ${String(e.what)}${e.detail === undefined ? '' : ` ${String(e.detail)}`}`);
  }
  const diagram = traceToMermaid(events, { to: violation.t, limit: DIAGRAM_LINES, keep: 'last', marks: [{ t: violation.t, over: violation.party, text: `${violation.prop} violated at ${violation.party}: ${violation.detail}` }] });
  return { trace, violation, violations: violations.slice(0, 8), moreViolations: Math.max(0, violations.length - 8), moves: moves.slice(0, 12), moreMoves: Math.max(0, moves.length - 12), diagram };
}
