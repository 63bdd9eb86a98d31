/**
 * The simulated world: owner, members and the relay, each driven through the pure driver, over
 * an in-memory network with a virtual clock. Every source of randomness derives from one seed
 * (spec 5.11), so a run is a function of its seed and options.
 */
import type { SnapshotFrom } from 'xstate';
import { toHex, type Bytes } from '../impl/bytes.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { ReqId } from '../impl/errors.ts';
import { simSeed } from '../impl/keyschedule.ts';
import type { Invite } from '../impl/messages/index.ts';
import { createIdentity, type Identity } from '../impl/protocol/identity.ts';
import { emptyRelay } from '../impl/protocol/relay-state.ts';
import { deterministicRng } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import type { ClientConfig } from '../machines/client-core.ts';
import { clientConnectionMachine, relayConnectionMachine, type ConnEffect, type ConnEvent } from '../machines/connection.ts';
import { start, step } from '../machines/driver.ts';
import type { ClientEffect, MemberEvent, NetEvent, OwnerEvent, RelayEffect, RelayEvent, Status } from '../machines/events.ts';
import { memberMachine } from '../machines/member.ts';
import { ownerMachine } from '../machines/owner.ts';
import { relayMachine, type RelayConfig } from '../machines/relay.ts';
import { decodeRequest, relayMessageToEvent } from './envelope.ts';
import { historyChunk, mailboxChunk, memoryStore, type RelayStore } from './store.ts';

/** Options of a world. */
export interface WorldOptions {
  /** The run's seed: every party's randomness derives from it. */
  readonly seed: number;
  /** Profile of the relay and of every client. */
  readonly profile: Profile;
  /** Crypto backend. */
  readonly crypto: CryptoProvider;
  /** One-way network latency in virtual milliseconds. */
  readonly latencyMs?: number;
  /** Client tunables. */
  readonly clientConfig?: Partial<ClientConfig>;
  /** Relay limits. */
  readonly relayConfig?: Partial<RelayConfig>;
  /** Virtual start time. */
  readonly startTime?: number;
}

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

/** A simulated client. */
export interface ClientNode {
  /** Its name. */
  readonly name: string;
  /** `owner` or `member`. */
  readonly role: 'owner' | 'member';
  /** Its keys. */
  readonly identity: Identity;
  /** Its role machine's snapshot. */
  snapshot: SnapshotFrom<typeof ownerMachine> | SnapshotFrom<typeof memberMachine>;
  /** Its connection machine's snapshot. */
  conn: SnapshotFrom<typeof clientConnectionMachine>;
  /** The connection id at the relay, while connected. */
  connId: string | undefined;
  /** Next wake-up the machine asked for. */
  wakeAt: number | undefined;
  /** Messages delivered to the application. */
  readonly deliveries: Delivery[];
  /** Status changes. */
  readonly statuses: { at: number; status: Status }[];
  /** Connections made so far. */
  connections: number;
}

interface RelayConnNode {
  snapshot: SnapshotFrom<typeof relayConnectionMachine>;
  client: string;
  open: boolean;
}

type QueueItem =
  | { at: number; seq: number; kind: 'toRelay'; conn: string; bytes: Bytes }
  | { at: number; seq: number; kind: 'toClient'; client: string; conn: string; bytes: Bytes }
  | { at: number; seq: number; kind: 'tick'; client: string; wakeAt: number }
  | { at: number; seq: number; kind: 'user'; client: string; event: OwnerEvent | MemberEvent };

/** The simulated world. */
export interface World {
  /** Options it was made with. */
  readonly options: WorldOptions;
  /** Current virtual time. */
  now(): number;
  /** The clients by name. */
  readonly clients: ReadonlyMap<string, ClientNode>;
  /** Every rejection and alarm raised, in order. */
  readonly raised: readonly Raised[];
  /** The relay's store. */
  readonly store: RelayStore;
  /** The relay's public key (pinned by hardened clients). */
  readonly relayPk: Bytes;
  /** Adds the owner. */
  addOwner(name: string): ClientNode;
  /** Adds a member-to-be. */
  addMember(name: string): ClientNode;
  /** Opens a client's connection to the relay. */
  connect(name: string): void;
  /** Drops a client's connection. */
  disconnect(name: string): void;
  /** Queues a user event for a client, at the current time plus `delayMs`. */
  user(name: string, event: { type: string } & Record<string, unknown>, delayMs?: number): void;
  /** Processes events until `until` (virtual ms). */
  runUntil(until: number): void;
  /** Processes events until `done()` holds or `maxMs` of virtual time pass; returns whether it held. */
  runUntilTrue(done: () => boolean, maxMs: number): boolean;
  /** The state value of a client's role machine, as a dotted string. */
  stateOf(name: string): string;
  /** The invites the owner announced, newest last. */
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
  const latency = options.latencyMs ?? 5;
  let time = options.startTime ?? 1_790_000_000_000;
  let seqCounter = 0;
  const queue: QueueItem[] = [];
  const clients = new Map<string, ClientNode>();
  const raised: Raised[] = [];
  const store = memoryStore();
  const relayKeys = c.sigKeygen(simSeed(c, options.seed, 'relay key', 0).subarray(0, 32));
  let relay = start<typeof relayMachine, RelayEffect>(relayMachine, { crypto: c, state: emptyRelay(options.profile), config: options.relayConfig ?? {} }).snapshot;
  const relayConns = new Map<string, RelayConnNode>();
  let connCounter = 0;

  const push = (item: QueueItem extends infer Q ? (Q extends unknown ? Omit<Q, 'seq'> : never) : never): void => {
    const full = { ...item, seq: seqCounter++ } as QueueItem;
    // keep the queue ordered by (at, seq); insertion from the back is cheap for mostly-increasing times
    let i = queue.length;
    while (i > 0 && (queue[i - 1]!.at > full.at || (queue[i - 1]!.at === full.at && queue[i - 1]!.seq > full.seq))) i--;
    queue.splice(i, 0, full);
  };

  const raise = (party: string, kind: 'reject' | 'alarm', reqId: ReqId, detail: string): void => {
    raised.push({ at: time, party, kind, reqId, detail });
  };

  // ------------------------------------------------------------------ clients

  const roleMachineOf = (node: ClientNode): RoleMachine => (node.role === 'owner' ? ownerMachine : memberMachine);

  const feedRole = (node: ClientNode, event: OwnerEvent | MemberEvent | NetEvent): void => {
    const r = step<RoleMachine, ClientEffect>(roleMachineOf(node), node.snapshot as never, event as never);
    node.snapshot = r.snapshot as ClientNode['snapshot'];
    for (const fx of r.effects) clientEffect(node, fx);
  };

  const clientEffect = (node: ClientNode, fx: ClientEffect): void => {
    switch (fx.type) {
      case 'effect.send':
        feedClientConn(node, { type: 'app.send', bytes: fx.bytes, now: time });
        break;
      case 'effect.deliver':
        node.deliveries.push({ at: time, sender: toHex(fx.sender), seq: fx.seq, epoch: fx.epoch, text: fx.text });
        break;
      case 'effect.reject':
        raise(node.name, 'reject', fx.reqId, `${fx.input}: ${fx.detail}`);
        break;
      case 'effect.alarm':
        raise(node.name, 'alarm', fx.reqId, fx.detail);
        break;
      case 'effect.status':
        node.statuses.push({ at: time, status: fx.status });
        break;
      case 'effect.wake':
        if (node.wakeAt === undefined || fx.at !== node.wakeAt) {
          node.wakeAt = fx.at;
          push({ at: Math.max(fx.at, time), kind: 'tick', client: node.name, wakeAt: fx.at });
        }
        break;
    }
  };

  const feedClientConn = (node: ClientNode, event: ConnEvent): void => {
    const r = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, node.conn, event);
    node.conn = r.snapshot;
    for (const fx of r.effects) {
      switch (fx.type) {
        case 'effect.wire':
          if (node.connId !== undefined) push({ at: time + latency, kind: 'toRelay', conn: node.connId, bytes: fx.bytes });
          break;
        case 'effect.up':
          feedRole(node, { type: 'net.up', now: time });
          break;
        case 'effect.down':
          feedRole(node, { type: 'net.down', now: time });
          break;
        case 'effect.receive':
          feedRole(node, relayMessageToEvent(fx.bytes, time));
          break;
        case 'effect.reject':
          raise(node.name, 'reject', fx.reqId, fx.detail);
          break;
        default:
          break;
      }
    }
  };

  const makeClient = (name: string, role: 'owner' | 'member'): ClientNode => {
    if (clients.has(name)) throw new Error(`client ${name} exists`);
    const identity = createIdentity(c, deterministicRng(simSeed(c, options.seed, `identity ${name}`, 0)));
    const input = { crypto: c, profile: options.profile, identity, rngSeed: simSeed(c, options.seed, name, 0), config: options.clientConfig ?? {} };
    const roleStart = role === 'owner' ? start<typeof ownerMachine, ClientEffect>(ownerMachine, input) : start<typeof memberMachine, ClientEffect>(memberMachine, input);
    const conn = start<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, {
      crypto: c,
      profile: options.profile,
      identity,
      pinnedRelayPk: options.profile === 'hardened' ? relayKeys.publicKey : undefined,
      rngSeed: simSeed(c, options.seed, `${name} connection`, 0),
    }).snapshot;
    const node: ClientNode = { name, role, identity, snapshot: roleStart.snapshot, conn, connId: undefined, wakeAt: undefined, deliveries: [], statuses: [], connections: 0 };
    clients.set(name, node);
    return node;
  };

  // ------------------------------------------------------------------ relay

  const feedRelay = (event: RelayEvent): void => {
    const r = step<typeof relayMachine, RelayEffect>(relayMachine, relay, event);
    relay = r.snapshot;
    const sends: RelayEffect[] = [];
    for (const fx of r.effects) {
      if (fx.type === 'effect.append') store.append(fx.roomId, fx.index, fx.payload);
      else if (fx.type === 'effect.storeMail') store.storeMail(fx.principal, fx.entry);
      else sends.push(fx);
    }
    store.saveState(relay.context.state); // durable before anything that reports it is sent (REQ-REL-050)
    for (const fx of sends) {
      switch (fx.type) {
        case 'effect.reply':
          feedRelayConn(fx.conn, { type: 'app.send', bytes: fx.bytes, now: time });
          break;
        case 'effect.serveHistory':
          feedRelayConn(fx.conn, { type: 'app.send', bytes: historyChunk(store, fx.reqId, fx.roomId, fx.from, fx.to, fx.limit), now: time });
          break;
        case 'effect.serveMailbox':
          feedRelayConn(fx.conn, { type: 'app.send', bytes: mailboxChunk(store, fx.reqId, fx.principal, fx.from), now: time });
          break;
        case 'effect.close':
          closeConn(fx.conn);
          break;
        case 'effect.reject':
          raise('relay', 'reject', fx.reqId, `${fx.conn}: ${fx.detail}`);
          break;
        default:
          break;
      }
    }
  };

  const feedRelayConn = (connId: string, event: ConnEvent): void => {
    const node = relayConns.get(connId);
    if (!node || !node.open) return;
    const r = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, node.snapshot, event);
    node.snapshot = r.snapshot;
    for (const fx of r.effects) {
      switch (fx.type) {
        case 'effect.wire':
          push({ at: time + latency, kind: 'toClient', client: node.client, conn: connId, bytes: fx.bytes });
          break;
        case 'effect.authenticated':
          feedRelay({ type: 'conn.open', conn: connId, principal: fx.principal, now: time });
          break;
        case 'effect.receive': {
          const d = decodeRequest(fx.bytes);
          feedRelay(d.ok ? { type: 'net.request', conn: connId, request: d.request, now: time } : { type: 'net.malformed', conn: connId, reqId: d.reqId, detail: d.detail, now: time });
          break;
        }
        case 'effect.reject':
          raise('relay', 'reject', fx.reqId, `${connId}: ${fx.detail}`);
          break;
        case 'effect.close':
          closeConn(connId);
          break;
        default:
          break;
      }
    }
  };

  const closeConn = (connId: string): void => {
    const node = relayConns.get(connId);
    if (!node || !node.open) return;
    node.open = false;
    feedRelay({ type: 'conn.close', conn: connId, now: time });
    const client = clients.get(node.client);
    if (client && client.connId === connId) {
      client.connId = undefined;
      feedClientConn(client, { type: 'conn.lost', now: time });
    }
  };

  // ------------------------------------------------------------------ loop

  const process = (item: QueueItem): void => {
    time = Math.max(time, item.at);
    switch (item.kind) {
      case 'toRelay':
        feedRelayConn(item.conn, { type: 'net.wire', bytes: item.bytes, now: time });
        break;
      case 'toClient': {
        const node = clients.get(item.client)!;
        if (node.connId === item.conn) feedClientConn(node, { type: 'net.wire', bytes: item.bytes, now: time });
        break;
      }
      case 'tick': {
        const node = clients.get(item.client)!;
        if (node.wakeAt === item.wakeAt) {
          node.wakeAt = undefined;
          feedRole(node, { type: 'timer.tick', now: time });
        }
        break;
      }
      case 'user':
        feedRole(clients.get(item.client)!, { ...item.event, now: time } as OwnerEvent);
        break;
    }
  };

  const world: World = {
    options,
    now: () => time,
    clients,
    raised,
    store,
    relayPk: relayKeys.publicKey,
    addOwner: (name) => makeClient(name, 'owner'),
    addMember: (name) => makeClient(name, 'member'),
    connect(name) {
      const node = clients.get(name)!;
      if (node.connId !== undefined) return;
      const connId = `c${++connCounter}`;
      node.connId = connId;
      node.connections++;
      relayConns.set(connId, {
        client: name,
        open: true,
        snapshot: start<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, {
          crypto: c,
          profile: options.profile,
          relayKeys,
          rngSeed: simSeed(c, options.seed, `relay ${connId}`, 0),
        }).snapshot,
      });
      feedClientConn(node, { type: 'conn.start', now: time });
    },
    disconnect(name) {
      const node = clients.get(name)!;
      if (node.connId !== undefined) closeConn(node.connId);
    },
    user(name, event, delayMs = 0) {
      push({ at: time + delayMs, kind: 'user', client: name, event: { ...event, now: time + delayMs } as OwnerEvent });
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
