/**
 * The simulated world: owner, members and the relay, each driven through the pure driver, their
 * frames carried by a transport (here the in-memory one: a seeded network with faults) on a
 * virtual clock. Every source of nondeterminism (network timing
 * and faults, every party's randomness, crash timing) derives from one seed (spec 5.11), so a run
 * is a function of its seed and options, and its trace is reproducible byte for byte. This file
 * is the world's event loop, its relay, crashes and restarts; its clients are driven by
 * world/clients.ts, and world/types.ts says what a world and its clients are.
 */
import type { AnyStateMachine } from 'xstate';
import { toHex } from '../impl/bytes.ts';
import type { ReqId } from '../impl/errors.ts';
import { simSeed } from '../impl/keyschedule.ts';
import type { Identity } from '../impl/protocol/identity.ts';
import { deterministicRng, drbgInstantiate } from '../impl/rng.ts';
import type { ClientCore } from '../machines/client-core.ts';
import type { OwnerEvent } from '../machines/events.ts';
import { persistedRole, resumeRole } from '../machines/resume.ts';
import { NO_FAULTS } from './faults.ts';
import { createRelayHost, type TraceLine } from './relay-host.ts';
import { memoryStore } from './store.ts';
import { shortHash, traceRecorder, type TraceEvent } from './trace.ts';
import { memoryTransport, type Scheduler } from './transport.ts';
import { clientDriver, stateString } from './world/clients.ts';
import type { ClientNode, Raised, RoleSnapshot, World, WorldOptions } from './world/types.ts';

export type { RelayTap, TapApi, TapConn, TapOut } from './relay-host.ts';
export type { ClientNode, Delivery, Raised, RoleSnapshot, World, WorldOptions } from './world/types.ts';

interface QueueItem {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
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

  const { feedRole, makeClient, openConnection, roleMachineOf } = clientDriver({
    options,
    clients,
    impostors,
    relayPk: relayKeys.publicKey,
    transport,
    traceEnabled: trace.enabled,
    unpinned,
    wrongSuite,
    reconnectMs,
    handshakeTimeoutMs,
    silenceMs,
    now: () => time,
    at,
    record,
    raise,
    countEvent: () => void eventCount++,
  });

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
    // REQ-MEM-026: resume from what was persisted; REQ-CRY-015: with a fresh generator, never the stored state
    const fresh = drbgInstantiate(simSeed(c, options.seed, node.name, node.restarts), c.hmacSha256);
    node.snapshot = resumeRole(roleMachineOf(node) as AnyStateMachine, persistedRole(node.persisted), (node.persisted.context as ClientCore).crypto, fresh) as RoleSnapshot;
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
    crash(client, downtimeMs) {
      const node = clients.get(client);
      if (!node || node.crashed) return false;
      crash(node, downtimeMs);
      return true;
    },
    restartRelay: (downtimeMs) => relayGoesDown(downtimeMs),
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
    addOwner: (name, person) => makeClient(name, 'owner', person),
    addMember: (name, person) => makeClient(name, 'member', person),
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
        node.asked.push({ at: time, type: event.type });
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
    invites(ownerName) {
      const owner = ownerName === undefined ? [...clients.values()].find((n) => n.role === 'owner') : clients.get(ownerName);
      return (owner?.statuses ?? []).flatMap((s) => (s.status.kind === 'invite' ? [s.status.invite] : []));
    },
  };
  return world;
}
