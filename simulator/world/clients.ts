/**
 * The simulated world's clients (spec 5.11, 8.12): each client's role machine and connection
 * machine, driven through the pure driver; their effects carried out on the world's clock and
 * network; reconnection after losses, handshake timeouts and a silent relay.
 */
import { toHex, type Bytes } from '../../impl/bytes.ts';
import type { ReqId } from '../../impl/errors.ts';
import { simSeed } from '../../impl/keyschedule.ts';
import { SUITE_ID, type Invite } from '../../impl/messages/index.ts';
import type { ClientCore } from '../../machines/client-core.ts';
import { createIdentity, type Identity } from '../../impl/protocol/identity.ts';
import { deterministicRng } from '../../impl/rng.ts';
import { clientConnectionMachine, type ConnEffect, type ConnEvent } from '../../machines/connection.ts';
import { start, step } from '../../machines/driver.ts';
import type { ClientEffect, MemberEvent, NetEvent, OwnerEvent } from '../../machines/events.ts';
import { memberMachine } from '../../machines/member.ts';
import { ownerMachine } from '../../machines/owner.ts';
import { relayMessageToEvent } from '../envelope.ts';
import { roomOf, routeToRoom } from '../../machines/route.ts';
import type { TraceLine } from '../relay-host.ts';
import { messageLabel } from '../message-label.ts';
import { shortHash } from '../trace.ts';
import type { Link, Transport } from '../transport.ts';
import type { ClientNode, RoleMachine, RoleSnapshot, WorldOptions } from './types.ts';

/** A machine state value as a dotted string (`active.ready`). */
export function stateString(value: unknown): string {
  if (typeof value === 'string') return value;
  const [k, v] = Object.entries(value as Record<string, unknown>)[0]!;
  return `${k}.${stateString(v)}`;
}

/** What the clients need from the world they run in. */
export interface ClientHost {
  readonly options: WorldOptions;
  /** The clients by name (the driver adds to it). */
  readonly clients: Map<string, ClientNode>;
  /** Clients whose connections claim another identity: name -> the identity claimed (CAP-13). */
  readonly impostors: ReadonlyMap<string, Identity>;
  /** The relay key hardened clients pin. */
  readonly relayPk: Bytes;
  /** The network the clients dial the relay on. */
  readonly transport: Pick<Transport, 'dial'>;
  /** Whether the run is traced. */
  readonly traceEnabled: boolean;
  /** Where connections completed with an endpoint that does not hold the relay's key are noted. */
  readonly unpinned: { party: string; at: number }[];
  /** Where frames taken in under another suite are noted. */
  readonly wrongSuite: { party: string; at: number; suite: number; msg: string }[];
  /** How long a disconnected client waits before reconnecting (ms). */
  readonly reconnectMs: number;
  /** How long a handshake may take (ms). */
  readonly handshakeTimeoutMs: number;
  /** How long a client waits for any frame after sending (ms). */
  readonly silenceMs: number;
  /** The current virtual time. */
  now(): number;
  /** Runs `run` at virtual time `when`. */
  at(when: number, run: () => void): void;
  /** Records a trace line. */
  record(e: TraceLine): void;
  /** Records a rejection or alarm a party raised. */
  raise(party: string, kind: 'reject' | 'alarm', reqId: ReqId, detail: string): void;
  /** Counts one event fed to a machine. */
  countEvent(): void;
}

/** What the world does with its clients. */
export interface ClientDriver {
  /** Feeds an event to a client's role machine and carries out its effects. */
  feedRole(node: ClientNode, event: OwnerEvent | MemberEvent | NetEvent): void;
  /** Adds a client (its keys and machines), named `name`; `person` (default `name`) owns the identity, which a person's clients in several rooms share. */
  makeClient(name: string, role: 'owner' | 'member', person?: string): ClientNode;
  /** Opens a client's connection to the relay, unless it has one or is crashed. */
  openConnection(node: ClientNode): void;
  /** A client's role machine. */
  roleMachineOf(node: ClientNode): RoleMachine;
}

/** The clients of one world, driven on its clock and network. */
export function clientDriver(host: ClientHost): ClientDriver {
  const { options, clients, impostors, relayPk, transport, traceEnabled, unpinned, wrongSuite, reconnectMs, handshakeTimeoutMs, silenceMs, now, at, record, raise, countEvent } = host;
  const c = options.crypto;

  const roleMachineOf = (node: ClientNode): RoleMachine => (node.role === 'owner' ? ownerMachine : memberMachine);

  let input = '';
  const feedRole = (node: ClientNode, event: OwnerEvent | MemberEvent | NetEvent): void => {
    if (node.crashed) return;
    countEvent();
    input = event.type;
    const before = traceEnabled ? stateString(node.snapshot.value) : '';
    const r = step<RoleMachine, ClientEffect>(roleMachineOf(node), node.snapshot as never, event as never);
    node.snapshot = r.snapshot as RoleSnapshot;
    node.persisted = node.snapshot; // persisted before any effect leaves (REQ-MEM-002, REQ-MEM-026)
    if (traceEnabled) {
      const after = stateString(node.snapshot.value);
      if (after !== before) record({ kind: 'state', actor: node.name, from: before, to: after });
    }
    for (const fx of r.effects) clientEffect(node, fx);
  };

  const clientEffect = (node: ClientNode, fx: ClientEffect): void => {
    switch (fx.type) {
      case 'effect.send':
        if (traceEnabled) record({ kind: 'send', actor: node.name, to: 'relay', msg: messageLabel(fx.bytes), size: fx.bytes.length, hash: shortHash(fx.bytes) });
        feedClientConn(node, { type: 'app.send', bytes: fx.bytes, now: now() });
        break;
      case 'effect.deliver':
        node.deliveries.push({ at: now(), sender: toHex(fx.sender), seq: fx.seq, epoch: fx.epoch, text: fx.text, via: input });
        if (traceEnabled) record({ kind: 'deliver', actor: node.name, sender: toHex(fx.sender).slice(0, 16), seq: fx.seq, epoch: fx.epoch, hash: shortHash(fx.text) });
        break;
      case 'effect.reject':
        raise(node.name, 'reject', fx.reqId, `${fx.input}: ${fx.detail}`);
        break;
      case 'effect.alarm':
        raise(node.name, 'alarm', fx.reqId, fx.detail);
        break;
      case 'effect.status':
        node.statuses.push({ at: now(), status: fx.status });
        if (traceEnabled) record({ kind: 'status', actor: node.name, status: fx.status.kind, ...('epoch' in fx.status ? { epoch: fx.status.epoch } : {}) });
        break;
      case 'effect.wake':
        if (node.wakeAt === undefined || fx.at !== node.wakeAt) {
          node.wakeAt = fx.at;
          const wakeAt = fx.at;
          at(Math.max(fx.at, now()), () => {
            if (node.wakeAt !== wakeAt || node.crashed) return;
            node.wakeAt = undefined;
            feedRole(node, { type: 'timer.tick', now: now() });
          });
        }
        break;
    }
  };

  /** REQ-TRN-009: a connection on which the relay answers nothing is dead; the client replaces it. */
  const silenceCheck = (node: ClientNode, link: Link): void => {
    if (node.link !== link || node.unansweredSince === undefined) return;
    if (now() - node.unansweredSince >= silenceMs) link.close('relay silent');
    else at(node.unansweredSince + silenceMs, () => silenceCheck(node, link));
  };

  const feedClientConn = (node: ClientNode, event: ConnEvent): void => {
    if (node.crashed) return;
    countEvent();
    const r = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, node.conn, event);
    node.conn = r.snapshot;
    for (const fx of r.effects) {
      switch (fx.type) {
        case 'effect.wire': {
          const link = node.link;
          if (link === undefined) break;
          if (node.unansweredSince === undefined) {
            node.unansweredSince = now();
            at(now() + silenceMs, () => silenceCheck(node, link));
          }
          link.send(fx.bytes);
          break;
        }
        case 'effect.up':
          record({ kind: 'event', actor: node.name, what: 'connected' });
          if (options.mitm !== undefined) unpinned.push({ party: node.name, at: now() });
          feedRole(node, { type: 'net.up', now: now() });
          break;
        case 'effect.down':
          feedRole(node, { type: 'net.down', now: now() });
          break;
        case 'effect.receive': {
          if (traceEnabled) record({ kind: 'recv', actor: node.name, from: 'relay', msg: messageLabel(fx.bytes), size: fx.bytes.length, hash: shortHash(fx.bytes) });
          node.inbox.push(fx.bytes);
          const ev = relayMessageToEvent(fx.bytes, now());
          const suite = fx.bytes.length >= 3 ? (fx.bytes[1]! << 8) | fx.bytes[2]! : SUITE_ID;
          if (ev.type !== 'net.malformed' && suite !== SUITE_ID) wrongSuite.push({ party: node.name, at: now(), suite, msg: messageLabel(fx.bytes) });
          const routed = routeToRoom(roomOf(node.snapshot.context as ClientCore & { invite?: Invite }), ev); // REQ-MEM-064
          if (routed === undefined) {
            if (traceEnabled) record({ kind: 'event', actor: node.name, what: 'another room', detail: messageLabel(fx.bytes) });
          } else feedRole(node, routed);
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
      pinnedRelayPk: options.profile === 'hardened' ? relayPk : undefined,
      rngSeed: simSeed(c, options.seed, `${node.name} connection ${node.connections}`, node.restarts),
    }).snapshot;

  const makeClient = (name: string, role: 'owner' | 'member', person = name): ClientNode => {
    if (clients.has(name)) throw new Error(`client ${name} exists`);
    const identity = createIdentity(c, deterministicRng(simSeed(c, options.seed, `identity ${person}`, 0), c.hmacSha256));
    const input = { crypto: c, profile: options.profile, identity, rngSeed: simSeed(c, options.seed, name, 0), config: options.clientConfig ?? {} };
    const roleStart = role === 'owner' ? start<typeof ownerMachine, ClientEffect>(ownerMachine, input) : start<typeof memberMachine, ClientEffect>(memberMachine, input);
    const node: ClientNode = {
      name,
      person,
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
      asked: [],
    };
    clients.set(name, node);
    record({ kind: 'event', actor: name, what: 'added', detail: role });
    return node;
  };

  const reconnectLater = (node: ClientNode): void => {
    at(now() + reconnectMs, () => {
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
        feedClientConn(node, { type: 'net.wire', bytes, now: now() });
      },
      onClose: (reason) => {
        if (node.link !== link) return;
        node.link = undefined;
        record({ kind: 'event', actor: node.name, what: 'disconnected', detail: reason });
        feedClientConn(node, { type: 'conn.lost', now: now() });
        if (node.wantsConnection && !node.crashed) reconnectLater(node);
      },
    });
    node.link = link;
    // REQ-TRN-009: a handshake that has not completed in time is abandoned
    at(now() + handshakeTimeoutMs, () => {
      if (node.link === link && stateString(node.conn.value) !== 'open') link.close('handshake timeout');
    });
    feedClientConn(node, { type: 'conn.start', now: now() });
  };

  return { feedRole, makeClient, openConnection, roleMachineOf };
}
