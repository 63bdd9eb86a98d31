/**
 * The live relay's store on SQLite (better-sqlite3): room logs, mailboxes, the relay machine's
 * state and the relay's own key, in one database file (spec 8.5, 8.6, 8.10). The relay host
 * writes one relay step (appends, mail, state) in one transaction, committed before anything the
 * step sends leaves (REQ-REL-050); with WAL and `synchronous = FULL` a commit is durable, so a kill -9
 * at any moment loses nothing that was acknowledged.
 */
import Database from 'better-sqlite3';
import { fromHex, toHex, type Bytes } from '../impl/bytes.ts';
import type { LogEntry, MailboxEntry } from '../impl/messages/index.ts';
import type { RelayState } from '../impl/protocol/relay-state.ts';
import type { RelayStore } from './store.ts';

/** The schema version this code writes; a database of another version is refused, not misread. */
export const STORE_VERSION = 1;

/** A RelayStore on a database file, with what only the live relay needs. */
export interface SqliteStore extends RelayStore {
  /** Runs `f` in one transaction (one relay step's writes). */
  atomically<T>(f: () => T): T;
  /** A stored value of the relay (its key pair, say), or undefined. */
  meta(key: string): string | undefined;
  /** Stores a value of the relay. */
  setMeta(key: string, value: string): void;
  /** `PRAGMA integrity_check` says `ok`. */
  integrityOk(): boolean;
  close(): void;
}

/** JSON with byte strings as `{ "$hex": ... }`: the relay state is plain records, lists, numbers, strings and bytes. */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? { $hex: toHex(x) } : x));
}
function fromJson<T>(s: string): T {
  return JSON.parse(s, (_k, x: unknown) => (x !== null && typeof x === 'object' && typeof (x as { $hex?: unknown }).$hex === 'string' && Object.keys(x).length === 1 ? fromHex((x as { $hex: string }).$hex) : x)) as T;
}

/** Opens (creating if needed) the store in `file` (`:memory:` for tests). */
export function sqliteStore(file: string): SqliteStore {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS log (room BLOB NOT NULL, idx INTEGER NOT NULL, epoch INTEGER, payload BLOB NOT NULL, PRIMARY KEY (room, idx)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS mail (principal BLOB NOT NULL, idx INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (principal, idx)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
  `);
  const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const putMeta = db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  const version = getMeta.get('version')?.value;
  if (version === undefined) putMeta.run('version', String(STORE_VERSION));
  else if (version !== String(STORE_VERSION)) {
    db.close();
    throw new Error(`${file}: relay database version ${version}, this pqroom reads version ${STORE_VERSION}`);
  }
  const logLen = db.prepare<[Bytes], { n: number | null }>('SELECT max(idx) AS n FROM log WHERE room = ?');
  const insLog = db.prepare<[Bytes, number, number | null, Bytes]>('INSERT INTO log (room, idx, epoch, payload) VALUES (?, ?, ?, ?)');
  const range = db.prepare<[Bytes, number, number], { idx: number; epoch: number | null; payload: Buffer }>('SELECT idx, epoch, payload FROM log WHERE room = ? AND idx >= ? AND idx <= ? ORDER BY idx');
  const insMail = db.prepare<[Bytes, number, string]>('INSERT INTO mail (principal, idx, entry) VALUES (?, ?, ?)');
  const mailFrom = db.prepare<[Bytes, number, number], { entry: string }>('SELECT entry FROM mail WHERE principal = ? AND idx >= ? ORDER BY idx LIMIT ?');
  const mailEnd = db.prepare<[Bytes], { n: number | null }>('SELECT max(idx) AS n FROM mail WHERE principal = ?');
  const putState = db.prepare<[string]>('INSERT OR REPLACE INTO state (id, json) VALUES (1, ?)');
  const getState = db.prepare<[], { json: string }>('SELECT json FROM state WHERE id = 1');
  const u8 = (b: Buffer): Bytes => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

  return {
    append(roomId, index, payload, epoch) {
      const n = logLen.get(roomId)?.n ?? 0;
      if (index !== n + 1) throw new Error(`log append out of order: ${index} after ${n}`);
      insLog.run(roomId, index, epoch ?? null, payload);
    },
    storeMail(principal, entry) {
      insMail.run(principal, entry.index, toJson(entry));
    },
    window(roomId, from, to, limit, lateBefore) {
      const len = logLen.get(roomId)?.n ?? 0;
      const end = lateBefore === undefined ? Math.min(to, len) : len;
      const entries: LogEntry[] = [];
      let i = Math.max(1, from);
      // the same walk as the memory store: entries up to `to`, then late ones below `lateBefore`
      for (const row of range.iterate(roomId, i, end)) {
        if (entries.length >= limit) break;
        i = row.idx + 1;
        if (row.idx <= to || (row.epoch !== null && row.epoch < lateBefore!)) entries.push({ index: row.idx, payload: u8(row.payload) });
      }
      if (entries.length < limit) i = Math.max(i, end + 1);
      return { entries, nextIndex: i, complete: i > end };
    },
    mail(principal, from, limit) {
      const entries = mailFrom.all(principal, from, limit).map((r) => fromJson<MailboxEntry>(r.entry));
      return { entries, end: (mailEnd.get(principal)?.n ?? 0) + 1 };
    },
    saveState(state) {
      putState.run(toJson(state));
    },
    loadState() {
      const row = getState.get();
      return row === undefined ? undefined : fromJson<RelayState>(row.json);
    },
    atomically: (f) => db.transaction(f)(),
    meta: (key) => getMeta.get(key)?.value,
    setMeta: (key, value) => void putMeta.run(key, value),
    integrityOk: () => db.pragma('integrity_check', { simple: true }) === 'ok',
    close: () => db.close(),
  };
}
