/**
 * The front's half of `pqroom relay --workers N` (spec 8.13): it starts one shard worker
 * process per shard (worker.ts), each on a database file of its own, routes the relay
 * machine's events to them (a request by its room id, or by the principal whose mailbox or
 * directory entry it reads or writes; connections to every shard), forwards mailbox entries
 * between them (REQ-REL-051), and restarts a worker that died (REQ-REL-052).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Bytes } from '../../../impl/bytes.ts';
import type { Profile } from '../../../impl/suite.ts';
import type { RelayEffect, RelayEvent } from '../../../machines/events.ts';
import type { RelayConfig } from '../../../machines/relay.ts';
import { sqliteStore } from '../sqlite-store.ts';
import { shardOf, type Forward, type FromShard, type ToShard } from './protocol.ts';

/** The database file of shard `k` of `count` beside the front's `db` (`:memory:` stays in memory). */
export function shardDb(db: string, k: number, count: number): string {
  return db === ':memory:' ? db : `${db}.shard${k + 1}-of-${count}`;
}

/** The number of workers the relay database `db` was made with (spec 8.13), if it exists and says. */
export function workersOf(db: string): number | undefined {
  if (db === ':memory:' || !existsSync(db)) return undefined;
  const store = sqliteStore(db);
  try {
    const made = store.meta('workers');
    if (made !== undefined) return Number(made);
    const saved = store.loadState();
    return saved !== undefined && Object.keys(saved.rooms).length > 0 ? 1 : undefined;
  } finally {
    store.close();
  }
}

/** The running shards. */
export interface ShardSet {
  /** An event for the relay machine: to the shard (or shards) it belongs to. */
  feed(event: RelayEvent): void;
  /** Rooms on the shards, as last reported. */
  rooms(): number;
  /** Rooms on each shard, as last reported. */
  shardRooms(): number[];
  /** Shards up now. */
  up(): number;
  /** Worker restarts so far. */
  restarts(): number;
  /** The workers' process ids (a test kills one). */
  pids(): (number | undefined)[];
  /** Resolves once shard `k` is up (again). */
  whenUp(k: number): Promise<void>;
  /** Stops every worker after its last commit. */
  close(): Promise<void>;
}

export interface ShardOptions {
  /** The front's database file; shard k's is {@link shardDb}. */
  readonly db: string;
  readonly count: number;
  readonly profile: Profile;
  readonly config?: Partial<RelayConfig>;
  /** What a shard's relay machine decided, after its commit. */
  readonly carryOut: (effects: readonly RelayEffect[]) => void;
  readonly log: (level: string, msg: string, fields?: Record<string, unknown>) => void;
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface Shard {
  child?: ChildProcess;
  up: boolean;
  rooms: number;
  /** Events of this turn of the event loop, sent together. */
  pending: RelayEvent[];
  waiters: (() => void)[];
  /** When its worker started, and the wait before the next restart (doubled while it keeps dying young). */
  startedAt: number;
  backoffMs: number;
  restart?: NodeJS.Timeout;
}

/** Starts `count` shard workers; resolves once every one is up. */
export async function startShards(o: ShardOptions): Promise<ShardSet> {
  const shards: Shard[] = Array.from({ length: o.count }, () => ({ up: false, rooms: 0, pending: [], waiters: [], startedAt: 0, backoffMs: 100 }));
  /** Authenticated connections and their principals: every shard's relay machine knows them all, to push to them. */
  const conns = new Map<string, Bytes>();
  let restarts = 0;
  let closing = false;
  let flushing = false;

  const send = (k: number, m: ToShard): void => {
    const s = shards[k]!;
    if (s.up && s.child?.connected) s.child.send(m);
  };
  const flush = (): void => {
    flushing = false;
    shards.forEach((s, k) => {
      if (s.pending.length === 0) return;
      const events = s.pending;
      s.pending = [];
      send(k, { t: 'events', events });
    });
  };
  const queue = (k: number, e: RelayEvent): void => {
    // a shard that is down loses what is sent to it meanwhile: nothing of it was acknowledged, and clients retransmit (REQ-MEM-025)
    if (!shards[k]!.up) return;
    shards[k]!.pending.push(e);
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  };
  const forward = (f: Forward): void => send(f.home, { t: 'forward', origin: f.origin, seq: f.seq, entry: f.entry });

  const onMessage = (k: number, m: FromShard): void => {
    const s = shards[k]!;
    switch (m.t) {
      case 'ready': {
        s.up = true;
        s.rooms = m.rooms;
        // a (re)started shard learns the open connections, gets the mail the others hold for it, and forwards its own
        for (const [conn, principal] of conns) s.pending.push({ type: 'conn.open', conn, principal, now: Date.now() });
        flush();
        for (const f of m.forwards) forward(f);
        shards.forEach((_, j) => j !== k && send(j, { t: 'resend' }));
        for (const w of s.waiters.splice(0)) w();
        o.log('info', 'shard up', { shard: k + 1, of: o.count, rooms: m.rooms, pid: s.child?.pid });
        break;
      }
      case 'out':
        s.rooms = m.rooms;
        o.carryOut(m.effects);
        for (const f of m.forwards) forward(f);
        for (const d of m.done) send(d.origin, { t: 'done', seq: d.seq });
        break;
      case 'log':
        o.log(m.level, m.msg, { shard: k + 1, error: m.error });
        break;
      case 'stopped':
        break;
    }
  };

  const spawn = (k: number): void => {
    const child = fork(WORKER, [shardDb(o.db, k, o.count), String(k), String(o.count), o.profile, JSON.stringify(o.config ?? {})], {
      execArgv: ['--import', TSX],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const s = shards[k]!;
    s.child = child;
    s.startedAt = Date.now();
    child.on('message', (m) => onMessage(k, m as FromShard));
    child.once('exit', (code, signal) => {
      s.up = false;
      s.pending = [];
      if (closing) return;
      // REQ-REL-052: the supervisor restarts a worker that died; it resumes from its file
      restarts++;
      // a worker that keeps dying young (a broken file, say) is restarted ever more slowly, up to every 10 s
      s.backoffMs = Date.now() - s.startedAt < 10_000 ? Math.min(10_000, s.backoffMs * 2) : 100;
      o.log('error', 'shard worker died; restarting it', { shard: k + 1, code, signal, inMs: s.backoffMs });
      s.restart = setTimeout(() => !closing && spawn(k), s.backoffMs);
    });
  };

  const whenUp = (k: number): Promise<void> => (shards[k]!.up ? Promise.resolve() : new Promise((r) => shards[k]!.waiters.push(r)));
  shards.forEach((_, k) => spawn(k));
  await Promise.all(shards.map((_, k) => whenUp(k)));

  const principalShard = (conn: string): number => {
    const p = conns.get(conn);
    return p === undefined ? 0 : shardOf(p, o.count);
  };
  return {
    feed(e) {
      switch (e.type) {
        case 'conn.open':
          conns.set(e.conn, e.principal);
          shards.forEach((_, k) => queue(k, e));
          break;
        case 'conn.close':
          conns.delete(e.conn);
          shards.forEach((_, k) => queue(k, e));
          break;
        case 'admin.shutdown':
          shards.forEach((_, k) => queue(k, e));
          break;
        case 'net.malformed':
          queue(principalShard(e.conn), e);
          break;
        case 'mail.forwarded':
          break; // made by the shards themselves
        case 'net.request': {
          const r = e.request;
          // spec 8.13: a room's requests to its shard; the directory and mailboxes by principal
          const k =
            r.name === 'PublishKeys' || r.name === 'FetchMailbox' ? principalShard(e.conn) : r.name === 'GetKeys' ? shardOf(r.value.member_id, o.count) : shardOf(r.value.room_id, o.count);
          queue(k, e);
          break;
        }
      }
    },
    rooms: () => shards.reduce((n, s) => n + s.rooms, 0),
    shardRooms: () => shards.map((s) => s.rooms),
    up: () => shards.filter((s) => s.up).length,
    restarts: () => restarts,
    pids: () => shards.map((s) => s.child?.pid),
    whenUp,
    async close() {
      closing = true;
      for (const s of shards) clearTimeout(s.restart);
      flush();
      await Promise.all(
        shards.map(
          (s) =>
            new Promise<void>((resolve) => {
              const child = s.child;
              if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
              const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
              child.once('exit', () => {
                clearTimeout(t);
                resolve();
              });
              if (child.connected) child.send({ t: 'stop' } satisfies ToShard);
              else child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
