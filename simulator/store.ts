/**
 * The relay's store of room logs and mailboxes, in memory (the simulator) behind the interface
 * the live relay implements on SQLite (spec 8.5, 8.6, 8.10).
 */
import { toHex, type Bytes } from '../impl/bytes.ts';
import { encode } from '../impl/codec.ts';
import { HistoryChunk, MailboxChunk, type LogEntry, type MailboxEntry } from '../impl/messages/index.ts';
import type { AccountFactors } from '../impl/accounts/second-factor.ts';
import { MAX_MESSAGE_BYTES } from '../impl/messages/types.ts';
import type { Verifier } from '../impl/protocol/login.ts';
import type { RelayState } from '../impl/protocol/relay-state.ts';

export type { Verifier };

/** Durable relay storage: the relay machine's state plus log and mailbox contents. */
export interface RelayStore {
  /** Appends a log entry with the epoch of its message, if any; entries are contiguous from 1 (REQ-REL-030). */
  append(roomId: Bytes, index: number, payload: Bytes, epoch?: number): void;
  /** Appends a mailbox entry. */
  storeMail(principal: Bytes, entry: MailboxEntry): void;
  /**
   * At most `limit` log entries from `from`: those up to `to`, then, when `lateBefore` is given,
   * later ones whose message epoch is below it (spec 8.6). `complete` when nothing more qualifies.
   */
  window(roomId: Bytes, from: number, to: number, limit: number, lateBefore?: number): { entries: LogEntry[]; nextIndex: number; complete: boolean };
  /** Mailbox entries from `from`, at most `limit`, and the index after the last one stored. */
  mail(principal: Bytes, from: number, limit: number): { entries: MailboxEntry[]; end: number };
  /** Saves the relay machine's state (REQ-REL-050). */
  saveState(state: RelayState): void;
  /** The last state saved. */
  loadState(): RelayState | undefined;
  /**
   * Runs `f` as one transaction (one relay step's writes), when the store has transactions.
   * `single`: `f` writes at most one log entry or mailbox entry besides the state, which needs no
   * savepoint of its own within a batch (one statement is atomic by itself).
   */
  atomically?<T>(f: () => T, single?: boolean): T;
  /** The login verifiers registered (spec 9.2), when the store keeps accounts. */
  accounts?(): ReadonlyMap<string, Verifier>;
  /** Stores a newly registered account. */
  saveAccount?(v: Verifier): void;
  /** The second factors an account enrolled (spec 9.7), when the store keeps accounts. */
  factors?(username: string): AccountFactors | undefined;
  /** Replaces an account's second factors (an enrollment, a counter, a used TOTP step). */
  saveFactors?(username: string, f: AccountFactors): void;
}

/** An in-memory store. */
export function memoryStore(): RelayStore {
  const logs = new Map<string, { payload: Bytes; epoch: number | undefined }[]>();
  const boxes = new Map<string, MailboxEntry[]>();
  let saved: RelayState | undefined;
  return {
    append(roomId, index, payload, epoch) {
      const key = toHex(roomId);
      const log = logs.get(key) ?? [];
      if (index !== log.length + 1) throw new Error(`log append out of order: ${index} after ${log.length}`);
      log.push({ payload, epoch });
      logs.set(key, log);
    },
    storeMail(principal, entry) {
      const key = toHex(principal);
      const box = boxes.get(key) ?? [];
      box.push(entry);
      boxes.set(key, box);
    },
    window(roomId, from, to, limit, lateBefore) {
      const log = logs.get(toHex(roomId)) ?? [];
      const end = lateBefore === undefined ? Math.min(to, log.length) : log.length;
      const entries: LogEntry[] = [];
      let i = Math.max(1, from);
      for (; i <= end && entries.length < limit; i++) {
        const e = log[i - 1]!;
        if (i <= to || (e.epoch !== undefined && e.epoch < lateBefore!)) entries.push({ index: i, payload: e.payload });
      }
      return { entries, nextIndex: i, complete: i > end };
    },
    mail(principal, from, limit) {
      const box = boxes.get(toHex(principal)) ?? [];
      const entries = box.filter((e) => e.index >= from).slice(0, limit);
      return { entries, end: (box.at(-1)?.index ?? 0) + 1 };
    },
    saveState(state) {
      saved = state;
    },
    loadState: () => saved,
  };
}

/** Bytes of a HistoryChunk besides its entries: header, req_id, room_id, the count of entries, next_index, complete (spec 4.6). */
const HISTORY_CHUNK_BYTES = 4 + 4 + 16 + 2 + 8 + 1;
/** Bytes of a MailboxChunk besides its entries: header, req_id, the count of entries, next_index, complete. */
const MAILBOX_CHUNK_BYTES = 4 + 4 + 2 + 8 + 1;
/** Most entries in a MailboxChunk (its struct's bound; FetchMailbox has no limit, REQ-REL-024). */
export const MAILBOX_CHUNK_ENTRIES = 256;

/** How many of `sizes` (in order) fit in `budget` bytes; at least one when there is one (REQ-ENC-020 makes it fit). */
function fitting(sizes: readonly number[], budget: number): number {
  let used = 0;
  for (let n = 0; n < sizes.length; n++) {
    used += sizes[n]!;
    if (used > budget && n > 0) return n;
  }
  return sizes.length;
}

/**
 * The HistoryChunk answering a serveHistory effect (REQ-REL-020, REQ-REL-036): the readable entries
 * from `from`, at most `limit` and at most 2^24 bytes in all (REQ-ENC-020). One entry more is read
 * to know whether the chunk holds them all (`complete`); when it does, `next_index` is where the
 * window ends now (the store's), otherwise one more than its last entry.
 */
export function historyChunk(store: RelayStore, reqId: number, roomId: Bytes, from: number, to: number, limit: number, lateBefore?: number): Bytes {
  const w = store.window(roomId, from, to, limit + 1, lateBefore);
  const n = Math.min(limit, fitting(w.entries.map((e) => 8 + 4 + e.payload.length), MAX_MESSAGE_BYTES - HISTORY_CHUNK_BYTES));
  const all = n === w.entries.length;
  const entries = all ? w.entries : w.entries.slice(0, n);
  return encode(HistoryChunk, { req_id: reqId, room_id: roomId, entries, next_index: all ? w.nextIndex : entries.at(-1)!.index + 1, complete: all });
}

/**
 * The MailboxChunk answering a serveMailbox effect (REQ-REL-024, REQ-REL-036): the entries from
 * `from`, at most 256 and at most 2^24 bytes in all; complete when it holds every one left, and
 * then `next_index` is the larger of `from` and one more than the mailbox's last index.
 */
export function mailboxChunk(store: RelayStore, reqId: number, principal: Bytes, from: number): Bytes {
  const { entries: got, end } = store.mail(principal, from, MAILBOX_CHUNK_ENTRIES + 1);
  const n = Math.min(MAILBOX_CHUNK_ENTRIES, fitting(got.map((e) => 8 + 16 + 32 + 4 + e.payload.length), MAX_MESSAGE_BYTES - MAILBOX_CHUNK_BYTES));
  const all = n === got.length;
  const entries = all ? got : got.slice(0, n);
  return encode(MailboxChunk, { req_id: reqId, entries, next_index: all ? Math.max(from, end) : entries.at(-1)!.index + 1, complete: all });
}
