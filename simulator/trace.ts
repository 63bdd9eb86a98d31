/**
 * Traces of simulated (and live) runs: JSON Lines, one event per line, in the order events
 * happened. The first line describes the run (seed, options) so that it can be replayed; the
 * last line summarises it. Bytes are recorded as sizes and short hashes, never in full.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, type Bytes } from '../impl/bytes.ts';
import { peekType } from '../impl/codec.ts';
import { messageName, MsgType } from '../impl/messages/index.ts';

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

const PAYLOAD_OFFSET: Readonly<Record<number, number>> = {
  // header 4, then fixed fields, then a 4-byte length prefix: where the nested payload's header starts
  [MsgType.RoomDelivery]: 4 + 16 + 8 + 4,
  [MsgType.MailboxDelivery]: 4 + 8 + 16 + 32 + 4,
  [MsgType.Send]: 4 + 4 + 16 + 4,
  [MsgType.PostCommit]: 4 + 4 + 16 + 4,
  [MsgType.Rotate]: 4 + 4 + 16 + 4,
  [MsgType.SubmitJoin]: 4 + 4 + 16 + 32 + 4,
  [MsgType.SendWelcome]: 4 + 4 + 16 + 32 + 4,
  [MsgType.SubmitConfirm]: 4 + 4 + 16 + 32 + 4,
  [MsgType.AddMember]: 4 + 4 + 16 + 32 + 4,
  [MsgType.CreateRoom]: 4 + 4 + 16 + 1 + 4,
  [MsgType.PostKeyUpdate]: 4 + 4 + 16 + 4,
};

/** A readable label of an encoded message: its type, and the type of the payload it carries. */
export function messageLabel(bytes: Bytes): string {
  let type: number;
  try {
    type = peekType(bytes);
  } catch {
    return 'malformed';
  }
  const name = messageName(type) ?? `0x${type.toString(16)}`;
  const off = PAYLOAD_OFFSET[type];
  if (off !== undefined && bytes.length > off + 3) {
    const inner = messageName(bytes[off + 3]!);
    if (inner) return `${name}(${inner})`;
  }
  return name;
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
