/**
 * A live client: an owner or member machine and the client connection machine, driven on the
 * wall clock over a WebSocket (the same machines the simulated world drives on a virtual clock).
 * The host does what the world does for a client: it feeds the role machine its user and network
 * events, carries its frames through the connection machine, keeps its wake-up timer, and
 * reconnects a lost connection. Effects it does not act on are handed to `on`.
 */
import type { SnapshotFrom } from 'xstate';
import { toHex, type Bytes } from '../impl/bytes.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { ReqId } from '../impl/errors.ts';
import type { Identity } from '../impl/protocol/identity.ts';
import { systemRng } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import type { ClientConfig } from '../machines/client-core.ts';
import { clientConnectionMachine, type ConnEffect, type ConnEvent } from '../machines/connection.ts';
import { start, step } from '../machines/driver.ts';
import type { ClientEffect, MemberEvent, NetEvent, OwnerEvent, Status } from '../machines/events.ts';
import { memberMachine } from '../machines/member.ts';
import { ownerMachine } from '../machines/owner.ts';
import { relayMessageToEvent } from './envelope.ts';
import type { Link } from './transport.ts';
import { wsDial } from './ws-transport.ts';

/** What a live client reports. */
export interface LiveClientEvents {
  deliver?(d: { sender: string; seq: number; epoch: number; text: string }): void;
  status?(s: Status): void;
  raise?(kind: 'reject' | 'alarm', reqId: ReqId, detail: string): void;
  connected?(): void;
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
  readonly reconnectMs?: number;
}

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
}

type RoleMachine = typeof ownerMachine | typeof memberMachine;
type RoleSnapshot = SnapshotFrom<typeof ownerMachine> | SnapshotFrom<typeof memberMachine>;

/** Starts a client and connects it. */
export function startLiveClient(o: LiveClientOptions): LiveClient {
  const machine: RoleMachine = o.role === 'owner' ? ownerMachine : memberMachine;
  const input = { crypto: o.crypto, profile: o.profile, identity: o.identity, rngSeed: systemRng.bytes(48), config: o.config ?? {} };
  let snapshot: RoleSnapshot = (o.role === 'owner' ? start<typeof ownerMachine, ClientEffect>(ownerMachine, input) : start<typeof memberMachine, ClientEffect>(memberMachine, input)).snapshot;
  let conn = newConn();
  let link: Link | undefined;
  let wake: NodeJS.Timeout | undefined;
  let wakeAt: number | undefined;
  let stopped = false;
  let reconnect: NodeJS.Timeout | undefined;

  function newConn() {
    return start<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, {
      crypto: o.crypto,
      profile: o.profile,
      identity: o.identity,
      pinnedRelayPk: o.profile === 'hardened' ? o.relayPk : undefined,
      rngSeed: systemRng.bytes(48),
    }).snapshot;
  }

  const feedRole = (event: OwnerEvent | MemberEvent | NetEvent): void => {
    if (stopped) return;
    const r = step<RoleMachine, ClientEffect>(machine, snapshot as never, event as never);
    snapshot = r.snapshot as RoleSnapshot;
    for (const fx of r.effects) effect(fx);
  };

  const effect = (fx: ClientEffect): void => {
    switch (fx.type) {
      case 'effect.send':
        feedConn({ type: 'app.send', bytes: fx.bytes, now: Date.now() });
        break;
      case 'effect.deliver':
        o.on?.deliver?.({ sender: toHex(fx.sender), seq: fx.seq, epoch: fx.epoch, text: fx.text });
        break;
      case 'effect.reject':
        o.on?.raise?.('reject', fx.reqId, `${fx.input}: ${fx.detail}`);
        break;
      case 'effect.alarm':
        o.on?.raise?.('alarm', fx.reqId, fx.detail);
        break;
      case 'effect.status':
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
        case 'effect.wire':
          link?.send(fx.bytes);
          break;
        case 'effect.up':
          o.on?.connected?.();
          feedRole({ type: 'net.up', now: Date.now() });
          break;
        case 'effect.down':
          feedRole({ type: 'net.down', now: Date.now() });
          break;
        case 'effect.receive':
          feedRole(relayMessageToEvent(fx.bytes, Date.now()));
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
    const l: Link = wsDial(o.url, {
      onFrame: (bytes) => {
        if (link === l) feedConn({ type: 'net.wire', bytes, now: Date.now() });
      },
      onClose: () => {
        if (link !== l) return;
        link = undefined;
        feedConn({ type: 'conn.lost', now: Date.now() });
        if (!stopped) reconnect = setTimeout(connect, o.reconnectMs ?? 500);
      },
    });
    link = l;
    feedConn({ type: 'conn.start', now: Date.now() });
  };
  connect();

  return {
    name: o.name,
    identity: o.identity,
    user(event) {
      feedRole({ ...event, now: Date.now() } as OwnerEvent);
    },
    state: () => snapshot.value,
    context: () => snapshot.context,
    stop() {
      stopped = true;
      if (wake) clearTimeout(wake);
      if (reconnect) clearTimeout(reconnect);
      const l = link;
      link = undefined;
      l?.close('client stopped');
    },
  };
}
