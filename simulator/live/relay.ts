/**
 * `pqroom relay`: the honest relay machine behind WebSocket (spec 8), with the very relay host
 * the simulator uses, its state and logs in SQLite, the wall clock and the platform generator.
 * One HTTP port serves the WebSocket upgrade, `/healthz`, `/metrics` (Prometheus text) and
 * `/relay-key` (the relay's ML-DSA public key, hex), answered by `relay-http.ts`. Logs are JSON,
 * one object per line.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createSecureContext } from 'node:tls';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { checkInputFile, checkOutputFile, CliError, parseCommand, runCommand } from '../../impl/cli-args.ts';
import { relayKeyFingerprint } from '../../impl/fingerprint.ts';
import { fromHex, toHex, type Bytes } from '../../impl/bytes.ts';
import { loadRealBackends, fastestReal, realCrypto } from '../../impl/crypto/backends.ts';
import { nodeCrypto } from '../../impl/crypto/node.ts';
import type { KeyPair } from '../../impl/crypto/provider.ts';
import { fingerprint } from '../../impl/keyschedule.ts';
import { configuredKdf } from '../../impl/protocol/login.ts';
import { buildWebApp, originAllowed, type WebApp } from './web/serve.ts';
import { emptyRelay } from '../../impl/protocol/relay-state.ts';
import { systemRng } from '../../impl/rng.ts';
import type { ReqId } from '../../impl/errors.ts';
import { withCheckOff } from '../../impl/mutants.ts';
import type { Profile } from '../../impl/suite.ts';
import type { RelayConfig } from '../../machines/relay.ts';
import { logBudget } from './log-budget.ts';
import { relayHttpServer, relayMeters } from './relay-http.ts';
import { createRelayHost, type RelayHost, type RelayTap, type RelayTapHooks, type TraceLine } from '../relay-host.ts';
import { startShards, workersOf, type ShardSet } from './shards/front.ts';
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
export type LiveTapLoader = (arg: string) => LiveTapPlan;

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
          later(() => link.send(bytes));
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

const HELP = `usage: pqroom relay [--port P] [--host H] [--db FILE] [--profile hardened|compat]
                    [--trace FILE] [--adversary PLAN] [--rate N] [--burst N]
                    [--require-login] [--session-minutes M] [--insecure-test-kdf]
                    [--tls-cert FILE --tls-key FILE] [--allow-origin ORIGIN]...
                    [--workers N]

Runs the honest relay over WebSocket. State, logs and mailboxes live in the SQLite file
--db (default relay.db); restarting with the same file resumes every room.

  --port P      TCP port (default 8080; 0 picks a free one)
  --host H      address to bind (default 127.0.0.1)
  --db FILE     database file (default relay.db)
  --profile P   the profile served: hardened (default) or compat
  --trace FILE  write a JSONL trace of every frame (the simulator's format, wall-clock ms)
  --adversary PLAN
                be the malicious relay: PLAN is a preset (tamper, replay, withhold) or a
                JSON file holding a plan (adversary/relay.ts); live clients are named by
                the first 16 hex characters of their principal
  --require-login
                serve nothing but registration and login before a connection logged in
                (registration and login are always served; REQ-LOG-020)
  --session-minutes M
                login session lifetime (default 240); then the relay closes the connection
  --insecure-test-kdf
                INSECURE, tests and throwaway demo accounts only: register accounts with the
                test KDF profile (64 KiB, t=1) instead of the interactive one (64 MiB, t=3);
                clients must run with it too (pqroom demo --insecure-test-kdf; REQ-LOG-018)
  --tls-cert FILE, --tls-key FILE
                serve https and wss with this certificate chain and key (PEM); the web chat
                then also sends Strict-Transport-Security
  --allow-origin ORIGIN
                let pages of ORIGIN (e.g. https://chat.example) open a connection, besides the
                relay's own origin (REQ-WEB-002); repeatable
  --workers N   shard the rooms over N worker processes behind the one port, each with its
                own database FILE.shardK-of-N beside --db (spec 8.13): a room's requests go
                to its shard, a mailbox's and a directory entry's to their principal's; a
                worker that dies (kill -9) is restarted and resumes from its file, losing
                nothing it acknowledged. Default: the number the database was made with, else
                the number of cores (${availableParallelism()} here); a database keeps its number.
                1 runs the relay in this one process, as before; --adversary and --trace need 1
  --rate N      requests per second per connection (default 200, REQ-REL-041; with
                --workers, per connection and worker)
  --burst N     token-bucket burst per connection (default 400)
  -h, --help    this text

GET /healthz, /metrics (Prometheus), /relay-key and the web chat (/) on the same port. SIGTERM or SIGINT:
stop accepting, close connections, close the database.`;

/** Fails with one line, before the database is opened, when `host:port` cannot be listened on (in use, no such address). */
async function probeListen(host: string, port: number): Promise<void> {
  // port 0 too: the listen resolves the host, before any shard worker starts
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** `pqroom relay`; `loadTap` reads `--adversary` (cli.js passes the adversary's, adversary/live-plans.ts). Errors: one line on `err`. */
export async function main(argv: readonly string[], out: (s: string) => void = console.log, loadTap?: LiveTapLoader, err: (s: string) => void = console.error): Promise<number> {
  return runCommand('relay', err, async () => {
    const s = { type: 'string' } as const;
    const b = { type: 'boolean' } as const;
    const p = parseCommand('relay', argv, { port: s, host: s, db: s, profile: s, trace: s, adversary: s, rate: s, burst: s, 'require-login': b, 'session-minutes': s, 'insecure-test-kdf': b, 'tls-cert': s, 'tls-key': s, 'allow-origin': { type: 'string', multiple: true }, workers: s });
    if (p.help) {
      out(HELP);
      return 0;
    }
    const port = p.int('port', 8080, { max: 65535 });
    const host = p.str('host') ?? '127.0.0.1';
    const db = p.str('db') ?? 'relay.db';
    const profile = p.oneOf('profile', ['hardened', 'compat'], 'hardened');
    const trace = p.str('trace');
    const config: { rate?: number; burst?: number } = {};
    if (p.str('rate') !== undefined) config.rate = p.int('rate', 0, { min: 1 });
    if (p.str('burst') !== undefined) config.burst = p.int('burst', 0, { min: 1 });
    const sessionMs = p.str('session-minutes') === undefined ? undefined : p.int('session-minutes', 0, { min: 1 }) * 60_000;
    const requireLogin = p.flag('require-login');
    const insecureTestKdf = p.flag('insecure-test-kdf');
    const allowedOrigins = p.list('allow-origin');
    const [tlsCert, tlsKey] = [p.str('tls-cert'), p.str('tls-key')];
    if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together; give both or neither');
    if (tlsCert !== undefined) checkInputFile('--tls-cert', tlsCert);
    if (tlsKey !== undefined) checkInputFile('--tls-key', tlsKey);
    const tls = tlsCert !== undefined && tlsKey !== undefined ? { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) } : undefined;
    if (tls !== undefined) {
      // a file that is no PEM certificate, or a key that is not the certificate's, is named before anything starts
      try {
        createSecureContext(tls);
      } catch (e) {
        throw new CliError(`--tls-cert ${tlsCert} and --tls-key ${tlsKey} are not a PEM certificate and its private key (${(e as Error).message}); give those two files`);
      }
    }
    let adversary: LiveTapPlan | undefined;
    const plan = p.str('adversary');
    if (plan !== undefined) {
      if (loadTap === undefined) throw new CliError('--adversary: no malicious relay was plugged in (the pqroom command plugs in the one of adversary/live-plans.ts)');
      try {
        adversary = loadTap(plan);
      } catch (e) {
        throw new CliError((e as Error).message.startsWith('--adversary') ? (e as Error).message : `--adversary: ${(e as Error).message}`);
      }
    }
    if (p.str('workers') !== undefined && (adversary !== undefined || trace !== undefined) && p.int('workers', 1, { min: 1, max: 64 }) > 1) throw new CliError('--adversary and --trace need --workers 1 (the malicious relay and the trace see one relay machine)');
    // every output and the address are checked before the database file is made
    if (db !== ':memory:') checkOutputFile('--db', db);
    if (trace !== undefined) checkOutputFile('--trace', trace);
    await probeListen(host, port);
    const given = p.str('workers') === undefined ? undefined : p.int('workers', 1, { min: 1, max: 64 });
    const made = workersOf(db);
    if (given !== undefined && made !== undefined && given !== made) throw new CliError(`--workers ${given}: ${db} holds a relay of ${made} worker${made === 1 ? '' : 's'}; give --workers ${made} or another --db`);
    const workers = given ?? made ?? (adversary !== undefined || trace !== undefined ? 1 : availableParallelism());
    let ref: LiveRelay | undefined;
    const tap = adversary?.tap((name) => ref?.principalOf(name));
    const web = await buildWebApp(profile);
    const relay = (ref = await startRelay({
      web,
      allowedOrigins,
      ...(tls === undefined ? {} : { tls }),
      port,
      host,
      db,
      profile,
      config,
      requireLogin,
      insecureTestKdf,
      workers,
      ...(sessionMs === undefined ? {} : { sessionMs }),
      ...(trace === undefined ? {} : { trace }),
      ...(tap === undefined ? {} : { tap, traceHeader: { adversary: adversary!.name, ...adversary!.traceHeader } }),
    }));
    out(`pqroom relay listening on ${relay.url} (db ${db}${workers > 1 ? `, ${workers} workers` : ''}); its key at http://${host}:${relay.port}/relay-key`);
    out(`relay key fingerprint: ${relayKeyFingerprint(fingerprint(nodeCrypto, relay.publicKey))}`);
    out(`the web chat: ${tls === undefined ? 'http' : 'https'}://${host}:${relay.port}/`);
    if (insecureTestKdf) err('INSECURE: accounts register with the test KDF profile (m=64 KiB, t=1) of --insecure-test-kdf (REQ-LOG-018, REQ-LOG-019)');
    if (adversary) err(`MALICIOUS relay, plan ${adversary.name}: ${adversary.describe}`);
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => void relay.close(sig).then(resolve);
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  });
}
