/**
 * What the front of `pqroom relay --workers N` (front.ts) and its shard workers
 * (worker.ts) say to each other over the IPC channel (spec 8.13), and which shard keeps
 * what: a room by its id, a principal's mailbox and directory entry by the principal.
 */
import type { Bytes } from '../../../impl/bytes.ts';
import type { RelayEffect, RelayEvent } from '../../../machines/events.ts';
import type { OutboxEntry } from '../sqlite-store.ts';

/** The shard (0 .. count-1) of a room id or a principal: FNV-1a of its bytes, modulo the count (spec 8.13). */
export function shardOf(key: Bytes, count: number): number {
  let h = 0x811c9dc5;
  for (const b of key) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h % count;
}

/** A mailbox entry on its way from shard `origin` (its outbox entry `seq`) to shard `home` (REQ-REL-051). */
export interface Forward {
  readonly home: number;
  readonly origin: number;
  readonly seq: number;
  readonly entry: OutboxEntry;
}

/** From the front to a shard. */
export type ToShard =
  /** Events for the relay machine, in order. */
  | { readonly t: 'events'; readonly events: readonly RelayEvent[] }
  /** A mailbox entry another shard made for a principal of this shard. */
  | { readonly t: 'forward'; readonly origin: number; readonly seq: number; readonly entry: OutboxEntry }
  /** The home shard made outbox entries up to `seq` durable: drop them. */
  | { readonly t: 'done'; readonly seq: number }
  /** Send the whole outbox again (a home shard restarted). */
  | { readonly t: 'resend' }
  /** Commit, close the database and say so. */
  | { readonly t: 'stop' };

/** From a shard to the front. */
export type FromShard =
  /** Started on its file: its room count and its outbox, to forward. */
  | { readonly t: 'ready'; readonly rooms: number; readonly forwards: readonly Forward[] }
  /** A group commit made durable: what the machine decided (history and mailbox pages served as replies), mail to forward, forwarded mail applied. */
  | { readonly t: 'out'; readonly effects: readonly RelayEffect[]; readonly forwards: readonly Forward[]; readonly done: readonly { origin: number; seq: number }[]; readonly rooms: number }
  | { readonly t: 'log'; readonly level: string; readonly msg: string; readonly error: string }
  | { readonly t: 'stopped' };
