/**
 * A live client: an owner or member machine and the client connection machine, driven on the
 * wall clock over a WebSocket (the same machines the simulated world drives on a virtual clock).
 * This module knows no WebSocket implementation: the host dials through `dial`, so the same code
 * runs in Node (`client.ts` gives it the `ws` transport) and in a browser (the web app gives it
 * the browser's WebSocket).
 * The host does what the world does for a client: it feeds the role machine its user and network
 * events, carries its frames through the connection machine, keeps its wake-up timer, and
 * reconnects a lost connection. Effects it does not act on are handed to `on`.
 */
import type { SnapshotFrom } from 'xstate';
import { toHex, type Bytes } from '../../impl/bytes.ts';
import type { CryptoProvider } from '../../impl/crypto/provider.ts';
import { attempt, type ReqId } from '../../impl/errors.ts';
import type { Identity } from '../../impl/protocol/identity.ts';
import { deterministicRng, drbgInstantiate, systemRng } from '../../impl/rng.ts';
import { decode, encode } from '../../impl/codec.ts';
import { FactorAccepted, FactorBegin, FactorChallenge, FactorResponse, MsgType, Reject, type FactorMethod, type Invite } from '../../impl/messages/index.ts';
import { configuredKdf, register, registrationPin, type LoginPin } from '../../impl/protocol/login.ts';
import type { Profile } from '../../impl/suite.ts';
import type { ClientConfig, ClientCore } from '../../machines/client-core.ts';
import { clientConnectionMachine, type ConnEffect, type ConnEvent } from '../../machines/connection.ts';
import { start, step } from '../../machines/driver.ts';
import type { ClientEffect, MemberEvent, NetEvent, OwnerEvent, Status } from '../../machines/events.ts';
import { loginClientMachine, type LoginClientEffect, type LoginClientEvent } from '../../machines/login-client.ts';
import { memberMachine } from '../../machines/member.ts';
import { ownerMachine } from '../../machines/owner.ts';
import { relayMessageToEvent } from '../envelope.ts';
import { persistedRole, resumeRole, type PersistedRole } from '../../machines/resume.ts';
import { roomOf, routeToRoom } from '../../machines/route.ts';
import type { TraceLine } from '../relay-host.ts';
import { messageLabel } from '../message-label.ts';
import { shortHash } from '../trace.ts';
import type { Link, LinkHandlers } from '../transport.ts';

/** What a live client reports. */
export interface LiveClientEvents {
  deliver?(d: { sender: string; seq: number; epoch: number; text: string }): void;
  status?(s: Status): void;
  raise?(kind: 'reject' | 'alarm', reqId: ReqId, detail: string): void;
  connected?(): void;
  /** hardened: the client pinned its account's salt and KDF parameters (REQ-LOG-017); a host with a vault keeps them there. */
  pinned?(pin: LoginPin): void;
}

/** Options of a live client. */
export interface LiveClientOptions {
  readonly name: string;
  readonly role: 'owner' | 'member';
  readonly url: string;
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  readonly identity: Identity;
  /** hardened: the relay key the client pins. */
  readonly relayPk?: Bytes;
  readonly config?: Partial<ClientConfig>;
  readonly on?: LiveClientEvents;
  /** REQ-TRN-009 timings (ms): reconnect after a loss (1000), give up a handshake (3000), give up a silent relay (8000). */
  readonly reconnectMs?: number;
  readonly handshakeTimeoutMs?: number;
  readonly silenceMs?: number;
  /**
   * Log in on every connection before the role machine goes online (spec 9, REQ-LOG-020): the
   * connection is rekeyed with the session. `register` registers the account on the first
   * connection first, with the interactive profile, which is also the floor (REQ-LOG-012);
   * `insecureTestKdf` (tests and the demo only) lowers both to the test profile (REQ-LOG-019).
   * hardened: `pin` is the account's pin from the vault; without one the client pins what it
   * registers with, or what its first login used (REQ-LOG-017).
   */
  readonly login?: {
    readonly username: string;
    readonly password: string;
    readonly register: boolean;
    readonly insecureTestKdf?: boolean;
    readonly pin?: LoginPin;
    /** With `register`: the `Register` to send, made beforehand by the host (the web page derives its Argon2id in WebAssembly); else the client makes it. */
    readonly registration?: Bytes;
  };
  /**
   * hardened, with `login`: the second factor of spec 9.7. After every login the client asks for
   * a factor challenge (`FactorBegin`) and its role machine goes online only once the relay
   * admitted the connection: at once when the account enrolled no factor, else after `answer`'s
   * response was accepted (REQ-LOG-031). `answer` returning undefined gives up the login.
   */
  readonly factor?: { answer(challenge: FactorChallenge): Promise<FactorAnswer | undefined> };
  /** Trace lines of this client (the simulator's format; the caller stamps the time). */
  readonly record?: (e: TraceLine) => void;
  /** Resume the role machine from this persisted state (REQ-MEM-026), instead of starting afresh. */
  readonly resume?: PersistedRole;
  /**
   * Called after every step of the role machine with what to persist (REQ-MEM-026). When it
   * returns a promise, the step's effects leave only once it resolves, in step order (REQ-MEM-002).
   */
  readonly persist?: (state: PersistedRole) => void | Promise<void>;
}

/** A second factor's answer to a `FactorChallenge` (spec 9.7): a TOTP code, or the browser's WebAuthn response as JSON. */
export interface FactorAnswer {
  readonly method: FactorMethod;
  readonly code?: string;
  /** WebAuthn: the assertion or attestation in its JSON form (UTF-8). */
  readonly webauthn?: Bytes;
  /** TOTP enrollment: the secret the authenticator app holds. */
  readonly totpSecret?: Bytes;
}

/** Opens a connection to the relay at `url` (a WebSocket: one binary message per frame). */
export type Dial = (url: string, handlers: LinkHandlers) => Link;

/** A running live client. */
export interface LiveClient {
  readonly name: string;
  readonly identity: Identity;
  /** Feeds a user event (`user.send`, `user.invite`, ...). */
  user(event: { type: string } & Record<string, unknown>): void;
  /** The role machine's state value. */
  state(): unknown;
  /** The role machine's context. */
  context(): unknown;
  /** Stops: closes the connection, cancels timers, never reconnects. */
  stop(): void;
  /**
   * hardened: enrolls a second factor for the logged-in account on the admitted connection (REQ-LOG-030):
   * asks for an enrollment challenge, lets `make` answer it (a WebAuthn attestation, or a TOTP
   * secret and its current code), and resolves once the relay accepted it; rejects with the relay's refusal.
   */
  enrollFactor(make: (challenge: FactorChallenge) => Promise<FactorAnswer>): Promise<void>;
}

type RoleMachine = typeof ownerMachine | typeof memberMachine;

/** The second-factor requirements a relay's Reject of a factor names (spec 9: REQ-LOG-030 to REQ-LOG-035, each listed so that traceability reads real ids). */
const FACTOR_REQS: ReadonlySet<string> = new Set(['REQ-LOG-030', 'REQ-LOG-031', 'REQ-LOG-032', 'REQ-LOG-033', 'REQ-LOG-034', 'REQ-LOG-035']);
/** What the relay answers a login with (spec 9.5): everything else that arrives meanwhile is the role machine's. */
const LOGIN_REPLIES: ReadonlySet<number> = new Set([MsgType.LoginChallenge, MsgType.LoginFinish, MsgType.CompatLoginChallenge, MsgType.CompatLoginFinish, MsgType.Reject]);
type RoleSnapshot = SnapshotFrom<typeof ownerMachine> | SnapshotFrom<typeof memberMachine>;

/** Starts a client and connects it. */
export function startClientHost(o: LiveClientOptions & { readonly dial: Dial }): LiveClient {
  const machine: RoleMachine = o.role === 'owner' ? ownerMachine : memberMachine;
  const input = { crypto: o.crypto, profile: o.profile, identity: o.identity, rngSeed: systemRng.bytes(48), config: o.config ?? {} };
  let snapshot: RoleSnapshot =
    o.resume !== undefined
      ? (resumeRole(machine as typeof memberMachine, o.resume, o.crypto, drbgInstantiate(systemRng.bytes(48))) as RoleSnapshot) // REQ-CRY-015: a fresh generator
      : (o.role === 'owner' ? start<typeof ownerMachine, ClientEffect>(ownerMachine, input) : start<typeof memberMachine, ClientEffect>(memberMachine, input)).snapshot;
  let conn = newConn();
  let link: Link | undefined;
  let wake: ReturnType<typeof setTimeout> | undefined;
  let wakeAt: number | undefined;
  let stopped = false;
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  // REQ-TRN-009: a handshake that does not complete, or a relay that answers nothing, ends the connection
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, f: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };
  let unansweredSince: number | undefined;
  const silenceMs = o.silenceMs ?? 8_000;
  const silenceCheck = (l: Link): void => {
    if (link !== l || unansweredSince === undefined) return;
    if (Date.now() - unansweredSince >= silenceMs) l.close('relay silent');
    else later(unansweredSince + silenceMs - Date.now(), () => silenceCheck(l));
  };

  function newConn() {
    return start<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, {
      crypto: o.crypto,
      profile: o.profile,
      identity: o.identity,
      pinnedRelayPk: o.profile === 'hardened' ? o.relayPk : undefined,
      rngSeed: systemRng.bytes(48),
    }).snapshot;
  }

  const record = o.record;
  // the login on the current connection (spec 9): undefined when there is none, or once it is done
  let loginSnap: SnapshotFrom<typeof loginClientMachine> | undefined;
  // REQ-LOG-001: Register has no answer, so the same bytes go out on every connection until a login succeeds
  let registration: Bytes | undefined;
  let mustRegister = o.login?.register ?? false;
  let loginFailed = false;
  // REQ-LOG-017: the account's salt and KDF parameters, kept across connections
  let pin: LoginPin | undefined = o.profile === 'hardened' ? o.login?.pin : undefined;
  const pinNow = (p: LoginPin): void => {
    pin = p;
    o.on?.pinned?.(p);
  };
  /** Relay messages that arrived during the login and are not for it. */
  const held: Bytes[] = [];
  /** A `Reject` the relay answered the login with: its reason is the one to report. */
  let refusal: { readonly requirement: string; readonly detail: string } | undefined;
  const feedLogin = (event: LoginClientEvent): void => {
    if (!loginSnap) return;
    const r = step<typeof loginClientMachine, LoginClientEffect>(loginClientMachine, loginSnap, event);
    loginSnap = r.snapshot;
    for (const fx of r.effects) {
      if (fx.type === 'effect.send') feedConn({ type: 'app.send', bytes: fx.bytes, now: Date.now() });
      else if (fx.type === 'effect.reject') {
        // a refused login (a wrong password, a relay that is not the pinned one): no retry loop
        const reqId = (refusal?.requirement ?? fx.reqId) as ReqId;
        const detail = refusal ? `login refused by the relay: ${refusal.detail}` : `login: ${fx.detail}`;
        record?.({ kind: 'reject', actor: o.name, reqId, detail });
        o.on?.raise?.('reject', reqId, detail);
        loginSnap = undefined;
        loginFailed = true;
        link?.close('login refused');
      } else if (fx.type === 'effect.loggedIn') {
        loginSnap = undefined;
        mustRegister = false;
        if (pin === undefined && fx.pin !== undefined) pinNow(fx.pin); // REQ-LOG-017: trust on first use
        feedConn({ type: 'conn.rekey', sessionKey: fx.sessionKey, now: Date.now() }); // REQ-LOG-020, REQ-LOG-023: the finish checked, nothing sent since the response
        record?.({ kind: 'event', actor: o.name, what: 'logged in', detail: o.login!.username });
        if (o.factor && o.profile === 'hardened') {
          // spec 9.7: the connection is admitted once the account's factor is answered (or it has none)
          awaitingFactor = true;
          send(encode(FactorBegin, { purpose: 'login' }));
        } else goOnline();
      }
    }
  };
  /** The login is done (and its second factor, if any): the role machine goes online, with what arrived meanwhile. */
  const goOnline = (): void => {
    awaitingFactor = false;
    o.on?.connected?.();
    feedRole({ type: 'net.up', now: Date.now() });
    for (const bytes of held.splice(0)) feedRelay(bytes);
  };
  const send = (bytes: Bytes): void => feedConn({ type: 'app.send', bytes, now: Date.now() });
  /** REQ-LOG-031: logged in, waiting for the relay to admit the connection after the second factor. */
  let awaitingFactor = false;
  /** An enrollment under way (REQ-LOG-030). */
  let enrolling: { readonly make: (c: FactorChallenge) => Promise<FactorAnswer>; readonly done: (e?: Error) => void } | undefined;
  const respond = (purpose: 'login' | 'enroll', challenge: Bytes, a: FactorAnswer): void =>
    send(encode(FactorResponse, { purpose, method: a.method, challenge, totp_secret: a.totpSecret ?? new Uint8Array(0), code: a.code ?? '', webauthn: a.webauthn ?? new Uint8Array(0) }));
  const refusedFactor = (detail: string, reqId: ReqId): void => {
    record?.({ kind: 'reject', actor: o.name, reqId, detail });
    o.on?.raise?.('reject', reqId, detail);
    awaitingFactor = false;
    loginFailed = true; // like a refused login: no retry loop
    link?.close('second factor refused');
  };
  /** The relay's factor messages (spec 9.7); true when `bytes` was one of them or a refusal of one. */
  const factorReceive = (bytes: Bytes): boolean => {
    const type = bytes.length >= 4 ? bytes[3] : undefined;
    if (type === MsgType.FactorChallenge) {
      const ch = attempt(() => decode(FactorChallenge, bytes));
      if (!ch.ok) return true;
      const c = ch.value;
      if (c.purpose === 'login' && awaitingFactor) {
        if (!c.totp && !c.webauthn) goOnline(); // no factor enrolled: admitted
        else
          void o.factor!.answer(c).then(
            (a) => (a === undefined ? refusedFactor('second factor: no answer given', 'REQ-LOG-031') : respond('login', c.challenge, a)),
            (e: unknown) => refusedFactor(`second factor: ${e instanceof Error ? e.message : String(e)}`, 'REQ-LOG-031'),
          );
      } else if (c.purpose === 'enroll' && enrolling) {
        const e = enrolling;
        void e.make(c).then(
          (a) => respond('enroll', c.challenge, a),
          (err: unknown) => {
            enrolling = undefined;
            e.done(err instanceof Error ? err : new Error(String(err)));
          },
        );
      }
      return true;
    }
    if (type === MsgType.FactorAccepted) {
      const acc = attempt(() => decode(FactorAccepted, bytes));
      if (acc.ok && acc.value.purpose === 'login' && awaitingFactor) {
        record?.({ kind: 'event', actor: o.name, what: 'second factor', detail: acc.value.method });
        goOnline();
      } else if (acc.ok && acc.value.purpose === 'enroll' && enrolling) {
        const e = enrolling;
        enrolling = undefined;
        e.done();
      }
      return true;
    }
    if (type === MsgType.Reject && (awaitingFactor || enrolling)) {
      const rj = attempt(() => decode(Reject, bytes));
      if (!rj.ok || rj.value.req_id !== 0 || !FACTOR_REQS.has(rj.value.requirement)) return false;
      if (awaitingFactor) refusedFactor(`second factor refused by the relay: ${rj.value.detail}`, rj.value.requirement as ReqId);
      else if (enrolling) {
        const e = enrolling;
        enrolling = undefined;
        e.done(new Error(`${rj.value.requirement}: ${rj.value.detail}`));
      }
      return true;
    }
    return false;
  };
  const startLogin = (): void => {
    const l = o.login!;
    if (mustRegister) {
      const kdf = configuredKdf(l.insecureTestKdf); // REQ-LOG-019: the configuration's, at the floor
      registration ??= l.registration ?? register(o.crypto, deterministicRng(systemRng.bytes(32)), l.username, l.password, kdf, o.identity.publicKey, kdf);
      if (o.profile === 'hardened' && pin === undefined) pinNow(registrationPin(registration)); // REQ-LOG-017
      feedConn({ type: 'app.send', bytes: registration, now: Date.now() });
    }
    loginSnap = start<typeof loginClientMachine, LoginClientEffect>(loginClientMachine, {
      crypto: o.crypto,
      profile: o.profile,
      username: l.username,
      password: l.password,
      pinnedRelayPk: o.relayPk,
      rngSeed: systemRng.bytes(48),
      ...(l.insecureTestKdf === true ? { insecureTestKdf: true } : {}),
    }).snapshot;
    feedLogin({ type: 'login.start', th: conn.context.th!, now: Date.now(), ...(pin === undefined ? {} : { pin }) });
  };
  /** A relay message, routed to this client's room (REQ-MEM-064) and fed to its role machine. */
  const feedRelay = (bytes: Bytes): void => {
    const ev = routeToRoom(roomOf(snapshot.context as ClientCore & { invite?: Invite }), relayMessageToEvent(bytes, Date.now()));
    if (ev !== undefined) feedRole(ev);
  };
  /** The chain of persisted steps whose effects are waiting (REQ-MEM-002). */
  let persisted: Promise<void> = Promise.resolve();
  const feedRole = (event: OwnerEvent | MemberEvent | NetEvent): void => {
    if (stopped) return;
    const r = step<RoleMachine, ClientEffect>(machine, snapshot as never, event as never);
    if (record) {
      const from = JSON.stringify(snapshot.value);
      const to = JSON.stringify(r.snapshot.value);
      if (from !== to) record({ kind: 'state', actor: o.name, from, to });
    }
    snapshot = r.snapshot as RoleSnapshot;
    const saved = o.persist?.(persistedRole(snapshot)); // REQ-MEM-026: before any effect of the step leaves
    if (saved instanceof Promise) {
      const effects = r.effects;
      persisted = persisted.then(
        () => saved.then(() => effects.forEach(effect)),
        () => undefined,
      );
      persisted.catch((e: unknown) => o.on?.raise?.('alarm', 'REQ-MEM-026', `the state could not be kept: ${String(e)}`));
    } else for (const fx of r.effects) effect(fx);
  };

  const effect = (fx: ClientEffect): void => {
    switch (fx.type) {
      case 'effect.send':
        record?.({ kind: 'send', actor: o.name, to: 'relay', msg: messageLabel(fx.bytes), size: fx.bytes.length, hash: shortHash(fx.bytes) });
        feedConn({ type: 'app.send', bytes: fx.bytes, now: Date.now() });
        break;
      case 'effect.deliver':
        record?.({ kind: 'deliver', actor: o.name, sender: toHex(fx.sender).slice(0, 16), seq: fx.seq, epoch: fx.epoch, hash: shortHash(fx.text) });
        o.on?.deliver?.({ sender: toHex(fx.sender), seq: fx.seq, epoch: fx.epoch, text: fx.text });
        break;
      case 'effect.reject':
        record?.({ kind: 'reject', actor: o.name, reqId: fx.reqId, detail: `${fx.input}: ${fx.detail}` });
        o.on?.raise?.('reject', fx.reqId, `${fx.input}: ${fx.detail}`);
        break;
      case 'effect.alarm':
        record?.({ kind: 'alarm', actor: o.name, reqId: fx.reqId, detail: fx.detail });
        o.on?.raise?.('alarm', fx.reqId, fx.detail);
        break;
      case 'effect.status':
        record?.({ kind: 'status', actor: o.name, status: fx.status.kind, ...('epoch' in fx.status ? { epoch: fx.status.epoch } : {}) });
        o.on?.status?.(fx.status);
        break;
      case 'effect.wake':
        if (wakeAt !== fx.at) {
          wakeAt = fx.at;
          if (wake) clearTimeout(wake);
          wake = setTimeout(() => {
            wake = undefined;
            wakeAt = undefined;
            feedRole({ type: 'timer.tick', now: Date.now() });
          }, Math.max(0, fx.at - Date.now()));
        }
        break;
    }
  };

  const feedConn = (event: ConnEvent): void => {
    if (stopped) return;
    const r = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, conn, event);
    conn = r.snapshot;
    for (const fx of r.effects) {
      switch (fx.type) {
        case 'effect.wire': {
          const l = link;
          if (!l) break;
          if (unansweredSince === undefined) {
            unansweredSince = Date.now();
            later(silenceMs, () => silenceCheck(l));
          }
          l.send(fx.bytes);
          break;
        }
        case 'effect.up':
          if (o.login) startLogin();
          else {
            o.on?.connected?.();
            feedRole({ type: 'net.up', now: Date.now() });
          }
          break;
        case 'effect.down':
          feedRole({ type: 'net.down', now: Date.now() });
          break;
        case 'effect.receive':
          record?.({ kind: 'recv', actor: o.name, from: 'relay', msg: messageLabel(fx.bytes), size: fx.bytes.length, hash: shortHash(fx.bytes) });
          if (!loginSnap && factorReceive(fx.bytes)) break;
          if (loginSnap && fx.bytes.length >= 4 && LOGIN_REPLIES.has(fx.bytes[3]!)) {
            const rj = fx.bytes[3] === MsgType.Reject ? attempt(() => decode(Reject, fx.bytes)) : undefined;
            refusal = rj?.ok ? rj.value : undefined;
            feedLogin({ type: 'net.receive', bytes: fx.bytes, now: Date.now() });
          } else if (loginSnap || awaitingFactor) {
            // a push of a relay that does not wait for the login: the role machine's, once online (bounded: history sync refetches the rest)
            if (held.length < 10_000) held.push(fx.bytes);
          }
          else feedRelay(fx.bytes);
          break;
        case 'effect.reject':
          o.on?.raise?.('reject', fx.reqId, fx.detail);
          break;
        case 'effect.close':
          link?.close(fx.reason);
          break;
        default:
          break;
      }
    }
  };

  const connect = (): void => {
    if (stopped || link) return;
    conn = newConn();
    unansweredSince = undefined;
    const l: Link = o.dial(o.url, {
      onFrame: (bytes) => {
        if (link !== l) return;
        unansweredSince = undefined;
        feedConn({ type: 'net.wire', bytes, now: Date.now() });
      },
      onClose: () => {
        if (link !== l) return;
        link = undefined;
        feedConn({ type: 'conn.lost', now: Date.now() });
        loginSnap = undefined;
        awaitingFactor = false;
        held.length = 0;
        if (enrolling) {
          const e = enrolling;
          enrolling = undefined;
          e.done(new Error('the connection ended before the enrollment was accepted'));
        }
        if (!stopped && !loginFailed) reconnect = setTimeout(connect, o.reconnectMs ?? 1_000);
      },
    });
    link = l;
    later(o.handshakeTimeoutMs ?? 3_000, () => {
      if (link === l && conn.value !== 'open') l.close('handshake timeout');
    });
    feedConn({ type: 'conn.start', now: Date.now() });
  };
  connect();
  if (o.resume !== undefined) feedRole({ type: 'timer.tick', now: Date.now() }); // what was due while it was down

  return {
    name: o.name,
    identity: o.identity,
    user(event) {
      record?.({ kind: 'user', actor: o.name, event: event.type });
      feedRole({ ...event, now: Date.now() } as OwnerEvent);
    },
    enrollFactor(make) {
      if (enrolling) return Promise.reject(new Error('an enrollment is already under way'));
      if (!link || loginSnap || awaitingFactor || !o.login) return Promise.reject(new Error('not logged in'));
      return new Promise<void>((resolve, reject) => {
        enrolling = { make, done: (e) => (e ? reject(e) : resolve()) };
        send(encode(FactorBegin, { purpose: 'enroll' }));
      });
    },
    state: () => snapshot.value,
    context: () => snapshot.context,
    stop() {
      stopped = true;
      if (wake) clearTimeout(wake);
      for (const t of timers) clearTimeout(t);
      if (reconnect) clearTimeout(reconnect);
      const l = link;
      link = undefined;
      l?.close('client stopped');
    },
  };
}
