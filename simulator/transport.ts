/**
 * Transports: how frames travel between clients and the relay. A host (the simulated world, or the
 * live relay and its clients) drives the machines and hands their frames to a transport; the
 * transport calls back with frames that arrive and with closed connections. The simulator's
 * transport is `memoryTransport` (a seeded network with faults, on the world's virtual clock); the
 * live relay's is the WebSocket transport, which implements the same interface.
 */
import type { Bytes } from '../impl/bytes.ts';
import type { StatefulRng } from '../impl/rng.ts';
import type { Faults } from './faults.ts';

/** One end of a connection. */
export interface Link {
  /** Connection id, unique within the transport. */
  readonly id: string;
  /**
   * Sends a frame to the other end. Best effort: the network may lose it. `sent`, when given, is
   * called once the transport holds nothing of `bytes` any more (written, or dropped), so that its
   * buffer may be reused; a transport may also never call it (the buffer is then just collected).
   */
  send(bytes: Bytes, sent?: () => void): void;
  /** Closes the connection: both ends' `onClose` run (the relay's first), once. */
  close(reason: string): void;
}

/** What one end of a connection is told. */
export interface LinkHandlers {
  /** A frame arrived. */
  onFrame(bytes: Bytes): void;
  /** The connection closed (either end closed it, or the network did). */
  onClose(reason: string): void;
}

/** A client-to-relay transport. */
export interface Transport {
  /** The relay accepts connections; `accept` returns the relay end's handlers. `peer` names the client end. */
  listen(accept: (link: Link, peer: string) => LinkHandlers): void;
  /** The relay stops accepting, and every open connection closes (a relay crash). */
  unlisten(reason: string): void;
  /** A client opens a connection to the relay. If nobody listens it closes soon after, with reason `connection refused`. */
  dial(peer: string, handlers: LinkHandlers): Link;
}

/** Virtual time and a queue of things to do at given times (the world's event loop). */
export interface Scheduler {
  /** Current virtual time (ms). */
  now(): number;
  /** Runs `task` at virtual time `at` (tasks with equal times run in the order they were scheduled). */
  at(at: number, task: () => void): void;
}

/** A fault the network applied to one frame, for the trace. */
export interface AppliedFault {
  /** `drop`, `duplicate`, `reorder`, `delay` or `partition`. */
  readonly fault: string;
  /** Sender: a client name or `relay`. */
  readonly from: string;
  /** Receiver. */
  readonly to: string;
  /** The frame. */
  readonly bytes: Bytes;
  /** Extra latency added (reorder, delay). */
  readonly extraMs?: number;
}

/** Options of the in-memory transport. */
export interface MemoryTransportOptions {
  /** The world's clock and queue. */
  readonly scheduler: Scheduler;
  /** Virtual time at which the run started (partitions are relative to it). */
  readonly startTime: number;
  /** The faults to apply. */
  readonly faults: Faults;
  /** The network's generator (derived from the run's seed): every fault decision draws from it. */
  readonly rng: StatefulRng;
  /** Called for every fault applied. */
  readonly onFault?: (f: AppliedFault) => void;
}

/** What a frame's decisions read when the fault set needs no randomness: every uniform number 0, never read. */
const NO_DRAW = new Uint8Array(24);

/** The `i`-th of the uniform numbers in [0, 1) that 4-byte groups of `b` encode. */
function uniform(b: Uint8Array, i: number): number {
  const o = 4 * i;
  return ((b[o]! << 24) >>> 0) / 2 ** 32 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) / 2 ** 56;
}

interface Pair {
  readonly id: string;
  readonly peer: string;
  open: boolean;
  readonly client: LinkHandlers;
  relay: LinkHandlers | undefined;
}

/**
 * The simulator's network: every frame gets the base latency plus jitter and may be dropped,
 * duplicated, held back (reordered) or delayed, each with its probability; frames of a
 * partitioned client are lost both ways while the partition lasts. Six draws per frame (24 bytes
 * of the network's generator), always, so that one decision never shifts the others: the same
 * seed gives the same schedule. A fault set that needs no randomness (no jitter, every
 * probability 0) draws nothing: no decision would read the draws, and the generator is the
 * network's alone, so the schedule is the same either way.
 */
export function memoryTransport(o: MemoryTransportOptions): Transport {
  const { scheduler, faults, rng } = o;
  const random = faults.jitterMs > 0 || faults.drop > 0 || faults.reorder > 0 || faults.delay > 0 || faults.duplicate > 0;
  const pairs = new Map<string, Pair>();
  let counter = 0;
  let accept: ((link: Link, peer: string) => LinkHandlers) | undefined;

  const partitioned = (peer: string): boolean => {
    const t = scheduler.now() - o.startTime;
    return faults.partitions.some((p) => p.nodes.includes(peer) && t >= p.at && t < p.at + p.duration);
  };

  const transmit = (pair: Pair, toRelay: boolean, bytes: Bytes): void => {
    const from = toRelay ? pair.peer : 'relay';
    const to = toRelay ? 'relay' : pair.peer;
    if (partitioned(pair.peer)) {
      o.onFault?.({ fault: 'partition', from, to, bytes });
      return;
    }
    const draw = random ? rng.bytes(24) : NO_DRAW;
    const uDrop = uniform(draw, 0);
    const uJitter = uniform(draw, 1);
    const uReorder = uniform(draw, 2);
    const uReorderAmt = uniform(draw, 3);
    const uDelay = uniform(draw, 4);
    const uDup = uniform(draw, 5);
    if (uDrop < faults.drop) {
      o.onFault?.({ fault: 'drop', from, to, bytes });
      return;
    }
    let latency = faults.latencyMs + Math.floor(uJitter * faults.jitterMs);
    if (uReorder < faults.reorder) {
      const extra = Math.floor(uReorderAmt * faults.reorderMs);
      latency += extra;
      o.onFault?.({ fault: 'reorder', from, to, bytes, extraMs: extra });
    }
    if (uDelay < faults.delay) {
      latency += faults.delayMs;
      o.onFault?.({ fault: 'delay', from, to, bytes, extraMs: faults.delayMs });
    }
    const arrive = (): void => {
      if (!pair.open) return; // a frame in flight when the connection closed is lost with it
      (toRelay ? pair.relay : pair.client)?.onFrame(bytes);
    };
    const now = scheduler.now();
    scheduler.at(now + latency, arrive);
    if (uDup < faults.duplicate) {
      o.onFault?.({ fault: 'duplicate', from, to, bytes });
      scheduler.at(now + latency + 1 + Math.floor(uReorderAmt * Math.max(faults.reorderMs, faults.latencyMs)), arrive);
    }
  };

  const close = (pair: Pair, reason: string): void => {
    if (!pair.open) return;
    pair.open = false;
    pairs.delete(pair.id);
    pair.relay?.onClose(reason);
    pair.client.onClose(reason);
  };

  const linkOf = (pair: Pair, toRelay: boolean): Link => ({
    id: pair.id,
    send: (bytes) => {
      if (pair.open) transmit(pair, toRelay, bytes);
    },
    close: (reason) => close(pair, reason),
  });

  return {
    listen(a) {
      accept = a;
    },
    unlisten(reason) {
      accept = undefined;
      for (const pair of [...pairs.values()]) close(pair, reason);
    },
    dial(peer, handlers) {
      const pair: Pair = { id: `c${++counter}`, peer, open: true, client: handlers, relay: undefined };
      pairs.set(pair.id, pair);
      if (accept) pair.relay = accept(linkOf(pair, false), peer);
      else scheduler.at(scheduler.now() + faults.latencyMs, () => close(pair, 'connection refused'));
      return linkOf(pair, true);
    },
  };
}
