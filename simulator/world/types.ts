/** The simulated world's vocabulary (spec 5.11): its options, its clients, what they delivered and raised, and what a world offers. */
import type { SnapshotFrom } from 'xstate';
import type { Bytes } from '../../impl/bytes.ts';
import type { CryptoProvider } from '../../impl/crypto/provider.ts';
import type { ReqId } from '../../impl/errors.ts';
import type { Invite } from '../../impl/messages/index.ts';
import type { Identity } from '../../impl/protocol/identity.ts';
import type { Profile } from '../../impl/suite.ts';
import type { ClientConfig } from '../../machines/client-core.ts';
import type { clientConnectionMachine } from '../../machines/connection.ts';
import type { Status } from '../../machines/events.ts';
import type { memberMachine } from '../../machines/member.ts';
import type { ownerMachine } from '../../machines/owner.ts';
import type { RelayInput } from '../../machines/relay.ts';
import type { Faults } from '../faults.ts';
import type { RelayTap } from '../relay-host.ts';
import type { RelayStore } from '../store.ts';
import type { TraceRecorder } from '../trace.ts';
import type { Link } from '../transport.ts';

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

/** A client's role machine (owner or member). */
export type RoleMachine = typeof ownerMachine | typeof memberMachine;
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
  /** What its user asked of it, in order: the event type and when it reached the program (ground truth for the oracles). */
  readonly asked: { readonly at: number; readonly type: string }[];
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
