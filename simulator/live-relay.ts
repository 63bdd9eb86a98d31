/**
 * `pqroom relay`: the honest relay machine behind WebSocket (spec 8), with the very relay host
 * the simulator uses, its state and logs in SQLite, the wall clock and the platform generator.
 * One HTTP port serves the WebSocket upgrade, `/healthz`, `/metrics` (Prometheus text) and
 * `/relay-key` (the relay's ML-DSA public key, hex). Logs are JSON, one object per line.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromHex, toHex, type Bytes } from '../impl/bytes.ts';
import { nodeCrypto } from '../impl/crypto/node.ts';
import type { KeyPair } from '../impl/crypto/provider.ts';
import { fingerprint } from '../impl/keyschedule.ts';
import { emptyRelay } from '../impl/protocol/relay-state.ts';
import { systemRng } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import { intArg } from './cli.ts';
import { createRelayHost, type RelayHost } from './relay-host.ts';
import { sqliteStore, type SqliteStore } from './sqlite-store.ts';
import { DEFAULT_WS_LIMITS, wsListen, type WsLimits } from './ws-transport.ts';

/** Options of a live relay. */
export interface LiveRelayOptions {
  readonly port: number;
  readonly host?: string;
  /** Database file (`:memory:` keeps nothing across restarts). */
  readonly db: string;
  /** The profile served (default hardened): the connection handshake differs between profiles (spec 4.3). */
  readonly profile?: Profile;
  readonly limits?: WsLimits;
  /** Where log lines go (default: stderr). */
  readonly log?: (line: string) => void;
}

/** A running live relay. */
export interface LiveRelay {
  /** `ws://host:port`. */
  readonly url: string;
  readonly port: number;
  /** The relay's ML-DSA public key (what clients pin). */
  readonly publicKey: Bytes;
  readonly host: RelayHost;
  readonly store: SqliteStore;
  /** Prometheus text of the counters. */
  metrics(): string;
  /** Stops accepting, closes every connection, closes the database. */
  close(reason?: string): Promise<void>;
}

const LATENCY_BUCKETS_MS = [0.1, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000];

/** The relay's key pair, made once and kept in the database so that clients can pin it. */
function relayKeys(store: SqliteStore): KeyPair {
  const saved = store.meta('relay-key');
  if (saved !== undefined) {
    const k = JSON.parse(saved) as { publicKey: string; secretKey: string };
    return { publicKey: fromHex(k.publicKey), secretKey: fromHex(k.secretKey) };
  }
  const k = nodeCrypto.sigKeygen(systemRng.bytes(32));
  store.setMeta('relay-key', JSON.stringify({ publicKey: toHex(k.publicKey), secretKey: toHex(k.secretKey) }));
  return k;
}

/** Starts a relay; resolves once it listens. */
export async function startRelay(o: LiveRelayOptions): Promise<LiveRelay> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: string, msg: string, fields: Record<string, unknown> = {}): void => log(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }));
  const store = sqliteStore(o.db);
  const keys = relayKeys(store);
  const profile = o.profile ?? 'hardened';
  const saved = store.loadState();
  if (saved === undefined) store.saveState(emptyRelay(profile));
  else if (saved.profile !== undefined && saved.profile !== profile) {
    store.close();
    throw new Error(`${o.db} holds a ${saved.profile} relay; start it with --profile ${saved.profile}`);
  }
  const counters = { frames_in: 0, frames_out: 0, bytes_in: 0, bytes_out: 0, connections_total: 0 };
  const rejections = new Map<string, number>();
  const latency = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  let latencySum = 0;
  let latencyCount = 0;
  const timers = new Set<NodeJS.Timeout>();

  const host = createRelayHost({
    crypto: nodeCrypto,
    profile,
    keys,
    store,
    now: () => Date.now(),
    at: (when, f) => {
      const t = setTimeout(() => {
        timers.delete(t);
        guarded(f);
      }, Math.max(0, when - Date.now()));
      timers.add(t);
    },
    connSeed: () => systemRng.bytes(48),
    raise: (reqId, detail) => {
      rejections.set(reqId, (rejections.get(reqId) ?? 0) + 1);
      emit('warn', 'rejected', { reqId, detail });
    },
    onAuthenticated: (client, principal) => emit('info', 'authenticated', { conn: client, principal: toHex(principal).slice(0, 16) }),
  });

  const server: Server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, connections: host.connections(), rooms: Object.keys(host.state().rooms).length }));
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics());
    } else if (req.url === '/relay-key') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(toHex(keys.publicKey));
    } else res.writeHead(404).end();
  });

  /** Runs one input through the host; a failure is logged and disturbs no other connection (its writes were rolled back). */
  const guarded = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      emit('error', 'relay step failed', { error: e instanceof Error ? e.message : String(e) });
    }
  };

  const ws = wsListen(
    server,
    (link, peer) => {
      counters.connections_total++;
      emit('info', 'connected', { conn: peer });
      const counted = {
        id: link.id,
        send(bytes: Bytes) {
          counters.frames_out++;
          counters.bytes_out += bytes.length;
          link.send(bytes);
        },
        close: (reason: string) => link.close(reason),
      };
      const h = host.accept(counted, peer);
      return {
        onFrame(bytes) {
          counters.frames_in++;
          counters.bytes_in += bytes.length;
          const t0 = performance.now();
          guarded(() => h.onFrame(bytes));
          const ms = performance.now() - t0;
          latencySum += ms;
          latencyCount++;
          let i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
          if (i < 0) i = LATENCY_BUCKETS_MS.length;
          latency[i]!++;
        },
        onClose(reason) {
          emit('info', 'disconnected', { conn: peer, reason });
          guarded(() => h.onClose(reason));
        },
      };
    },
    o.limits ?? DEFAULT_WS_LIMITS,
  );

  function metrics(): string {
    const state = host.state();
    const lines = [
      '# TYPE pqroom_connections gauge',
      `pqroom_connections ${host.connections()}`,
      '# TYPE pqroom_connections_total counter',
      `pqroom_connections_total ${counters.connections_total}`,
      '# TYPE pqroom_rooms gauge',
      `pqroom_rooms ${Object.keys(state.rooms).length}`,
      '# TYPE pqroom_frames_in_total counter',
      `pqroom_frames_in_total ${counters.frames_in}`,
      '# TYPE pqroom_frames_out_total counter',
      `pqroom_frames_out_total ${counters.frames_out}`,
      '# TYPE pqroom_bytes_in_total counter',
      `pqroom_bytes_in_total ${counters.bytes_in}`,
      '# TYPE pqroom_bytes_out_total counter',
      `pqroom_bytes_out_total ${counters.bytes_out}`,
      '# TYPE pqroom_log_entries gauge',
      `pqroom_log_entries ${Object.values(state.rooms).reduce((n, r) => n + r.nextIndex - 1, 0)}`,
      '# TYPE pqroom_rejections_total counter',
      ...[...rejections].sort().map(([id, n]) => `pqroom_rejections_total{reason="${id}"} ${n}`),
      '# TYPE pqroom_step_latency_ms histogram',
    ];
    let cum = 0;
    LATENCY_BUCKETS_MS.forEach((b, i) => {
      cum += latency[i]!;
      lines.push(`pqroom_step_latency_ms_bucket{le="${b}"} ${cum}`);
    });
    lines.push(`pqroom_step_latency_ms_bucket{le="+Inf"} ${cum + latency[LATENCY_BUCKETS_MS.length]!}`, `pqroom_step_latency_ms_sum ${latencySum}`, `pqroom_step_latency_ms_count ${latencyCount}`);
    return `${lines.join('\n')}\n`;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `ws://${o.host ?? '127.0.0.1'}:${port}`;
  emit('info', 'listening', { url, db: o.db, relayKey: toHex(fingerprint(nodeCrypto, keys.publicKey)).slice(0, 32), rooms: Object.keys(host.state().rooms).length });

  let closed = false;
  return {
    url,
    port,
    publicKey: keys.publicKey,
    host,
    store,
    metrics,
    async close(reason = 'shutdown') {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      ws.close(reason);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
      emit('info', 'stopped', { reason });
    },
  };
}

const HELP = `usage: pqroom relay [--port P] [--host H] [--db FILE] [--profile hardened|compat]

Runs the honest relay over WebSocket. State, logs and mailboxes live in the SQLite file
--db (default relay.db); restarting with the same file resumes every room.

  --port P      TCP port (default 8080; 0 picks a free one)
  --host H      address to bind (default 127.0.0.1)
  --db FILE     database file (default relay.db)
  --profile P   the profile served: hardened (default) or compat
  -h, --help    this text

GET /healthz, /metrics (Prometheus) and /relay-key on the same port. SIGTERM or SIGINT:
stop accepting, close connections, close the database.`;

/** `pqroom relay`. */
export async function main(argv: readonly string[], out: (s: string) => void = console.log): Promise<number> {
  let port = 8080;
  let host = '127.0.0.1';
  let db = 'relay.db';
  let profile: Profile = 'hardened';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    try {
      if (a === '-h' || a === '--help') {
        out(HELP);
        return 0;
      } else if (a === '--port') port = intArg(a, v());
      else if (a === '--host') host = v();
      else if (a === '--db') db = v();
      else if (a === '--profile') {
        const p = v();
        if (p !== 'hardened' && p !== 'compat') throw new Error(`--profile must be hardened or compat, not ${p}`);
        profile = p;
      } else throw new Error(`unknown option ${a}`);
    } catch (e) {
      out(`pqroom relay: ${(e as Error).message}\n\n${HELP}`);
      return 2;
    }
  }
  if (port > 65535) {
    out(`pqroom relay: --port must be 0..65535\n\n${HELP}`);
    return 2;
  }
  let relay: LiveRelay;
  try {
    relay = await startRelay({ port, host, db, profile });
  } catch (e) {
    out(`pqroom relay: ${(e as Error).message}`);
    return 1;
  }
  out(`pqroom relay listening on ${relay.url} (db ${db}); relay key ${toHex(relay.publicKey).slice(0, 16)}… at http://${host}:${relay.port}/relay-key`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => void relay.close(sig).then(resolve);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
