/**
 * The login world: a login server and login clients stepped deterministically, with every login
 * message passing through an adversary that sees it and decides its fate (spec 11.2, CAP-14,
 * CAP-18). Each client sits on its own relay connection, represented by its transcript hash `th`
 * (the channel binding of REQ-LOG-011); the adversary may open connections of its own.
 *
 * The adversary holds the login layer of the connection: it models a transport the adversary
 * terminates (compat takes any relay key, W12) or a hardened client whose transport check failed
 * open, so that what is tested is the login's own guarantee (spec 9.1). Every message carries its
 * provenance (`honest`, `injected` by the adversary, or a `replayed` or edited copy of one seen),
 * which the login oracles (PROP-21, PROP-22, PROP-28) judge with what the parties recorded.
 *
 * The world runs at the spec's defaults (spec 9.6): clients have the interactive floor of
 * REQ-LOG-012, the server registers accounts with the interactive profile (REQ-LOG-018), and a
 * client that registered its account pins its salt and KDF parameters (REQ-LOG-017). Argon2id at
 * that profile is cheap on the symbolic backend (a stand-in); on the real backend each distinct
 * derivation of a run is computed once and its bytes reused.
 */
import { createActor, type Actor } from 'xstate';
import { equalBytes, toHex, type Bytes } from '../impl/bytes.ts';
import { peekType } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { ReqId } from '../impl/errors.ts';
import { simSeed } from '../impl/keyschedule.ts';
import { MsgType, type KdfParams } from '../impl/messages/index.ts';
import { createIdentity } from '../impl/protocol/identity.ts';
import { configuredKdf, register, registrationPin, type LoginPin } from '../impl/protocol/login.ts';
import { deterministicRng, type StatefulRng } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import { loginClientMachine } from '../machines/login-client.ts';
import { loginServerMachine } from '../machines/login-server.ts';
import { inspectActors } from '../machines/observe.ts';
import { messageLabel } from './message-label.ts';
import { shortHash, traceRecorder, type TraceRecorder } from './trace.ts';

/** Where a message came from, as the oracles judge it. */
export type Origin = 'honest' | 'injected' | 'replayed';

/** A login message in flight. */
export interface LoginFrame {
  /** The connection it travels on. */
  readonly conn: string;
  /** `up`: to the server; `down`: to the connection's client. */
  readonly dir: 'up' | 'down';
  readonly bytes: Bytes;
  readonly origin: Origin;
}

/** What the adversary does with an honest frame: let it through or drop it (and act through `inject`). */
export type Verdict = 'deliver' | 'drop';

/** A password-dependent message a client sent, and what it answered (PROP-21, PROP-28). */
export interface PasswordSend {
  readonly t: number;
  /** The provenance of the challenge it answered. */
  readonly answered: Origin;
  /** The challenge it answered, as delivered. */
  readonly challenge: Bytes;
  /** The client's own start message of the login under way. */
  readonly start: Bytes | undefined;
}

/** A login client on its connection (one device of the person with the password). */
export interface LoginClientNode {
  readonly name: string;
  /** The account it logs in to. */
  readonly username: string;
  readonly conn: string;
  readonly th: Bytes;
  readonly actor: Actor<typeof loginClientMachine>;
  /** hardened: the account's salt and KDF parameters it pinned, at registration or after its first login (REQ-LOG-017). */
  pin: LoginPin | undefined;
  /** Session keys it accepted. */
  readonly sessions: { readonly t: number; readonly sessionKey: Bytes; readonly origin: Origin }[];
  /** Password-dependent messages it sent. */
  readonly passwordSends: PasswordSend[];
  readonly rejects: { readonly t: number; readonly reqId: ReqId; readonly detail: string }[];
}

/** A server-side login outcome. */
export interface ServerLogin {
  readonly t: number;
  readonly conn: string;
  readonly username: string;
  readonly origin: Origin;
  readonly sessionKey: Bytes;
}

/** Options of a login world. */
export interface LoginWorldOptions {
  readonly profile: Profile;
  readonly seed: number;
  readonly crypto: CryptoProvider;
  readonly trace?: boolean;
}

/** The world. */
export interface LoginWorld {
  readonly profile: Profile;
  readonly crypto: CryptoProvider;
  /** The relay's key pair: clients pin its public key; an adversary that is the relay holds all of it (spec 9.6). */
  readonly relayKeys: { readonly publicKey: Bytes; readonly secretKey: Bytes };
  /** The clients' KDF floor (REQ-LOG-012), which is also what the server registers accounts with (REQ-LOG-018): the interactive profile. */
  readonly kdfFloor: KdfParams;
  /** Accounts registered, with the client that registered each and what it registered with (PROP-28's ground truth). */
  readonly registrations: ReadonlyMap<string, { readonly by: string; readonly pin: LoginPin }>;
  readonly server: Actor<typeof loginServerMachine>;
  readonly clients: Map<string, LoginClientNode>;
  readonly serverLogins: ServerLogin[];
  readonly serverRejects: { readonly t: number; readonly conn: string; readonly reqId: ReqId; readonly detail: string }[];
  /** Every frame the adversary saw, in order (CAP-01). */
  readonly observed: LoginFrame[];
  /** Frames sent down to the adversary's own connections. */
  readonly adversaryInbox: Map<string, Bytes[]>;
  readonly trace: TraceRecorder;
  /** The world's own generator (connection hashes, the adversary's randomness). */
  readonly rng: StatefulRng;
  now(): number;
  /** Lets virtual time pass. */
  advance(ms: number): void;
  /** The adversary's hook: called for every honest frame before delivery. */
  tap: (f: LoginFrame) => Verdict;
  /** Adds a client with its own connection; it logs in as `username` (default: its name). */
  addClient(name: string, password: string, username?: string): LoginClientNode;
  /** The client registers its account (REQ-LOG-001), through the network. */
  register(name: string): void;
  /** The client begins a login. */
  login(name: string): void;
  /** Opens a connection of the adversary's own; returns its name and `th`. */
  adversaryConnection(): { conn: string; th: Bytes };
  /** The adversary puts a frame on a connection. */
  inject(f: Omit<LoginFrame, 'origin'> & { origin: Exclude<Origin, 'honest'> }): void;
  /** Delivers frames until none is left (at most `limit`). */
  settle(limit?: number): void;
  /** A free-form trace line. */
  note(what: string, detail?: string): void;
}

/** Message types whose content depends on the client's password (PROP-21). */
export const PASSWORD_DEPENDENT: ReadonlySet<number> = new Set([MsgType.CompatLoginResponse, MsgType.LoginResponse]);
const LOGIN_STARTS: ReadonlySet<number> = new Set([MsgType.CompatLoginStart, MsgType.LoginStart]);

/** The Argon2id results kept across runs (per provider function), oldest dropped first past {@link ARGON2_KEPT}. */
const argon2Kept = new WeakMap<CryptoProvider['argon2id'], Map<string, Bytes>>();
/** How many Argon2id results a process keeps per provider (a few hundred bytes each). */
const ARGON2_KEPT = 512;

/**
 * `c` with each distinct Argon2id computed once (spec 9.6): the same bytes as the real function's,
 * so that a client's second login under its pin costs no second derivation, nor does the same
 * derivation in another run of this process (a campaign's runs repeat a seed's salts and
 * passwords: the same attack on each profile, on every mutant of a hunt). A pure function of its
 * inputs, kept by the provider's own function: a run's bytes are the same with or without it.
 */
function onceEachArgon2id(c: CryptoProvider): CryptoProvider {
  let done = argon2Kept.get(c.argon2id);
  if (done === undefined) argon2Kept.set(c.argon2id, (done = new Map()));
  const kept = done;
  return {
    ...c,
    argon2id(password, salt, p, length) {
      const key = `${toHex(password)} ${toHex(salt)} ${p.m} ${p.t} ${p.p} ${length}`;
      let out = kept.get(key);
      if (out === undefined) {
        out = c.argon2id(password, salt, p, length);
        if (kept.size >= ARGON2_KEPT) kept.delete(kept.keys().next().value!);
        kept.set(key, out);
      }
      return out.slice();
    },
  };
}

/** Creates a login world; the server's keys and every party's randomness come from the seed. */
export function createLoginWorld(o: LoginWorldOptions): LoginWorld {
  const c = onceEachArgon2id(o.crypto);
  const seedOf = (party: string): Bytes => simSeed(c, o.seed, party, 0);
  const rng = deterministicRng(seedOf('login world'), c.hmacSha256);
  const relayKeys = c.sigKeygen(deterministicRng(seedOf('relay'), c.hmacSha256).bytes(32));
  const serverSecret = deterministicRng(seedOf('server secret'), c.hmacSha256).bytes(32);
  const kdf = configuredKdf(false); // the spec's defaults: the floor of REQ-LOG-012, the relay's parameters of REQ-LOG-018
  const registrations = new Map<string, { readonly by: string; readonly pin: LoginPin }>();
  let t = 0;
  const queue: LoginFrame[] = [];
  const trace = traceRecorder(o.trace ?? false);
  const clients = new Map<string, LoginClientNode>();
  const byConn = new Map<string, LoginClientNode>();
  const passwords = new Map<string, string>();
  const serverLogins: ServerLogin[] = [];
  const serverRejects: LoginWorld['serverRejects'] = [];
  const observed: LoginFrame[] = [];
  const adversaryInbox = new Map<string, Bytes[]>();
  const ths = new Map<string, Bytes>();
  let advConns = 0;
  let current: LoginFrame | undefined; // the frame being delivered: what a party's effects answer
  const withheld: LoginFrame[] = []; // honest frames the adversary dropped, not delivered since

  const server = createActor(loginServerMachine, { inspect: inspectActors, input: { crypto: c, profile: o.profile, relayKeys, serverSecret, kdf, rngSeed: seedOf('login server') } });
  server.on('effect.send', (e) => queue.push({ conn: e.conn, dir: 'down', bytes: e.bytes, origin: 'honest' }));
  server.on('effect.loggedIn', (e) => {
    serverLogins.push({ t, conn: e.conn, username: e.username, origin: current?.origin ?? 'honest', sessionKey: e.sessionKey });
    trace.add({ t, kind: 'event', actor: 'server', what: 'logged in', detail: `${e.username} on ${e.conn}` });
  });
  server.on('effect.reject', (e) => {
    serverRejects.push({ t, conn: e.conn, reqId: e.reqId, detail: e.detail });
    trace.add({ t, kind: 'reject', actor: 'server', reqId: e.reqId, detail: e.detail });
  });
  server.on('effect.registered', (e) => trace.add({ t, kind: 'event', actor: 'server', what: 'registered', detail: e.username }));
  server.start();

  const world: LoginWorld = {
    profile: o.profile,
    crypto: c,
    relayKeys,
    kdfFloor: kdf,
    registrations,
    server,
    clients,
    serverLogins,
    serverRejects,
    observed,
    adversaryInbox,
    trace,
    rng,
    now: () => t,
    advance(ms) {
      t += ms;
    },
    tap: () => 'deliver',
    addClient(name, password, username = name) {
      const conn = `conn-${name}`;
      const th = rng.bytes(32);
      ths.set(conn, th);
      passwords.set(name, password);
      const actor = createActor(loginClientMachine, {
        inspect: inspectActors,
        input: { crypto: c, profile: o.profile, username, password, pinnedRelayPk: relayKeys.publicKey, rngSeed: seedOf(name) },
      });
      const node: LoginClientNode = { name, username, conn, th, actor, pin: undefined, sessions: [], passwordSends: [], rejects: [] };
      let start: Bytes | undefined; // the start message of the login under way
      actor.on('effect.send', (e) => {
        const type = peekType(e.bytes);
        if (LOGIN_STARTS.has(type)) start = e.bytes;
        if (PASSWORD_DEPENDENT.has(type)) node.passwordSends.push({ t, answered: current?.origin ?? 'honest', challenge: current?.bytes ?? new Uint8Array(0), start });
        queue.push({ conn, dir: 'up', bytes: e.bytes, origin: 'honest' });
      });
      actor.on('effect.loggedIn', (e) => {
        node.pin ??= e.pin; // REQ-LOG-017: a client that held no pin pins what its first login used
        node.sessions.push({ t, sessionKey: e.sessionKey, origin: current?.origin ?? 'honest' });
        trace.add({ t, kind: 'event', actor: name, what: 'logged in' });
      });
      actor.on('effect.reject', (e) => {
        node.rejects.push({ t, reqId: e.reqId, detail: e.detail });
        trace.add({ t, kind: 'reject', actor: name, reqId: e.reqId, detail: e.detail });
      });
      actor.start();
      clients.set(name, node);
      byConn.set(conn, node);
      return node;
    },
    register(name) {
      const node = clients.get(name)!;
      const identity = createIdentity(c, deterministicRng(seedOf(`${name} identity`), c.hmacSha256));
      const bytes = register(c, deterministicRng(seedOf(`${name} registration`), c.hmacSha256), node.username, passwords.get(name)!, kdf, identity.publicKey, kdf);
      const pin = registrationPin(bytes);
      if (!registrations.has(node.username)) registrations.set(node.username, { by: name, pin });
      if (o.profile === 'hardened') node.pin = pin; // REQ-LOG-017: the client keeps what it registered with (compat keeps nothing: REQ-LOG-004)
      queue.push({ conn: node.conn, dir: 'up', bytes, origin: 'honest' });
      world.settle();
    },
    login(name) {
      const node = clients.get(name)!;
      trace.add({ t, kind: 'user', actor: name, event: 'login.start' });
      node.actor.send({ type: 'login.start', th: node.th, now: t, ...(node.pin === undefined ? {} : { pin: node.pin }) });
      world.settle();
    },
    adversaryConnection() {
      const conn = `adv-${++advConns}`;
      const th = rng.bytes(32);
      ths.set(conn, th);
      adversaryInbox.set(conn, []);
      return { conn, th };
    },
    inject(f) {
      trace.add({ t, kind: 'event', actor: 'adversary', what: f.origin === 'replayed' ? 'CAP-05 replay' : 'CAP-06 inject', detail: `${messageLabel(f.bytes)} ${f.dir} on ${f.conn}` });
      queue.push(f);
    },
    settle(limit = 1000) {
      for (let n = 0; queue.length > 0; n++) {
        if (n >= limit) throw new Error(`login world: more than ${limit} frames without settling`);
        let f = queue.shift()!;
        t += 1;
        observed.push(f);
        if (f.origin === 'honest' && world.tap(f) === 'drop') {
          trace.add({ t, kind: 'fault', fault: 'drop', from: f.dir === 'up' ? f.conn : 'server', to: f.dir === 'up' ? 'server' : f.conn, size: f.bytes.length, hash: shortHash(f.bytes) });
          withheld.push(f);
          continue;
        }
        // the first copy of a dropped honest frame, on its own connection and direction, is that frame delivered late (CAP-03), not a replay
        const late = f.origin === 'replayed' ? withheld.findIndex((w) => w.conn === f.conn && w.dir === f.dir && equalBytes(w.bytes, f.bytes)) : -1;
        if (late >= 0) {
          trace.add({ t, kind: 'event', actor: 'adversary', what: 'CAP-03 delay', detail: `the copy delivers ${messageLabel(f.bytes)}, which was dropped, late` });
          f = { ...withheld.splice(late, 1)[0]! };
        }
        const from = f.origin === 'honest' ? (f.dir === 'up' ? byConn.get(f.conn)?.name ?? f.conn : 'server') : 'adversary';
        const to = f.dir === 'up' ? 'server' : byConn.get(f.conn)?.name ?? f.conn;
        trace.add({ t, kind: 'send', actor: from, to, msg: messageLabel(f.bytes), size: f.bytes.length, hash: shortHash(f.bytes) });
        current = f;
        if (f.dir === 'up') server.send({ type: 'login.receive', conn: f.conn, th: ths.get(f.conn)!, bytes: f.bytes, now: t });
        else {
          const node = byConn.get(f.conn);
          if (node) node.actor.send({ type: 'net.receive', bytes: f.bytes, now: t });
          else adversaryInbox.get(f.conn)?.push(f.bytes);
        }
        current = undefined;
      }
    },
    note(what, detail) {
      trace.add({ t, kind: 'event', actor: 'adversary', what, ...(detail === undefined ? {} : { detail }) });
    },
  };
  return world;
}
