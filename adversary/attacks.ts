/**
 * Named attack scenarios (spec 11.4): each runs a room (owner, alice, bob, carol; chat, a member
 * offline and back, rotations every `rotateEvery` messages) with the malicious relay executing
 * the attack's plan, the property oracles watching every step. Hardened must end blocked (no
 * property fails); compat ends blocked or with the named properties failing, and the run is a
 * replayable counterexample (same seed, same plan, same trace).
 */
import { compareBytes, equalBytes, toHex, utf8 } from '../impl/bytes.ts';
import { decode, encode, encodeUnchecked } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { ReqId } from '../impl/errors.ts';
import { epochHash, fingerprint, inviteId, simSeed } from '../impl/keyschedule.ts';
import { Commit, CompatRosterInfo, JoinRequest, RosterInfo, MailboxDelivery, PostCommit, PostInvite, Reject, Send, SendWelcome, SubmitJoin, type Invite, type MemberRecord } from '../impl/messages/index.ts';
import { sealAppMessage } from '../impl/protocol/app.ts';
import { buildCommit, ZERO_HASH } from '../impl/protocol/commit.ts';
import { buildCompatJoinRequest, sealCompatChat } from '../impl/protocol/compat.ts';
import { createIdentity, memberRecordOf, newestKem, type Identity } from '../impl/protocol/identity.ts';
import { buildJoinRequest, buildWelcome } from '../impl/protocol/join.ts';
import { deterministicRng, type Rng } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import type { ClientCore } from '../machines/client-core.ts';
import type { MemberContext } from '../machines/member.ts';
import type { OwnerContext } from '../machines/owner.ts';
import { backendCrypto, type Backend } from '../simulator/run.ts';
import { scenario, SETTLE_MS, type ScenarioRun } from '../simulator/scenarios.ts';
import { messageLabel } from '../simulator/trace.ts';
import { createWorld, type World } from '../simulator/world.ts';
import { knowledge, type Knowledge } from './knowledge.ts';
import { checkSecrecy, propertyMonitor, type PropId, type SecrecyContext, type Violation } from './oracles.ts';
import { maliciousRelay, type MaliciousRelay, type Plan } from './relay.ts';

/** A named attack. */
/** What every named attack of spec 11.4 says of itself, whichever world it runs in (room, login, trust). */
export interface NamedAttack {
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
  /**
   * An open finding: this attack breaks the hardened profile today. The audit reports it as
   * broken with its counterexample (never as blocked), the tests assert that it still breaks
   * (so that the fix is noticed), and mutant hunting leaves it out.
   */
  readonly openFinding?: string;
}

/** A named attack on a room. */
export interface Attack extends NamedAttack {
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
  /** After the first round of chat, this member's ML-KEM private keys leak to the adversary (CAP-17). */
  readonly leakKem?: string;
  /** An injected join request for an invite id the owner never issued (CAP-06, W1). */
  readonly injectJoin?: boolean;
  /**
   * CAP-12 (W1): after the first round of chat the owner issues an invite that no one redeems yet;
   * the relay claims it at once, as its own principal, with a join request of its own (its own
   * keys, a guessed token), through the relay logic (the invite is `claimed` by the adversary).
   */
  readonly claimInvite?: boolean;
  /** A fourth member, dave, joins after the first round of chat and fetches history. */
  readonly lateJoin?: boolean;
  /** After the first round of chat, a controlled member sends a message claiming another member as sender (CAP-16). */
  readonly forge?: { readonly by: string; readonly as: string };
  /** After the first round of chat, the relay delivers to this member a rotation commit it signed itself (CAP-09, hardened). */
  readonly forgeCommitTo?: string;
  /** A client named `name` connects claiming `victim`'s identity key (CAP-13). */
  readonly impostor?: { readonly name: string; readonly victim: string };
  /** A network adversary answers every handshake (CAP-18). */
  readonly mitm?: 'swap-key' | 'forged-signature';
  /** After the removal, the removed (controlled) member's next message is put in another member's delivery: a backdated message (CAP-16, CAP-09). */
  readonly backdateTo?: string;
  /** With `backdateTo`: the message goes into the epoch after the removal, whose secret leaked to the adversary (CAP-17). */
  readonly backdateIntoLeakedEpoch?: boolean;
  /** The late joiner's invite token leaks to the adversary (CAP-17), which answers its join request with a welcome of its own (hardened). */
  readonly forgeWelcome?: boolean;
  /**
   * CAP-09, CAP-10 (hardened): the relay refuses the owner's first rotation commit with `reason`
   * but keeps it, lets the owner's next commit for the same epoch through, and shows the first
   * one to `to` alone (later commits withheld from it).
   */
  readonly fork?: { readonly to: string; readonly reason: ReqId };
  /**
   * CAP-02, CAP-09, CAP-16 (hardened): the relay drops the confirmations of `by` (a controlled
   * late joiner), so the owner's join times out; it shows `to` the add commit that `by` found in
   * its welcome, and withholds later commits from `to`.
   */
  readonly welcomeFork?: { readonly by: string; readonly to: string };
  /**
   * CAP-12 (W11): a second invitee, `erin`, holds the late joiner's invite too and joins at the
   * same time; the relay delivers both join requests to the owner (the second one, which it would
   * refuse, into the owner's mailbox) and every welcome for that invite to both.
   */
  readonly raceJoin?: boolean;
  /** CAP-08: the relay puts its own ML-KEM key into this (late) joiner's join request. */
  readonly substituteJoinKem?: string;
  /**
   * CAP-09, CAP-16 (W10): a client of this name, which the adversary controls and the owner never
   * admits, is added to every roster the relay serves (members ask for it twice in every run).
   */
  readonly ghost?: string;
  /**
   * CAP-16 with an honest relay: before its removal the (controlled) member to be removed sends,
   * as itself, a message no one accepts (its signature broken), which the relay counts (ATK-29).
   */
  readonly junkBeforeRemoval?: boolean;
  /** CAP-09 (W10): every roster the relay serves is the first one it served (members ask for it before and after the removal). */
  readonly rollbackRosters?: boolean;
  /** The relay is honest (only members misbehave): a removal that never happens is then a PROP-27 violation. */
  readonly honestRelay?: boolean;
  /** The owner's join timeout for the run (REQ-OWN-021; default 10 minutes). */
  readonly joinTimeoutMs?: number;
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
    id: 'ATK-08b',
    title: 'one member frozen on an old epoch: every room entry from a rotation on withheld from it, history cut short as complete, rosters served honestly',
    weakness: 'W8',
    props: ['PROP-14'],
    // compat: the frozen member is shown no evidence of a later generation (a compat roster
    // carries none), so it notices nothing and PROP-14 is not violated; the freeze goes unseen (W8)
    compat: 'blocked',
    plan: (p) => [{ cap: 'CAP-11', op: 'freeze', match: { dir: 'down', client: 'bob', msg: rotation(p), nth: 1 } }],
  },
  {
    id: 'ATK-10b',
    title: "a member's ML-KEM private key leaks, and nothing else: the commit entries it opens must give the adversary no epoch secret",
    weakness: 'W4',
    props: ['PROP-01', 'PROP-02'],
    compat: 'blocked',
    plan: () => [],
    leakKem: 'alice',
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
    id: 'ATK-13b',
    title: "selective drop of one member's message to one recipient, its later messages delivered under a log index the recipient already processed",
    weakness: 'W6',
    props: ['PROP-10'],
    plan: (p) => [
      { cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'carol', msg: chat(p), sender: 'alice', nth: 2 } },
      { cap: 'CAP-04', op: 'reindex', match: { dir: 'down', client: 'carol', msg: chat(p), sender: 'alice' }, index: 1 },
    ],
    // no rotation, whose heads would show carol the gap whatever she does with the index
    rotateEvery: 100,
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
    id: 'ATK-01b',
    title: 'invite burning: the relay claims an invite id the owner issued with a join request of its own (a guessed token) before its invitee uses it',
    weakness: 'W1',
    props: ['PROP-01', 'PROP-16'],
    plan: () => [],
    // the invite's token keys the welcome in both profiles, so a claim without it gets nothing
    // but a burnt invite (denial of service, spec 11.3)
    compat: 'blocked',
    claimInvite: true,
    // an owner that admitted the claim (mutant no-token-mac) publishes its add commit once the
    // join times out (REQ-OWN-021): the adversary's key is then in the roster, though it never
    // learns an epoch secret (PROP-16's oracle judges the admission)
    joinTimeoutMs: 3_000,
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
    id: 'ATK-06',
    title: "a connection claims another member's identity key at the relay",
    weakness: 'W3',
    props: ['PROP-20'],
    plan: () => [],
    impostor: { name: 'mallory', victim: 'alice' },
  },
  {
    id: 'ATK-27',
    title: "the relay's transport key swapped by a network adversary",
    weakness: 'W12',
    props: ['PROP-19'],
    plan: () => [],
    mitm: 'swap-key',
  },
  {
    id: 'ATK-27b',
    title: "a network adversary presents the pinned relay key and signs the handshake with its own",
    weakness: 'W12',
    props: ['PROP-19'],
    compat: 'blocked',
    plan: () => [],
    mitm: 'forged-signature',
  },
  {
    id: 'ATK-28',
    title: 'a removed member, with the relay, adds a message to an epoch it belonged to',
    weakness: 'W4',
    props: ['PROP-26'],
    plan: () => [],
    controlled: ['carol'],
    removes: 'carol',
    backdateTo: 'bob',
  },
  {
    id: 'ATK-28b',
    title: 'a removed member, holding a leaked key of the epoch after its removal, sends into that epoch',
    weakness: 'W4',
    props: ['PROP-26'],
    plan: () => [],
    controlled: ['carol'],
    removes: 'carol',
    backdateTo: 'bob',
    backdateIntoLeakedEpoch: true,
  },
  {
    id: 'ATK-17b',
    title: "history truncation for a new member: a sender's first message after the join withheld",
    weakness: 'W9',
    props: ['PROP-15'],
    plan: (p) => [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'dave', msg: chat(p), sender: 'alice', nth: 1 } }],
    lateJoin: true,
  },
  {
    id: 'ATK-04',
    title: "the relay, holding a leaked invite token, answers a join with a welcome into a room of its own",
    weakness: '-',
    props: ['PROP-07'],
    compat: 'blocked',
    plan: () => [],
    lateJoin: true,
    forgeWelcome: true,
  },
  {
    id: 'ATK-19',
    title: 'fork: the relay refuses the owner\'s commit, keeps it, and shows it to one member while the others get the owner\'s next commit for the same epoch',
    weakness: 'W8',
    props: ['PROP-14'],
    plan: (p) => (p === 'compat' ? [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'bob', msg: rotation(p) } }] : []),
    fork: { to: 'bob', reason: 'REQ-REL-018' },
  },
  {
    id: 'ATK-19b',
    title: "fork through a timed-out join: the relay drops a controlled invitee's confirmation and shows one member the add commit from its welcome",
    weakness: 'W8',
    props: ['PROP-14'],
    plan: (p) => (p === 'compat' ? [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'bob', msg: rotation(p) } }] : []),
    lateJoin: true,
    controlled: ['dave'],
    welcomeFork: { by: 'dave', to: 'bob' },
    joinTimeoutMs: 60_000,
  },
  {
    id: 'ATK-02',
    title: 'racing joins: two invitees present the same token and the relay lets both requests reach the owner',
    weakness: 'W11',
    props: ['PROP-16'],
    plan: (p) => [{ cap: 'CAP-02', op: 'drop', match: { dir: 'up', client: 'erin', msg: p === 'hardened' ? 'SubmitJoin(JoinRequest)' : 'SubmitJoin(CompatJoinRequest)' } }],
    lateJoin: true,
    raceJoin: true,
  },
  {
    id: 'ATK-03',
    title: "key substitution: the relay puts its own ML-KEM key into an invitee's join request",
    weakness: '-',
    props: ['PROP-07'],
    plan: () => [],
    lateJoin: true,
    substituteJoinKem: 'dave',
  },
  {
    id: 'ATK-05',
    title: 'ghost member: the relay adds a member of its own to the roster it serves',
    weakness: 'W10',
    props: ['PROP-05'],
    plan: (p) => [{ cap: 'CAP-09', op: 'rewrite', match: { dir: 'down', msg: p === 'hardened' ? 'RosterInfo' : 'CompatRosterInfo' }, craft: 'ghost' }],
    controlled: ['mallory'],
    ghost: 'mallory',
  },
  {
    id: 'ATK-05b',
    title: 'roster rollback: after a removal the relay serves the roster it served before it',
    weakness: 'W10',
    props: ['PROP-05'],
    plan: (p) => [{ cap: 'CAP-09', op: 'rewrite', match: { dir: 'down', msg: p === 'hardened' ? 'RosterInfo' : 'CompatRosterInfo' }, craft: 'rollback' }],
    removes: 'carol',
    rollbackRosters: true,
  },
  {
    id: 'ATK-29',
    title: 'a member about to be removed sends a message no one accepts, so that the relay counts more of its messages than the owner',
    weakness: '-',
    props: ['PROP-27'],
    compat: 'blocked',
    plan: () => [],
    controlled: ['carol'],
    removes: 'carol',
    junkBeforeRemoval: true,
    honestRelay: true,
  },
  {
    id: 'ATK-26',
    title: "the relay replays messages to the owner to inflate its rotation counter",
    weakness: 'W7',
    props: ['PROP-18'],
    plan: (p) => [{ cap: 'CAP-05', op: 'replay', match: { dir: 'down', client: 'owner', msg: chat(p), after: 0 }, afterMs: 5, reappend: true }],
  },
];

/** Attacks of spec 11.4 the harness does not run yet, and what they need. */
export const PENDING_ATTACKS: Readonly<Record<string, string>> = {};

/** Options of one attack run. */
export interface AttackOptions {
  readonly profile: Profile;
  readonly seed: number;
  readonly backend: Backend;
  /** Record a trace. */
  readonly trace?: boolean;
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
}

/** The room every named attack runs in. */
function attackScenario(relay: MaliciousRelay, attack: Attack, hooks: Hooks) {
  const s = scenario('attack', 'a room under a malicious relay')
    .members('alice', 'bob', 'carol', ...(attack.lateJoin ? ['dave'] : []), ...(attack.raceJoin ? ['erin'] : []), ...(attack.ghost ? [attack.ghost] : []))
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
    .step((r) => {
      hooks.midway(r);
      askRosters(r);
    });
  if (attack.removes) s.remove(attack.removes).step((r) => hooks.removed(r));
  if (attack.lateJoin) s.admit('dave');
  return s.offline('bob').chat(12).online('bob').wait(3_000).chat(24).step(askRosters).wait(SETTLE_MS);
}

/** Every current member asks the relay for the roster (REQ-MEM-062), so that every run serves rosters (PROP-05). */
function askRosters(r: ScenarioRun): void {
  for (const [name, node] of r.world.clients) if (node.role === 'member' && node.snapshot.value === 'member') r.world.user(name, { type: 'user.roster' });
  r.world.runUntil(r.world.now() + 500);
}

/** CAP-09 (W10): every served roster gets `ghost` as a member, with its own (valid) keys. */
function ghostRosters(world: World, relay: MaliciousRelay, ghost: string): void {
  const g = world.clients.get(ghost)!.identity;
  relay.rewrites.set('ghost', (_client, frame) => {
    const label = messageLabel(frame);
    if (label.startsWith('CompatRosterInfo')) {
      const info = decode(CompatRosterInfo, frame);
      return encodeUnchecked(CompatRosterInfo, { ...info, members: [...info.members, { identity_pk: g.publicKey, kem_pk: newestKem(g).publicKey, role: 'member' }] });
    }
    if (label.startsWith('RosterInfo')) {
      const info = decode(RosterInfo, frame);
      const members = [...info.members, memberRecordOf(g, 'member', info.head.epoch)].sort((a, b) => compareBytes(a.member_id, b.member_id));
      return encodeUnchecked(RosterInfo, { ...info, members });
    }
    return undefined;
  });
}

/** CAP-09 (W10): every roster served is the first one served (its request id excepted): a rollback once the roster changed. */
function rollbackRosters(relay: MaliciousRelay): void {
  let hardened: RosterInfo | undefined;
  let compat: CompatRosterInfo | undefined;
  relay.rewrites.set('rollback', (_client, frame) => {
    const label = messageLabel(frame);
    if (label.startsWith('CompatRosterInfo')) {
      const info = decode(CompatRosterInfo, frame);
      if (compat === undefined) return void (compat = info);
      return encodeUnchecked(CompatRosterInfo, { ...compat, req_id: info.req_id });
    }
    if (label.startsWith('RosterInfo')) {
      const info = decode(RosterInfo, frame);
      if (hardened === undefined) return void (hardened = info);
      return encodeUnchecked(RosterInfo, { ...hardened, req_id: info.req_id });
    }
    return undefined;
  });
}

/**
 * CAP-16 (ATK-29): a controlled member sends, as itself and through the honest relay logic, a
 * message no one accepts: its own next message with the last byte of the signature flipped
 * (compat: a chat under a key no one holds).
 */
function sendJunk(world: World, relay: MaliciousRelay, by: string, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary junk', 0));
  const node = world.clients.get(by)!;
  const ctx = node.snapshot.context as ClientCore;
  const roomId = ctx.roomId!;
  let payload: Uint8Array;
  if (ctx.group) {
    const g = ctx.group;
    payload = sealAppMessage(c, rng, { roomId, epoch: g.epoch, appKey: g.epochs[g.epoch]!.keys!.appKey, seq: g.ownNextSeq, prevEpoch: g.ownPrevEpoch, sender: node.identity, content: { sent_at: world.now(), text: `junk from ${by}` } }).bytes.slice();
    payload[payload.length - 1]! ^= 1;
  } else {
    payload = sealCompatChat(c, rng, { roomId, sender: node.identity.fp, roomKey: new Uint8Array(32), text: utf8(`junk from ${by}`) }).bytes;
  }
  world.note('junk', `${by} sends a message no one accepts`);
  relay.post(node.identity.fp, encode(Send, { req_id: 0x7d000000, room_id: roomId, payload }));
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

/**
 * CAP-16 with CAP-09: the removed member's next message, in the last epoch it belonged to (hardened) or under
 * a room key it holds (compat), put in place of another member's next delivery.
 */
function backdate(world: World, relay: MaliciousRelay, by: string, to: string, seed: number, leaked?: (epoch: number) => void): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary backdated', 0));
  const node = world.clients.get(by)!;
  relay.crafts.set('backdated', () => {
    const ctx = node.snapshot.context as ClientCore;
    const text = `backdated by ${by}`;
    if (ctx.group) {
      const g = ctx.group;
      if (leaked) {
        // CAP-17: the epoch after the removal, with its key leaked to the adversary
        const og = (world.clients.get('owner')!.snapshot.context as OwnerContext).group!;
        leaked(og.epoch);
        return sealAppMessage(c, rng, { roomId: g.roomId, epoch: og.epoch, appKey: og.epochs[og.epoch]!.keys!.appKey, seq: g.ownNextSeq, prevEpoch: g.ownPrevEpoch, sender: node.identity, content: { sent_at: world.now(), text } }).bytes;
      }
      const epoch = Math.max(...Object.entries(g.epochs).filter(([, r]) => r.keys !== undefined).map(([e]) => Number(e)));
      return sealAppMessage(c, rng, { roomId: g.roomId, epoch, appKey: g.epochs[epoch]!.keys!.appKey, seq: g.ownNextSeq, prevEpoch: g.ownPrevEpoch, sender: node.identity, content: { sent_at: world.now(), text } }).bytes;
    }
    return sealCompatChat(c, rng, { roomId: ctx.roomId!, sender: node.identity.fp, roomKey: ctx.compat!.keys[0]!.key, text: utf8(text) }).bytes;
  });
  const chatLabel = world.options.profile === 'hardened' ? 'RoomDelivery(AppMessage)' : 'RoomDelivery(CompatChat)';
  relay.addStep({ cap: 'CAP-09', op: 'substitute', match: { dir: 'down', client: to, msg: chatLabel, nth: 1 }, craft: 'backdated' });
}

/**
 * CAP-17 and CAP-06 (hardened): with the invite token leaked, the relay answers the invitee's
 * join request itself: a welcome into a room whose owner is the adversary, for which it signs
 * everything. Only the invite's owner fingerprint (REQ-INV-012) tells it from the real one.
 */
function forgeWelcome(world: World, relay: MaliciousRelay, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary welcome', 0));
  const fake = adversaryIdentity(c, seed);
  let done = false;
  relay.watch((o) => {
    if (done || o.dir !== 'up' || !messageLabel(o.bytes).startsWith('SubmitJoin(JoinRequest)')) return;
    done = true;
    const submit = decode(SubmitJoin, o.bytes);
    const req = decode(JoinRequest, submit.payload);
    const invite = world.invites().find((i) => equalBytes(inviteId(c, i.token), req.invite_id));
    if (!invite) return;
    const joiner: MemberRecord = { member_id: fingerprint(c, req.identity_pk), identity_pk: req.identity_pk, kem_cert: req.kem_cert, role: 'member', added_epoch: 1 };
    const genesis = buildCommit(c, rng, { roomId: req.room_id, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(fake, 'owner', 0)], removes: [], roster: [], heads: [], owner: fake });
    const add = buildCommit(c, rng, { roomId: req.room_id, epoch: 1, prevEpochHash: epochHash(c, genesis.commit.bytes), reason: 'add', inviteId: req.invite_id, adds: [joiner], removes: [], roster: genesis.roster, heads: [], owner: fake });
    const groupInfo = { epoch_secret: rng.bytes(32), commit: add.commit.value, roster: [...add.roster] };
    const welcome = buildWelcome(c, rng, { joinRequest: { value: req, bytes: submit.payload }, token: invite.token, groupInfo, owner: fake });
    const to = o.client;
    relay.later(() => relay.inject(to, encode(MailboxDelivery, { entry: { index: 1_000_000, room_id: req.room_id, invite_id: req.invite_id, payload: welcome.bytes } })));
  });
}

/** See {@link Attack.fork}. */
function forkCommits(relay: MaliciousRelay, to: string, reason: ReqId): void {
  let first: Uint8Array | undefined;
  relay.watch((o) => {
    if (first || o.dir !== 'up' || o.client !== 'owner' || !messageLabel(o.bytes).startsWith('PostCommit(Commit)')) return;
    const post = decode(PostCommit, o.bytes);
    if (decode(Commit, post.payload).reason !== 'rotate') return;
    first = post.payload;
    relay.later(() => relay.inject('owner', encode(Reject, { req_id: post.req_id, requirement: reason, detail: 'refused' })));
    relay.crafts.set('first-commit', () => first);
    relay.addStep({ cap: 'CAP-09', op: 'substitute', match: { dir: 'down', client: to, msg: 'RoomDelivery(AppMessage)', nth: 1 }, craft: 'first-commit' });
    relay.addStep({ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: to, msg: 'RoomDelivery(Commit)' } });
  });
  relay.addStep({ cap: 'CAP-02', op: 'drop', match: { dir: 'up', client: 'owner', msg: 'PostCommit(Commit)', nth: 1 } });
}

/** See {@link Attack.raceJoin}. */
function raceJoin(world: World, relay: MaliciousRelay): void {
  let invite: Uint8Array | undefined; // the raced invite's id
  let injected = 1_000_000;
  const toMailbox = (client: string, roomId: Uint8Array, inviteId: Uint8Array, payload: Uint8Array): void => {
    relay.later(() => relay.inject(client, encode(MailboxDelivery, { entry: { index: injected++, room_id: roomId, invite_id: inviteId, payload } })));
  };
  const joinedWith = new Set<string>();
  relay.watch((o) => {
    if (o.dir !== 'up') return;
    const label = messageLabel(o.bytes);
    if (o.client === 'dave' && label.startsWith('SubmitJoin') && !invite) {
      // the same invite reaches a second person, who uses it at once
      const id = decode(SubmitJoin, o.bytes).invite_id;
      const inv = world.invites().find((i) => equalBytes(inviteId(world.options.crypto, i.token), id));
      if (!inv) return;
      invite = id;
      relay.later(() => world.user('erin', { type: 'user.join', invite: inv }));
    } else if (o.client === 'erin' && label.startsWith('SubmitJoin')) {
      // CAP-12: the request the relay would refuse (the invite is claimed) goes to the owner anyway
      const req = decode(SubmitJoin, o.bytes);
      if (joinedWith.has(toHex(req.payload))) return;
      joinedWith.add(toHex(req.payload));
      toMailbox('owner', req.room_id, req.invite_id, req.payload);
    } else if (o.client === 'owner' && label.startsWith('SendWelcome') && invite) {
      // every welcome for the invite reaches the second invitee too
      const w = decode(SendWelcome, o.bytes);
      if (equalBytes(w.invite_id, invite)) toMailbox('erin', w.room_id, w.invite_id, w.payload);
    }
  });
}

/** See {@link Attack.substituteJoinKem}. */
function substituteJoinKem(world: World, k: Knowledge, relay: MaliciousRelay, of: string, seed: number): void {
  const kem = newestKem(adversaryIdentity(world.options.crypto, seed));
  k.addKemSecret(kem.secretKey);
  const hardened = world.options.profile === 'hardened';
  relay.addStep({
    cap: 'CAP-08',
    op: 'mutate',
    match: { dir: 'up', client: of, msg: hardened ? 'SubmitJoin(JoinRequest)' : 'SubmitJoin(CompatJoinRequest)' },
    path: hardened ? 'payload.kem_cert.kem_pk' : 'payload.kem_pk',
    mutation: { op: 'set', value: { hex: toHex(kem.publicKey) } },
  });
}

/** See {@link Attack.welcomeFork}. */
function welcomeFork(world: World, relay: MaliciousRelay, by: string, to: string): void {
  let first: Uint8Array | undefined;
  let withholding = false;
  relay.watch((o) => {
    const label = messageLabel(o.bytes);
    if (!first && o.dir === 'up' && o.client === by && label.startsWith('SubmitConfirm')) {
      // a controlled invitee: the adversary holds what it holds, the add commit of its welcome included
      first = (world.clients.get(by)!.snapshot.context as MemberContext).pendingGroup?.commitBytes;
      if (!first) return;
      relay.crafts.set('welcome-commit', () => first);
      // the owner's next commit reaches `to` as the welcome's add commit
      relay.addStep({ cap: 'CAP-09', op: 'substitute', match: { dir: 'down', client: to, msg: 'RoomDelivery(Commit)', nth: 1 }, craft: 'welcome-commit' });
    } else if (first && !withholding && o.dir === 'down' && o.client === to && label === 'RoomDelivery(Commit)') {
      withholding = true;
      relay.later(() => relay.addStep({ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: to, msg: 'RoomDelivery(Commit)' } }));
    }
  });
  relay.addStep({ cap: 'CAP-02', op: 'drop', match: { dir: 'up', client: by, msg: 'SubmitConfirm(JoinConfirm)' } });
}

/** The adversary's own keys (it may act as a client: CAP-06, CAP-13). */
function adversaryIdentity(c: CryptoProvider, seed: number) {
  return createIdentity(c, deterministicRng(simSeed(c, seed, 'adversary', 0)));
}

/** CAP-06 (W1): a join request for an invite id the owner never issued, put into the owner's mailbox. */
/**
 * A join request the adversary makes with its own keys for `invite` (whose token it may not
 * hold), filed under invite id `id`; in compat the knowledge learns the connection key it sets up.
 */
function adversaryJoinRequest(world: World, k: Knowledge, rng: Rng, me: Identity, invite: Invite, id: Uint8Array): Uint8Array {
  const c = world.options.crypto;
  if (world.options.profile === 'hardened') return buildJoinRequest(c, rng, invite, me, id).bytes;
  const r = buildCompatJoinRequest(c, rng, { invite, inviteId: id, identity: me, ownerKemPk: newestKem(world.clients.get('owner')!.identity).publicKey });
  k.addConnectionKey(r.connectionKey);
  return r.request.bytes;
}

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
  const payload = adversaryJoinRequest(world, k, rng, me, fake, id);
  // a mailbox index far above any real one, so that the owner's real mail keeps its numbers
  relay.inject('owner', encode(MailboxDelivery, { entry: { index: 1_000_000, room_id: roomId, invite_id: id, payload } }));
}

/** See {@link Attack.claimInvite}. */
function claimInvite(world: World, k: Knowledge, relay: MaliciousRelay, seed: number): () => void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary claim', 0));
  const me = adversaryIdentity(c, seed);
  k.addKemSecret(newestKem(me).secretKey);
  let armed = false;
  relay.watch((o) => {
    // the invite the owner issues after the first round of chat (the earlier ones were redeemed)
    if (!armed || o.dir !== 'up' || o.client !== 'owner' || !messageLabel(o.bytes).startsWith('PostInvite')) return;
    armed = false;
    // CAP-15: the invite id is public; the token is not, so the adversary's is a guess
    const inv = decode(PostInvite, o.bytes);
    const owner = world.clients.get('owner')!;
    const guess: Invite = { profile: world.options.profile, room_id: inv.room_id, owner_fp: owner.identity.fp, token: rng.bytes(32), expires_at: inv.expires_at, relay: '' };
    const payload = adversaryJoinRequest(world, k, rng, me, guess, inv.invite_id);
    relay.later(() => relay.post(me.fp, encode(SubmitJoin, { req_id: 0x7e000000, room_id: inv.room_id, invite_id: inv.invite_id, payload })));
  });
  return () => {
    armed = true;
    world.user('owner', { type: 'user.invite' });
    // the owner answers the claim (a rejection, or an admission once the join timed out) before the chat goes on
    const owner = world.clients.get('owner')!;
    const admitted = owner.statuses.filter((x) => x.status.kind === 'admitted').length;
    const raised = world.raised.length;
    world.runUntilTrue(() => owner.statuses.filter((x) => x.status.kind === 'admitted').length > admitted || world.raised.slice(raised).some((x) => x.party === 'owner'), 30_000);
  };
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
  const removedAt = new Map<string, number>(); // controlled members the owner removed, and when
  const leaks = new Map<number, number>(); // epochs whose secret leaked, and when
  const secrecy: SecrecyContext = { controlled, removedAt, leaks };
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
    clientConfig: { rotateEvery: attack.rotateEvery ?? 15, ...(attack.joinTimeoutMs === undefined ? {} : { joinTimeoutMs: attack.joinTimeoutMs }) },
    tap: relay,
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
      if (attack.backdateTo && attack.controlled?.[0]) {
        const leaked = attack.backdateIntoLeakedEpoch
          ? (epoch: number) => {
              if (leaks.has(epoch)) return;
              leaks.set(epoch, w.now() - w.startTime);
              const og = (w.clients.get('owner')!.snapshot.context as OwnerContext).group!;
              k.addEpochKeys(epoch, og.epochs[epoch]!.keys!, 'leak');
            }
          : undefined;
        backdate(w, relay, attack.controlled[0], attack.backdateTo, o.seed, leaked);
      }
    },
    armed: () => {
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
      if (attack.removes) removals.set(attack.removes, w.now() - w.startTime);
      if (attack.removes && controlled.has(attack.removes)) removedAt.set(attack.removes, w.now() - w.startTime);
      if (attack.leakKem) {
        // CAP-17: the member's ML-KEM private keys (every version it holds) reach the adversary
        for (const kp of w.clients.get(attack.leakKem)!.identity.kemKeys) k.addKemSecret(kp.secretKey);
        w.note('leak', `${attack.leakKem}'s ML-KEM private key`);
      }
      if (attack.leak) {
        // CAP-17: the current epoch's secret (compat: room key) reaches the adversary
        const ctx = w.clients.get('owner')!.snapshot.context as OwnerContext;
        const epoch = ctx.group?.epoch ?? ctx.compat!.keys[0]!.generation;
        leaks.set(epoch, w.now() - w.startTime);
        if (ctx.group) k.addEpochKeys(epoch, ctx.group.epochs[epoch]!.keys!, 'leak');
        else k.addRoomKey(ctx.compat!.keys[0]!.key, 'leak');
        w.note('leak', `${o.profile === 'hardened' ? 'epoch secret' : 'room key'} of epoch ${epoch}`);
      }
    },
  };
  const run: ScenarioRun = { world, members: [], removed: [], speakers: new Set(), next: 0, extraChecks: [] };
  let stalled: string | undefined;
  try {
    for (const s of attackScenario(relay, attack, hooks).steps) s(run);
  } catch (e) {
    // the attack denied service (out of scope, spec 11.3): the properties are judged on what happened
    stalled = e instanceof Error ? e.message : String(e);
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
