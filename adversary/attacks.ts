/**
 * Named attack scenarios (spec 11.4): each runs a room (owner, alice, bob, carol; chat, a member
 * offline and back, rotations every `rotateEvery` messages) with the malicious relay executing
 * the attack's plan, the property oracles watching every step. Hardened must end blocked (no
 * property fails); compat ends blocked or with the named properties failing, and the run is a
 * replayable counterexample (same seed, same plan, same trace). The attacks themselves are in
 * adversary/attacks/, one file per family, each with the moves the harness makes for it: joins.ts
 * (invites and joins), views.ts (rosters and forks), epochs.ts (rotations, removals, leaked keys),
 * messages.ts (messages and history), connections.ts; attack.ts says what an attack is. This file
 * runs them.
 */
import { toHex } from '../impl/bytes.ts';
import type { ReqId } from '../impl/errors.ts';
import type { Profile } from '../impl/suite.ts';
import type { ClientCore } from '../machines/client-core.ts';
import type { OwnerContext } from '../machines/owner.ts';
import { parseFaults } from '../simulator/faults.ts';
import { backendCrypto, type Backend } from '../simulator/run.ts';
import { scenario, SETTLE_MS, StepFailed, type ScenarioRun } from '../simulator/scenarios.ts';
import { createWorld, type World } from '../simulator/world.ts';
import type { Attack } from './attacks/attack.ts';
import { CONNECTION_ATTACKS } from './attacks/connections.ts';
import { backdate, EPOCH_ATTACKS, forgeCommit, relabelUpdate, sendBeforeJoin, sendJunk, updateAfterRemoval } from './attacks/epochs.ts';
import { claimInvite, forgeWelcome, injectJoin, JOIN_ATTACKS, raceJoin, substituteJoinKem } from './attacks/joins.ts';
import { forgeMessage, MESSAGE_ATTACKS } from './attacks/messages.ts';
import { forkCommits, ghostRosters, rollbackRosters, VIEW_ATTACKS, welcomeFork } from './attacks/views.ts';
import { knowledge, type Knowledge } from './knowledge.ts';
import { checkSecrecy, propertyMonitor, type SecrecyContext, type Violation } from './oracles/index.ts';
import { maliciousRelay, type MaliciousRelay, type Plan } from './relay.ts';

export { type Attack, type NamedAttack } from './attacks/attack.ts';

/** The attacks that the malicious relay carries out with frames alone (the others need keys or the accounts issue). */
export const ATTACKS: readonly Attack[] = [...JOIN_ATTACKS, ...VIEW_ATTACKS, ...EPOCH_ATTACKS, ...MESSAGE_ATTACKS, ...CONNECTION_ATTACKS];

/** Attacks of spec 11.4 the harness does not run yet, and what they need. */
export const PENDING_ATTACKS: Readonly<Record<string, string>> = {
};

/** Options of one attack run. */
export interface AttackOptions {
  readonly profile: Profile;
  readonly seed: number;
  readonly backend: Backend;
  /** Record a trace. */
  readonly trace?: boolean;
  /** A fault schedule for the run (spec 8.12; `pqroom simulate --faults` syntax): the attack under crashes, partitions and a lossy network. */
  readonly faults?: string;
}

/** What any attack run (room, login or trust) showed. */
export interface RunVerdict {
  /** Every property violation the oracles saw, in order. */
  readonly violations: readonly Violation[];
  /** No property failed. */
  readonly blocked: boolean;
  /** Requirement ids of the rejections and alarms honest parties raised. */
  readonly detected: readonly ReqId[];
  /** How often each step fired (a step that never fired means the attack did not happen). */
  readonly fired: readonly number[];
}

/** What one room attack run showed. */
export interface AttackResult extends RunVerdict {
  readonly id: string;
  readonly profile: Profile;
  readonly seed: number;
  /** The world, for inspection. */
  readonly world: World;
  /** The malicious relay. */
  readonly relay: MaliciousRelay;
  /** What the adversary came to know. */
  readonly knowledge: Knowledge;
  /** Set when the room could not go on (the attack denied service, which is out of scope: spec 11.3). */
  readonly stalled?: string;
}

/** What the harness does at the attack's moments. */
interface Hooks {
  /** After the members are in, when the plan is armed. */
  readonly armed: (r: ScenarioRun) => void;
  /** After the first round of chat. */
  readonly midway: (r: ScenarioRun) => void;
  /** After the removal, if any. */
  readonly removed: (r: ScenarioRun) => void;
  /** After the late joiner is in, if it joins. */
  readonly joined: (r: ScenarioRun) => void;
}

/**
 * The second room of a world with several rooms (spec 7.11): the owner's person keeps it from a
 * second client, `owner2`, and alice's person is in it from hers, `alice2`. Its clients share the
 * people's identities (one principal each), so the relay sees one person in two rooms.
 */
export const ANNEX_CLIENTS = ['owner2', 'alice2'] as const;

/** Whether a run needs the second room: the attack asks for it, or its plan names one of its clients. */
export function needsAnnex(attack: Attack, plan: Plan): boolean {
  return attack.annex === true || ANNEX_CLIENTS.some((c) => JSON.stringify(plan).includes(`"${c}"`));
}

/** Opens the second room: owner2 creates it and invites alice2, who joins. */
function openAnnex(r: ScenarioRun): void {
  const w = r.world;
  w.note('annex', 'a second room: owner2 (the owner\'s person) and alice2 (alice\'s person)');
  w.addOwner('owner2', 'owner');
  w.addMember('alice2', 'alice');
  w.connect('owner2');
  w.connect('alice2');
  w.user('owner2', { type: 'user.create' });
  if (!w.runUntilTrue(() => w.stateOf('owner2').startsWith('active'), 30_000)) return;
  w.user('owner2', { type: 'user.invite' });
  if (!w.runUntilTrue(() => w.invites('owner2').length > 0, 30_000)) return;
  w.user('alice2', { type: 'user.join', invite: w.invites('owner2')[0]! });
  w.runUntilTrue(() => w.stateOf('alice2') === 'member', 60_000);
}

/** A few messages in the second room, while the first one chats (texts unique to that room; `said` counts them). */
function annexChat(r: ScenarioRun, count: number, said: { n: number }): void {
  if (!r.world.clients.has('alice2')) return;
  for (let i = 0; i < count; i++) {
    const who = i % 2 === 0 ? 'alice2' : 'owner2';
    r.world.user(who, { type: 'user.send', text: `in the second room, ${++said.n} from ${who}` }, 20 * i);
  }
}

/** The room every named attack runs in (and the second room, when the run needs it). */
function attackScenario(relay: MaliciousRelay, attack: Attack, hooks: Hooks, annex: boolean) {
  const said = { n: 0 };
  const s = scenario('attack', 'a room under a malicious relay')
    .members('alice', 'bob', 'carol', ...(attack.lateJoin ? ['dave'] : []), ...(attack.raceJoin ? ['erin'] : []), ...(attack.ghost ? [attack.ghost] : []))
    .create()
    .admit('alice', 'bob', 'carol')
    .step((r) => {
      if (annex) {
        openAnnex(r);
        annexChat(r, 4, said);
      }
      relay.arm();
      hooks.armed(r);
      // a message of exactly 32 bytes, as a pasted key or code would be (W2 turns it into a room key)
      r.world.user('alice', { type: 'user.send', text: 'code: 7d1f09c2a4e85b36d0c9f12a47' });
      r.world.user('alice', { type: 'user.send', text: 'that was the code' }, 1);
      r.world.runUntil(r.world.now() + 500);
    })
    .chat(12)
    .step((r) => {
      hooks.midway(r);
      annexChat(r, 4, said);
      askRosters(r);
    });
  if (attack.removes) s.remove(attack.removes).step((r) => hooks.removed(r));
  if (attack.lateJoin && attack.lateJoinMayFail !== undefined) s.step((r) => tryJoin(r, 'dave', attack.lateJoinMayFail === true ? 0 : attack.lateJoinMayFail!));
  else if (attack.lateJoin) s.admit('dave').step((r) => hooks.joined(r));
  return s
    .offline('bob')
    .chat(12)
    .step((r) => annexChat(r, 4, said))
    .online('bob')
    .wait(3_000)
    .chat(24)
    .step(askRosters)
    .wait(SETTLE_MS);
}

/**
 * The owner invites `who`, which uses the invite `laterMs` after it was issued; the run goes on
 * whether or not the join completes (a join through an invite that expires on the way fails).
 */
function tryJoin(r: ScenarioRun, who: string, laterMs: number): void {
  const n = r.world.invites().length;
  r.world.note('admit', `${who} (may fail)`);
  r.world.user('owner', { type: 'user.invite' });
  if (!r.world.runUntilTrue(() => r.world.invites().length > n, 60_000)) return;
  r.world.runUntil(r.world.now() + laterMs);
  r.world.user(who, { type: 'user.join', invite: r.world.invites()[n]! });
  if (r.world.runUntilTrue(() => r.world.stateOf(who) === 'member', 30_000)) r.speakers.add(who);
}

/** Every current member asks the relay for the roster (REQ-MEM-062), so that every run serves rosters (PROP-05). */
function askRosters(r: ScenarioRun): void {
  for (const [name, node] of r.world.clients) if (node.role === 'member' && node.snapshot.value === 'member') r.world.user(name, { type: 'user.roster' });
  r.world.runUntil(r.world.now() + 500);
}

/** Runs one attack, with the oracles checking after every step. */
export function runAttack(attack: Attack, o: AttackOptions): AttackResult {
  let world: World | undefined;
  const plan = attack.plan(o.profile);
  const relay = maliciousRelay(plan, (name) => {
    const n = world?.clients.get(name);
    return n ? toHex(n.identity.fp) : undefined;
  });
  const crypto = backendCrypto(o.backend);
  const k = knowledge(crypto);
  const controlled = new Set(attack.controlled ?? []);
  const removedAt = new Map<string, number>(); // controlled members the owner removed, and when
  const leaks = new Map<number, number>(); // epochs whose secret leaked, and when
  const kemLeaks = new Map<string, number>(); // members whose ML-KEM private keys leaked with an epoch secret, and the highest version leaked
  const secrecy: SecrecyContext = { controlled, removedAt, leaks, kemLeaks };
  let monitor: ReturnType<typeof propertyMonitor> | undefined;
  let armClaim: (() => void) | undefined; // ATK-01b
  const removals = new Map<string, number>();
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
      // the keys it holds now: a controlled member's key updates reach the adversary too
      const tag = `${Object.keys(ctx.group?.epochs ?? {}).length}|${ctx.compat?.keys.length ?? 0}|${ctx.identity.kemKeys.map((kk) => kk.version).join(',')}`;
      if (fed.get(name) === tag) continue;
      fed.set(name, tag);
      for (const kk of [...node.identity.kemKeys, ...ctx.identity.kemKeys]) k.addKemSecret(kk.secretKey);
      for (const [e, r] of Object.entries(ctx.group?.epochs ?? {})) if (r.keys && ctx.group) k.addEpochKeys(ctx.group.roomId, Number(e), r.keys, 'controlled member');
      for (const key of ctx.compat?.keys ?? []) k.addRoomKey(key.key, 'controlled member');
    }
  };
  world = createWorld({
    seed: o.seed,
    profile: o.profile,
    crypto,
    trace: o.trace ?? false,
    clientConfig: {
      rotateEvery: attack.rotateEvery ?? 15,
      ...(attack.joinTimeoutMs === undefined ? {} : { joinTimeoutMs: attack.joinTimeoutMs }),
      ...(attack.inviteLifetimeMs === undefined ? {} : { inviteLifetimeMs: attack.inviteLifetimeMs }),
    },
    tap: relay,
    ...((o.faults ?? attack.faults) === undefined ? {} : { faults: parseFaults((o.faults ?? attack.faults)!) }),
    ...(attack.mitm === undefined ? {} : { mitm: attack.mitm }),
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
  monitor = propertyMonitor(world, controlled, () => relay.observed, removals);
  const w = world;
  const hooks: Hooks = {
    removed: () => {
      if (attack.updateAfterRemoval && attack.removes) updateAfterRemoval(w, relay, attack.removes, o.seed);
      if (attack.backdateTo && attack.controlled?.[0]) {
        const leaked = attack.backdateIntoLeakedEpoch
          ? (epoch: number) => {
              if (leaks.has(epoch)) return;
              leaks.set(epoch, w.now() - w.startTime);
              const og = (w.clients.get('owner')!.snapshot.context as OwnerContext).group!;
              k.addEpochKeys(og.roomId, epoch, og.epochs[epoch]!.keys!, 'leak');
            }
          : undefined;
        backdate(w, relay, attack.controlled[0], attack.backdateTo, o.seed, leaked);
      }
    },
    joined: () => {
      if (attack.sendBeforeJoinTo && controlled.has('dave')) {
        // CAP-17: the secret (compat: room key) of the epoch before the one dave was added in reaches the adversary
        const ctx = w.clients.get('owner')!.snapshot.context as OwnerContext;
        const id = w.clients.get('dave')!.identity.fp;
        const added = w.clients.get('owner')!.statuses.find((s) => s.status.kind === 'admitted' && toHex(s.status.memberId) === toHex(id));
        const epoch = (added?.status.kind === 'admitted' ? added.status.epoch : 1) - 1;
        leaks.set(epoch, w.now() - w.startTime);
        if (ctx.group) k.addEpochKeys(ctx.group.roomId, epoch, ctx.group.epochs[epoch]!.keys!, 'leak');
        else k.addRoomKey(ctx.compat!.keys.find((x) => x.generation === epoch)!.key, 'leak');
        w.note('leak', `${o.profile === 'hardened' ? 'epoch secret' : 'room key'} of epoch ${epoch}`);
        sendBeforeJoin(w, relay, 'dave', attack.sendBeforeJoinTo, epoch, o.seed);
      }
    },
    armed: () => {
      if (attack.updateEarly) w.user(attack.updateEarly, { type: 'user.update' });
      if (attack.injectJoin) injectJoin(w, k, relay, o.seed);
      if (attack.claimInvite) armClaim = claimInvite(w, k, relay, o.seed);
      if (attack.forgeWelcome && o.profile === 'hardened') forgeWelcome(w, relay, o.seed);
      if (attack.fork && o.profile === 'hardened') forkCommits(relay, attack.fork.to, attack.fork.reason);
      if (attack.raceJoin) raceJoin(w, relay);
      if (attack.ghost) ghostRosters(w, relay, attack.ghost);
      if (attack.rollbackRosters) rollbackRosters(relay);
      if (attack.substituteJoinKem) substituteJoinKem(w, k, relay, attack.substituteJoinKem, o.seed);
      if (attack.welcomeFork && o.profile === 'hardened') welcomeFork(w, relay, attack.welcomeFork.by, attack.welcomeFork.to);
      if (attack.impostor) {
        w.addImpostor(attack.impostor.name, attack.impostor.victim);
        w.connect(attack.impostor.name);
      }
    },
    midway: () => {
      armClaim?.();
      if (attack.junkBeforeRemoval && attack.removes) sendJunk(w, relay, attack.removes, o.seed);
      if (attack.forge) forgeMessage(w, relay, attack.forge.by, attack.forge.as, o.seed);
      if (attack.forgeCommitTo && o.profile === 'hardened') forgeCommit(w, relay, attack.forgeCommitTo, o.seed);
      if (attack.relabelUpdate) relabelUpdate(w, relay, attack.relabelUpdate.from, attack.relabelUpdate.to);
      if (attack.removes) removals.set(attack.removes, w.now() - w.startTime);
      if (attack.removes && controlled.has(attack.removes)) removedAt.set(attack.removes, w.now() - w.startTime);
      if (attack.leakKem) {
        // CAP-17: the member's ML-KEM private keys (every version it holds) reach the adversary
        for (const kp of w.clients.get(attack.leakKem)!.identity.kemKeys) k.addKemSecret(kp.secretKey);
        w.note('leak', `${attack.leakKem}'s ML-KEM private key`);
      }
      if (attack.compromise) {
        // CAP-17 (ATK-10c): the member's full compromise: every ML-KEM private key it holds and the current epoch secret
        const victims = [attack.compromise, ...(attack.compromiseAlso ? [attack.compromiseAlso] : [])];
        for (const name of victims) {
          const mine = (w.clients.get(name)!.snapshot.context as ClientCore).identity.kemKeys;
          for (const kp of mine) k.addKemSecret(kp.secretKey);
          kemLeaks.set(name, Math.max(...mine.map((kp) => kp.version)));
        }
        const ctx = w.clients.get('owner')!.snapshot.context as OwnerContext;
        const epoch = ctx.group?.epoch ?? ctx.compat!.keys[0]!.generation;
        leaks.set(epoch, w.now() - w.startTime);
        if (ctx.group) k.addEpochKeys(ctx.group.roomId, epoch, ctx.group.epochs[epoch]!.keys!, 'leak');
        else k.addRoomKey(ctx.compat!.keys[0]!.key, 'leak');
        w.note('leak', `${victims.join(' and ')}'s ML-KEM private keys and the ${o.profile === 'hardened' ? 'epoch secret' : 'room key'} of epoch ${epoch}`);
        // REQ-MEM-052: each user, told of the compromise, asks for a key update (compat: refused, it has none)
        for (const name of victims) w.user(name, { type: 'user.update' });
      }
      if (attack.leak) {
        // CAP-17: the current epoch's secret (compat: room key) reaches the adversary
        const ctx = w.clients.get('owner')!.snapshot.context as OwnerContext;
        const epoch = ctx.group?.epoch ?? ctx.compat!.keys[0]!.generation;
        leaks.set(epoch, w.now() - w.startTime);
        if (ctx.group) k.addEpochKeys(ctx.group.roomId, epoch, ctx.group.epochs[epoch]!.keys!, 'leak');
        else k.addRoomKey(ctx.compat!.keys[0]!.key, 'leak');
        w.note('leak', `${o.profile === 'hardened' ? 'epoch secret' : 'room key'} of epoch ${epoch}`);
      }
    },
  };
  const run: ScenarioRun = { world, members: [], removed: [], speakers: new Set(), next: 0, extraChecks: [] };
  let stalled: string | undefined;
  try {
    for (const s of attackScenario(relay, attack, hooks, needsAnnex(attack, plan)).steps) s(run);
  } catch (e) {
    // a crash of the code under test is no outcome of the attack: it goes up (a mutant hunt refuses it)
    if (!(e instanceof StepFailed)) throw e;
    // the attack denied service (out of scope, spec 11.3): the properties are judged on what happened
    stalled = e.message;
    world.note('stalled', stalled);
  }
  monitor.finish(run.removed);
  // PROP-27: with an honest relay, a removal the owner began is committed
  if (attack.honestRelay && attack.removes && !run.removed.includes(attack.removes))
    monitor.report({ prop: 'PROP-27', party: 'owner', detail: `began removing ${attack.removes}; with an honest relay, ${attack.removes} is still in the room at the end` });
  const detected = [...new Set(world.raised.filter((r) => r.party !== 'relay').map((r) => r.reqId))].sort();
  return { id: attack.id, profile: o.profile, seed: o.seed, violations: monitor.violations, blocked: monitor.violations.length === 0, detected, fired: relay.fired, world, relay, knowledge: k, ...(stalled === undefined ? {} : { stalled }) };
}

/** The attack with this id. */
export function findAttack(id: string): Attack | undefined {
  return ATTACKS.find((a) => a.id === id);
}
