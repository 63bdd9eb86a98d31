/**
 * Fixtures for the simulator's tests: fault sets (fast-check shrinks them towards no faults, so
 * a failing schedule comes out as small as it can be), and a world advanced to a joined room,
 * whose snapshots the role tests step from.
 */
import fc from 'fast-check';
import { nodeCrypto } from '../impl/crypto/node.ts';
import type { Profile } from '../impl/suite.ts';
import type { ClientConfig } from '../machines/client-core.ts';
import type { Faults } from './faults.ts';
import { createWorld, type World } from './world.ts';

/** Names in the generated schedules: clients of the small scenarios, and one that never exists. */
const NODES = ['owner', 'alice', 'bob', 'carol', 'nobody'];

/** A benign fault set over `horizonMs` of virtual time: loss, duplication, reordering, delay, partitions that heal, crashes and relay restarts. */
export function arbFaults(horizonMs = 40_000): fc.Arbitrary<Faults> {
  const window = (max: number) => fc.record({ at: fc.integer({ min: 0, max: horizonMs }), span: fc.integer({ min: 0, max }) });
  return fc
    .record({
      latencyMs: fc.integer({ min: 1, max: 40 }),
      jitterMs: fc.integer({ min: 0, max: 50 }),
      drop: fc.double({ min: 0, max: 0.15, noNaN: true }),
      duplicate: fc.double({ min: 0, max: 0.1, noNaN: true }),
      reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
      reorderMs: fc.integer({ min: 1, max: 500 }),
      delay: fc.double({ min: 0, max: 0.1, noNaN: true }),
      delayMs: fc.integer({ min: 1, max: 3_000 }),
      partitions: fc.array(fc.record({ nodes: fc.uniqueArray(fc.constantFrom(...NODES), { minLength: 1, maxLength: 3 }), w: window(10_000) }), { maxLength: 2 }),
      crashes: fc.array(fc.record({ node: fc.constantFrom(...NODES), w: window(6_000) }), { maxLength: 2 }),
      relayRestarts: fc.array(window(4_000), { maxLength: 1 }),
    })
    .map((r) => ({
      latencyMs: r.latencyMs,
      jitterMs: r.jitterMs,
      drop: r.drop,
      duplicate: r.duplicate,
      reorder: r.reorder,
      reorderMs: r.reorder === 0 ? 0 : r.reorderMs,
      delay: r.delay,
      delayMs: r.delay === 0 ? 0 : r.delayMs,
      partitions: r.partitions.map((p) => ({ nodes: p.nodes, at: p.w.at, duration: p.w.span })),
      crashes: r.crashes.map((c) => ({ node: c.node, at: c.w.at, downtime: c.w.span })),
      relayRestarts: r.relayRestarts.map((w) => ({ at: w.at, downtime: w.span })),
    }));
}

/** A world with an owner and `members` who joined, ready to chat. */
export function joinedWorld(profile: Profile, members: readonly string[] = ['alice'], seed = 7, clientConfig?: Partial<ClientConfig>): World {
  const w = createWorld({ seed, profile, crypto: nodeCrypto, ...(clientConfig === undefined ? {} : { clientConfig }) });
  w.addOwner('owner');
  for (const m of members) w.addMember(m);
  for (const n of ['owner', ...members]) w.connect(n);
  w.user('owner', { type: 'user.create' });
  if (!w.runUntilTrue(() => w.stateOf('owner').startsWith('active'), 30_000)) throw new Error('room not created');
  for (const m of members) {
    const n = w.invites().length;
    w.user('owner', { type: 'user.invite' });
    if (!w.runUntilTrue(() => w.invites().length > n, 30_000)) throw new Error('no invite');
    w.user(m, { type: 'user.join', invite: w.invites()[n]! });
    if (!w.runUntilTrue(() => w.stateOf(m) === 'member', 60_000)) throw new Error(`${m} did not join`);
  }
  w.runUntil(w.now() + 1_000);
  return w;
}
