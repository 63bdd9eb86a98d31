/**
 * The relay host: runs the relay machine and one relay connection machine per client connection
 * over any transport, keeps the relay's state and log in a store, and serves history and mailbox
 * pages from it. The simulated world hosts the relay with it on the in-memory transport and a
 * virtual clock; the live relay (`pqroom relay`) hosts the very same machines with it on
 * WebSockets, SQLite and the wall clock. The host does no I/O of its own: links, store and clock
 * are given to it.
 */
import type { SnapshotFrom } from 'xstate';
import { equalBytes, toHex, type Buffers, type Bytes } from '../impl/bytes.ts';
import type { CryptoProvider, KeyPair } from '../impl/crypto/provider.ts';
import type { ReqId } from '../impl/errors.ts';
import { fingerprint } from '../impl/keyschedule.ts';
import { decode, encode } from '../impl/codec.ts';
import { checkFactorResponse, factorChallenge, FACTOR_FAILURE_WINDOW_MS, hasFactor, MAX_FACTOR_FAILURES, type PendingFactor } from '../impl/accounts/second-factor.ts';
import { concat, utf8 } from '../impl/bytes.ts';
import { deterministicRng } from '../impl/rng.ts';
import { FactorAccepted, FactorBegin, MsgType, type KdfParams } from '../impl/messages/index.ts';
import { emptyRelay, rejectBytes, type RelayState } from '../impl/protocol/relay-state.ts';
import type { Profile } from '../impl/suite.ts';
import { relayConnectionMachine, type ConnEffect, type ConnEvent } from '../machines/connection.ts';
import type { FrameBuffers } from '../impl/protocol/transport.ts';
import { start, step, type Stepped } from '../machines/driver.ts';
import { loginServerMachine, type LoginServerEffect, type LoginServerEvent } from '../machines/login-server.ts';
import type { RelayEffect, RelayEvent } from '../machines/events.ts';
import { relayMachine, type RelayConfig } from '../machines/relay.ts';
import { decodeRequest } from './envelope.ts';
import { historyChunk, mailboxChunk, type RelayStore } from './store.ts';
import { messageLabel } from './message-label.ts';
import { shortHash, type TraceEvent } from './trace.ts';
import type { Link, LinkHandlers } from './transport.ts';

/** A trace line without its time (the host's owner stamps it). */
export type TraceLine = TraceEvent extends infer E ? (E extends unknown ? Omit<E, 't'> : never) : never;

/** One connection as the relay sees it. */
export interface TapConn {
  /** The relay's connection id. */
  readonly conn: string;
  /** The client at the other end (the host's name for it). */
  readonly client: string;
}

/** A frame the tap lets through, possibly changed, possibly later. */
export interface TapOut {
  /** The bytes. */
  readonly bytes: Bytes;
  /** Extra delay (ms, default 0). */
  readonly delayMs?: number;
}

/** Where the malicious relay sits (adversary/): it sees and may change every frame the honest relay logic sends or receives. */
export interface RelayTapHooks {
  /** A client's request, after the relay opened its transport frame: what the relay logic receives instead. */
  up(from: TapConn, bytes: Bytes): readonly TapOut[];
  /** A frame the relay logic sends to a client: what goes out instead. */
  down(to: TapConn, bytes: Bytes): readonly TapOut[];
}

/** What a tap may do besides answering for one frame, in the simulated world or live (times in ms). */
export interface TapApi {
  /** Current time. */
  now(): number;
  /** Time at which the run started. */
  readonly startTime: number;
  /** Runs `f` at time `when`. */
  at(when: number, f: () => void): void;
  /** Sends bytes to a client's current connection as the relay (CAP-06); false when it has none. */
  sendDown(client: string, bytes: Bytes): boolean;
  /** Feeds bytes to the relay logic as a request on a client's current connection (CAP-13); false when it has none. */
  sendUp(client: string, bytes: Bytes): boolean;
  /**
   * Feeds bytes to the relay logic as a request from `principal` (a member id) on a connection
   * of the adversary's own, whose replies go nowhere (CAP-13: the relay attributes anything to
   * anyone; CAP-05: a replay appended to the log again).
   */
  asPrincipal(principal: Bytes, bytes: Bytes): void;
  /** Records a note in the trace. */
  note(what: string, detail: string): void;
  /** The simulated world only: crashes a client, which restarts `downtimeMs` later (a fault timed by the plan); false when there is no such client. */
  crash?(client: string, downtimeMs: number): boolean;
  /** The simulated world only: the relay goes down and restarts from its store `downtimeMs` later. */
  restartRelay?(downtimeMs: number): void;
}

/** The adversary's hold on the relay: sees and decides every frame (CAP-01..CAP-07). */
export interface RelayTap extends RelayTapHooks {
  /** Called once, when the world or the live relay is made. */
  attach?(api: TapApi): void;
}

/** What a relay host needs. */
export interface RelayHostOptions {
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  /** The keys the relay's handshake signs with (spec 4.3). */
  readonly keys: KeyPair;
  readonly store: RelayStore;
  readonly config?: Partial<RelayConfig>;
  /** The clock (ms). */
  readonly now: () => number;
  /** Runs `f` at time `when` (the tap's delayed frames). */
  readonly at: (when: number, f: () => void) => void;
  /** The seed of a new connection machine's generator. */
  readonly connSeed: (connId: string) => Bytes;
  readonly tap?: RelayTapHooks;
  /** Trace lines, when tracing. */
  readonly record?: (e: TraceLine) => void;
  /** A rejection the relay logic or a connection machine produced. */
  readonly raise: (reqId: ReqId, detail: string) => void;
  /** A connection proved its principal (for the simulator's PROP-20 record). */
  readonly onAuthenticated?: (client: string, principal: Bytes) => void;
  /** Called for every event fed to a machine. */
  readonly onEvent?: () => void;
  /**
   * Hold what the relay logic sends and seal it at {@link RelayHost.flush}, every connection's
   * messages in one step of its machine (`app.sendMany`, batched by REQ-TRN-010): the live relay
   * flushes once per group commit. A connection's messages are always sealed in order, before
   * anything else is fed to its machine and before it is closed, except a received frame whose
   * step leaves the sending side untouched (the next request of a client waiting for its Acks).
   */
  readonly coalesce?: boolean;
  /** With `coalesce`: `messages` inner messages held for one connection were sealed at a flush (REQ-TRN-010 batches them). */
  readonly onFlushed?: (messages: number) => void;
  /**
   * Where the connection machines write the frames they seal once connected (the live relay's frame
   * pool, issue 23): each frame then goes to its link's `send` and nowhere else. Default: new buffers.
   */
  readonly frames?: FrameBuffers;
  /**
   * With `coalesce` and no `tap`: where the relay machine encodes the deliveries it pushes (the live
   * relay's arena, issue 23), reset at every {@link RelayHost.flush} that leaves nothing held: a
   * delivery is then sealed, and nothing else keeps it (a tap could delay it: not with a tap).
   */
  readonly deliveries?: Buffers & { reset(): void };
  /**
   * The login server (spec 9): registration and login on every connection, the connection
   * rekeyed with the session (REQ-LOG-020). With `required`, nothing but registration and login
   * is served on a connection before it logged in.
   */
  /**
   * Where the relay machine runs, when not here: the sharded live relay's front (`pqroom relay
   * --workers N`, simulator/live/shards/front.ts) keeps the connections, the login server and the
   * sealing, and hands every event meant for the relay machine to `feed`; the shard workers send
   * what the machine decided back through {@link RelayHost.carryOut}. Absent: the machine runs in
   * this host, on `store` (the simulator and `--workers 1`).
   */
  readonly relayBackend?: { feed(event: RelayEvent): void };
  readonly login?: {
    readonly required: boolean;
    /** The secret fake verifiers derive from (REQ-LOG-015). */
    readonly serverSecret: Bytes;
    /** The KDF parameters accounts register with (REQ-LOG-018; default the interactive profile). */
    readonly kdf?: KdfParams;
    readonly rngSeed: Bytes;
    /** Session lifetime (default 4 hours, REQ-LOG-020). */
    readonly lifetimeMs?: number;
  };
  /**
   * Runs the rest of an asynchronous check (a WebAuthn verification, spec 9.7) the way the host's
   * owner runs a frame (the live relay: in a batch, guarded); default: at once.
   */
  readonly resumeAsync?: (f: () => void) => void;
}

/** A running relay host. */
export interface RelayHost {
  /** A new connection from `peer` (a name for traces and logs): the relay end's handlers. */
  accept(link: Link, peer: string, origin?: string): LinkHandlers;
  /** The relay logic stops (a crash): nothing is fed until `resume`. */
  halt(): void;
  /** The relay machine restarts from the state last saved in the store (REQ-REL-050). */
  resume(): void;
  /** With `coalesce`: seals and sends everything held (nothing to do without it). */
  flush(): void;
  /** The relay machine's current state. */
  state(): RelayState;
  /** Open connections. */
  connections(): number;
  /** The id of `client`'s open connection, if any. */
  connOf(client: string): string | undefined;
  /** Sends a frame to a connection as the relay logic would (the tap's injections). */
  sendDown(connId: string, bytes: Bytes): void;
  /** Feeds a frame to the relay logic as if it arrived on a connection. */
  sendUp(connId: string, bytes: Bytes): void;
  /** Feeds a request to the relay logic as `principal`, on a connection of its own (CAP-13). */
  asPrincipal(principal: Bytes, bytes: Bytes): void;
  /** Carries out what a relay machine running elsewhere decided ({@link RelayHostOptions.relayBackend}); history and mailbox pages come already served, as replies. */
  carryOut(effects: readonly RelayEffect[]): void;
}

interface ConnNode {
  snapshot: SnapshotFrom<typeof relayConnectionMachine>;
  readonly client: string;
  readonly link: Link;
  /** The principal the handshake authenticated. */
  principal?: Bytes;
  /** The login session on this connection (REQ-LOG-020). */
  session?: { readonly username: string; readonly expiresAt: number };
  /** The `Origin` of the upgrade request that opened the connection (a browser's page, REQ-WEB-002). */
  readonly origin?: string;
  /** REQ-LOG-031: logged in to an account with a second factor, not yet admitted. */
  gated?: boolean;
  /** REQ-LOG-032: the factor challenge issued on this connection, until a response consumes it. */
  factor?: PendingFactor;
}

/** Registration and login messages, which go to the login server. */
const LOGIN_TYPES: ReadonlySet<number> = new Set([MsgType.Register, MsgType.CompatLoginStart, MsgType.CompatLoginResponse, MsgType.LoginStart, MsgType.LoginResponse]);
const isLogin = (bytes: Bytes): boolean => bytes.length >= 4 && LOGIN_TYPES.has(bytes[3]!);
/** The second factor's messages (spec 9.7), which the host itself serves. */
const isFactor = (bytes: Bytes): boolean => bytes.length >= 4 && (bytes[3] === MsgType.FactorBegin || bytes[3] === MsgType.FactorResponse);

/** A relay step's writes: its appends and mail, then its state (a module function: a named closure per step costs a defineProperty under tsx, issue 23). */
function writeStep(store: RelayStore, effects: readonly RelayEffect[], state: RelayState): void {
  for (const fx of effects) {
    if (fx.type === 'effect.append') store.append(fx.roomId, fx.index, fx.payload, fx.epoch);
    else if (fx.type === 'effect.storeMail') store.storeMail(fx.principal, fx.entry);
  }
  store.saveState(state);
}

/** Starts a relay host on the state the store holds (or an empty relay). */
export function createRelayHost(o: RelayHostOptions): RelayHost {
  const arena = o.coalesce && !o.tap ? o.deliveries : undefined;
  const input = () => ({ crypto: o.crypto, state: o.store.loadState() ?? emptyRelay(o.profile), config: o.config ?? {}, ...(arena === undefined ? {} : { deliveries: arena }) });
  let relay = start<typeof relayMachine, RelayEffect>(relayMachine, input()).snapshot;
  let halted = false;
  const conns = new Map<string, ConnNode>();
  const posing = new Set<string>();
  const record = o.record;
  const loginInput = () =>
    o.login &&
    start<typeof loginServerMachine, LoginServerEffect>(loginServerMachine, {
      crypto: o.crypto,
      profile: o.profile,
      relayKeys: o.keys,
      serverSecret: o.login.serverSecret,
      ...(o.login.kdf === undefined ? {} : { kdf: o.login.kdf }),
      rngSeed: o.login.rngSeed,
      ...(o.login.lifetimeMs === undefined ? {} : { lifetimeMs: o.login.lifetimeMs }),
      ...(o.store.accounts ? { accounts: o.store.accounts() } : {}),
    }).snapshot;
  let login = loginInput();

  const feedLogin = (event: LoginServerEvent): void => {
    if (!login || halted) return;
    o.onEvent?.();
    const r = step<typeof loginServerMachine, LoginServerEffect>(loginServerMachine, login, event);
    login = r.snapshot;
    for (const fx of r.effects) {
      const node = conns.get(fx.conn);
      switch (fx.type) {
        case 'effect.send':
          relaySend(fx.conn, fx.bytes);
          break;
        case 'effect.registered':
          o.store.saveAccount?.(r.snapshot.context.accounts.get(fx.username)!);
          record?.({ kind: 'event', actor: 'relay', what: 'registered', detail: fx.username });
          break;
        case 'effect.reject':
          o.raise(fx.reqId, `${fx.conn}: ${fx.detail}`);
          relaySend(fx.conn, rejectBytes(0, fx.reqId, fx.detail)); // REQ-LOG-023: login messages carry no request id
          break;
        case 'effect.loggedIn': {
          if (!node) break;
          // REQ-LOG-022: the account must be the identity the connection authenticated as
          if (o.profile === 'hardened' && (node.principal === undefined || !equalBytes(fingerprint(o.crypto, fx.identityPk), node.principal))) {
            o.raise('REQ-LOG-022', `${fx.conn}: logged in as ${fx.username}, whose identity key is not the connection's principal`);
            closeConn(fx.conn, 'login for another identity (REQ-LOG-022)');
            break;
          }
          feedConn(fx.conn, { type: 'conn.rekey', sessionKey: fx.sessionKey, now: o.now() }); // REQ-LOG-020, REQ-LOG-023: right after the finish was sealed
          const session = { username: fx.username, expiresAt: fx.expiresAt };
          node.session = session;
          // REQ-LOG-031: an account with a second factor is admitted only once a factor response is accepted
          node.gated = o.profile === 'hardened' && o.login?.required === true && hasFactor(o.store.factors?.(fx.username));
          node.factor = undefined;
          record?.({ kind: 'event', actor: 'relay', what: 'logged in', detail: `${node.client} as ${fx.username}` });
          o.at(fx.expiresAt, () => {
            if (conns.get(fx.conn)?.session === session) closeConn(fx.conn, 'session expired (REQ-LOG-020)');
          });
          if (o.login?.required && node.principal && !node.gated) feedRelay({ type: 'conn.open', conn: fx.conn, principal: node.principal, now: o.now() });
          break;
        }
      }
    }
  };

  const feedRelay = (event: RelayEvent): void => {
    if (halted) return;
    o.onEvent?.();
    if (o.relayBackend) return o.relayBackend.feed(event);
    const r = step<typeof relayMachine, RelayEffect>(relayMachine, relay, event);
    const sends = r.effects.filter((fx) => fx.type !== 'effect.append' && fx.type !== 'effect.storeMail');
    // the step's writes, in one transaction where the store has them, are durable before anything
    // that reports them is sent (REQ-REL-050); a step whose writes fail changes nothing
    // a step of one append (a Send) needs no savepoint of its own in a group commit (issue 23)
    if (o.store.atomically) o.store.atomically(() => writeStep(o.store, r.effects, r.snapshot.context.state), r.effects.length - sends.length <= 1);
    else writeStep(o.store, r.effects, r.snapshot.context.state);
    relay = r.snapshot;
    carryOut(sends);
  };

  const carryOut = (sends: readonly RelayEffect[]): void => {
    for (const fx of sends) {
      switch (fx.type) {
        case 'effect.reply':
          relaySend(fx.conn, fx.bytes);
          break;
        case 'effect.push':
          for (const c of fx.conns) relaySend(c, fx.bytes);
          break;
        case 'effect.serveHistory':
          relaySend(fx.conn, historyChunk(o.store, fx.reqId, fx.roomId, fx.from, fx.to, fx.limit, fx.lateBefore));
          break;
        case 'effect.serveMailbox':
          relaySend(fx.conn, mailboxChunk(o.store, fx.reqId, fx.principal, fx.from));
          break;
        case 'effect.close':
          closeConn(fx.conn, fx.reason);
          break;
        case 'effect.reject':
          o.raise(fx.reqId, `${fx.conn}: ${fx.detail}`);
          break;
        default:
          break;
      }
    }
  };

  const relaySend = (connId: string, bytes: Bytes): void => {
    const node = conns.get(connId);
    if (!node) return;
    if (!o.tap) return relayWire(connId, bytes);
    for (const out of o.tap.down({ conn: connId, client: node.client }, bytes)) {
      if (!out.delayMs) relayWire(connId, out.bytes);
      // a delayed frame goes to the client's connection at the time it is let go: a client that
      // reconnected meanwhile gets it on its new connection
      else o.at(o.now() + out.delayMs, () => relayWire(openConnOf(node.client) ?? connId, out.bytes));
    }
  };

  /** The client's open connection, if it has one. */
  const openConnOf = (client: string): string | undefined => {
    for (const [id, n] of conns) if (n.client === client && n.snapshot.value === 'open') return id;
    return undefined;
  };

  const relayWire = (connId: string, bytes: Bytes): void => {
    const node = conns.get(connId);
    if (!node) return;
    record?.({ kind: 'send', actor: 'relay', to: node.client, msg: messageLabel(bytes), size: bytes.length, hash: shortHash(bytes) });
    if (!o.coalesce) return feedConn(connId, { type: 'app.send', bytes, now: o.now() });
    const q = held.get(connId);
    if (q) q.push(bytes);
    else held.set(connId, [bytes]);
  };

  /** What the relay logic sent and `coalesce` holds, by connection, in order. */
  const held = new Map<string, Bytes[]>();
  const flushConn = (connId: string): void => {
    const q = held.get(connId);
    if (!q) return;
    held.delete(connId);
    stepConn(connId, q.length === 1 ? { type: 'app.send', bytes: q[0]!, now: o.now() } : { type: 'app.sendMany', bytes: q, now: o.now() });
    o.onFlushed?.(q.length);
  };
  /** Closes a connection after sealing what is held for it. */
  const closeConn = (connId: string, reason: string): void => {
    flushConn(connId);
    conns.get(connId)?.link.close(reason);
  };

  /** A request's inner message reached the relay; `owned`: the bytes are a frame's plaintext that nothing else holds. */
  const relayReceive = (connId: string, bytes: Bytes, owned = false): void => {
    const node = conns.get(connId);
    if (!node || halted) return;
    record?.({ kind: 'recv', actor: 'relay', from: node.client, msg: messageLabel(bytes), size: bytes.length, hash: shortHash(bytes) });
    if (login && isLogin(bytes)) {
      // REQ-LOG-023: registration and login are inner messages of the connection, for the login server
      const th = node.snapshot.context.th;
      if (th) feedLogin({ type: 'login.receive', conn: connId, th, bytes, now: o.now() });
      return;
    }
    if (login && isFactor(bytes)) return factorReceive(connId, node, bytes);
    if (node.gated) {
      // REQ-LOG-031: nothing but the factor before the connection is admitted
      const d = decodeRequest(bytes);
      o.raise('REQ-LOG-031', `${connId}: a request before the second factor`);
      relaySend(connId, rejectBytes(d.ok ? d.request.value.req_id : 0, 'REQ-LOG-031', 'answer the second factor first'));
      return;
    }
    if (o.login?.required && !node.session) {
      // REQ-LOG-020: a relay that requires a login serves nothing else before it
      const d = decodeRequest(bytes);
      o.raise('REQ-LOG-020', `${connId}: a request before the login`);
      relaySend(connId, rejectBytes(d.ok ? d.request.value.req_id : d.requestId, 'REQ-LOG-020', 'log in first'));
      return;
    }
    request(connId, bytes, owned);
  };

  // spec 9.7: the challenges come from a generator of their own, seeded from the login's seed (deterministic)
  const factorRng = o.login ? deterministicRng(concat(o.login.rngSeed, utf8('second factor'))) : undefined;
  /** Refused factor responses per account (REQ-LOG-035). */
  const factorFailures = new Map<string, number[]>();
  const factorReceive = (connId: string, node: ConnNode, bytes: Bytes): void => {
    const refuse = (reqId: ReqId, detail: string): void => {
      o.raise(reqId, `${connId}: ${detail}`);
      relaySend(connId, rejectBytes(0, reqId, detail)); // like the login's, the factor messages carry no request id
    };
    const session = node.session;
    // REQ-LOG-031: the factor belongs to a logged-in account (hardened); an admitted connection may enroll one (REQ-LOG-030)
    if (o.profile !== 'hardened' || !session || !factorRng) return refuse('REQ-LOG-031', 'log in first');
    const now = o.now();
    if (bytes[3] === MsgType.FactorBegin) {
      let purpose;
      try {
        purpose = decode(FactorBegin, bytes).purpose;
      } catch (e) {
        return refuse('REQ-ENC-006', e instanceof Error ? e.message : String(e));
      }
      if (purpose === 'enroll' && node.gated) return refuse('REQ-LOG-030', 'a factor is enrolled only on an admitted connection');
      if (purpose === 'enroll' && !o.login?.required) return refuse('REQ-LOG-030', 'this relay does not require a login: a second factor would admit nothing');
      // REQ-LOG-032: fresh, replaces any earlier one; an admitted connection is shown nothing to answer at login
      const admittedLogin = purpose === 'login' && !node.gated;
      const c = factorChallenge(factorRng, purpose, admittedLogin ? undefined : o.store.factors?.(session.username), now);
      node.factor = admittedLogin ? undefined : c.pending;
      relaySend(connId, c.bytes);
      return;
    }
    const pending = node.factor;
    node.factor = undefined; // REQ-LOG-032: a challenge is consumed by the first response, good or bad
    const recent = (factorFailures.get(session.username) ?? []).filter((t) => now - t < FACTOR_FAILURE_WINDOW_MS);
    if (recent.length >= MAX_FACTOR_FAILURES) {
      refuse('REQ-LOG-035', 'too many refused second factors for this account; try later');
      if (node.gated) closeConn(connId, 'second factor refused (REQ-LOG-035)');
      return;
    }
    const factors = o.store.factors?.(session.username);
    void checkFactorResponse(bytes, { pending, factors, now, ...(node.origin === undefined ? {} : { origin: node.origin }) }).then((v) =>
      (o.resumeAsync ?? ((f: () => void) => f()))(() => {
        if (conns.get(connId) !== node || node.session !== session || halted) return; // the connection or its session ended meanwhile
        if (!v.ok) {
          factorFailures.set(session.username, [...recent, o.now()]);
          refuse(v.reqId, v.detail);
          if (node.gated) closeConn(connId, `second factor refused (${v.reqId})`); // a new attempt costs a new login
          else flushConn(connId);
          return;
        }
        // the checked response's effect on the account (a counter, a used TOTP step, a new factor) is kept before it is answered
        o.store.saveFactors?.(session.username, v.factors);
        record?.({ kind: 'event', actor: 'relay', what: v.purpose === 'login' ? 'second factor' : 'factor enrolled', detail: `${node.client} as ${session.username}: ${v.method}` });
        relaySend(connId, encode(FactorAccepted, { purpose: v.purpose, method: v.method }));
        if (v.purpose === 'login' && node.gated) {
          node.gated = false;
          if (o.login?.required && node.principal) feedRelay({ type: 'conn.open', conn: connId, principal: node.principal, now: o.now() });
        }
        flushConn(connId);
      }),
    );
  };

  const request = (connId: string, bytes: Bytes, owned = false): void => {
    const d = decodeRequest(bytes, owned);
    const now = o.now();
    // REQ-REL-004: the digest of the bytes received recognises a retransmission
    feedRelay(d.ok ? { type: 'net.request', conn: connId, request: d.request, digest: o.crypto.sha256(bytes), now } : { type: 'net.malformed', conn: connId, reqId: d.reqId, detail: d.detail, ...(d.requestId === 0 ? {} : { requestId: d.requestId }), now });
  };

  const feedConn = (connId: string, event: ConnEvent): void => {
    const node = conns.get(connId);
    if (node && !halted && event.type === 'net.wire' && held.has(connId)) {
      // REQ-TRN-010: a frame received does not end the batch held for its connection (issue 23:
      // the sender's Ack then shares a frame with the Acks of the same group commit instead of
      // being sealed alone). That holds only when the step commutes with sealing what is held:
      // it leaves the state, the keys and the send seq (REQ-TRN-008) as they were and sends
      // nothing itself (a frame opened in the open state only moves the receive window, which
      // sealing neither reads nor writes). Otherwise the step is taken again after the flush.
      const before = node.snapshot;
      const r = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, before, event);
      const c = r.snapshot.context;
      if (r.snapshot.value === before.value && c.keys === before.context.keys && c.sendSeq === before.context.sendSeq && !r.effects.some((fx) => fx.type === 'effect.wire')) {
        o.onEvent?.();
        return applyConn(connId, node, r);
      }
    }
    flushConn(connId); // what is held was sent before this event, under the keys before it
    stepConn(connId, event);
  };

  const stepConn = (connId: string, event: ConnEvent): void => {
    const node = conns.get(connId);
    if (!node || halted) return;
    o.onEvent?.();
    applyConn(connId, node, step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, node.snapshot, event));
  };

  /** Takes a step of a connection's machine: its snapshot, then its effects in order. */
  const applyConn = (connId: string, node: ConnNode, r: Stepped<typeof relayConnectionMachine, ConnEffect>): void => {
    node.snapshot = r.snapshot;
    for (const fx of r.effects) {
      switch (fx.type) {
        case 'effect.wire':
          node.link.send(fx.bytes);
          break;
        case 'effect.authenticated':
          node.principal = fx.principal;
          o.onAuthenticated?.(node.client, fx.principal);
          if (!o.login?.required) feedRelay({ type: 'conn.open', conn: connId, principal: fx.principal, now: o.now() });
          break;
        case 'effect.receive':
          // the frame's plaintext, new from the AEAD and held by nobody else: decoded in place (REQ-ENC-016 holds, issue 23)
          if (!o.tap) relayReceive(connId, fx.bytes, true);
          else {
            for (const out of o.tap.up({ conn: connId, client: node.client }, fx.bytes)) {
              if (!out.delayMs) relayReceive(connId, out.bytes);
              else o.at(o.now() + out.delayMs, () => relayReceive(connId, out.bytes));
            }
          }
          break;
        case 'effect.reject':
          o.raise(fx.reqId, `${connId}: ${fx.detail}`);
          break;
        case 'effect.close':
          closeConn(connId, fx.reason);
          break;
        default:
          break;
      }
    }
  };

  return {
    accept(link, peer, origin) {
      conns.set(link.id, {
        client: peer,
        link,
        ...(origin === undefined ? {} : { origin }),
        snapshot: start<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, { crypto: o.crypto, profile: o.profile, relayKeys: o.keys, rngSeed: o.connSeed(link.id), ...(o.frames === undefined ? {} : { frames: o.frames }) }).snapshot,
      });
      return {
        onFrame: (bytes) => feedConn(link.id, { type: 'net.wire', bytes, now: o.now() }),
        onClose: () => {
          held.delete(link.id);
          if (!conns.delete(link.id)) return;
          feedLogin({ type: 'conn.closed', conn: link.id });
          feedRelay({ type: 'conn.close', conn: link.id, now: o.now() });
        },
      };
    },
    halt() {
      halted = true;
      held.clear(); // a crash loses what was not sent
    },
    flush() {
      for (const connId of [...held.keys()]) flushConn(connId);
      if (held.size === 0) arena?.reset(); // every delivery made so far is sealed
    },
    resume() {
      relay = start<typeof relayMachine, RelayEffect>(relayMachine, input()).snapshot;
      login = loginInput();
      halted = false;
    },
    state: () => relay.context.state,
    connections: () => conns.size,
    connOf: openConnOf,
    sendDown: relayWire,
    sendUp: relayReceive,
    carryOut,
    asPrincipal(principal, bytes) {
      const id = `adversary-${toHex(principal).slice(0, 16)}`;
      if (!posing.has(id)) {
        posing.add(id);
        feedRelay({ type: 'conn.open', conn: id, principal, now: o.now() });
      }
      record?.({ kind: 'recv', actor: 'relay', from: 'adversary', msg: messageLabel(bytes), size: bytes.length, hash: shortHash(bytes) });
      request(id, bytes);
    },
  };
}
