/**
 * `npm run bench:relay -- --workers 1,2`: the live relay serving many small rooms at once, with
 * each number of shard workers (spec 8.13), one after the other in one invocation, each
 * `--reps` times, then medians; the ratio of each row to the first row's throughput is the
 * median of the per-repetition ratios. Not a test: nothing here asserts a time.
 *
 * Fixture (stated in the output): `--rooms` rooms (default 1,000) of 3 members. There are as
 * many principals as rooms, one connection each: principal i owns room i and is a member of the
 * rooms of i-1 and i-2, so every room has 3 members on 3 connections and every message is
 * delivered to all 3: the 2 members and, as its echo, the sender (REQ-REL-031). Rooms are created from real genesis commits by the relay's own
 * request handling and their members written into the relay state of the room's shard directly
 * (as bench-relay.ts does). Every owner keeps `--window` messages in flight (default 2): all
 * rooms active at once. Each owner's one signed message is sent again and again (the relay
 * neither opens nor deduplicates them). The relay runs in a child process (its shard workers in
 * theirs), the 1,000 client connections in this one, on the same machine: the clients' work
 * competes with the relay's for the cores.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex, utf8, type Bytes } from '../../../impl/bytes.ts';
import { decode, encode, peekType } from '../../../impl/codec.ts';
import { nodeCrypto } from '../../../impl/crypto/node.ts';
import { INITIAL_INIT_SECRET } from '../../../impl/keyschedule.ts';
import { MsgType, RoomDelivery, Send } from '../../../impl/messages/index.ts';
import { buildCommit, ownerEpochKeys, ZERO_HASH } from '../../../impl/protocol/commit.ts';
import { epochRecordOf, newGroupView, prepareMessage, type GroupView } from '../../../impl/protocol/group.ts';
import { createIdentity, memberRecordOf, type Identity } from '../../../impl/protocol/identity.ts';
import { emptyRelay, handleRequest, type RelayState } from '../../../impl/protocol/relay-state.ts';
import { deterministicRng } from '../../../impl/rng.ts';
import { startRelay } from '../relay.ts';
import { dialSession, type Session } from '../session-client.ts';
import { shardOf } from '../shards/protocol.ts';
import { shardDb } from '../shards/front.ts';
import { sqliteStore } from '../sqlite-store.ts';

const c = nodeCrypto;
const HERE = fileURLToPath(import.meta.url);

/** The fixture: principals, rooms (genesis and state), each owner's message. */
export interface Fixture {
  readonly ids: Identity[];
  readonly roomIds: Bytes[];
  readonly genesis: Bytes[];
  readonly state: RelayState;
  readonly messages: Bytes[];
  /** Each room's members (indexes into `ids`), its owner first. */
  readonly members: number[][];
  /** Each room's group view at its genesis (to sign more messages with). */
  readonly views: GroupView[];
}

/**
 * `rooms` rooms of `size` members over max(rooms, size) principals: principal i owns room i, whose
 * other members are principals i+1 .. i+size-1 (modulo the principals).
 */
export function fixture(rooms: number, size = 3): Fixture {
  const rng = deterministicRng(utf8(`pqroom bench workers ${rooms}${size === 3 ? '' : ` of ${size}`}`));
  const principals = Math.max(rooms, size);
  const ids = Array.from({ length: principals }, () => createIdentity(c, rng));
  let state = emptyRelay('hardened');
  const roomIds: Bytes[] = [];
  const genesis: Bytes[] = [];
  const messages: Bytes[] = [];
  const roomMembers: number[][] = [];
  const views: GroupView[] = [];
  for (let i = 0; i < rooms; i++) {
    const owner = ids[i]!;
    const roomId = rng.bytes(16);
    const g = buildCommit(c, rng, { roomId, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(owner, 'owner', 0)], removes: [], roster: [], heads: [], owner });
    const r = handleRequest(c, state, owner.fp, { name: 'CreateRoom', value: { req_id: 1, room_id: roomId, profile: 'hardened', payload: g.commit.bytes } }, 0);
    if (r.rejected) throw new Error(`the relay refused a genesis: ${r.rejected}`);
    const key = toHex(roomId);
    const room = r.state.rooms[key]!;
    const members = { ...room.members };
    roomMembers.push(Array.from({ length: size }, (_, j) => (i + j) % principals));
    for (const m of roomMembers[i]!.slice(1)) members[toHex(ids[m]!.fp)] = { role: 'member', addedIndex: 1, addedEpoch: 0 };
    state = { ...r.state, rooms: { ...r.state.rooms, [key]: { ...room, members } } };
    const view = newGroupView(roomId, owner.fp, epochRecordOf(c, g.commit, g.roster, ownerEpochKeys(c, g, INITIAL_INIT_SECRET)));
    views.push(view);
    messages.push(prepareMessage(c, rng, view, owner, { sent_at: 0, text: 'x'.repeat(200) }).message.bytes);
    roomIds.push(roomId);
    genesis.push(g.commit.bytes);
  }
  return { ids, roomIds, genesis, state, messages, members: roomMembers, views };
}

/** Writes the fixture's rooms into the database files of a relay of `workers` workers at `db`. */
export function seed(f: Fixture, db: string, workers: number): void {
  for (let k = 0; k < workers; k++) {
    const store = sqliteStore(workers === 1 ? db : shardDb(db, k, workers));
    const rooms: Record<string, RelayState['rooms'][string]> = {};
    store.atomically(() => {
      f.roomIds.forEach((id, i) => {
        if (workers > 1 && shardOf(id, workers) !== k) return;
        const key = toHex(id);
        rooms[key] = f.state.rooms[key]!;
        store.append(id, 1, f.genesis[i]!, 0);
      });
      store.saveState({ ...f.state, rooms });
    });
    store.close();
  }
  if (workers > 1) {
    const front = sqliteStore(db);
    front.setMeta('workers', String(workers));
    front.close();
  }
}

/** The relay of `workers` workers on `db` in a child process: its port, and its stop. */
function spawnRelay(db: string, workers: number): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = fork(HERE, ['--serve', db, String(workers)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the relay exited with ${code}`)));
    child.once('message', (m) => {
      resolve({
        port: (m as { port: number }).port,
        stop: () =>
          new Promise<void>((r) => {
            child.removeAllListeners('exit');
            child.once('exit', () => r());
            child.send('exit');
          }),
      });
    });
  });
}

async function serve(db: string, workers: number): Promise<void> {
  const relay = await startRelay({ port: 0, db, profile: 'hardened', workers, log: () => {}, config: { rate: 1e9, burst: 1e9 } });
  process.on('message', (m) => m === 'exit' && void relay.close().then(() => process.exit(0)));
  process.send!({ port: relay.port });
}

/** One measured row. */
interface Row {
  readonly workers: number;
  readonly deliveries: number;
  readonly seconds: number;
  readonly deliveredPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Client-process CPU over wall time. */
  readonly clientCpuShare: number;
  /** 1-minute load average when the row started. */
  readonly load: number;
}

export const quantile = (xs: Float64Array, q: number): number => Float64Array.from(xs).sort()[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

async function measure(f: Fixture, workers: number, perRoom: number, window: number, rep: number, dir: string): Promise<Row> {
  const rooms = f.roomIds.length;
  const db = join(dir, `w${workers}-r${rep}.db`);
  seed(f, db, workers);
  const relay = await spawnRelay(db, workers);
  const sessions: Session[] = [];
  try {
    const url = `ws://127.0.0.1:${relay.port}`;
    const relayPk = fromHex((await (await fetch(`http://127.0.0.1:${relay.port}/relay-key`)).text()).trim());
    const roomOf = new Map(f.roomIds.map((id, i) => [toHex(id), i]));
    const sent = new Uint32Array(rooms);
    const got = new Uint32Array(rooms);
    const sendAt = new Float64Array(rooms * perRoom);
    const latency = new Float64Array(rooms * perRoom * 3);
    let deliveries = 0;
    let done = 0;
    let finish: (() => void) | undefined;
    let rejected: string | undefined;
    const pump = (r: number): void => {
      while (sent[r]! < perRoom && sent[r]! * 3 - got[r]! < window * 3) {
        sendAt[r * perRoom + sent[r]!] = performance.now();
        sessions[r]!.send(encode(Send, { req_id: 2 + sent[r]!, room_id: f.roomIds[r]!, payload: f.messages[r]! }));
        sent[r]!++;
      }
    };
    const onInner = (inner: Bytes): void => {
      const t = peekType(inner);
      if (t === MsgType.Reject) rejected ??= toHex(inner.subarray(0, 64));
      if (t !== MsgType.RoomDelivery) return;
      const d = decode(RoomDelivery, inner);
      const r = roomOf.get(toHex(d.room_id));
      if (r === undefined || d.index < 2) return;
      latency[deliveries++] = performance.now() - sendAt[r * perRoom + Number(d.index) - 2]!;
      if (++got[r]! === perRoom * 3 && ++done === rooms) finish?.();
      pump(r);
    };
    for (let i = 0; i < rooms; i += 32) sessions.push(...(await Promise.all(f.ids.slice(i, i + 32).map((identity) => dialSession({ url, crypto: c, profile: 'hardened', identity, relayPk, onInner })))));
    const load = loadavg()[0]!;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${done} of ${rooms} rooms complete${rejected ? `; rejected ${rejected}` : ''}`)), 300_000);
      finish = () => {
        clearTimeout(timer);
        resolve();
      };
      for (let r = 0; r < rooms; r++) pump(r);
    });
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (rejected) throw new Error(`the relay rejected a message: ${rejected}`);
    return { workers, deliveries, seconds: ms / 1000, deliveredPerSecond: deliveries / (ms / 1000), p50Ms: quantile(latency.subarray(0, deliveries), 0.5), p99Ms: quantile(latency.subarray(0, deliveries), 0.99), clientCpuShare: (cpu.user + cpu.system) / 1000 / ms, load };
  } finally {
    for (const s of sessions) s.close();
    await relay.stop();
  }
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The comparison; its report lines go to `out`, and to `file` when given. */
export async function benchWorkers(o: { workers: readonly number[]; rooms: number; perRoom: number; window: number; reps: number; command: string; file?: string | undefined }, out: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pqroom-bench-workers-'));
  const lines: string[] = [];
  const keep = (l: string): void => {
    out(l);
    lines.push(l);
  };
  try {
    const t0 = Date.now();
    const f = fixture(o.rooms);
    keep(`# Relay benchmark: ${o.rooms} rooms of 3, by number of workers`);
    keep('');
    keep(`\`${o.command}\` on node ${process.version}, ${cpus().length} cpus (${cpus()[0]?.model ?? 'unknown'}), loopback; fixture made in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
    keep(`${o.rooms} rooms of 3 members on ${o.rooms} connections (principal i owns room i and is a member of rooms i-1 and i-2), every owner sending ${o.perRoom} messages with ${o.window} in flight, all rooms at once: ${o.rooms * o.perRoom * 3} deliveries per row (the sender's echo included).`);
    keep(`Each number of workers is measured ${o.reps} time(s), the rows one after the other in each repetition; the table gives medians, and 'vs ${o.workers[0]}' is the median of each repetition's ratio to the first row's throughput. 'load' is the machine's 1-minute load average as the row started (other work on the machine included).`);
    keep('');
    keep(`| rooms of 3 | workers | delivered/s | vs ${o.workers[0]} | p50 ms | p99 ms | client CPU | load |`);
    keep('|---:|---:|---:|---:|---:|---:|---:|---:|');
    const runs = new Map<number, Row[]>(o.workers.map((w) => [w, []]));
    for (let rep = 0; rep < o.reps; rep++) for (const w of o.workers) runs.get(w)!.push(await measure(f, w, o.perRoom, o.window, rep, dir));
    const base = runs.get(o.workers[0]!)!;
    for (const w of o.workers) {
      const rs = runs.get(w)!;
      const med = (g: (r: Row) => number) => median(rs.map(g));
      const ratio = median(rs.map((r, i) => r.deliveredPerSecond / base[i]!.deliveredPerSecond));
      keep(`| ${o.rooms} | ${w} | ${med((r) => r.deliveredPerSecond).toFixed(0)} | ${ratio.toFixed(2)} | ${med((r) => r.p50Ms).toFixed(1)} | ${med((r) => r.p99Ms).toFixed(1)} | ${(med((r) => r.clientCpuShare) * 100).toFixed(0)}% | ${med((r) => r.load).toFixed(2)} |`);
    }
    keep('');
    keep('With N > 1 the front process keeps the sockets, handshakes and sealing and N shard processes the relay machine and SQLite (spec 8.13);');
    keep("with 1 the relay is one process. The clients (opening every delivery's frame) run in the benchmark's process on the same cores.");
    if (o.file !== undefined) {
      mkdirSync(dirname(o.file), { recursive: true });
      writeFileSync(o.file, `${lines.join('\n')}\n`);
      out(`\nwritten to ${o.file}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === HERE && process.argv[2] === '--serve') void serve(process.argv[3]!, Number(process.argv[4]));
