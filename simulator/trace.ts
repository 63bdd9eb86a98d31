/**
 * Traces of simulated (and live) runs: JSON Lines, one event per line, in the order events
 * happened. The first line describes the run (seed, options) so that it can be replayed; the
 * last line summarises it. Bytes are recorded as sizes and short hashes, never in full.
 * Reading one (parseTrace) needs no codec: the message labels that need it are in `message-label.ts`,
 * so that pqroom simulate and replay check their command line without loading the wire codec.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, type Bytes } from '../impl/bytes.ts';

/** One line of a trace. `t` is virtual (or, live, wall-clock) milliseconds since the run began. */
export type TraceEvent =
  | { readonly t: number; readonly kind: 'run'; readonly [k: string]: unknown }
  | { readonly t: number; readonly kind: 'user'; readonly actor: string; readonly event: string; readonly detail?: string }
  | { readonly t: number; readonly kind: 'send'; readonly actor: string; readonly to: string; readonly msg: string; readonly size: number; readonly hash: string }
  | { readonly t: number; readonly kind: 'recv'; readonly actor: string; readonly from: string; readonly msg: string; readonly size: number; readonly hash: string }
  | { readonly t: number; readonly kind: 'state'; readonly actor: string; readonly from: string; readonly to: string }
  | { readonly t: number; readonly kind: 'deliver'; readonly actor: string; readonly sender: string; readonly seq: number; readonly epoch: number; readonly hash: string }
  | { readonly t: number; readonly kind: 'status'; readonly actor: string; readonly status: string; readonly epoch?: number }
  | { readonly t: number; readonly kind: 'reject' | 'alarm'; readonly actor: string; readonly reqId: string; readonly detail: string }
  | { readonly t: number; readonly kind: 'fault'; readonly fault: string; readonly from: string; readonly to: string; readonly size: number; readonly hash: string; readonly extraMs?: number }
  | { readonly t: number; readonly kind: 'event'; readonly actor: string; readonly what: string; readonly detail?: string }
  | { readonly t: number; readonly kind: 'summary'; readonly [k: string]: unknown };

/** The first 16 hex characters of SHA-256: enough to tell messages apart in a trace. */
export function shortHash(b: Bytes | string): string {
  // noble's SHA-256 (not node:crypto's): the live client host runs in browsers too
  return toHex(sha256(typeof b === 'string' ? new TextEncoder().encode(b) : b)).slice(0, 16);
}

/** Collects trace lines in memory. */
export interface TraceRecorder {
  /** Whether lines are being kept. */
  readonly enabled: boolean;
  /** Adds an event. */
  add(e: TraceEvent): void;
  /** The lines so far. */
  lines(): readonly string[];
  /** The whole trace as JSONL text. */
  text(): string;
}

/** A recorder; a disabled one keeps nothing. */
export function traceRecorder(enabled: boolean): TraceRecorder {
  const lines: string[] = [];
  return {
    enabled,
    add(e) {
      if (enabled) lines.push(JSON.stringify(e));
    },
    lines: () => lines,
    text: () => (lines.length === 0 ? '' : `${lines.join('\n')}\n`),
  };
}

/** Parses a trace file into events (throws on a line that is not JSON). */
export function parseTrace(text: string): TraceEvent[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as TraceEvent;
      } catch {
        throw new Error(`trace line ${i + 1} is not JSON`);
      }
    });
}
