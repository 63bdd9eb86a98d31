/**
 * The realistic rows of `npm run bench:relay` (bench-relay.ts), issue 23: rooms where more than
 * the owner sends and many rooms active at once, pqroom against bare+seal and bare doing the
 * same fan-out, each server in a child process of its own (bench-servers.ts). Not a test:
 * nothing here asserts a time.
 *
 * - `all-send`, "10 (all send)": one room of `--senders` members (default 10), every member
 *   sending on its own connection and keeping `--window` messages in flight.
 * - `rooms`, "1000×3": `--rooms` rooms of 3 (default 1,000) on as many connections, all active at
 *   once: principal i owns room i and is a member of rooms i-1 and i-2; every owner sends
 *   `--per-room` messages with `--window` in flight (default 2). pqroom runs with 1 worker and
 *   each count of `--workers`.
 *
 * Every message is delivered to every member of its room, its sender included: the relay
 * acknowledges a `Send` and echoes it to its sender (REQ-REL-031, REQ-REL-035), so a message
 * makes 10 deliveries in the room of 10 and 3 in a room of 3, and the bare servers echo too
 * (bench-servers.ts, rooms). bare+seal seals each delivery in a frame of its own under the
 * recipient connection's keys; bare sends the frame as it came. Bare frames are the size of the
 * frame that carried one pqroom delivery alone, their first 4 bytes the room, and a few bytes
 * longer per sender (fewer bytes than the senders a receiver hears from) so that a receiver tells whose message it got without opening
 * the frame (a receiver gets each sender's messages in order on every server).
 *
 * Fixture (bench-workers.ts): rooms from real genesis commits through the relay's own request
 * handling, their members written into the relay state directly, a fresh database for every
 * pqroom row; the members authenticate with the real handshake; the relay's rate limit is raised.
 * Every member's messages are signed by it before the measurement (a pool of `--pool` messages
 * shared among the senders of the room of 10; each owner's one message in the rooms of 3), sent
 * again and again: the relay neither opens nor deduplicates them.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { WebSocket } from 'ws';
import { fromHex, toHex, utf8, type Bytes } from '../../../impl/bytes.ts';
import { encode, peekType } from '../../../impl/codec.ts';
import { nodeCrypto } from '../../../impl/crypto/node.ts';
import { MsgType, Send } from '../../../impl/messages/index.ts';
import { prepareMessage } from '../../../impl/protocol/group.ts';
import { sealFrame } from '../../../impl/protocol/transport.ts';
import { deterministicRng } from '../../../impl/rng.ts';
import { MODE_NAME, spawnServer, type Measured, type Mode, type ServerProc } from './bench-servers.ts';
import { fixture, median, quantile, seed, type Fixture } from './bench-workers.ts';
import { dialSession } from '../session-client.ts';

const c = nodeCrypto;

/** The realistic rows. */
export const REALISTIC = ['all-send', 'rooms'] as const;
export type Realistic = (typeof REALISTIC)[number];

export interface RealisticOptions {
  readonly kinds: readonly Realistic[];
  /** all-send: the room's members, every one a sender. */
  readonly senders: number;
  /** all-send: about this many deliveries per server. */
  readonly deliveries: number;
  /** all-send: messages in flight per member. */
  readonly window: number;
  /** all-send: signed messages, shared among the members. */
  readonly pool: number;
  readonly text: number;
  readonly rooms: number;
  readonly perRoom: number;
  /** rooms: messages in flight per owner. */
  readonly roomWindow: number;
  /** rooms: pqroom's worker counts (1 always included). */
  readonly workers: readonly number[];
  readonly reps: number;
}

/** A command-line mistake in the options, or undefined. */
export function realisticMistake(o: RealisticOptions): string | undefined {
  if (o.kinds.some((k) => !REALISTIC.includes(k))) return `--realistic is a list of ${REALISTIC.join(', ')}`;
  if (!(Number.isInteger(o.senders) && o.senders >= 2 && o.senders <= 64)) return '--senders is a whole number 2..64';
  if (!(Number.isInteger(o.rooms) && o.rooms >= 3) || !(Number.isInteger(o.perRoom) && o.perRoom >= 1)) return '--rooms is at least 3, --per-room at least 1';
  if (o.workers.some((w) => !(Number.isInteger(w) && w >= 1 && w <= 64))) return '--workers is a list of whole numbers 1..64';
  if (![o.deliveries, o.window, o.roomWindow, o.pool].every((x) => Number.isInteger(x) && x >= 1)) return '--deliveries, --window and --pool are positive integers';
  return undefined;
}

/** Who sends what where: sender s is principal `who[s]`, sending to room `room[s]` the messages of `pools[s]` in turn. */
interface Plan {
  readonly kind: Realistic;
  readonly label: string;
  readonly f: Fixture;
  readonly who: readonly number[];
  readonly room: readonly number[];
  readonly pools: readonly (readonly Bytes[])[];
  readonly perSender: number;
  readonly window: number;
  /** Each sender's extra bare frame bytes: no two senders a receiver hears from have the same. */
  readonly tag: Uint8Array;
}

function plan(kind: Realistic, o: RealisticOptions): Plan {
  if (kind === 'rooms') {
    const f = fixture(o.rooms);
    const who = f.roomIds.map((_, i) => i);
    return withTags({ kind, label: `${o.rooms}×3`, f, who, room: who, pools: f.messages.map((m) => [m]), perSender: o.perRoom, window: o.roomWindow, tag: new Uint8Array(0) });
  }
  const n = o.senders;
  const f = fixture(1, n);
  const rng = deterministicRng(utf8(`pqroom bench all send ${n}`));
  const perSender = Math.max(Math.ceil(50 / n), Math.ceil(o.deliveries / (n * n)));
  const pools = f.ids.map((id) => {
    let view = f.views[0]!;
    return Array.from({ length: Math.min(perSender, Math.ceil(o.pool / n)) }, (_, i) => {
      const m = prepareMessage(c, rng, view, id, { sent_at: i, text: 'x'.repeat(o.text) });
      view = m.view;
      return m.message.bytes;
    });
  });
  return withTags({ kind, label: `${n} (all send)`, f, who: f.ids.map((_, i) => i), room: f.ids.map(() => 0), pools, perSender, window: o.window, tag: new Uint8Array(0) });
}

/** Gives each sender the smallest tag no sender sharing a receiver with it has. */
function withTags(p: Plan): Plan {
  const tag = new Uint8Array(p.who.length);
  const used = p.f.ids.map(() => new Set<number>());
  p.who.forEach((_, s) => {
    const receivers = p.f.members[p.room[s]!]!;
    let t = 0;
    while (receivers.some((j) => used[j]!.has(t))) t++;
    tag[s] = t;
    for (const j of receivers) used[j]!.add(t);
  });
  return { ...p, tag };
}

/** One measured row. */
export interface RealRow extends Measured {
  /** The row's label in the members column: '10 (all send)', '1000×3'. */
  readonly members: string;
  readonly server: string;
  readonly mode: Mode;
  readonly workers: number;
  /** 1-minute load average as the row started. */
  readonly load: number;
}

/** Counts each sender's messages to every receiver of its room, `window` in flight per sender. */
class Meter {
  readonly sendAt: Float64Array;
  readonly got: Uint32Array;
  readonly sent: Uint32Array;
  readonly completed: Uint32Array;
  /** Per receiver and sender, the next of the sender's messages the receiver gets. */
  readonly next: Uint32Array;
  readonly latency: Float64Array;
  deliveries = 0;
  done = 0;
  error?: string;
  private finish?: () => void;

  constructor(
    readonly p: Plan,
    readonly send: (s: number, k: number) => void,
  ) {
    const n = p.who.length;
    this.sendAt = new Float64Array(n * p.perSender);
    this.got = new Uint32Array(n * p.perSender);
    this.sent = new Uint32Array(n);
    this.completed = new Uint32Array(n);
    this.next = new Uint32Array(p.f.ids.length * n);
    this.latency = new Float64Array(n * p.perSender * p.f.members[0]!.length);
  }

  /** The message of sender `s` that receiver `j` gets next. */
  nextOf(j: number, s: number): number {
    return this.next[j * this.p.who.length + s]!;
  }

  /** Receiver `j` got sender `s`'s next message. */
  deliver(j: number, s: number): void {
    const k = this.next[j * this.p.who.length + s]!++;
    if (k >= this.sent[s]!) return this.fail(`receiver ${j} got a message ${k} sender ${s} has not sent`);
    const at = s * this.p.perSender + k;
    this.latency[this.deliveries++] = performance.now() - this.sendAt[at]!;
    if (++this.got[at]! === this.p.f.members[this.p.room[s]!]!.length) {
      this.completed[s]!++;
      if (++this.done === this.got.length) this.finish?.();
      else this.pump(s);
    }
  }

  /** Ends the run with an error. */
  fail(error: string): void {
    if (this.done === this.got.length) return;
    this.error ??= error;
    this.finish?.();
  }

  pump(s: number): void {
    const p = this.p;
    while (this.sent[s]! < p.perSender && this.sent[s]! - this.completed[s]! < p.window) {
      this.sendAt[s * p.perSender + this.sent[s]!] = performance.now();
      this.send(s, this.sent[s]!++);
    }
  }

  /** The first few senders whose messages some receiver lacks, and what each receiver got. */
  missing(): string {
    const p = this.p;
    const out: string[] = [];
    for (let s = 0; s < p.who.length && out.length < 5; s++)
      if (this.completed[s]! < p.perSender) out.push(`sender ${s} (sent ${this.sent[s]}): ${p.f.members[p.room[s]!]!.map((j) => `${j} got ${this.nextOf(j, s)}`).join(', ')}`);
    return out.join('; ');
  }

  run(timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${this.done} of ${this.got.length} messages delivered to their whole room${this.error ? `; ${this.error}` : ''}; ${this.missing()}`)), timeoutMs);
      this.finish = () => {
        clearTimeout(timer);
        if (this.error) reject(new Error(this.error));
        else resolve(performance.now() - t0);
      };
      for (let s = 0; s < this.p.who.length; s++) this.pump(s);
    });
  }
}

/** The connections of one row: every principal's, and how to send. */
interface Conns {
  send(s: number, k: number): void;
  close(): void;
}

async function measure(p: Plan, mode: Mode, workers: number, server: ServerProc, connect: (m: () => Meter | undefined, frameBytes: (n: number) => void, frame: () => void) => Promise<Conns>): Promise<RealRow> {
  const idle = await server.stats();
  let meter: Meter | undefined;
  let frameBytes = 0;
  let frames = 0;
  const conns = await connect(
    () => meter,
    (n) => (frameBytes ||= n),
    () => meter && frames++,
  );
  const connected = await server.stats();
  meter = new Meter(p, conns.send);
  const load = loadavg()[0]!;
  const cpu0 = process.cpuUsage();
  const before = await server.stats();
  let ms: number;
  try {
    ms = await meter.run(600_000);
  } finally {
    conns.close();
  }
  const after = await server.stats();
  const cpu = process.cpuUsage(cpu0);
  const deliveries = meter.deliveries;
  return {
    members: p.label,
    server: mode === 'pqroom' && workers > 1 ? `pqroom, ${workers} workers` : MODE_NAME[mode],
    mode,
    workers,
    frameBytes,
    deliveriesPerFrame: frames > 0 ? deliveries / frames : 1,
    messages: meter.got.length,
    deliveries,
    seconds: ms / 1000,
    deliveredPerSecond: deliveries / (ms / 1000),
    p50Ms: quantile(meter.latency.subarray(0, deliveries), 0.5),
    p99Ms: quantile(meter.latency.subarray(0, deliveries), 0.99),
    serverCpuUsPerDelivery: (after.cpuUs - before.cpuUs) / deliveries,
    serverCpuShare: (after.cpuUs - before.cpuUs) / 1000 / ms,
    clientCpuShare: (cpu.user + cpu.system) / 1000 / ms,
    memPerConnKiB: (connected.rss - idle.rss) / p.f.ids.length / 1024,
    markCompacts: after.markCompacts,
    load,
  };
}

/** Opens `n` connections, at most 32 handshakes at a time. */
async function connectAll<T>(n: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += 32) out.push(...(await Promise.all(Array.from({ length: Math.min(32, n - i) }, (_, j) => open(i + j)))));
  return out;
}

/**
 * pqroom: every principal's session; a delivery is told by the SHA-256 of its payload (the payload
 * ends the `RoomDelivery`). Not by the payload's last bytes: those end an ML-DSA-65 signature, whose
 * hint section is zero padding and six counts, and two of 1,000 rooms' messages shared their last
 * 16 bytes, so one room's deliveries were counted as another's and the run never ended.
 */
async function pqConns(p: Plan, port: number, m: () => Meter | undefined, size: (n: number) => void, frame: () => void): Promise<Conns> {
  const url = `ws://127.0.0.1:${port}`;
  const relayPk = fromHex((await (await fetch(`http://127.0.0.1:${port}/relay-key`)).text()).trim());
  const overhead = sealFrame(c, new Uint8Array(32), 0, new Uint8Array(0)).length;
  const byPayload = new Map<string, { s: number; i: number }>();
  const lengths = new Set<number>();
  p.pools.forEach((pool, s) =>
    pool.forEach((b, i) => {
      byPayload.set(toHex(c.sha256(b)), { s, i });
      lengths.add(b.length);
    }),
  );
  const pooled = p.pools.reduce((n, pool) => n + pool.length, 0);
  if (byPayload.size !== pooled) throw new Error(`bench: ${pooled - byPayload.size} of the senders' ${pooled} messages are the same bytes as another: deliveries could not be told apart`);
  const idOf = (inner: Bytes): { s: number; i: number } | undefined => {
    for (const n of lengths) {
      const id = n <= inner.length ? byPayload.get(toHex(c.sha256(inner.subarray(inner.length - n)))) : undefined;
      if (id) return id;
    }
    return undefined;
  };
  const sessions = await connectAll(p.f.ids.length, (j) =>
    dialSession({
      url,
      crypto: c,
      profile: 'hardened',
      identity: p.f.ids[j]!,
      relayPk,
      onFrame: frame,
      onClose: (code, why) => m()?.fail(`connection ${j} closed: ${code} ${why}`),
      onInner: (inner) => {
        const meter = m();
        const t = peekType(inner);
        if (t === MsgType.Reject) meter?.fail(`the relay rejected a message: ${toHex(inner.subarray(0, 64))}`);
        if (t !== MsgType.RoomDelivery || !meter) return;
        size(inner.length + overhead);
        const id = idOf(inner);
        if (id === undefined || !p.f.members[p.room[id.s]!]!.includes(j)) meter.fail(`receiver ${j} got a delivery of no room it is in`);
        else if (id.i !== meter.nextOf(j, id.s) % p.pools[id.s]!.length) meter.fail(`receiver ${j} got a delivery it did not expect next`);
        else meter.deliver(j, id.s);
      },
    }),
  );
  return {
    send: (s, k) => sessions[p.who[s]!]!.send(encode(Send, { req_id: 2 + k, room_id: p.f.roomIds[p.room[s]!]!, payload: p.pools[s]![k % p.pools[s]!.length]! })),
    close: () => sessions.forEach((x) => x.close()),
  };
}

/** bare, bare+seal: every principal's connection, in its rooms; a delivery is told by its length (frameBytes + the sender's tag). */
async function bareConns(p: Plan, mode: Mode, port: number, frameBytes: number, m: () => Meter | undefined): Promise<Conns> {
  const url = `ws://127.0.0.1:${port}`;
  const overhead = sealFrame(c, new Uint8Array(32), 0, new Uint8Array(0)).length;
  const maxTag = Math.max(...p.tag) + 1;
  const from = new Int32Array(p.f.ids.length * maxTag).fill(-1);
  p.who.forEach((_, s) => p.f.members[p.room[s]!]!.forEach((j) => (from[j * maxTag + p.tag[s]!] = s)));
  const frames = p.who.map((_, s) => {
    const b = new Uint8Array((mode === 'bare' ? frameBytes : frameBytes - overhead) + p.tag[s]!).fill(7);
    new DataView(b.buffer).setUint32(0, p.room[s]!);
    return b;
  });
  const roomsOf = p.f.ids.map((_, j) => p.f.members.flatMap((ms, r) => (ms.includes(j) ? [r] : [])));
  const sockets = await connectAll(
    p.f.ids.length,
    (j) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url, { perMessageDeflate: false });
        ws.on('open', () => ws.send(`rooms ${roomsOf[j]!.join(',')}`));
        ws.on('message', (data: Buffer, isBinary) => {
          if (!isBinary) return resolve(ws); // in its rooms
          const meter = m();
          const t = data.length - frameBytes;
          const s = t >= 0 && t < maxTag ? from[j * maxTag + t]! : -1;
          if (s >= 0) meter?.deliver(j, s);
          else meter?.fail(`receiver ${j} got a frame of ${data.length} bytes from no sender`);
        });
        ws.on('error', reject);
      }),
  );
  return { send: (s) => sockets[p.who[s]!]!.send(frames[s]!), close: () => sockets.forEach((x) => x.terminate()) };
}

/** A row's medians over the repetitions, with the medians of its per-repetition ratios to bare and bare+seal. */
export interface RealSummary extends RealRow {
  readonly reps: number;
  readonly vsBare: number;
  readonly p99VsBare: number;
  readonly vsSealed: number;
  readonly p99VsSealed: number;
  readonly cpuVsSealed: number;
  readonly runs: readonly RealRow[];
}

function summarize(runs: readonly RealRow[], bare: readonly RealRow[], sealed: readonly RealRow[]): RealSummary {
  const med = (g: (r: RealRow) => number) => median(runs.map(g));
  const ratio = (g: (r: RealRow) => number, to: readonly RealRow[]) => median(runs.map((r, i) => g(r) / g(to[i]!)));
  return {
    ...runs[0]!,
    reps: runs.length,
    ...Object.fromEntries((['deliveriesPerFrame', 'seconds', 'deliveredPerSecond', 'p50Ms', 'p99Ms', 'serverCpuUsPerDelivery', 'serverCpuShare', 'clientCpuShare', 'memPerConnKiB', 'markCompacts', 'load'] as const).map((k) => [k, med((r) => r[k])])),
    vsBare: ratio((r) => r.deliveredPerSecond, bare),
    p99VsBare: ratio((r) => r.p99Ms, bare),
    vsSealed: ratio((r) => r.deliveredPerSecond, sealed),
    p99VsSealed: ratio((r) => r.p99Ms, sealed),
    cpuVsSealed: ratio((r) => r.serverCpuUsPerDelivery, sealed),
    runs,
  } as RealSummary;
}

/** One realistic row kind: `reps` repetitions, each measuring pqroom (each worker count), bare+seal and bare one after the other. */
async function benchKind(kind: Realistic, o: RealisticOptions, dir: string): Promise<RealSummary[]> {
  const p = plan(kind, o);
  const counts = kind === 'rooms' ? [...new Set([1, ...o.workers])] : [1];
  const runs = new Map<string, RealRow[]>();
  const push = (r: RealRow) => runs.set(r.server, [...(runs.get(r.server) ?? []), r]);
  let frameBytes = 0;
  for (let rep = 0; rep < o.reps; rep++) {
    for (const w of counts) {
      const db = join(dir, `${kind}-w${w}-r${rep}.db`);
      seed(p.f, db, w);
      const server = await spawnServer('pqroom', db, w);
      try {
        const row = await measure(p, 'pqroom', w, server, (m, size, frame) => pqConns(p, server.port, m, size, frame));
        frameBytes ||= row.frameBytes;
        push(row);
      } finally {
        await server.stop();
      }
    }
    for (const mode of ['sealed', 'bare'] as const) {
      const server = await spawnServer(mode, join(dir, 'unused.db'));
      try {
        push({ ...(await measure(p, mode, 1, server, (m) => bareConns(p, mode, server.port, frameBytes, m))), frameBytes });
      } finally {
        await server.stop();
      }
    }
  }
  const bare = runs.get(MODE_NAME.bare)!;
  const sealed = runs.get(MODE_NAME.sealed)!;
  return [...runs.values()].map((rs) => summarize(rs, bare, sealed));
}

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

/** A row of bench-relay.ts's table (its columns). */
export function realisticLine(r: RealSummary): string {
  const bare = r.mode === 'bare';
  return `| ${r.members} | ${r.frameBytes} | ${r.server} | ${r.deliveredPerSecond.toFixed(0)} | ${bare ? '1' : f2(r.vsBare)} | ${f2(r.vsSealed)} | ${f2(r.p50Ms)} | ${f2(r.p99Ms)} | ${bare ? '1' : f2(r.p99VsBare)} | ${f1(r.serverCpuUsPerDelivery)} | ${f2(r.cpuVsSealed)} | ${f1(r.deliveriesPerFrame)} | ${(r.serverCpuShare * 100).toFixed(0)}% | ${(r.clientCpuShare * 100).toFixed(0)}% | ${f1(r.memPerConnKiB)} |`;
}

/** Measures the realistic rows, each line to `out` as its kind completes. */
export async function benchRealistic(o: RealisticOptions, dir: string, out: (line: string) => void): Promise<RealSummary[]> {
  const rows: RealSummary[] = [];
  for (const kind of o.kinds) {
    const got = await benchKind(kind, o, dir);
    for (const r of got) out(realisticLine(r));
    rows.push(...got);
  }
  return rows;
}

/** What the realistic rows are, for under the table. */
export function realisticNotes(o: RealisticOptions): string[] {
  const out = ['', 'Realistic rows (issue 23), every message delivered to every member of its room, its sender included (the relay echoes a Send to its sender,'];
  out.push('REQ-REL-031), on every server alike; ratios, medians and columns as above; server CPU includes the shard workers\' with --workers above 1 (Linux /proc).');
  if (o.kinds.includes('all-send'))
    out.push(`- ${o.senders} (all send): one room of ${o.senders}, every member sending on its own connection with ${o.window} messages in flight, about ${o.deliveries} deliveries per server; each member's messages signed by it beforehand.`);
  if (o.kinds.includes('rooms'))
    out.push(`- ${o.rooms}×3: ${o.rooms} rooms of 3 on ${o.rooms} connections (principal i owns room i and is a member of rooms i-1 and i-2), every owner sending ${o.perRoom} messages with ${o.roomWindow} in flight, all rooms at once: ${o.rooms * o.perRoom * 3} deliveries per server; pqroom with ${[...new Set([1, ...o.workers])].join(' and ')} worker(s), a fresh database each time.`);
  out.push("bare and bare+seal route by a 4-byte room number at the start of each frame and deliver to the room's connections; a frame is a few bytes longer per sender so that a receiver tells whose it is without opening it.");
  return out;
}
