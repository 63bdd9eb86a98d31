/**
 * The relay host: runs the relay machine and one relay connection machine per client connection
 * over any transport, keeps the relay's state and log in a store, and serves history and mailbox
 * pages from it. The simulated world hosts the relay with it on the in-memory transport and a
 * virtual clock; the live relay (`pqroom relay`) hosts the very same machines with it on
 * WebSockets, SQLite and the wall clock. The host does no I/O of its own: links, store and clock
 * are given to it.
 */
import type { SnapshotFrom } from 'xstate';
import { toHex, type Bytes } from '../impl/bytes.ts';
import type { CryptoProvider, KeyPair } from '../impl/crypto/provider.ts';
import type { ReqId } from '../impl/errors.ts';
import { emptyRelay, type RelayState } from '../impl/protocol/relay-state.ts';
import type { Profile } from '../impl/suite.ts';
import { relayConnectionMachine, type ConnEffect, type ConnEvent } from '../machines/connection.ts';
import { start, step } from '../machines/driver.ts';
import type { RelayEffect, RelayEvent } from '../machines/events.ts';
import { relayMachine, type RelayConfig } from '../machines/relay.ts';
import { decodeRequest } from './envelope.ts';
import { historyChunk, mailboxChunk, type RelayStore } from './store.ts';
import { messageLabel, shortHash, type TraceEvent } from './trace.ts';
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
}

/** A running relay host. */
export interface RelayHost {
  /** A new connection from `peer` (a name for traces and logs): the relay end's handlers. */
  accept(link: Link, peer: string): LinkHandlers;
  /** The relay logic stops (a crash): nothing is fed until `resume`. */
  halt(): void;
  /** The relay machine restarts from the state last saved in the store (REQ-REL-050). */
  resume(): void;
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
}

interface ConnNode {
  snapshot: SnapshotFrom<typeof relayConnectionMachine>;
  readonly client: string;
  readonly link: Link;
}

/** Starts a relay host on the state the store holds (or an empty relay). */
export function createRelayHost(o: RelayHostOptions): RelayHost {
  const input = () => ({ crypto: o.crypto, state: o.store.loadState() ?? emptyRelay(o.profile), config: o.config ?? {} });
  let relay = start<typeof relayMachine, RelayEffect>(relayMachine, input()).snapshot;
  let halted = false;
  const conns = new Map<string, ConnNode>();
  const posing = new Set<string>();
  const record = o.record;

  const feedRelay = (event: RelayEvent): void => {
    if (halted) return;
    o.onEvent?.();
    const r = step<typeof relayMachine, RelayEffect>(relayMachine, relay, event);
    const sends = r.effects.filter((fx) => fx.type !== 'effect.append' && fx.type !== 'effect.storeMail');
    // the step's writes, in one transaction where the store has them, are durable before anything
    // that reports them is sent (REQ-REL-050); a step whose writes fail changes nothing
    const write = (): void => {
      for (const fx of r.effects) {
        if (fx.type === 'effect.append') o.store.append(fx.roomId, fx.index, fx.payload, fx.epoch);
        else if (fx.type === 'effect.storeMail') o.store.storeMail(fx.principal, fx.entry);
      }
      o.store.saveState(r.snapshot.context.state);
    };
    if (o.store.atomically) o.store.atomically(write);
    else write();
    relay = r.snapshot;
    for (const fx of sends) {
      switch (fx.type) {
        case 'effect.reply':
          relaySend(fx.conn, fx.bytes);
          break;
        case 'effect.serveHistory':
          relaySend(fx.conn, historyChunk(o.store, fx.reqId, fx.roomId, fx.from, fx.to, fx.limit, fx.lateBefore));
          break;
        case 'effect.serveMailbox':
          relaySend(fx.conn, mailboxChunk(o.store, fx.reqId, fx.principal, fx.from));
          break;
        case 'effect.close':
          conns.get(fx.conn)?.link.close(fx.reason);
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
      else o.at(o.now() + out.delayMs, () => relayWire(connId, out.bytes));
    }
  };

  const relayWire = (connId: string, bytes: Bytes): void => {
    const node = conns.get(connId);
    if (!node) return;
    record?.({ kind: 'send', actor: 'relay', to: node.client, msg: messageLabel(bytes), size: bytes.length, hash: shortHash(bytes) });
    feedConn(connId, { type: 'app.send', bytes, now: o.now() });
  };

  const relayReceive = (connId: string, bytes: Bytes): void => {
    const node = conns.get(connId);
    if (!node || halted) return;
    record?.({ kind: 'recv', actor: 'relay', from: node.client, msg: messageLabel(bytes), size: bytes.length, hash: shortHash(bytes) });
    request(connId, bytes);
  };

  const request = (connId: string, bytes: Bytes): void => {
    const d = decodeRequest(bytes);
    const now = o.now();
    feedRelay(d.ok ? { type: 'net.request', conn: connId, request: d.request, now } : { type: 'net.malformed', conn: connId, reqId: d.reqId, detail: d.detail, now });
  };

  const feedConn = (connId: string, event: ConnEvent): void => {
    const node = conns.get(connId);
    if (!node || halted) return;
    o.onEvent?.();
    const r = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, node.snapshot, event);
    node.snapshot = r.snapshot;
    for (const fx of r.effects) {
      switch (fx.type) {
        case 'effect.wire':
          node.link.send(fx.bytes);
          break;
        case 'effect.authenticated':
          o.onAuthenticated?.(node.client, fx.principal);
          feedRelay({ type: 'conn.open', conn: connId, principal: fx.principal, now: o.now() });
          break;
        case 'effect.receive':
          if (!o.tap) relayReceive(connId, fx.bytes);
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
          node.link.close(fx.reason);
          break;
        default:
          break;
      }
    }
  };

  return {
    accept(link, peer) {
      conns.set(link.id, {
        client: peer,
        link,
        snapshot: start<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, { crypto: o.crypto, profile: o.profile, relayKeys: o.keys, rngSeed: o.connSeed(link.id) }).snapshot,
      });
      return {
        onFrame: (bytes) => feedConn(link.id, { type: 'net.wire', bytes, now: o.now() }),
        onClose: () => {
          if (!conns.delete(link.id)) return;
          feedRelay({ type: 'conn.close', conn: link.id, now: o.now() });
        },
      };
    },
    halt() {
      halted = true;
    },
    resume() {
      relay = start<typeof relayMachine, RelayEffect>(relayMachine, input()).snapshot;
      halted = false;
    },
    state: () => relay.context.state,
    connections: () => conns.size,
    connOf(client) {
      for (const [id, n] of conns) if (n.client === client && n.snapshot.value === 'open') return id;
      return undefined;
    },
    sendDown: relayWire,
    sendUp: relayReceive,
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
