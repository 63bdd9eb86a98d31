/**
 * `pqroom relay`: the honest relay machine behind WebSocket (spec 8), with the very relay host
 * the simulator uses, its state and logs in SQLite, the wall clock and the platform generator.
 * One HTTP port serves the WebSocket upgrade, `/healthz`, `/metrics` (Prometheus text) and
 * `/relay-key` (the relay's ML-DSA public key, hex), answered by `relay-http.ts`. Logs are JSON,
 * one object per line.
 */
import { createWriteStream } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { relayKeyFingerprint } from '../../impl/fingerprint.ts';
import { fromHex, toHex, type Bytes } from '../../impl/bytes.ts';
import { loadRealBackends, fastestReal, realCrypto } from '../../impl/crypto/backends.ts';
import { nodeCrypto } from '../../impl/crypto/node.ts';
import type { KeyPair } from '../../impl/crypto/provider.ts';
import { fingerprint } from '../../impl/keyschedule.ts';
import { configuredKdf } from '../../impl/protocol/login.ts';
import { originAllowed, type WebApp } from './web/serve.ts';
import { emptyRelay } from '../../impl/protocol/relay-state.ts';
import { systemRng } from '../../impl/rng.ts';
import type { ReqId } from '../../impl/errors.ts';
import { withCheckOff } from '../../impl/mutants.ts';
import type { Profile } from '../../impl/suite.ts';
import type { RelayConfig } from '../../machines/relay.ts';
import { logBudget } from './log-budget.ts';
import { relayHttpServer, relayMeters } from './relay-http.ts';
import { createRelayHost, type RelayHost, type RelayTap, type RelayTapHooks, type TraceLine } from '../relay-host.ts';
import { startShards, type ShardSet } from './shards/front.ts';
import { arena, framePool } from './frame-pool.ts';
import { sqliteStore, type SqliteStore } from './sqlite-store.ts';
import { DEFAULT_WS_LIMITS, wsListen, type WsLimits } from './ws-transport.ts';

// this module's crypto is the real backends': loaded with it (liboqs is WebAssembly, instantiated asynchronously)
await loadRealBackends();

/**
 * A relay tap that `pqroom relay --adversary ARG` plugs in. The live relay knows only this
 * interface; the command line (cli.js) passes the loader of the malicious relay
 * (adversary/live-plans.ts), so that nothing here depends on the adversary.
 */
export interface LiveTapPlan {
  /** The plan's name (the trace header's `adversary` field). */
  readonly name: string;
  /** What it does and what an honest client should make of it (printed at start). */
  readonly describe: string;
  /** More fields for the trace's first line, after `adversary` (the plan itself). */
  readonly traceHeader: Record<string, unknown>;
  /** The tap, armed; `principalOf` gives the principal of a client named live (16 hex characters). */
  tap(principalOf: (name: string) => string | undefined): RelayTap;
}

/** Reads the argument of `--adversary` into a plan; throws an error with a readable message. */
export type LiveTapLoader = (arg: string) => LiveTapPlan | Promise<LiveTapPlan>;

/** Options of a live relay. */
export interface LiveRelayOptions {
  readonly port: number;
  readonly host?: string;
  /** Database file (`:memory:` keeps nothing across restarts). */
  readonly db: string;
  /** The profile served (default hardened): the connection handshake differs between profiles (spec 4.3). */
  readonly profile?: Profile;
  readonly limits?: WsLimits;
  /** The relay machine's limits (rate, burst, malformed frames; spec 8.9). */
  readonly config?: Partial<RelayConfig>;
  /** Where log lines go (default: stderr). */
  readonly log?: (line: string) => void;
  /**
   * A tap around the honest relay logic that sees and may change every frame (the malicious relay
   * of adversary/, say). Live, a client is named by the first 16 hex characters of its principal.
   */
  readonly tap?: RelayTap;
  /** Writes a JSONL trace of the run here (the simulator's format, wall-clock milliseconds). */
  readonly trace?: string;
  /** Extra fields for the trace's first line (the adversary's plan, say). */
  readonly traceHeader?: Record<string, unknown>;
  /** Serve nothing but registration and login before a connection logged in (REQ-LOG-020). Registration and login are always served. */
  readonly requireLogin?: boolean;
  /** Login session lifetime (ms, default 4 hours, REQ-LOG-020). */
  readonly sessionMs?: number;
  /**
   * INSECURE, tests and throwaway demo accounts only: register accounts with the test KDF profile,
   * and announce it for unknown usernames, instead of the interactive profile (REQ-LOG-018, REQ-LOG-019).
   */
  readonly insecureTestKdf?: boolean;
  /** The web app to serve at `/` (`web/serve.ts`; `pqroom relay` always serves it). */
  readonly web?: WebApp;
  /** Origins besides the relay's own whose pages may open a WebSocket to it (REQ-WEB-002). */
  readonly allowedOrigins?: readonly string[];
  /** Serve https and wss with this certificate chain and private key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Log lines per rejection reason and window (REQ-REL-045; default 20 per 10 s). Metrics count every rejection. */
  readonly rejectLog?: { readonly perWindow: number; readonly windowMs: number };
  /**
   * A broken relay, for the tests of `pqroom conformance` only (spec 12.2): the honest relay with
   * the check of this one requirement switched off in every step it takes. `pqroom relay` never sets it.
   */
  readonly checkOff?: ReqId;
  /**
   * Shard the relay machine over this many worker processes, each on a database file of its own
   * beside `db` (spec 8.13; default 1: the machine runs in this process, on `db`). Not with `tap`,
   * `trace` or `checkOff`.
   */
  readonly workers?: number;
}

/** A running live relay. */
export interface LiveRelay {
  /** `ws://host:port` (`wss://` over TLS). */
  readonly url: string;
  readonly port: number;
  /** The relay's ML-DSA public key (what clients pin). */
  readonly publicKey: Bytes;
  readonly host: RelayHost;
  readonly store: SqliteStore;
  /** The shard workers, with `workers` above 1. */
  readonly shards?: ShardSet;
  /** The full principal (hex) of a live client name (the first 16 hex characters). */
  principalOf(name: string): string | undefined;
  /** Prometheus text of the counters. */
  metrics(): string;
  /** Stops accepting, closes every connection, closes the database. */
  close(reason?: string): Promise<void>;
}

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

/** The secret the login server's fake verifiers derive from (REQ-LOG-015), made once and kept: a restart must not change what an unknown username is answered. */
function loginSecret(store: SqliteStore): Bytes {
  const saved = store.meta('login-secret');
  if (saved !== undefined) return fromHex(saved);
  const secret = systemRng.bytes(32);
  store.setMeta('login-secret', toHex(secret));
  return secret;
}

/** Starts a relay; resolves once it listens. */
export async function startRelay(o: LiveRelayOptions): Promise<LiveRelay> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: string, msg: string, fields: Record<string, unknown> = {}): void => log(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }));
  const workers = o.workers ?? 1;
  if (workers > 1 && (o.tap !== undefined || o.trace !== undefined || o.checkOff !== undefined)) throw new Error('--adversary and --trace need --workers 1');
  const store = sqliteStore(o.db);
  const keys = relayKeys(store);
  const profile = o.profile ?? 'hardened';
  const saved = store.loadState();
  if (saved === undefined) store.saveState(emptyRelay(profile));
  else if (saved.profile !== undefined && saved.profile !== profile) {
    store.close();
    throw new Error(`${o.db} holds a ${saved.profile} relay; start it with --profile ${saved.profile}`);
  }
  // spec 8.13: a database is sharded one way for good (its rooms are in the files of their shards)
  const made = store.meta('workers') ?? (saved !== undefined && Object.keys(saved.rooms).length > 0 ? '1' : undefined);
  if (made !== undefined && made !== String(workers)) {
    store.close();
    throw new Error(`${o.db} holds a relay of ${made} worker${made === '1' ? '' : 's'}; start it with --workers ${made}`);
  }
  if (made === undefined && workers > 1) store.setMeta('workers', String(workers));
  const meters = relayMeters();
  const { counters, rejections } = meters;
  const rejectLog = o.rejectLog ?? { perWindow: 20, windowMs: 10_000 };
  const rejectBudget = logBudget(rejectLog.perWindow, rejectLog.windowMs); // REQ-REL-045
  const notLogged = (reqId: string, suppressed: number): void => emit('warn', 'rejections not logged', { reqId, suppressed, windowMs: rejectLog.windowMs });
  const timers = new Set<NodeJS.Timeout>();
  const startedAt = Date.now();
  // a client's name, live: its principal's first 16 hex characters, once it authenticated
  const names = new Map<string, string>(); // peer -> name
  const principals = new Map<string, string>(); // name -> principal (hex)
  const nameOf = (peer: string): string => names.get(peer) ?? peer;
  const traceOut = o.trace === undefined ? undefined : createWriteStream(o.trace, { flags: 'w' });
  const trace = (e: TraceLine): void => {
    if (!traceOut) return;
    const named = { ...e } as Record<string, unknown>;
    for (const k of ['to', 'from'] as const) if (typeof named[k] === 'string') named[k] = nameOf(named[k]);
    traceOut.write(`${JSON.stringify({ t: Date.now() - startedAt, ...named })}\n`);
  };
  trace({ kind: 'run', live: true, role: 'relay', profile: o.profile ?? 'hardened', ...(o.traceHeader ?? {}) });
  const at = (when: number, f: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      guarded(() => withCheckOff(o.checkOff, f));
      host.flush(); // outside a batch: what the timer made the relay send goes now
    }, Math.max(0, when - Date.now()));
    timers.add(t);
  };
  const tap = o.tap;
  const tapHooks: RelayTapHooks | undefined = tap && {
    up: (from, bytes) => tap.up({ conn: from.conn, client: nameOf(from.client) }, bytes),
    down: (to, bytes) => tap.down({ conn: to.conn, client: nameOf(to.client) }, bytes),
  };

  // the sealed frames' buffers, reused once the socket has taken them (issue 23): each goes to one link's send
  const frames = framePool();
  let hostRef: RelayHost | undefined;
  const shards =
    workers > 1
      ? await startShards({
          db: o.db,
          count: workers,
          profile,
          ...(o.config === undefined ? {} : { config: o.config }),
          carryOut: (effects) => {
            hostRef?.carryOut(effects);
            hostRef?.flush();
          },
          log: emit,
        })
      : undefined;
  const host = (hostRef = createRelayHost({
    // the fastest real backend present (liboqs or native): every real backend gives the same bytes
    // (the differential tests), and the handshakes' ML-DSA signatures cost a fraction of noble's
    crypto: realCrypto(fastestReal()),
    profile,
    keys,
    store,
    ...(o.config === undefined ? {} : { config: o.config }),
    now: () => Date.now(),
    at,
    ...(tapHooks === undefined ? {} : { tap: tapHooks }),
    ...(traceOut === undefined ? {} : { record: trace }),
    coalesce: true,
    frames,
    deliveries: arena(),
    ...(shards === undefined ? {} : { relayBackend: shards }),
    onFlushed: (n) => (counters.messages_out += n),
    connSeed: () => systemRng.bytes(48),
    resumeAsync: (f) => inBatch(() => guarded(() => withCheckOff(o.checkOff, f))),
    login: { required: o.requireLogin ?? false, serverSecret: loginSecret(store), kdf: configuredKdf(o.insecureTestKdf), rngSeed: systemRng.bytes(48), ...(o.sessionMs === undefined ? {} : { lifetimeMs: o.sessionMs }) },
    raise: (reqId, detail) => {
      trace({ kind: 'reject', actor: 'relay', reqId, detail });
      meters.reject(reqId);
      const b = rejectBudget.take(reqId, Date.now()); // REQ-REL-045: a flood of rejections is not a flood of log lines
      if (b.suppressed > 0) notLogged(reqId, b.suppressed);
      if (b.write) emit('warn', 'rejected', { reqId, detail });
    },
    onAuthenticated: (client, principal) => {
      const p = toHex(principal);
      names.set(client, p.slice(0, 16));
      principals.set(p.slice(0, 16), p);
      emit('info', 'authenticated', { conn: client, principal: p.slice(0, 16) });
    },
  }));
  const roomCount = (): number => (shards ? shards.rooms() : Object.keys(host.state().rooms).length);

  // the adversary acts on the live relay as on the simulated one (CAP-05, CAP-06, CAP-13)
  const connOfName = (name: string): string | undefined => {
    for (const [peer, n] of names) if (n === name) return host.connOf(peer);
    return host.connOf(name);
  };
  tap?.attach?.({
    now: () => Date.now(),
    startTime: startedAt,
    at,
    sendDown(client, bytes) {
      const id = connOfName(client);
      if (id !== undefined) host.sendDown(id, bytes);
      return id !== undefined;
    },
    sendUp(client, bytes) {
      const id = connOfName(client);
      if (id !== undefined) host.sendUp(id, bytes);
      return id !== undefined;
    },
    asPrincipal: (principal, bytes) => host.asPrincipal(principal, bytes),
    note(what, detail) {
      trace({ kind: 'event', actor: 'adversary', what, detail });
      emit('warn', 'adversary', { what, detail });
    },
  });

  const gauges = { connections: () => host.connections(), rooms: roomCount, state: () => host.state(), ...(shards === undefined ? {} : { shards }) };
  const metrics = (): string => meters.render(gauges);
  const server = relayHttpServer({ ...gauges, profile, workers, publicKey: keys.publicKey, metrics, ...(o.web === undefined ? {} : { web: o.web }), ...(o.tls === undefined ? {} : { tls: o.tls }) });

  /**
   * Group commit: the frames read in one turn of the event loop are handled in one transaction,
   * and everything they make the relay send waits until it commits (REQ-REL-050: nothing is
   * acknowledged before it is durable). One fsync then covers a burst of requests.
   */
  let batch: (() => void)[] | undefined;
  const later = (f: () => void): void => {
    if (batch) batch.push(f);
    else f();
  };
  const commitBatch = (): void => {
    host.flush(); // the batch's frames, each connection's sealed in one step; sending them waits for the commit
    const ops = batch ?? [];
    batch = undefined;
    try {
      store.commit();
    } catch (e) {
      // nothing of the batch was acknowledged: drop its output, restart the relay logic from the
      // store, and close the connections so that clients retransmit (REQ-REL-004)
      store.rollback();
      host.resume();
      emit('error', 'commit failed; the batch is dropped and its connections closed', { error: e instanceof Error ? e.message : String(e) });
      void ws.close('relay commit failed');
      return;
    }
    for (const op of ops) op();
  };
  const inBatch = (f: () => void): void => {
    if (!batch) {
      store.begin();
      batch = [];
      setImmediate(commitBatch);
    }
    f();
  };

  /** Runs one input through the host; a failure is logged and disturbs no other connection (its writes were rolled back: REQ-REL-043). */
  const guarded = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      emit('error', 'relay step failed', { error: e instanceof Error ? e.message : String(e) });
    }
  };

  const ws = wsListen(
    server,
    (link, peer, origin) => {
      counters.connections_total++;
      emit('info', 'connected', { conn: peer });
      const counted = {
        id: link.id,
        send(bytes: Bytes) {
          counters.frames_out++;
          counters.bytes_out += bytes.length;
          later(() => link.send(bytes, () => frames.release(bytes)));
        },
        close: (reason: string) => later(() => link.close(reason)),
      };
      const h = host.accept(counted, peer, origin);
      return {
        onFrame(bytes) {
          counters.frames_in++;
          counters.bytes_in += bytes.length;
          const t0 = performance.now();
          inBatch(() => guarded(() => withCheckOff(o.checkOff, () => h.onFrame(bytes))));
          meters.observe(performance.now() - t0);
        },
        onClose(reason) {
          emit('info', 'disconnected', { conn: peer, reason });
          guarded(() => withCheckOff(o.checkOff, () => h.onClose(reason)));
          host.flush(); // what the relay logic sent to the others about it
          names.delete(peer);
        },
      };
    },
    o.limits ?? DEFAULT_WS_LIMITS,
    (req) => {
      // REQ-WEB-002: a page of another origin may not open a connection through its visitor's browser
      const ok = originAllowed(req.headers.origin, req.headers.host, o.allowedOrigins);
      if (!ok) emit('warn', 'upgrade refused: origin not allowed', { origin: req.headers.origin });
      return ok;
    },
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  }).catch(async (e: unknown) => {
    await shards?.close();
    store.close();
    throw e;
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${o.tls === undefined ? 'ws' : 'wss'}://${o.host ?? '127.0.0.1'}:${port}`;
  emit('info', 'listening', { url, db: o.db, relayKey: relayKeyFingerprint(fingerprint(nodeCrypto, keys.publicKey)), backend: fastestReal(), rooms: roomCount(), ...(shards ? { workers } : {}) });

  let closed = false;
  return {
    url,
    port,
    publicKey: keys.publicKey,
    host,
    store,
    ...(shards === undefined ? {} : { shards }),
    metrics,
    principalOf: (name) => principals.get(name),
    async close(reason = 'shutdown') {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      if (batch) commitBatch();
      // REQ-REL-044: stop accepting, then close every connection and let the relay logic see each one go
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await ws.close(reason);
      await stopped;
      await shards?.close();
      if (batch) commitBatch();
      store.close();
      trace({ kind: 'summary', reason, ...counters, rejections: Object.fromEntries(rejections) });
      for (const [reqId, n] of rejectBudget.drain()) notLogged(reqId, n);
      await new Promise<void>((resolve) => (traceOut ? traceOut.end(resolve) : resolve()));
      emit('info', 'stopped', { reason });
    },
  };
}
