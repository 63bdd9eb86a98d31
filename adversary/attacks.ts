/**
 * Named attack scenarios (spec 11.4): each runs a room (owner, alice, bob, carol; chat, a member
 * offline and back, rotations every `rotateEvery` messages) with the malicious relay executing
 * the attack's plan, the property oracles watching every step. Hardened must end blocked (no
 * property fails); compat ends blocked or with the named properties failing, and the run is a
 * replayable counterexample (same seed, same plan, same trace).
 */
import { toHex } from '../impl/bytes.ts';
import type { ReqId } from '../impl/errors.ts';
import type { Profile } from '../impl/suite.ts';
import { backendCrypto, type Backend } from '../simulator/run.ts';
import { scenario, SETTLE_MS, type ScenarioRun } from '../simulator/scenarios.ts';
import { createWorld, type World } from '../simulator/world.ts';
import { propertyMonitor, type PropId, type Violation } from './oracles.ts';
import { maliciousRelay, type MaliciousRelay, type Plan } from './relay.ts';

/** A named attack. */
export interface Attack {
  /** `ATK-nn` of spec 11.4. */
  readonly id: string;
  /** What the adversary does. */
  readonly title: string;
  /** The seed weakness it exercises (spec 11.4). */
  readonly weakness: string;
  /** The properties it targets. */
  readonly props: readonly PropId[];
  /** The plan, by profile (the chat and rotation messages differ). */
  readonly plan: (profile: Profile) => Plan;
  /** Rotation period for the run (default 15, so that a run sees several epochs). */
  readonly rotateEvery?: number;
}

const chat = (p: Profile): string => (p === 'hardened' ? 'RoomDelivery(AppMessage)' : 'RoomDelivery(CompatChat)');
const rotation = (p: Profile): string => (p === 'hardened' ? 'RoomDelivery(Commit)' : 'RoomDelivery(CompatRotation)');

/** The attacks that the malicious relay carries out with frames alone (the others need keys or the accounts issue). */
export const ATTACKS: readonly Attack[] = [
  {
    id: 'ATK-07',
    title: 'forged rotation: a chat message relabelled as a rotation (W2)',
    weakness: 'W2',
    props: ['PROP-06'],
    plan: (p) => [{ cap: 'CAP-07', op: 'retype', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 1 }, to: p === 'hardened' ? 'Commit' : 'CompatRotation' }],
  },
  {
    id: 'ATK-08',
    title: 'rotation withheld from one member (split epochs)',
    weakness: 'W8',
    props: ['PROP-14'],
    plan: (p) => [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'bob', msg: rotation(p) } }],
  },
  {
    id: 'ATK-11',
    title: 'message replay: a delivered message delivered again later',
    weakness: 'W6',
    props: ['PROP-08'],
    plan: (p) => [{ cap: 'CAP-05', op: 'replay', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 2 }, afterMs: 300, reappend: true }],
  },
  {
    id: 'ATK-12',
    title: "reorder of a sender's messages",
    weakness: 'W6',
    props: ['PROP-09'],
    plan: (p) => [{ cap: 'CAP-04', op: 'swap', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 1 } }],
  },
  {
    id: 'ATK-13',
    title: "selective drop of one member's message to one recipient, live and in history",
    weakness: 'W6',
    props: ['PROP-10'],
    plan: (p) => [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 2 } }],
  },
  {
    id: 'ATK-14',
    title: 'a message delivered claiming another member as its sender',
    weakness: 'W5',
    props: ['PROP-04'],
    plan: (p) => [{ cap: 'CAP-07', op: 'mutate', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 2 }, path: 'payload.sender', mutation: { op: 'member', name: 'carol' } }],
  },
  {
    id: 'ATK-15',
    title: 'cross-epoch injection: an old-epoch message replayed after rotations',
    weakness: 'W6',
    props: ['PROP-08'],
    plan: (p) => [{ cap: 'CAP-05', op: 'replay', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 1 }, afterMs: 4_000, reappend: true }],
  },
  {
    id: 'ATK-16',
    title: 'history tampering: an item of the history served to a returning member modified',
    weakness: 'W9',
    props: ['PROP-15'],
    plan: () => [{ cap: 'CAP-07', op: 'mutate', match: { dir: 'down', client: 'bob', msg: 'HistoryChunk', after: 0, nth: 1 }, path: 'entries.0.payload.sender', mutation: { op: 'member', name: 'carol' } }],
  },
  {
    id: 'ATK-17',
    title: 'history truncation for a returning member',
    weakness: 'W9',
    props: ['PROP-15'],
    plan: () => [{ cap: 'CAP-11', op: 'truncate', match: { dir: 'down', client: 'bob', msg: 'HistoryChunk' }, keep: 1 }],
    rotateEvery: 100,
  },
  {
    id: 'ATK-26',
    title: "the relay replays messages to the owner to inflate its rotation counter",
    weakness: 'W7',
    props: ['PROP-18'],
    plan: (p) => [{ cap: 'CAP-05', op: 'replay', match: { dir: 'down', client: 'owner', msg: chat(p), after: 0 }, afterMs: 5, reappend: true }],
  },
];

/** Options of one attack run. */
export interface AttackOptions {
  readonly profile: Profile;
  readonly seed: number;
  readonly backend: Backend;
  /** Record a trace. */
  readonly trace?: boolean;
}

/** What one attack run showed. */
export interface AttackResult {
  readonly id: string;
  readonly profile: Profile;
  readonly seed: number;
  /** Every property violation the oracles saw, in order. */
  readonly violations: readonly Violation[];
  /** No property failed. */
  readonly blocked: boolean;
  /** Requirement ids of the rejections and alarms honest clients raised. */
  readonly detected: readonly ReqId[];
  /** How often each plan step fired (a step that never fired means the attack did not happen). */
  readonly fired: readonly number[];
  /** The world, for inspection. */
  readonly world: World;
  /** The malicious relay. */
  readonly relay: MaliciousRelay;
}

/** The room every named attack runs in. */
function attackScenario(relay: MaliciousRelay) {
  return scenario('attack', 'a room under a malicious relay')
    .members('alice', 'bob', 'carol')
    .create()
    .admit('alice', 'bob', 'carol')
    .step((r) => {
      relay.arm();
      // a message of exactly 32 bytes, as a pasted key or code would be (W2 turns it into a room key)
      r.world.user('alice', { type: 'user.send', text: 'code: 7d1f09c2a4e85b36d0c9f12a47' });
      r.world.user('alice', { type: 'user.send', text: 'that was the code' }, 1);
      r.world.runUntil(r.world.now() + 500);
    })
    .chat(12)
    .offline('bob')
    .chat(12)
    .online('bob')
    .wait(3_000)
    .chat(24)
    .wait(SETTLE_MS);
}

/** Runs one attack, with the oracles checking after every step. */
export function runAttack(attack: Attack, o: AttackOptions): AttackResult {
  let world: World | undefined;
  const relay = maliciousRelay(attack.plan(o.profile), (name) => {
    const n = world?.clients.get(name);
    return n ? toHex(n.identity.fp) : undefined;
  });
  let monitor: ReturnType<typeof propertyMonitor> | undefined;
  world = createWorld({
    seed: o.seed,
    profile: o.profile,
    crypto: backendCrypto(o.backend),
    trace: o.trace ?? false,
    clientConfig: { rotateEvery: attack.rotateEvery ?? 15 },
    tap: relay,
    onStep: () => monitor?.step(),
  });
  monitor = propertyMonitor(world, new Set(), () => relay.observed);
  const run: ScenarioRun = { world, members: [], removed: [], speakers: new Set(), next: 0, extraChecks: [] };
  for (const s of attackScenario(relay).steps) s(run);
  monitor.finish(run.removed);
  const detected = [...new Set(world.raised.filter((r) => r.party !== 'relay').map((r) => r.reqId))].sort();
  return { id: attack.id, profile: o.profile, seed: o.seed, violations: monitor.violations, blocked: monitor.violations.length === 0, detected, fired: relay.fired, world, relay };
}

/** The attack with this id. */
export function findAttack(id: string): Attack | undefined {
  return ATTACKS.find((a) => a.id === id);
}
