/**
 * The relay's store of room logs and mailboxes, in memory (the simulator) behind the interface
 * the live relay implements on SQLite (spec 8.5, 8.6, 8.10).
 */
import { toHex, type Bytes } from '../impl/bytes.ts';
import { encode } from '../impl/codec.ts';
import { HistoryChunk, MailboxChunk, type LogEntry, type MailboxEntry } from '../impl/messages/index.ts';
import type { RelayState } from '../impl/protocol/relay-state.ts';

/** Durable relay storage: the relay machine's state plus log and mailbox contents. */
export interface RelayStore {
  /** Appends a log entry; entries are contiguous from 1 (REQ-REL-030). */
  append(roomId: Bytes, index: number, payload: Bytes): void;
  /** Appends a mailbox entry. */
  storeMail(principal: Bytes, entry: MailboxEntry): void;
  /** Log entries `from..to` (inclusive), at most `limit`. */
  entries(roomId: Bytes, from: number, to: number, limit: number): LogEntry[];
  /** Mailbox entries from `from`, at most `limit`, and the index after the last one stored. */
  mail(principal: Bytes, from: number, limit: number): { entries: MailboxEntry[]; end: number };
  /** Saves the relay machine's state (REQ-REL-050). */
  saveState(state: RelayState): void;
  /** The last state saved. */
  loadState(): RelayState | undefined;
}

/** An in-memory store. */
export function memoryStore(): RelayStore {
  const logs = new Map<string, Bytes[]>();
  const boxes = new Map<string, MailboxEntry[]>();
  let saved: RelayState | undefined;
  return {
    append(roomId, index, payload) {
      const key = toHex(roomId);
      const log = logs.get(key) ?? [];
      if (index !== log.length + 1) throw new Error(`log append out of order: ${index} after ${log.length}`);
      log.push(payload);
      logs.set(key, log);
    },
    storeMail(principal, entry) {
      const key = toHex(principal);
      const box = boxes.get(key) ?? [];
      box.push(entry);
      boxes.set(key, box);
    },
    entries(roomId, from, to, limit) {
      const log = logs.get(toHex(roomId)) ?? [];
      const out: LogEntry[] = [];
      for (let i = Math.max(1, from); i <= Math.min(to, log.length) && out.length < limit; i++) out.push({ index: i, payload: log[i - 1]! });
      return out;
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
export function historyChunk(store: RelayStore, reqId: number, roomId: Bytes, from: number, to: number, limit: number): Bytes {
  const entries = store.entries(roomId, from, to, limit);
  const last = entries.at(-1)?.index ?? from - 1;
  const complete = last >= to;
  return encode(HistoryChunk, { req_id: reqId, room_id: roomId, entries, next_index: last + 1, complete });
}

/** The MailboxChunk answering a serveMailbox effect. */
export function mailboxChunk(store: RelayStore, reqId: number, principal: Bytes, from: number, limit = 256): Bytes {
  const { entries, end } = store.mail(principal, from, limit);
  const last = entries.at(-1)?.index ?? from - 1;
  return encode(MailboxChunk, { req_id: reqId, entries, next_index: last + 1, complete: last + 1 >= end });
}
