/**
 * Named attack scenarios (spec 11.4): each runs a room (owner, alice, bob, carol; chat, a member
 * offline and back, rotations every `rotateEvery` messages) with the malicious relay executing
 * the attack's plan, the property oracles watching every step. Hardened must end blocked (no
 * property fails); compat ends blocked or with the named properties failing, and the run is a
 * replayable counterexample (same seed, same plan, same trace).
 */
import { toHex, utf8 } from '../impl/bytes.ts';
import { encode } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { ReqId } from '../impl/errors.ts';
import { inviteId, simSeed } from '../impl/keyschedule.ts';
import { MailboxDelivery, Send, type Invite } from '../impl/messages/index.ts';
import { sealAppMessage } from '../impl/protocol/app.ts';
import { buildCommit, ZERO_HASH } from '../impl/protocol/commit.ts';
import { buildCompatJoinRequest, sealCompatChat } from '../impl/protocol/compat.ts';
import { createIdentity, newestKem } from '../impl/protocol/identity.ts';
import { buildJoinRequest } from '../impl/protocol/join.ts';
import { deterministicRng } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import type { ClientCore } from '../machines/client-core.ts';
import type { OwnerContext } from '../machines/owner.ts';
import { backendCrypto, type Backend } from '../simulator/run.ts';
import { scenario, SETTLE_MS, type ScenarioRun } from '../simulator/scenarios.ts';
import { createWorld, type World } from '../simulator/world.ts';
import { knowledge, type Knowledge } from './knowledge.ts';
import { checkSecrecy, propertyMonitor, type PropId, type SecrecyContext, type Violation } from './oracles.ts';
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
  /** What compat must show: `broken` (default: a counterexample to one of `props`) or `blocked` (spec 12 says the property holds in compat). */
  readonly compat?: 'broken' | 'blocked';
  /** The plan, by profile (the chat and rotation messages differ). */
  readonly plan: (profile: Profile) => Plan;
  /** Rotation period for the run (default 15, so that a run sees several epochs). */
  readonly rotateEvery?: number;
  /** Members the adversary controls (CAP-16): it holds their keys and everything they hold. */
  readonly controlled?: readonly string[];
  /** A member the owner removes after the first round of chat. */
  readonly removes?: string;
  /** Leak the current epoch secret (compat: room key) after the first round of chat (CAP-17). */
  readonly leak?: boolean;
  /** An injected join request for an invite id the owner never issued (CAP-06, W1). */
  readonly injectJoin?: boolean;
  /** A fourth member, dave, joins after the first round of chat and fetches history. */
  readonly lateJoin?: boolean;
  /** After the first round of chat, a controlled member sends a message claiming another member as sender (CAP-16). */
  readonly forge?: { readonly by: string; readonly as: string };
  /** After the first round of chat, the relay delivers to this member a rotation commit it signed itself (CAP-09, hardened). */
  readonly forgeCommitTo?: string;
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
    forgeCommitTo: 'bob',
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
    controlled: ['carol'],
    forge: { by: 'carol', as: 'alice' },
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
    id: 'ATK-01',
    title: 'the relay injects a join request for an invite id the owner never issued',
    weakness: 'W1',
    props: ['PROP-01', 'PROP-16'],
    plan: () => [],
    injectJoin: true,
  },
  {
    id: 'ATK-09',
    title: 'a removed member, with the relay, reads what follows its removal',
    weakness: 'W4',
    props: ['PROP-11'],
    plan: () => [],
    controlled: ['carol'],
    removes: 'carol',
  },
  {
    id: 'ATK-10',
    title: 'an epoch key leaks; the epochs after the next honest rotation must stay secret',
    weakness: 'W4',
    props: ['PROP-12'],
    plan: () => [],
    leak: true,
  },
  {
    id: 'ATK-18',
    title: 'pre-join content disclosed to a new member through history',
    weakness: 'W15',
    props: ['PROP-13'],
    plan: () => [],
    lateJoin: true,
  },
  {
    id: 'ATK-20',
    title: 'ciphersuite downgrade: a delivery re-labelled with another suite',
    weakness: '-',
    props: ['PROP-17'],
    compat: 'blocked',
    plan: (p) => [{ cap: 'CAP-07', op: 'mutate', match: { dir: 'down', client: 'bob', msg: chat(p), nth: 3 }, path: 'header.suite', mutation: { op: 'add', by: 1 } }],
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
  /** What the adversary came to know. */
  readonly knowledge: Knowledge;
}

/** What the harness does at the attack's moments. */
interface Hooks {
  /** After the members are in, when the plan is armed. */
  readonly armed: (r: ScenarioRun) => void;
  /** After the first round of chat. */
  readonly midway: (r: ScenarioRun) => void;
}

/** The room every named attack runs in. */
function attackScenario(relay: MaliciousRelay, attack: Attack, hooks: Hooks) {
  const s = scenario('attack', 'a room under a malicious relay')
    .members('alice', 'bob', 'carol', ...(attack.lateJoin ? ['dave'] : []))
    .create()
    .admit('alice', 'bob', 'carol')
    .step((r) => {
      relay.arm();
      hooks.armed(r);
      // a message of exactly 32 bytes, as a pasted key or code would be (W2 turns it into a room key)
      r.world.user('alice', { type: 'user.send', text: 'code: 7d1f09c2a4e85b36d0c9f12a47' });
      r.world.user('alice', { type: 'user.send', text: 'that was the code' }, 1);
      r.world.runUntil(r.world.now() + 500);
    })
    .chat(12)
    .step((r) => hooks.midway(r));
  if (attack.removes) s.remove(attack.removes);
  if (attack.lateJoin) s.admit('dave');
  return s.offline('bob').chat(12).online('bob').wait(3_000).chat(24).wait(SETTLE_MS);
}

/** CAP-16: a controlled member seals a message under the room's current key and names another member as its sender. */
function forgeMessage(world: World, relay: MaliciousRelay, by: string, as: string, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary forgery', 0));
  const forger = world.clients.get(by)!;
  const victim = world.clients.get(as)!;
  const ctx = forger.snapshot.context as ClientCore;
  const roomId = ctx.roomId!;
  const text = `forged by ${by} as ${as}`;
  let payload: Uint8Array;
  if (ctx.group) {
    const g = ctx.group;
    const vg = (victim.snapshot.context as ClientCore).group!;
    // the victim's next seq and previous epoch are public: its messages show them
    const sender = { ...victim.identity, secretKey: forger.identity.secretKey };
    payload = sealAppMessage(c, rng, { roomId, epoch: g.epoch, appKey: g.epochs[g.epoch]!.keys!.appKey, seq: vg.ownNextSeq, prevEpoch: vg.ownPrevEpoch, sender, content: { sent_at: world.now(), text } }).bytes;
  } else {
    payload = sealCompatChat(c, rng, { roomId, sender: victim.identity.fp, roomKey: ctx.compat!.keys[0]!.key, text: utf8(text) }).bytes;
  }
  relay.post(victim.identity.fp, encode(Send, { req_id: 0x7e000000, room_id: roomId, payload }));
}

/** CAP-09 (hardened): a rotation commit for the victim's next epoch, signed by the adversary, with fresh secrets for every member. */
function forgeCommit(world: World, relay: MaliciousRelay, to: string, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary commit', 0));
  relay.crafts.set('forged-commit', (client) => {
    const g = (world.clients.get(client)!.snapshot.context as ClientCore).group;
    if (!g) return undefined;
    const cur = g.epochs[g.epoch]!;
    return buildCommit(c, rng, { roomId: g.roomId, epoch: g.epoch + 1, prevEpochHash: cur.epochHash, reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: cur.roster, heads: [], owner: adversaryIdentity(c, seed) }).commit.bytes;
  });
  relay.addStep({ cap: 'CAP-09', op: 'substitute', match: { dir: 'down', client: to, msg: 'RoomDelivery(AppMessage)', nth: 1 }, craft: 'forged-commit' });
}

/** The adversary's own keys (it may act as a client: CAP-06, CAP-13). */
function adversaryIdentity(c: CryptoProvider, seed: number) {
  return createIdentity(c, deterministicRng(simSeed(c, seed, 'adversary', 0)));
}

/** CAP-06 (W1): a join request for an invite id the owner never issued, put into the owner's mailbox. */
function injectJoin(world: World, k: Knowledge, relay: MaliciousRelay, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary join', 0));
  const me = adversaryIdentity(c, seed);
  k.addKemSecret(newestKem(me).secretKey);
  const owner = world.clients.get('owner')!;
  const roomId = (owner.snapshot.context as OwnerContext).roomId!;
  const token = rng.bytes(32);
  const fake: Invite = { profile: world.options.profile, room_id: roomId, owner_fp: owner.identity.fp, token, expires_at: 0, relay: '' };
  const id = inviteId(c, token);
  let payload: Uint8Array;
  if (world.options.profile === 'hardened') {
    payload = buildJoinRequest(c, rng, fake, me, id).bytes;
  } else {
    const r = buildCompatJoinRequest(c, rng, { invite: fake, inviteId: id, identity: me, ownerKemPk: newestKem(owner.identity).publicKey });
    payload = r.request.bytes;
    k.addConnectionKey(r.connectionKey);
  }
  // a mailbox index far above any real one, so that the owner's real mail keeps its numbers
  relay.inject('owner', encode(MailboxDelivery, { entry: { index: 1_000_000, room_id: roomId, invite_id: id, payload } }));
}

/** Runs one attack, with the oracles checking after every step. */
export function runAttack(attack: Attack, o: AttackOptions): AttackResult {
  let world: World | undefined;
  const relay = maliciousRelay(attack.plan(o.profile), (name) => {
    const n = world?.clients.get(name);
    return n ? toHex(n.identity.fp) : undefined;
  });
  const crypto = backendCrypto(o.backend);
  const k = knowledge(crypto);
  const controlled = new Set(attack.controlled ?? []);
  const secrecy: SecrecyContext = { controlled, removedAt: new Map(), leaks: new Map() };
  let monitor: ReturnType<typeof propertyMonitor> | undefined;
  let observedUpTo = 0;
  let secrecyKey = '';
  const fed = new Map<string, string>();
  const feedKnowledge = (w: World): void => {
    for (; observedUpTo < relay.observed.length; observedUpTo++) k.observe(relay.observed[observedUpTo]!);
    // CAP-16: whatever a controlled member holds, the adversary holds
    for (const name of controlled) {
      const node = w.clients.get(name);
      if (!node) continue;
      const ctx = node.snapshot.context as ClientCore;
      const tag = `${Object.keys(ctx.group?.epochs ?? {}).length}|${ctx.compat?.keys.length ?? 0}|${node.identity.kemKeys.length}`;
      if (fed.get(name) === tag) continue;
      fed.set(name, tag);
      for (const kk of node.identity.kemKeys) k.addKemSecret(kk.secretKey);
      for (const [e, r] of Object.entries(ctx.group?.epochs ?? {})) if (r.keys) k.addEpochKeys(Number(e), r.keys, 'controlled member');
      for (const key of ctx.compat?.keys ?? []) k.addRoomKey(key.key, 'controlled member');
    }
  };
  world = createWorld({
    seed: o.seed,
    profile: o.profile,
    crypto,
    trace: o.trace ?? false,
    clientConfig: { rotateEvery: attack.rotateEvery ?? 15 },
    tap: relay,
    onStep: () => {
      if (!monitor || !world) return;
      monitor.step();
      feedKnowledge(world);
      // the secrecy oracles only change their verdict when the knowledge or the owner's epochs change
      const key = `${k.version()}|${world.clients.get('owner')?.statuses.length ?? 0}`;
      if (key !== secrecyKey) {
        secrecyKey = key;
        checkSecrecy(world, k, secrecy, (v) => monitor!.report(v));
      }
    },
  });
  monitor = propertyMonitor(world, controlled, () => relay.observed);
  const w = world;
  const hooks: Hooks = {
    armed: () => {
      if (attack.injectJoin) injectJoin(w, k, relay, o.seed);
    },
    midway: () => {
      if (attack.forge) forgeMessage(w, relay, attack.forge.by, attack.forge.as, o.seed);
      if (attack.forgeCommitTo && o.profile === 'hardened') forgeCommit(w, relay, attack.forgeCommitTo, o.seed);
      if (attack.removes && controlled.has(attack.removes)) (secrecy.removedAt as Map<string, number>).set(attack.removes, w.now() - w.startTime);
      if (attack.leak) {
        // CAP-17: the current epoch's secret (compat: room key) reaches the adversary
        const ctx = w.clients.get('owner')!.snapshot.context as OwnerContext;
        const epoch = ctx.group?.epoch ?? ctx.compat!.keys[0]!.generation;
        (secrecy.leaks as Map<number, number>).set(epoch, w.now() - w.startTime);
        if (ctx.group) k.addEpochKeys(epoch, ctx.group.epochs[epoch]!.keys!, 'leak');
        else k.addRoomKey(ctx.compat!.keys[0]!.key, 'leak');
        w.note('leak', `${o.profile === 'hardened' ? 'epoch secret' : 'room key'} of epoch ${epoch}`);
      }
    },
  };
  const run: ScenarioRun = { world, members: [], removed: [], speakers: new Set(), next: 0, extraChecks: [] };
  for (const s of attackScenario(relay, attack, hooks).steps) s(run);
  monitor.finish(run.removed);
  const detected = [...new Set(world.raised.filter((r) => r.party !== 'relay').map((r) => r.reqId))].sort();
  return { id: attack.id, profile: o.profile, seed: o.seed, violations: monitor.violations, blocked: monitor.violations.length === 0, detected, fired: relay.fired, world, relay, knowledge: k };
}

/** The attack with this id. */
export function findAttack(id: string): Attack | undefined {
  return ATTACKS.find((a) => a.id === id);
}
