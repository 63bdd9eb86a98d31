/**
 * The relay's store of room logs and mailboxes, in memory (the simulator) behind the interface
 * the live relay implements on SQLite (spec 8.5, 8.6, 8.10).
 */
import { toHex, type Bytes } from '../impl/bytes.ts';
import { encode } from '../impl/codec.ts';
import { HistoryChunk, MailboxChunk, type LogEntry, type MailboxEntry } from '../impl/messages/index.ts';
import type { AccountFactors } from '../impl/accounts/second-factor.ts';
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
  /** Runs `f` as one transaction (one relay step's writes), when the store has transactions. */
  atomically?<T>(f: () => T): T;
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

/** The HistoryChunk answering a serveHistory effect. */
export function historyChunk(store: RelayStore, reqId: number, roomId: Bytes, from: number, to: number, limit: number, lateBefore?: number): Bytes {
  const w = store.window(roomId, from, to, limit, lateBefore);
  return encode(HistoryChunk, { req_id: reqId, room_id: roomId, entries: w.entries, next_index: w.nextIndex, complete: w.complete });
}

/** The MailboxChunk answering a serveMailbox effect. */
export function mailboxChunk(store: RelayStore, reqId: number, principal: Bytes, from: number, limit = 256): Bytes {
  const { entries, end } = store.mail(principal, from, limit);
  const last = entries.at(-1)?.index ?? from - 1;
  return encode(MailboxChunk, { req_id: reqId, entries, next_index: last + 1, complete: last + 1 >= end });
}
