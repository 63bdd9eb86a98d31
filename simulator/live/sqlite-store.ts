/**
 * The live relay's store on SQLite (better-sqlite3): room logs, mailboxes, the relay machine's
 * state, login accounts and the relay's own key, in one database file (spec 8.5, 8.6, 8.10). The relay host
 * writes one relay step (appends, mail, state) in one transaction (within a group commit, a
 * savepoint of it), committed before anything the step sends leaves (REQ-REL-050); with WAL and
 * `synchronous = FULL` a commit is durable, so a kill -9 at any moment loses nothing that was
 * acknowledged.
 */
import { factorsFromJson, factorsToJson } from '../../impl/accounts/second-factor.ts';
import Database from 'better-sqlite3';
import { fromHex, toHex, type Bytes } from '../../impl/bytes.ts';
import type { LogEntry, MailboxEntry } from '../../impl/messages/index.ts';
import { answerChanges, answerListOf, answersOf, NO_ANSWERS } from '../../impl/protocol/relay-state/answer-list.ts';
import { idKey, type Answered, type AnswerList, type RelayInvite, type RelayMember, type RelayRoom, type RelayState } from '../../impl/protocol/relay-state.ts';
import type { Verifier } from '../../impl/protocol/login.ts';
import { diffEntries } from '../../impl/shared-record.ts';
import type { Profile } from '../../impl/suite.ts';
import type { RelayStore } from '../store.ts';

/** The schema version this code writes; a database of another version is refused, not misread. */
export const STORE_VERSION = 3;
/** A RelayStore on a database file, with what only the live relay needs. */
export interface SqliteStore extends RelayStore {
  /**
   * Runs `f` in one transaction (one relay step's writes); within a batch, in a savepoint of it,
   * unless `single` says it writes one row besides the state (whose save a batch defers to its commit).
   */
  atomically<T>(f: () => T, single?: boolean): T;
  /** Opens a batch: the steps until `commit` become durable together (group commit). */
  begin(): void;
  /** Commits the batch: durable once this returns. */
  commit(): void;
  /** Rolls the batch back (after a failed commit): the store holds what it held before `begin`. */
  rollback(): void;
  /** A stored value of the relay (its key pair, say), or undefined. */
  meta(key: string): string | undefined;
  /** Stores a value of the relay. */
  setMeta(key: string, value: string): void;
  /**
   * A shard worker's outbox (REQ-REL-051): mailbox entries for principals whose mailbox another
   * shard keeps, written in the step's transaction and kept until that shard made them durable.
   */
  outboxAdd(entry: OutboxEntry): number;
  /** The outbox, oldest first. */
  outbox(): { seq: number; entry: OutboxEntry }[];
  /** Drops the outbox entries up to `seq` (their shard has them). */
  outboxDrop(seq: number): void;
  /** `PRAGMA integrity_check` says `ok`. */
  integrityOk(): boolean;
  close(): void;
}

/** A mailbox entry on its way to the shard that keeps the principal's mailbox (REQ-REL-051). */
export interface OutboxEntry {
  readonly to: Bytes;
  readonly roomId: Bytes;
  readonly inviteId: Bytes;
  readonly payload: Bytes;
}

/** JSON with byte strings as `{ "$hex": ... }`: the relay state is plain records, lists, numbers, strings and bytes. */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? { $hex: toHex(x) } : x));
}
function fromJson<T>(s: string): T {
  return JSON.parse(s, (_k, x: unknown) => (x !== null && typeof x === 'object' && typeof (x as { $hex?: unknown }).$hex === 'string' && Object.keys(x).length === 1 ? fromHex((x as { $hex: string }).$hex) : x)) as T;
}

type Row<K extends string> = Readonly<Record<K, string>>;

/**
 * The relay state in tables: one row per room (its scalars, its epoch, its compat lists), per
 * membership, per invite, per mailbox counter, per directory entry and per remembered answer.
 * A save writes only the rows whose objects changed since the last write: the relay machine's
 * state is immutable, so an unchanged part is the same object. Within a group commit a save only
 * notes the state, written once before the commit (`writePending`). A relay step thus costs a few
 * small rows, not the whole state (a 1,000-member roster is rewritten only by a commit).
 */
function stateTables(db: Database.Database, getMeta: Database.Statement<[string], { value: string }>, putMeta: Database.Statement<[string, string]>) {
  const q = {
    putRoom: db.prepare<[string, string, string, string]>('INSERT OR REPLACE INTO room (id, core, epoch, compat) VALUES (?, ?, ?, ?)'),
    putRoomCore: db.prepare<[string, string]>('UPDATE room SET core = ? WHERE id = ?'),
    delRoom: db.prepare<[string]>('DELETE FROM room WHERE id = ?'),
    rooms: db.prepare<[], Row<'id' | 'core' | 'epoch' | 'compat'>>('SELECT id, core, epoch, compat FROM room'),
    putMember: db.prepare<[string, string, string]>('INSERT OR REPLACE INTO member (room, principal, json) VALUES (?, ?, ?)'),
    delMember: db.prepare<[string, string]>('DELETE FROM member WHERE room = ? AND principal = ?'),
    members: db.prepare<[], Row<'room' | 'principal' | 'json'>>('SELECT room, principal, json FROM member'),
    putInvite: db.prepare<[string, string, string]>('INSERT OR REPLACE INTO invite (room, id, json) VALUES (?, ?, ?)'),
    delInvite: db.prepare<[string, string]>('DELETE FROM invite WHERE room = ? AND id = ?'),
    invites: db.prepare<[], Row<'room' | 'id' | 'json'>>('SELECT room, id, json FROM invite'),
    putMailbox: db.prepare<[string, number]>('INSERT OR REPLACE INTO mailbox (principal, next) VALUES (?, ?)'),
    delMailbox: db.prepare<[string]>('DELETE FROM mailbox WHERE principal = ?'),
    mailboxes: db.prepare<[], { principal: string; next: number }>('SELECT principal, next FROM mailbox'),
    putDirectory: db.prepare<[string, string]>('INSERT OR REPLACE INTO directory (principal, json) VALUES (?, ?)'),
    delDirectory: db.prepare<[string]>('DELETE FROM directory WHERE principal = ?'),
    directory: db.prepare<[], Row<'principal' | 'json'>>('SELECT principal, json FROM directory'),
    putAnswer: db.prepare<[string, number, Bytes, number, Bytes]>('INSERT OR REPLACE INTO answered (principal, req_id, digest, seq, reply) VALUES (?, ?, ?, ?, ?)'),
    delAnswer: db.prepare<[string, number, Bytes]>('DELETE FROM answered WHERE principal = ? AND req_id = ? AND digest = ?'),
    answers: db.prepare<[], { principal: string; req_id: number; digest: Buffer; seq: number; reply: Buffer }>('SELECT principal, req_id, digest, seq, reply FROM answered ORDER BY principal, seq'),
    maxSeq: db.prepare<[], { n: number | null }>('SELECT max(seq) AS n FROM answered'),
    delRoomMembers: db.prepare<[string]>('DELETE FROM member WHERE room = ?'),
    delRoomInvites: db.prepare<[string]>('DELETE FROM invite WHERE room = ?'),
  };
  /**
   * The state the tables hold after the last commit; the one saved in the open transaction, not
   * yet written; and the one the open transaction's rows were last written for (by `writePending`).
   */
  let last: RelayState | undefined;
  let pending: RelayState | undefined;
  let written: RelayState | undefined;
  let seq = q.maxSeq.get()?.n ?? 0;

  const core = (r: RelayRoom): string => toJson({ roomId: r.roomId, profile: r.profile, owner: r.owner, nextIndex: r.nextIndex });
  const epochPart = (r: RelayRoom): string => toJson({ epoch: r.epoch, epochHash: r.epochHash, head: r.head, roster: r.roster });
  const compatPart = (r: RelayRoom): string => toJson({ compatRoster: r.compatRoster, rotations: r.rotations });

  /** Calls `put` for each key whose value changed and `del` for each key gone (only the changed buckets of a shared record, issue 23). */
  const diff = diffEntries;

  function saveRoom(id: string, prev: RelayRoom | undefined, r: RelayRoom): void {
    if (!prev) q.putRoom.run(id, core(r), epochPart(r), compatPart(r));
    else {
      if (r.epoch !== prev.epoch || r.epochHash !== prev.epochHash || r.head !== prev.head || r.roster !== prev.roster || r.compatRoster !== prev.compatRoster || r.rotations !== prev.rotations) {
        q.putRoom.run(id, core(r), epochPart(r), compatPart(r));
      } else if (r.nextIndex !== prev.nextIndex || r.owner !== prev.owner) q.putRoomCore.run(core(r), id);
    }
    diff(prev?.members, r.members, (p, m) => q.putMember.run(id, p, toJson(m)), (p) => q.delMember.run(id, p));
    diff(prev?.invites, r.invites, (i, v) => q.putInvite.run(id, i, toJson(v)), (i) => q.delInvite.run(id, i));
  }

  function saveAnswers(p: string, prev: AnswerList, next: AnswerList): void {
    // the usual change: the oldest evicted, a few appended; found by position, without walking the list (issue 23)
    const changes = answerChanges(prev, next);
    if (changes) {
      for (const a of changes.evicted) q.delAnswer.run(p, a.reqId, a.digest);
      for (const a of changes.appended) q.putAnswer.run(p, a.reqId, a.digest, ++seq, a.reply);
      return;
    }
    const before = answersOf(prev);
    const after = answersOf(next);
    const kept = new Set(after);
    for (const a of before) if (!kept.has(a)) q.delAnswer.run(p, a.reqId, a.digest);
    const had = new Set(before);
    for (const a of after) if (!had.has(a)) q.putAnswer.run(p, a.reqId, a.digest, ++seq, a.reply);
  }

  /** Writes the rows that differ between `prev` (what the tables hold) and `state`, in the open transaction. */
  function write(prev: RelayState | undefined, state: RelayState): void {
    if (prev === state) return;
    if (prev === undefined || prev.profile !== state.profile) putMeta.run('state-profile', state.profile ?? '');
    diff(prev?.rooms, state.rooms, (id, r) => saveRoom(id, prev?.rooms[id], r), (id) => {
      q.delRoomMembers.run(id);
      q.delRoomInvites.run(id);
      q.delRoom.run(id);
    });
    diff(prev?.mailboxes, state.mailboxes, (p, n) => q.putMailbox.run(p, n), (p) => q.delMailbox.run(p));
    diff(prev?.directory, state.directory, (p, d) => q.putDirectory.run(p, toJson(d)), (p) => q.delDirectory.run(p));
    diff(prev?.answered, state.answered, (p, list) => saveAnswers(p, prev?.answered[p] ?? NO_ANSWERS, list), (p) => saveAnswers(p, prev?.answered[p] ?? NO_ANSWERS, NO_ANSWERS));
  }

  /**
   * Writes the state saved in the open transaction, once, just before it commits (issue 23): the
   * steps of a group commit each save the whole state, and only the last one matters, so a room's
   * row and its sender's membership are written once per batch, not once per request. Nothing is
   * acknowledged before the commit (REQ-REL-050), so this changes nothing that a client can see.
   */
  function writePending(): void {
    if (pending !== undefined && pending !== written) {
      write(written ?? last, pending);
      written = pending;
    }
  }

  return {
    save(state: RelayState): void {
      if (db.inTransaction) {
        pending = state;
        return;
      }
      db.transaction(() => write(last, state))();
      last = state;
    },
    writePending,
    load(): RelayState | undefined {
      if (last) return last;
      const profile = getMeta.get('state-profile')?.value;
      if (profile === undefined) return undefined;
      const rooms: Record<string, RelayRoom> = {};
      const members = new Map<string, Record<string, RelayMember>>();
      const invites = new Map<string, Record<string, RelayInvite>>();
      for (const m of q.members.all()) (members.get(m.room) ?? members.set(m.room, {}).get(m.room)!)[m.principal] = fromJson<RelayMember>(m.json);
      for (const i of q.invites.all()) (invites.get(i.room) ?? invites.set(i.room, {}).get(i.room)!)[i.id] = fromJson<RelayInvite>(i.json);
      for (const r of q.rooms.all()) rooms[r.id] = { ...fromJson(r.core), ...fromJson(r.epoch), ...fromJson(r.compat), members: members.get(r.id) ?? {}, invites: invites.get(r.id) ?? {} } as RelayRoom;
      const mailboxes: Record<string, number> = {};
      for (const m of q.mailboxes.all()) mailboxes[m.principal] = m.next;
      const directory: Record<string, RelayState['directory'][string]> = {};
      for (const d of q.directory.all()) directory[d.principal] = fromJson(d.json);
      const lists: Record<string, Answered[]> = {};
      for (const a of q.answers.all()) (lists[a.principal] ??= []).push({ reqId: a.req_id, digest: new Uint8Array(a.digest.buffer, a.digest.byteOffset, a.digest.byteLength), reply: new Uint8Array(a.reply.buffer, a.reply.byteOffset, a.reply.byteLength) });
      const answered: Record<string, AnswerList> = {};
      for (const p in lists) answered[p] = answerListOf(lists[p]!);
      last = { ...(profile === '' ? {} : { profile: profile as Profile }), rooms, mailboxes, directory, answered };
      return last;
    },
    /** The open transaction committed (after `writePending`): what it saved is what the tables hold. */
    committed(): void {
      if (pending) last = pending;
      pending = undefined;
      written = undefined;
    },
    /** The open transaction rolled back: the tables hold what they held before it. */
    rolledBack(): void {
      pending = undefined;
      written = undefined;
    },
    /** A savepoint within the open transaction rolled back: what was saved before it stands. */
    restore(before: RelayState | undefined): void {
      pending = before;
    },
    pending: () => pending,
  };
}

/** Opens (creating if needed) the store in `file` (`:memory:` for tests). */
export function sqliteStore(file: string): SqliteStore {
  const db = new Database(file);
  // 16 KiB pages in a new file (issue 23): a log entry of a few KB then shares a page with others, so a
  // group commit writes a quarter of the WAL frames (a frame is two writes, its checkpoint one more):
  // about 1.4 writes and 0.3 reads a 3.7 KB entry, not 4 and 1.1 at 4 KiB. A file made before keeps
  // its page size (SQLite changes it only in an empty file); so does a file already in WAL mode.
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const putMeta = db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  const version = getMeta.get('version')?.value;
  if (version === undefined) putMeta.run('version', String(STORE_VERSION));
  else if (version !== String(STORE_VERSION)) {
    db.close();
    throw new Error(`${file}: relay database version ${version}, this pqroom reads version ${STORE_VERSION}`);
  }
  // The log is a rowid table (issue 23): an entry of a few KB fits in one table leaf cell, where a
  // WITHOUT ROWID table (an index b-tree, whose cells keep at most about 1 KB of a 4 KB page) spills
  // most of it to overflow pages: an append cost about 18 us of CPU and its WAL pages, now about 12.
  // A file made before keeps its WITHOUT ROWID log: the same columns and key, read and written alike.
  db.exec(`
    CREATE TABLE IF NOT EXISTS log (room BLOB NOT NULL, idx INTEGER NOT NULL, epoch INTEGER, payload BLOB NOT NULL, PRIMARY KEY (room, idx));
    CREATE TABLE IF NOT EXISTS mail (principal BLOB NOT NULL, idx INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (principal, idx)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS room (id TEXT PRIMARY KEY, core TEXT NOT NULL, epoch TEXT NOT NULL, compat TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS member (room TEXT NOT NULL, principal TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (room, principal)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS invite (room TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (room, id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS mailbox (principal TEXT PRIMARY KEY, next INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS directory (principal TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS account (username TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS factor (username TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS answered (principal TEXT NOT NULL, req_id INTEGER NOT NULL, digest BLOB NOT NULL, seq INTEGER NOT NULL, reply BLOB NOT NULL, PRIMARY KEY (principal, req_id, digest)) WITHOUT ROWID;
  `);
  const allAccounts = db.prepare<[], { username: string; json: string }>('SELECT username, json FROM account');
  const insAccount = db.prepare<[string, string]>('INSERT INTO account (username, json) VALUES (?, ?)');
  const getFactors = db.prepare<[string], { json: string }>('SELECT json FROM factor WHERE username = ?');
  const putFactors = db.prepare<[string, string]>('INSERT OR REPLACE INTO factor (username, json) VALUES (?, ?)');
  const logLen = db.prepare<[Bytes], { n: number | null }>('SELECT max(idx) AS n FROM log WHERE room = ?');
  const insLog = db.prepare<[Bytes, number, number | null, Bytes]>('INSERT INTO log (room, idx, epoch, payload) VALUES (?, ?, ?, ?)');
  const range = db.prepare<[Bytes, number, number], { idx: number; epoch: number | null; payload: Buffer }>('SELECT idx, epoch, payload FROM log WHERE room = ? AND idx >= ? AND idx <= ? ORDER BY idx');
  const insMail = db.prepare<[Bytes, number, string]>('INSERT INTO mail (principal, idx, entry) VALUES (?, ?, ?)');
  const mailFrom = db.prepare<[Bytes, number, number], { entry: string }>('SELECT entry FROM mail WHERE principal = ? AND idx >= ? ORDER BY idx LIMIT ?');
  const mailEnd = db.prepare<[Bytes], { n: number | null }>('SELECT max(idx) AS n FROM mail WHERE principal = ?');
  const insOutbox = db.prepare<[string]>('INSERT INTO outbox (entry) VALUES (?)');
  const allOutbox = db.prepare<[], { seq: number; entry: string }>('SELECT seq, entry FROM outbox ORDER BY seq');
  const dropOutbox = db.prepare<[number]>('DELETE FROM outbox WHERE seq <= ?');
  const state = stateTables(db, getMeta, putMeta);
  /** Each room's last log index, as far as this process appended it (in the open transaction too). */
  const logEnds = new Map<string, number>();
  const u8 = (b: Buffer): Bytes => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

  return {
    append(roomId, index, payload, epoch) {
      // the log's length is read once per room and then followed (issue 23: not one query per append); a rollback forgets it
      const key = idKey(roomId);
      const n = logEnds.get(key) ?? logLen.get(roomId)?.n ?? 0;
      if (index !== n + 1) throw new Error(`log append out of order: ${index} after ${n}`);
      insLog.run(roomId, index, epoch ?? null, payload);
      logEnds.set(key, index);
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
    accounts: () => new Map(allAccounts.all().map((r) => [r.username, fromJson<Verifier>(r.json)])),
    saveAccount: (v) => void insAccount.run(v.username, toJson(v)),
    factors(username) {
      const row = getFactors.get(username);
      return row === undefined ? undefined : factorsFromJson(row.json);
    },
    saveFactors: (username, f) => void putFactors.run(username, factorsToJson(f)),
    saveState: state.save,
    loadState: state.load,
    atomically(f, single = false) {
      // inside a batch (begin ... commit) this is a savepoint: durable only when the batch commits
      const outer = db.inTransaction;
      const before = state.pending();
      try {
        // issue 23: a step that appends one entry needs no savepoint: its one INSERT fails whole or not at all
        if (outer && single) return f();
        const r = db.transaction(() => {
          const out = f();
          if (!outer) state.writePending(); // its own transaction: the state it saved is written before it commits
          return out;
        })();
        if (!outer) state.committed();
        return r;
      } catch (e) {
        if (outer) state.restore(before);
        else state.rolledBack();
        logEnds.clear();
        throw e;
      }
    },
    begin: () => void db.exec('BEGIN IMMEDIATE'),
    commit() {
      state.writePending();
      db.exec('COMMIT');
      state.committed();
    },
    rollback() {
      if (db.inTransaction) db.exec('ROLLBACK');
      state.rolledBack();
      logEnds.clear();
    },
    meta: (key) => getMeta.get(key)?.value,
    setMeta: (key, value) => void putMeta.run(key, value),
    outboxAdd: (entry) => Number(insOutbox.run(toJson(entry)).lastInsertRowid),
    outbox: () => allOutbox.all().map((r) => ({ seq: r.seq, entry: fromJson<OutboxEntry>(r.entry) })),
    outboxDrop: (seq) => void dropOutbox.run(seq),
    integrityOk: () => db.pragma('integrity_check', { simple: true }) === 'ok',
    close: () => db.close(),
  };
}
