/**
 * The server processes of `npm run bench:relay` (bench-relay.ts): each server compared runs in a
 * child process of its own, so that its CPU time and memory are its own: the live relay, a bare
 * `ws` broadcast server, and bare+seal (bare, sealing each delivery under the recipient
 * connection's transport keys). The parent asks for `stats` and says `exit` over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GCProfiler } from 'node:v8';
import { WebSocket, WebSocketServer } from 'ws';
import { utf8, type Bytes } from '../../../impl/bytes.ts';
import { nodeCrypto } from '../../../impl/crypto/node.ts';
import { sealFrame } from '../../../impl/protocol/transport.ts';
import { startRelay } from '../relay.ts';

const c = nodeCrypto;
const HERE = fileURLToPath(import.meta.url);

/**
 * The servers compared: the relay, bare `ws` plus the per-delivery transport seal, that plus a
 * durable SQLite append per group commit (the floor for a relay with durable history), bare `ws`.
 */
export type Mode = 'pqroom' | 'sealed' | 'sealedFsync' | 'bare';
export const MODE_NAME: Record<Mode, string> = { pqroom: 'pqroom', sealed: 'bare+seal', sealedFsync: 'bare+seal+fsync', bare: 'bare' };

export interface Stats {
  readonly cpuUs: number;
  readonly rss: number;
  /** The mark-compacts of the server process since the stats before (V8's GCProfiler; the forced collection `stats` makes is not one of them), or 0. */
  readonly markCompacts: number;
}

function stats(): Stats {
  (globalThis as { gc?: () => void }).gc?.();
  const u = process.cpuUsage();
  const kids = childStats();
  return { cpuUs: u.user + u.system + kids.cpuUs, rss: process.memoryUsage().rss + kids.rss, markCompacts: 0 };
}

/** CPU time and RSS of this process's child processes (the relay's shard workers, `--workers` above 1), from Linux's /proc; none elsewhere. */
function childStats(): Omit<Stats, 'markCompacts'> {
  let cpuUs = 0;
  let rss = 0;
  try {
    for (const pid of readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').split(' ').filter(Boolean)) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
      cpuUs += (Number(f[11]) + Number(f[12])) * 10_000; // utime + stime, in ticks of 10 ms (USER_HZ 100)
      rss += Number(f[21]) * 4096; // pages
    }
  } catch {
    // no /proc, or a child gone between the two reads: what was read so far
  }
  return { cpuUs, rss };
}

/** What every row of the relay benchmark measures (bench-relay.ts, bench-realistic.ts). */
export interface Measured {
  /** The size of a frame carrying one delivery alone. */
  readonly frameBytes: number;
  /** Deliveries per frame the members received (pqroom batches a group commit's deliveries, REQ-TRN-010). */
  readonly deliveriesPerFrame: number;
  readonly messages: number;
  readonly deliveries: number;
  readonly seconds: number;
  readonly deliveredPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Server CPU (user + system, shard workers included) per delivery, µs. */
  readonly serverCpuUsPerDelivery: number;
  /** Server CPU over wall time of the phase. */
  readonly serverCpuShare: number;
  /** Client-process CPU over wall time. */
  readonly clientCpuShare: number;
  /** Server RSS growth per connection, KiB. */
  readonly memPerConnKiB: number;
  /** The server process's mark-compacts in the measured phase (its shard workers' not counted). */
  readonly markCompacts: number;
}

/** The child: a bare broadcast server or the live relay, answering `stats` and `exit` over IPC. */
async function serve(mode: string, db: string, workers: number): Promise<void> {
  let port: number;
  let close: () => Promise<void>;
  if (mode === 'bare' || mode === 'sealed' || mode === 'sealedFsync') {
    const http = createServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 1 << 20 });
    // bare+seal: one key and sequence number per connection, as a relay connection's r2c direction
    const keys = new Map<WebSocket, { key: Bytes; seq: number }>();
    let n = 0;
    // rooms (bench-realistic.ts): a connection that says `rooms 4,5,6` (a text message, answered) is in those rooms, and its
    // binary messages start with their room's number (u32): each goes to every connection of that room, its sender's included
    // (the relay echoes a message to its sender, REQ-REL-031). With no room said, a message goes to every other connection.
    const rooms = new Map<number, WebSocket[]>();
    const broadcast = (ws: WebSocket, data: Buffer, isBinary: boolean): void => {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      for (const other of rooms.size > 0 ? (rooms.get(data.readUInt32BE(0)) ?? []) : wss.clients) {
        if ((other === ws && rooms.size === 0) || other.readyState !== WebSocket.OPEN) continue;
        if (mode === 'bare') other.send(data, { binary: isBinary });
        else {
          const k = keys.get(other)!;
          other.send(sealFrame(c, k.key, k.seq++, bytes), { binary: true });
        }
      }
    };
    // bare+seal+fsync: every frame appended to a log table in SQLite (WAL, synchronous = FULL, as the
    // relay's store), the frames read in one turn of the event loop committed together, and none
    // broadcast before its commit returned: the relay's group commit (REQ-REL-050) and nothing else
    const durable = mode === 'sealedFsync' ? groupCommitLog(db) : undefined;
    wss.on('connection', (ws) => {
      keys.set(ws, { key: c.sha256(utf8(`bench connection ${n++}`)), seq: 0 });
      ws.on('close', () => keys.delete(ws));
      ws.on('message', (data: Buffer, isBinary) => {
        if (!isBinary) {
          for (const r of String(data).slice('rooms '.length).split(',')) rooms.set(Number(r), [...(rooms.get(Number(r)) ?? []), ws]);
          return ws.send('in');
        }
        if (durable) durable(data, () => broadcast(ws, data, isBinary));
        else broadcast(ws, data, isBinary);
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    port = (http.address() as AddressInfo).port;
    close = () => new Promise<void>((r) => (wss.close(), http.close(() => r())));
  } else {
    const relay = await startRelay({ port: 0, db, profile: 'hardened', log: process.env.BENCH_RELAY_LOG ? (line: string) => process.stderr.write(`${line}\n`) : () => {}, config: { rate: 1e9, burst: 1e9 }, ...(workers > 1 ? { workers } : {}) });
    port = relay.port;
    close = () => relay.close();
  }
  // BENCH_PROF=FILE: a CPU profile of the server over the measured phase (between the 2nd and 3rd `stats`)
  const session = process.env.BENCH_PROF ? new (await import('node:inspector')).Session() : undefined;
  // BENCH_HEAPPROF=FILE: V8's sampling heap profile of the same phase, every allocation counted (the ones collected
  // since too): where the JavaScript heap's bytes per message are allocated (ArrayBuffers' contents are not in it)
  const heap = process.env.BENCH_HEAPPROF ? new (await import('node:inspector')).Session() : undefined;
  let asked = 0;
  let gcs: GCProfiler | undefined;
  process.on('message', (m: unknown) => {
    if (m === 'stats') {
      asked++;
      if (session && asked === 3) {
        session.connect();
        session.post('Profiler.enable', () => session.post('Profiler.start'));
      }
      if (session && asked === 4) session.post('Profiler.stop', (_e, r) => writeFileSync(`${process.env.BENCH_PROF}.${mode}.cpuprofile`, JSON.stringify(r.profile)));
      if (heap && asked === 3) {
        heap.connect();
        heap.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
      }
      if (heap && asked === 4) heap.post('HeapProfiler.stopSampling', (_e, r) => writeFileSync(`${process.env.BENCH_HEAPPROF}.${mode}.heapprofile`, JSON.stringify(r.profile)));
      // the measured phase's mark-compacts (issue 23: whether V8 marked the heap back to back moves the relay's CPU by a third)
      const markCompacts = asked === 4 && gcs ? gcs.stop().statistics.filter((g) => g.gcType === 'MarkSweepCompact').length : 0;
      process.send!({ stats: { ...stats(), markCompacts } });
      if (asked === 3) (gcs = new GCProfiler()).start();
    }
    if (m === 'exit') void close().then(() => process.exit(0));
  });
  process.send!({ port });
}

/**
 * A log in SQLite with the relay store's durability (WAL, `synchronous = FULL`) and its group
 * commit: the first frame of a turn of the event loop opens a transaction, every frame is one
 * INSERT, the commit runs on `setImmediate`, and each frame's `then` runs after its commit.
 */
function groupCommitLog(file: string): (frame: Bytes, then: () => void) => void {
  const db = new Database(`${file}.fsync.db`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS log (idx INTEGER PRIMARY KEY, payload BLOB NOT NULL)');
  const ins = db.prepare<[Bytes]>('INSERT INTO log (payload) VALUES (?)');
  let batch: (() => void)[] | undefined;
  const commit = (): void => {
    const done = batch!;
    batch = undefined;
    db.exec('COMMIT');
    for (const f of done) f();
  };
  return (frame, then) => {
    if (!batch) {
      db.exec('BEGIN IMMEDIATE');
      batch = [];
      setImmediate(commit);
    }
    ins.run(frame);
    batch.push(then);
  };
}

/** A server child process and its IPC. */
export interface ServerProc {
  readonly port: number;
  stats(): Promise<Stats>;
  stop(): Promise<void>;
}

/**
 * A server in a child process; the relay (`pqroom`) with `workers` shard workers (its CPU and memory theirs included).
 * BENCH_SERVER_FLAGS: more node options for the server process, space-separated (`--trace-gc`,
 * `--max-semi-space-size=4`: what V8's collector does in the server, and what a flag changes).
 */
export function spawnServer(mode: Mode, db: string, workers = 1): Promise<ServerProc> {
  const child: ChildProcess = fork(HERE, ['--serve', mode, db, String(workers)], { execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  child.on('message', (m) => waiters.shift()?.(m as Record<string, unknown>));
  const next = () => new Promise<Record<string, unknown>>((r) => waiters.push(r));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
    void next().then((m) =>
      resolve({
        port: m.port as number,
        stats: () => {
          const p = next();
          child.send('stats');
          return p.then((x) => x.stats as Stats);
        },
        stop: () =>
          new Promise<void>((r) => {
            child.removeAllListeners('exit');
            child.once('exit', () => r());
            child.send('exit');
          }),
      }),
    );
  });
}

if (process.argv[1] === HERE && process.argv[2] === '--serve') void serve(process.argv[3]!, process.argv[4]!, Number(process.argv[5] ?? 1));
