/**
 * The simulated world: owner, members and the relay, each driven through the pure driver, their
 * frames carried by a transport (here the in-memory one: a seeded network with faults) on a
 * virtual clock. Every source of nondeterminism (network timing
 * and faults, every party's randomness, crash timing) derives from one seed (spec 5.11), so a run
 * is a function of its seed and options, and its trace is reproducible byte for byte.
 */
import type { AnyStateMachine, SnapshotFrom } from 'xstate';
import { toHex, type Bytes } from '../impl/bytes.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { ReqId } from '../impl/errors.ts';
import { simSeed } from '../impl/keyschedule.ts';
import type { Invite } from '../impl/messages/index.ts';
import { createIdentity, type Identity } from '../impl/protocol/identity.ts';
import { deterministicRng, drbgInstantiate } from '../impl/rng.ts';
import { SUITE_ID } from '../impl/messages/index.ts';
import type { Profile } from '../impl/suite.ts';
import type { ClientConfig, ClientCore } from '../machines/client-core.ts';
import { clientConnectionMachine, type ConnEffect, type ConnEvent } from '../machines/connection.ts';
import { start, step } from '../machines/driver.ts';
import type { ClientEffect, MemberEvent, NetEvent, OwnerEvent, Status } from '../machines/events.ts';
import { memberMachine } from '../machines/member.ts';
import { ownerMachine } from '../machines/owner.ts';
import type { RelayInput } from '../machines/relay.ts';
import { relayMessageToEvent } from './envelope.ts';
import { NO_FAULTS, type Faults } from './faults.ts';
import { createRelayHost, type RelayTap, type TraceLine } from './relay-host.ts';
import { memoryStore, type RelayStore } from './store.ts';
import { messageLabel, shortHash, traceRecorder, type TraceEvent, type TraceRecorder } from './trace.ts';
import { memoryTransport, type Link, type Scheduler } from './transport.ts';

/** Options of a world. */
export interface WorldOptions {
  /** The run's seed: every party's randomness and the network derive from it. */
  readonly seed: number;
  /** Profile of the relay and of every client. */
  readonly profile: Profile;
  /** Crypto backend. */
  readonly crypto: CryptoProvider;
  /** Network faults (default: none, 5 ms latency). */
  readonly faults?: Faults;
  /** Client tunables. */
  readonly clientConfig?: Partial<ClientConfig>;
  /** Relay limits. */
  readonly relayConfig?: RelayInput['config'];
  /** Virtual start time (ms since the Unix epoch). */
  readonly startTime?: number;
  /** Record a trace. */
  readonly trace?: boolean;
  /** How long a disconnected client waits before reconnecting (ms, default 1000). */
  readonly reconnectMs?: number;
  /** How long a handshake may take before the client gives up and reconnects (ms, default 3000). */
  readonly handshakeTimeoutMs?: number;
  /** How long a client waits for any frame from the relay after sending before it reconnects (ms, default 8000; REQ-TRN-009). */
  readonly silenceMs?: number;
  /**
   * The adversary's hold on the relay (spec 11.2): every request the relay logic receives and
   * every frame it sends passes through this tap, which may forward, drop, delay, duplicate,
   * modify or add frames. Without one the relay is honest.
   */
  readonly tap?: RelayTap;
  /** Called after every processed event (the property oracles). */
  readonly onStep?: () => void;
  /**
   * CAP-18: an adversary on the network between the clients and the relay answers the
   * handshakes itself: `swap-key` presents its own relay key, `forged-signature` presents the
   * pinned key and signs with its own. Behind it the relay logic is reached as before.
   */
  readonly mitm?: 'swap-key' | 'forged-signature';
}

export type { RelayTap, TapApi, TapConn, TapOut } from './relay-host.ts';

/** A message delivered to a client's application. */
export interface Delivery {
  /** Virtual time of delivery. */
  readonly at: number;
  /** Claimed sender (hex). */
  readonly sender: string;
  /** Sequence number (-1 in compat). */
  readonly seq: number;
  /** Epoch (compat: generation). */
  readonly epoch: number;
  /** Text. */
  readonly text: string;
  /** The input that delivered it (`net.room`, `net.history`, ...). */
  readonly via: string;
}

/** A rejection or alarm a party raised. */
export interface Raised {
  /** Virtual time. */
  readonly at: number;
  /** Who raised it. */
  readonly party: string;
  /** `reject` or `alarm`. */
  readonly kind: 'reject' | 'alarm';
  /** The requirement. */
  readonly reqId: ReqId;
  /** Why. */
  readonly detail: string;
}

type RoleMachine = typeof ownerMachine | typeof memberMachine;
/** A client role machine's snapshot (owner or member). */
export type RoleSnapshot = SnapshotFrom<typeof ownerMachine> | SnapshotFrom<typeof memberMachine>;

/** A simulated client. */
export interface ClientNode {
  /** Its name. */
  readonly name: string;
  /** `owner` or `member`. */
  readonly role: 'owner' | 'member';
  /** Its keys. */
  readonly identity: Identity;
  /** Its role machine's snapshot. */
  snapshot: RoleSnapshot;
  /** What survives a crash: the snapshot stored after each step, before its effects (REQ-MEM-002). */
  persisted: RoleSnapshot;
  /** Its connection machine's snapshot. */
  conn: SnapshotFrom<typeof clientConnectionMachine>;
  /** Its connection to the relay, while it has one. */
  link: Link | undefined;
  /** Next wake-up the machine asked for. */
  wakeAt: number | undefined;
  /** Messages delivered to the application. */
  readonly deliveries: Delivery[];
  /**
   * The relay's messages its connection handed up, in order: what actually reached it, after
   * anything a malicious relay dropped, withheld, changed or injected (the oracles' evidence of
   * what a client was told, PROP-10).
   */
  readonly inbox: Bytes[];
  /** Status changes. */
  readonly statuses: { at: number; status: Status }[];
  /** Connections made so far. */
  connections: number;
  /** Whether it is crashed. */
  crashed: boolean;
  /** Restarts so far (each gets a fresh generator, REQ-CRY-015). */
  restarts: number;
  /** Whether it should stay connected (cleared by `disconnect`). */
  wantsConnection: boolean;
  /** When it sent the oldest frame the relay has not answered with any frame yet (REQ-TRN-009). */
  unansweredSince: number | undefined;
  /** User events that arrived while it was crashed (and were lost). */
  lostUserEvents: number;
}

interface QueueItem {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** The simulated world. */
export interface World {
  /** Options it was made with. */
  readonly options: WorldOptions;
  /** The fault set in force. */
  readonly faults: Faults;
  /** Current virtual time. */
  now(): number;
  /** Virtual time at which the run started. */
  readonly startTime: number;
  /** The clients by name. */
  readonly clients: ReadonlyMap<string, ClientNode>;
  /** Every rejection and alarm raised, in order. */
  readonly raised: readonly Raised[];
  /** Faults applied, by kind. */
  readonly faultCounts: Readonly<Record<string, number>>;
  /** Connections a client completed with an endpoint that does not hold the relay's key (PROP-19). */
  readonly unpinned: readonly { readonly party: string; readonly at: number }[];
  /** Connections the relay attributed to a principal other than the client's own identity (PROP-20). */
  readonly misattributed: readonly { readonly party: string; readonly at: number; readonly principal: string }[];
  /** Adds a client that claims `victim`'s identity key towards the relay, signing with its own key (CAP-13, ATK-06). */
  addImpostor(name: string, victim: string): ClientNode;
  /** Frames a client took in although their header names another suite (PROP-17; empty unless a check is off). */
  readonly wrongSuite: readonly { readonly party: string; readonly at: number; readonly suite: number; readonly msg: string }[];
  /** Events processed so far. */
  events(): number;
  /** The relay's store. */
  readonly store: RelayStore;
  /** The relay's public key (pinned by hardened clients). */
  readonly relayPk: Bytes;
  /** The trace recorder. */
  readonly trace: TraceRecorder;
  /** Adds the owner. */
  addOwner(name: string): ClientNode;
  /** Adds a member-to-be. */
  addMember(name: string): ClientNode;
  /** Opens a client's connection to the relay (and keeps it open: reconnects after losses). */
  connect(name: string): void;
  /** Drops a client's connection, and keeps it down until `connect`. */
  disconnect(name: string): void;
  /** Crashes a client now, as a `crash` fault does: what it did not persist is lost, and it restarts `downtimeMs` later. */
  crash(name: string, downtimeMs: number): void;
  /** Queues a user event for a client, at the current time plus `delayMs`. */
  user(name: string, event: { type: string } & Record<string, unknown>, delayMs?: number): void;
  /** Records a note in the trace (scenario steps). */
  note(what: string, detail: string): void;
  /** Processes events until `until` (virtual ms). */
  runUntil(until: number): void;
  /** Processes events until `done()` holds or `maxMs` of virtual time pass; returns whether it held. */
  runUntilTrue(done: () => boolean, maxMs: number): boolean;
  /** The state value of a client's role machine, as a dotted string. */
  stateOf(name: string): string;
  /** The invites the owner announced, oldest first. */
  invites(): Invite[];
}

function stateString(value: unknown): string {
  if (typeof value === 'string') return value;
  const [k, v] = Object.entries(value as Record<string, unknown>)[0]!;
  return `${k}.${stateString(v)}`;
}

/** Makes a world. */
export function createWorld(options: WorldOptions): World {
  const c = options.crypto;
  const faults = options.faults ?? NO_FAULTS;
  const startTime = options.startTime ?? 1_790_000_000_000;
  const reconnectMs = options.reconnectMs ?? 1_000;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 3_000;
  const silenceMs = options.silenceMs ?? 8_000;
  let time = startTime;
  let seqCounter = 0;
  let eventCount = 0;
  const queue: QueueItem[] = [];
  const clients = new Map<string, ClientNode>();
  const raised: Raised[] = [];
  const faultCounts: Record<string, number> = {};
  const wrongSuite: { party: string; at: number; suite: number; msg: string }[] = [];
  const unpinned: { party: string; at: number }[] = [];
  const misattributed: { party: string; at: number; principal: string }[] = [];
  const impostors = new Map<string, Identity>(); // name -> the identity its connection claims
  const store = memoryStore();
  const trace = traceRecorder(options.trace ?? false);
  const relayKeys = c.sigKeygen(simSeed(c, options.seed, 'relay key', 0).subarray(0, 32));
  const mitmKeys = options.mitm === undefined ? undefined : c.sigKeygen(simSeed(c, options.seed, 'network adversary key', 0).subarray(0, 32));
  // the keys of whoever answers the clients' handshakes (CAP-18)
  const endpointKeys = mitmKeys === undefined ? relayKeys : options.mitm === 'swap-key' ? mitmKeys : { publicKey: relayKeys.publicKey, secretKey: mitmKeys.secretKey };
  const tap = options.tap;

  const t = (): number => time - startTime;
  const record = (e: TraceLine): void => {
    if (trace.enabled) trace.add({ t: t(), ...e } as TraceEvent);
  };

  const at = (when: number, run: () => void): void => {
    const item: QueueItem = { at: when, seq: seqCounter++, run };
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.at > item.at) i--;
    queue.splice(i, 0, item);
  };
  const scheduler: Scheduler = { now: () => time, at };

  const raise = (party: string, kind: 'reject' | 'alarm', reqId: ReqId, detail: string): void => {
    raised.push({ at: time, party, kind, reqId, detail });
    record({ kind, actor: party, reqId, detail });
  };

  const countFault = (fault: string): void => {
    faultCounts[fault] = (faultCounts[fault] ?? 0) + 1;
  };

  // The network: every fault it applies is counted and traced
  const transport = memoryTransport({
    scheduler,
    startTime,
    faults,
    rng: deterministicRng(simSeed(c, options.seed, 'network', 0), c.hmacSha256), // the provider's HMAC: the same bytes, faster than the default
    onFault: (f) => {
      countFault(f.fault);
      if (trace.enabled) record({ kind: 'fault', fault: f.fault, from: f.from, to: f.to, size: f.bytes.length, hash: shortHash(f.bytes), ...(f.extraMs === undefined ? {} : { extraMs: f.extraMs }) });
    },
  });

  // ------------------------------------------------------------------ clients

  const roleMachineOf = (node: ClientNode): RoleMachine => (node.role === 'owner' ? ownerMachine : memberMachine);

  let input = '';
  const feedRole = (node: ClientNode, event: OwnerEvent | MemberEvent | NetEvent): void => {
    if (node.crashed) return;
    eventCount++;
    input = event.type;
    const before = trace.enabled ? stateString(node.snapshot.value) : '';
    const r = step<RoleMachine, ClientEffect>(roleMachineOf(node), node.snapshot as never, event as never);
    node.snapshot = r.snapshot as RoleSnapshot;
    node.persisted = node.snapshot; // persisted before any effect leaves (REQ-MEM-002, REQ-MEM-026)
    if (trace.enabled) {
      const after = stateString(node.snapshot.value);
      if (after !== before) record({ kind: 'state', actor: node.name, from: before, to: after });
    }
    for (const fx of r.effects) clientEffect(node, fx);
  };

  const clientEffect = (node: ClientNode, fx: ClientEffect): void => {
    switch (fx.type) {
      case 'effect.send':
        if (trace.enabled) record({ kind: 'send', actor: node.name, to: 'relay', msg: messageLabel(fx.bytes), size: fx.bytes.length, hash: shortHash(fx.bytes) });
        feedClientConn(node, { type: 'app.send', bytes: fx.bytes, now: time });
        break;
      case 'effect.deliver':
        node.deliveries.push({ at: time, sender: toHex(fx.sender), seq: fx.seq, epoch: fx.epoch, text: fx.text, via: input });
        if (trace.enabled) record({ kind: 'deliver', actor: node.name, sender: toHex(fx.sender).slice(0, 16), seq: fx.seq, epoch: fx.epoch, hash: shortHash(fx.text) });
        break;
      case 'effect.reject':
        raise(node.name, 'reject', fx.reqId, `${fx.input}: ${fx.detail}`);
        break;
      case 'effect.alarm':
        raise(node.name, 'alarm', fx.reqId, fx.detail);
        break;
      case 'effect.status':
        node.statuses.push({ at: time, status: fx.status });
        if (trace.enabled) record({ kind: 'status', actor: node.name, status: fx.status.kind, ...('epoch' in fx.status ? { epoch: fx.status.epoch } : {}) });
        break;
      case 'effect.wake':
        if (node.wakeAt === undefined || fx.at !== node.wakeAt) {
          node.wakeAt = fx.at;
          const wakeAt = fx.at;
          at(Math.max(fx.at, time), () => {
            if (node.wakeAt !== wakeAt || node.crashed) return;
            node.wakeAt = undefined;
            feedRole(node, { type: 'timer.tick', now: time });
          });
        }
        break;
    }
  };

  /** REQ-TRN-009: a connection on which the relay answers nothing is dead; the client replaces it. */
  const silenceCheck = (node: ClientNode, link: Link): void => {
    if (node.link !== link || node.unansweredSince === undefined) return;
    if (time - node.unansweredSince >= silenceMs) link.close('relay silent');
    else at(node.unansweredSince + silenceMs, () => silenceCheck(node, link));
  };

  const feedClientConn = (node: ClientNode, event: ConnEvent): void => {
    if (node.crashed) return;
    eventCount++;
    const r = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, node.conn, event);
    node.conn = r.snapshot;
    for (const fx of r.effects) {
      switch (fx.type) {
        case 'effect.wire': {
          const link = node.link;
          if (link === undefined) break;
          if (node.unansweredSince === undefined) {
            node.unansweredSince = time;
            at(time + silenceMs, () => silenceCheck(node, link));
          }
          link.send(fx.bytes);
          break;
        }
        case 'effect.up':
          record({ kind: 'event', actor: node.name, what: 'connected' });
          if (options.mitm !== undefined) unpinned.push({ party: node.name, at: time });
          feedRole(node, { type: 'net.up', now: time });
          break;
        case 'effect.down':
          feedRole(node, { type: 'net.down', now: time });
          break;
        case 'effect.receive': {
          if (trace.enabled) record({ kind: 'recv', actor: node.name, from: 'relay', msg: messageLabel(fx.bytes), size: fx.bytes.length, hash: shortHash(fx.bytes) });
          node.inbox.push(fx.bytes);
          const ev = relayMessageToEvent(fx.bytes, time);
          const suite = fx.bytes.length >= 3 ? (fx.bytes[1]! << 8) | fx.bytes[2]! : SUITE_ID;
          if (ev.type !== 'net.malformed' && suite !== SUITE_ID) wrongSuite.push({ party: node.name, at: time, suite, msg: messageLabel(fx.bytes) });
          feedRole(node, ev);
          break;
        }
        case 'effect.reject':
          raise(node.name, 'reject', fx.reqId, fx.detail);
          break;
        default:
          break;
      }
    }
  };

  const newConnMachine = (node: { name: string; identity: Identity; connections: number; restarts: number }) =>
    start<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, {
      crypto: c,
      profile: options.profile,
      identity: impostors.get(node.name) ?? node.identity,
      pinnedRelayPk: options.profile === 'hardened' ? relayKeys.publicKey : undefined,
      rngSeed: simSeed(c, options.seed, `${node.name} connection ${node.connections}`, node.restarts),
    }).snapshot;

  const makeClient = (name: string, role: 'owner' | 'member'): ClientNode => {
    if (clients.has(name)) throw new Error(`client ${name} exists`);
    const identity = createIdentity(c, deterministicRng(simSeed(c, options.seed, `identity ${name}`, 0)));
    const input = { crypto: c, profile: options.profile, identity, rngSeed: simSeed(c, options.seed, name, 0), config: options.clientConfig ?? {} };
    const roleStart = role === 'owner' ? start<typeof ownerMachine, ClientEffect>(ownerMachine, input) : start<typeof memberMachine, ClientEffect>(memberMachine, input);
    const node: ClientNode = {
      name,
      role,
      identity,
      snapshot: roleStart.snapshot,
      persisted: roleStart.snapshot,
      conn: newConnMachine({ name, identity, connections: 0, restarts: 0 }),
      link: undefined,
      wakeAt: undefined,
      deliveries: [],
      inbox: [],
      statuses: [],
      connections: 0,
      crashed: false,
      restarts: 0,
      wantsConnection: false,
      unansweredSince: undefined,
      lostUserEvents: 0,
    };
    clients.set(name, node);
    record({ kind: 'event', actor: name, what: 'added', detail: role });
    return node;
  };

  const reconnectLater = (node: ClientNode): void => {
    at(time + reconnectMs, () => {
      if (node.wantsConnection && node.link === undefined && !node.crashed) openConnection(node);
    });
  };

  const openConnection = (node: ClientNode): void => {
    if (node.link !== undefined || node.crashed) return;
    node.connections++;
    node.conn = newConnMachine(node);
    node.unansweredSince = undefined;
    const link = transport.dial(node.name, {
      onFrame: (bytes) => {
        if (node.link !== link || node.crashed) return;
        node.unansweredSince = undefined;
        feedClientConn(node, { type: 'net.wire', bytes, now: time });
      },
      onClose: (reason) => {
        if (node.link !== link) return;
        node.link = undefined;
        record({ kind: 'event', actor: node.name, what: 'disconnected', detail: reason });
        feedClientConn(node, { type: 'conn.lost', now: time });
        if (node.wantsConnection && !node.crashed) reconnectLater(node);
      },
    });
    node.link = link;
    // REQ-TRN-009: a handshake that has not completed in time is abandoned
    at(time + handshakeTimeoutMs, () => {
      if (node.link === link && stateString(node.conn.value) !== 'open') link.close('handshake timeout');
    });
    feedClientConn(node, { type: 'conn.start', now: time });
  };

  // ------------------------------------------------------------------ relay

  const relayHost = createRelayHost({
    crypto: c,
    profile: options.profile,
    keys: endpointKeys,
    store,
    ...(options.relayConfig === undefined ? {} : { config: options.relayConfig }),
    now: () => time,
    at,
    connSeed: (id) => simSeed(c, options.seed, `relay ${id}`, 0),
    ...(tap === undefined ? {} : { tap }),
    ...(trace.enabled ? { record } : {}),
    raise: (reqId, detail) => raise('relay', 'reject', reqId, detail),
    onAuthenticated: (client, principal) => {
      const own = clients.get(client)?.identity.fp;
      if (own !== undefined && toHex(own) !== toHex(principal)) misattributed.push({ party: client, at: time, principal: toHex(principal) });
    },
    onEvent: () => eventCount++,
  });
  const listen = (): void => transport.listen((link, peer) => relayHost.accept(link, peer));
  listen();

  // ------------------------------------------------------------------ crashes and restarts

  const crash = (node: ClientNode, downtime: number): void => {
    if (node.crashed) return;
    countFault('crash');
    record({ kind: 'event', actor: node.name, what: 'crash', detail: `down ${downtime} ms` });
    node.link?.close('crash');
    node.crashed = true;
    node.wakeAt = undefined;
    at(time + downtime, () => restart(node));
  };

  const restart = (node: ClientNode): void => {
    node.restarts++;
    const ctx = node.persisted.context as ClientCore; // REQ-MEM-026: resume from what was persisted
    // REQ-CRY-015: a restarted party gets a fresh generator, never the stored state
    const context = { ...ctx, rng: drbgInstantiate(simSeed(c, options.seed, node.name, node.restarts)), online: false, sync: { ...ctx.sync, inFlight: undefined, mailInFlight: undefined } };
    node.snapshot = (roleMachineOf(node) as AnyStateMachine).resolveState({ value: node.persisted.value, context }) as RoleSnapshot;
    node.persisted = node.snapshot;
    node.crashed = false;
    record({ kind: 'event', actor: node.name, what: 'restart', detail: `restart ${node.restarts}` });
    if (node.wantsConnection) openConnection(node);
    feedRole(node, { type: 'timer.tick', now: time });
  };

  const relayGoesDown = (downtime: number): void => {
    countFault('relay-restart');
    record({ kind: 'event', actor: 'relay', what: 'crash', detail: `down ${downtime} ms` });
    transport.unlisten('relay restart');
    relayHost.halt();
    at(time + downtime, relayComesUp);
  };

  const relayComesUp = (): void => {
    relayHost.resume();
    listen();
    record({ kind: 'event', actor: 'relay', what: 'restart', detail: 'state loaded from the store' });
  };

  const skipFault = (what: string, node: string): void => record({ kind: 'event', actor: 'network', what: 'fault-skipped', detail: `${what} of ${node}: no such client` });
  for (const cr of faults.crashes) {
    at(startTime + cr.at, () => {
      const node = clients.get(cr.node);
      if (node) crash(node, cr.downtime);
      else skipFault('crash', cr.node);
    });
  }
  for (const r of faults.relayRestarts) at(startTime + r.at, () => relayGoesDown(r.downtime));
  for (const p of faults.partitions) {
    at(startTime + p.at, () => record({ kind: 'event', actor: 'network', what: 'partition', detail: p.nodes.join('+') }));
    at(startTime + p.at + p.duration, () => record({ kind: 'event', actor: 'network', what: 'heal', detail: p.nodes.join('+') }));
  }

  // ------------------------------------------------------------------ loop

  const onStep = options.onStep;
  const process = (item: QueueItem): void => {
    time = Math.max(time, item.at);
    item.run();
    onStep?.();
  };

  tap?.attach?.({
    now: () => time,
    startTime,
    at,
    note: (what, detail) => record({ kind: 'event', actor: 'adversary', what, detail }),
    sendDown(client, bytes) {
      const id = relayHost.connOf(client);
      if (id === undefined) return false;
      relayHost.sendDown(id, bytes);
      return true;
    },
    sendUp(client, bytes) {
      const id = relayHost.connOf(client);
      if (id === undefined) return false;
      relayHost.sendUp(id, bytes);
      return true;
    },
    asPrincipal: (principal, bytes) => relayHost.asPrincipal(principal, bytes),
  });

  const world: World = {
    options,
    faults,
    now: () => time,
    startTime,
    clients,
    raised,
    faultCounts,
    wrongSuite,
    unpinned,
    misattributed,
    addImpostor(name, victim) {
      const node = makeClient(name, 'member');
      const v = clients.get(victim)!;
      impostors.set(name, { ...v.identity, secretKey: node.identity.secretKey, seed: node.identity.seed }); // used from its first connection on
      return node;
    },
    events: () => eventCount,
    store,
    relayPk: relayKeys.publicKey,
    trace,
    addOwner: (name) => makeClient(name, 'owner'),
    addMember: (name) => makeClient(name, 'member'),
    connect(name) {
      const node = clients.get(name)!;
      node.wantsConnection = true;
      openConnection(node);
    },
    disconnect(name) {
      const node = clients.get(name)!;
      node.wantsConnection = false;
      node.link?.close('disconnect');
    },
    crash(name, downtimeMs) {
      crash(clients.get(name)!, downtimeMs);
    },
    user(name, event, delayMs = 0) {
      at(time + delayMs, () => {
        const node = clients.get(name)!;
        if (node.crashed) {
          node.lostUserEvents++;
          record({ kind: 'event', actor: node.name, what: 'lost-user-event', detail: event.type });
          return;
        }
        if (trace.enabled) record({ kind: 'user', actor: node.name, event: event.type, ...('text' in event ? { detail: shortHash(String(event.text)) } : {}) });
        feedRole(node, { ...event, now: time } as OwnerEvent);
      });
    },
    note(what, detail) {
      record({ kind: 'event', actor: 'scenario', what, detail });
    },
    runUntil(until) {
      while (queue.length > 0 && queue[0]!.at <= until) process(queue.shift()!);
      time = Math.max(time, until);
    },
    runUntilTrue(done, maxMs) {
      const limit = time + maxMs;
      while (!done()) {
        const next = queue[0];
        if (!next || next.at > limit) {
          time = Math.max(time, limit);
          return done();
        }
        process(queue.shift()!);
      }
      return true;
    },
    stateOf: (name) => stateString(clients.get(name)!.snapshot.value),
    invites() {
      const owner = [...clients.values()].find((n) => n.role === 'owner');
      return (owner?.statuses ?? []).flatMap((s) => (s.status.kind === 'invite' ? [s.status.invite] : []));
    },
  };
  return world;
}
