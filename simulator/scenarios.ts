/**
 * Scenarios over the simulated world: a small builder to write them, the named scenarios of the
 * simulator (room, join-race, rotation-load, removal, offline-return, late-joiner), the ground
 * truth they produce, and the checks an honest run must pass (spec 6, 7, 12).
 */
import { equalBytes, toHex } from '../impl/bytes.ts';
import type { GroupView } from '../impl/protocol/group.ts';
import type { ClientConfig } from '../machines/client-core.ts';
import type { MemberContext } from '../machines/member.ts';
import type { OwnerContext } from '../machines/owner.ts';
import { hasFaults, lastFaultEnd } from './faults.ts';
import { shortHash } from './trace.ts';
import type { World } from './world.ts';

/** One message as its sender sent it (the ground truth). */
export interface Sent {
  /** Sender's name. */
  readonly from: string;
  /** Sender's member id (hex). */
  readonly senderId: string;
  /** Sequence number (-1 in compat). */
  readonly seq: number;
  /** Epoch or compat generation it was sent in. */
  readonly epoch: number;
  /** Text (unique within a scenario). */
  readonly text: string;
  /** Virtual time it was sent. */
  readonly at: number;
  /** The requirement under which the relay refused it, if it did (its sender was told). */
  readonly refused?: string;
}

/** A named check and its outcome. */
export interface Check {
  /** What is checked. */
  readonly name: string;
  /** Whether it holds. */
  readonly ok: boolean;
  /** Details, for failures. */
  readonly detail: string;
}

/** What a scenario run produced. */
export interface ScenarioResult {
  /** Every message sent. */
  readonly sent: readonly Sent[];
  /** The checks, all of which hold in an honest run. */
  readonly checks: readonly Check[];
  /** Whether every check holds. */
  readonly ok: boolean;
  /** Names of the members (not the owner). */
  readonly members: readonly string[];
  /** Removed members. */
  readonly removed: readonly string[];
}

/** The state a scenario's steps share. */
export interface ScenarioRun {
  /** The world. */
  readonly world: World;
  /** Members declared so far. */
  readonly members: string[];
  /** Members removed so far. */
  readonly removed: string[];
  /** Members currently expected to talk. */
  readonly speakers: Set<string>;
  /** Messages asked for so far. */
  next: number;
  /** Extra checks the scenario adds. */
  readonly extraChecks: ((run: ScenarioRun) => Check)[];
}

/** One step of a scenario. */
export type Step = (run: ScenarioRun) => void;

/** A step whose outcome did not come (the room could not go on): distinct from a crash, which is any other exception. */
export class StepFailed extends Error {
  override readonly name = 'StepFailed';
  /** The failure of the step that waited for `step` (`dave joins`). */
  constructor(readonly step: string) {
    super(`scenario step failed: ${step}`);
  }
}

function must(ok: boolean, what: string): void {
  if (!ok) throw new StepFailed(what);
}

/**
 * A user action, taken once the client's program is running: a crashed program takes no input,
 * so an action that arrives during a crash is lost and the user tries again (at most 10 times).
 */
function act(r: ScenarioRun, who: string, event: { type: string } & Record<string, unknown>): void {
  const node = r.world.clients.get(who)!;
  for (let attempt = 0; attempt < 10; attempt++) {
    must(r.world.runUntilTrue(() => !node.crashed, 120_000), `${who} running`);
    const lost = node.lostUserEvents;
    r.world.user(who, event);
    r.world.runUntil(r.world.now());
    if (node.lostUserEvents === lost) return;
  }
  must(false, `${who} takes the user's ${event.type}`);
}

/** A scenario: a name, a one-line description, and its steps. */
export interface Scenario {
  /** Name, used by `pqroom simulate --scenario`. */
  readonly name: string;
  /** One line. */
  readonly description: string;
  /** The steps, in order. */
  readonly steps: readonly Step[];
}

/**
 * A scenario builder: `scenario('x', '...').members('alice').create().admit('alice').chat(20)`.
 * Each method appends a step; `.steps` is the scenario.
 */
export function scenario(name: string, description: string) {
  const steps: Step[] = [];
  const b = {
    name,
    description,
    steps,
    /** Adds the owner (`owner`) and members with these names, and connects everyone. */
    members(...names: string[]) {
      steps.push((r) => {
        if (!r.world.clients.has('owner')) {
          r.world.addOwner('owner');
          r.world.connect('owner');
          r.speakers.add('owner');
        }
        for (const n of names) {
          r.world.addMember(n);
          r.world.connect(n);
          r.members.push(n);
        }
      });
      return b;
    },
    /** The owner creates the room and waits for the relay. */
    create() {
      steps.push((r) => {
        act(r, 'owner', { type: 'user.create' });
        must(r.world.runUntilTrue(() => r.world.stateOf('owner').startsWith('active'), 60_000), 'room created');
      });
      return b;
    },
    /** For each name: an invite, its use, and a wait until the member is in. */
    admit(...names: string[]) {
      for (const who of names) {
        steps.push((r) => {
          const n = r.world.invites().length;
          r.world.note('admit', who);
          act(r, 'owner', { type: 'user.invite' });
          must(r.world.runUntilTrue(() => r.world.invites().length > n, 60_000), `invite for ${who}`);
          act(r, who, { type: 'user.join', invite: r.world.invites()[n]! });
          must(r.world.runUntilTrue(() => r.world.stateOf(who) === 'member', 180_000), `${who} joins`);
          r.speakers.add(who);
        });
      }
      return b;
    },
    /** `count` messages from the current speakers in turn, `spacingMs` apart, then a short settle. */
    chat(count: number, spacingMs = 40) {
      steps.push((r) => {
        const speakers = [...r.speakers].filter((n) => r.world.clients.get(n)!.wantsConnection);
        for (let i = 0; i < count; i++, r.next++) {
          const who = speakers[r.next % speakers.length]!;
          r.world.user(who, { type: 'user.send', text: `m${r.next} from ${who}` }, i * spacingMs);
        }
        r.world.runUntil(r.world.now() + count * spacingMs + 2_000);
      });
      return b;
    },
    /** The owner removes a member and the scenario waits until it is removed. */
    remove(who: string) {
      steps.push((r) => {
        r.world.note('remove', who);
        act(r, 'owner', { type: 'user.remove', memberId: r.world.clients.get(who)!.identity.fp });
        const hardened = r.world.options.profile === 'hardened';
        must(r.world.runUntilTrue(() => (hardened ? r.world.stateOf(who) === 'removed' : rotatedSince(r)), 60_000), `${who} removed`);
        r.removed.push(who);
        r.speakers.delete(who);
      });
      return b;
    },
    /** Takes a member offline (no connection until `online`). */
    offline(who: string) {
      steps.push((r) => {
        r.world.note('offline', who);
        r.world.disconnect(who);
      });
      return b;
    },
    /** Brings a member back online; it catches up from history. */
    online(who: string) {
      steps.push((r) => {
        r.world.note('online', who);
        r.world.connect(who);
      });
      return b;
    },
    /** Lets virtual time pass. */
    wait(ms: number) {
      steps.push((r) => r.world.runUntil(r.world.now() + ms));
      return b;
    },
    /** A custom step. */
    step(f: Step) {
      steps.push(f);
      return b;
    },
    /** A check of its own, evaluated at the end. */
    check(f: (run: ScenarioRun) => Check) {
      steps.push((r) => r.extraChecks.push(f));
      return b;
    },
  };
  return b;
}

function rotatedSince(r: ScenarioRun): boolean {
  const owner = r.world.clients.get('owner')!;
  const last = owner.statuses.at(-1);
  return last?.status.kind === 'epoch';
}

/** Every message sent so far, from the senders' status effects. */
export function sentMessages(world: World): Sent[] {
  const out: Sent[] = [];
  for (const node of world.clients.values()) {
    const refused = new Map<string, string>();
    for (const s of node.statuses) if (s.status.kind === 'send-refused') refused.set(s.status.text, s.status.reqId);
    for (const s of node.statuses) {
      if (s.status.kind !== 'sent') continue;
      const r = refused.get(s.status.text);
      const from = node.name;
      const senderId = toHex(node.identity.fp);
      const { seq, epoch, text } = s.status;
      // two literals rather than a spread of `{ refused }`: each shape is kept by its literal, not made anew in each run (issue 24)
      out.push(r === undefined ? { from, senderId, seq, epoch, text, at: s.at } : { from, senderId, seq, epoch, text, at: s.at, refused: r });
    }
  }
  return out.sort((a, b) => a.at - b.at || a.text.localeCompare(b.text));
}

function check(name: string, ok: boolean, detail = ''): Check {
  return { name, ok, detail: ok ? '' : detail };
}

function ownerGroup(world: World, owner = 'owner'): GroupView | undefined {
  return (world.clients.get(owner)!.snapshot.context as OwnerContext).group;
}

/**
 * The messages a client should end up with: hardened, every stored message of an epoch whose
 * roster (as the owner's chain records it) contains the client; compat, which has no epochs a
 * member could check, every stored message sent while the client was in the room. `owner` names
 * the room (its owner's client; default `owner`), and `sent` should hold that room's messages.
 */
export function entitledTo(world: World, sent: readonly Sent[], name: string, removed: readonly string[], owner = 'owner'): string[] {
  const node = world.clients.get(name)!;
  // loops rather than arrows given to filter and map: an arrow made at each call had its optimized
  // code compiled again after each collection that found none alive (up to 53 times a campaign, issue 24)
  const out: string[] = [];
  if (world.options.profile === 'hardened') {
    const group = ownerGroup(world, owner);
    const me = node.identity.fp;
    // whether the roster of each epoch holds this client, looked up once per epoch
    const inEpoch = new Map<number, boolean>();
    const holds = (epoch: number): boolean => {
      let v = inEpoch.get(epoch);
      if (v === undefined) inEpoch.set(epoch, (v = (group?.epochs[epoch]?.roster ?? []).some((r) => equalBytes(r.member_id, me))));
      return v;
    };
    for (const s of sent) if (s.refused === undefined && holds(s.epoch)) out.push(s.text);
    return out;
  }
  const joined = node.role === 'owner' ? 0 : (node.statuses.find((s) => s.status.kind === 'joined')?.at ?? Infinity);
  const left = removed.includes(name) ? (world.clients.get(owner)!.statuses.find((s) => s.status.kind === 'epoch' && s.at >= joined)?.at ?? Infinity) : Infinity;
  for (const s of sent) if (s.refused === undefined && s.at >= joined && s.at < left) out.push(s.text);
  return out;
}

/**
 * Rejections an honest run produces on its own (spec 12.1): duplicates from retransmission and
 * network duplication (REQ-MEM-016, REQ-TRN-005), a late message of an epoch before a member
 * joined, which the relay serves inside the member's window (REQ-MEM-012), and a message of a
 * member the owner is removing that would add to what the removal counts (REQ-REL-025). A removed member's message
 * refused on its way (REQ-REL-016) is expected only in scenarios that remove someone.
 */
export const BENIGN_REJECTIONS: readonly string[] = ['REQ-MEM-016', 'REQ-TRN-005', 'REQ-MEM-012', 'REQ-REL-025'];

/**
 * The checks of a run: every message sent once; no alarm; no rejection but the benign ones (on a
 * perfect network); at least `minRotations` rotations (on a perfect network); each member converged
 * to exactly what it is entitled to (hardened, by the epoch rosters) or (compat, on a perfect
 * network) to everything sent while it was in the room; sender order; removed members read
 * nothing after their removal (hardened). compat under faults promises no convergence (its
 * losses are reported in the summary, spec 8.12).
 */
export function runChecks(world: World, sent: readonly Sent[], members: readonly string[], removed: readonly string[], minRotations: number, expectedRejections: readonly string[] = []): Check[] {
  const texts = new Set(sent.map((s) => s.text));
  const benign = hasFaults(world.faults);
  const alarms = world.raised.filter((r) => r.kind === 'alarm');
  const checks: Check[] = [
    check('every message was sent exactly once', texts.size === sent.length, `${sent.length} sent, ${texts.size} distinct`),
    // the relay refuses a message only when its sender was removed before it arrived (REQ-REL-016)
    check('the relay refused only messages of removed senders', sent.every((s) => s.refused === undefined || removed.includes(s.from)), sent.filter((s) => s.refused !== undefined && !removed.includes(s.from)).map((s) => `${s.from} ${s.refused}`).slice(0, 3).join('; ')),
    check('no party raised an alarm', alarms.length === 0, alarms.slice(0, 5).map((r) => `${r.party} ${r.reqId}: ${r.detail}`).join('; ')),
  ];
  // a removed member's message refused on its way (REQ-REL-016; the check above names whose)
  const expected = removed.length > 0 ? [...expectedRejections, 'REQ-REL-016'] : expectedRejections;
  const unexpected = world.raised.filter((r) => !expected.includes(r.reqId) && !BENIGN_REJECTIONS.includes(r.reqId));
  if (!benign) checks.push(check('no party rejected anything unexpected', unexpected.length === 0, unexpected.slice(0, 5).map((r) => `${r.party} ${r.kind} ${r.reqId}: ${r.detail}`).join('; ')));
  const everyone = ['owner', ...members];
  const rotations = world.clients.get('owner')!.statuses.filter((s) => s.status.kind === 'epoch' && s.status.reason === 'rotate').length;
  if (!benign && minRotations > 0) checks.push(check(`the room went through at least ${minRotations} rotations`, rotations >= minRotations, `${rotations} rotations`));
  if (world.options.profile === 'hardened') {
    for (const name of everyone) {
      const node = world.clients.get(name)!;
      const entitled = entitledTo(world, sent, name, removed);
      const got = node.deliveries.map((d) => d.text);
      const gotSet = new Set(got);
      const missing = entitled.filter((x) => !gotSet.has(x));
      const entitledSet = new Set(entitled);
      const extra = got.filter((x) => !entitledSet.has(x));
      checks.push(check(`${name} delivered exactly the messages of its epochs, once`, missing.length === 0 && extra.length === 0 && got.length === gotSet.size, `missing ${missing.length} (${missing.slice(0, 3).join(', ')}), extra ${extra.length}, ${got.length} delivered`));
      const bySender = new Map<string, number[]>();
      for (const d of node.deliveries) bySender.set(d.sender, [...(bySender.get(d.sender) ?? []), d.seq]);
      checks.push(check(`${name} delivered each sender's messages in order`, [...bySender.values()].every((seqs) => seqs.every((x, i) => i === 0 || x > seqs[i - 1]!)), 'out of order'));
    }
    for (const who of removed) {
      const ctx = world.clients.get(who)!.snapshot.context as MemberContext;
      const removalEpoch = Object.values(ctx.group!.epochs).find((e) => e.keys === undefined)?.epoch ?? Infinity;
      const read = world.clients.get(who)!.deliveries.filter((d) => d.epoch >= removalEpoch);
      checks.push(check(`${who} (removed) read nothing sent after its removal`, read.length === 0, `${read.length} read`));
    }
  } else if (!benign) {
    for (const name of everyone) {
      const node = world.clients.get(name)!;
      const due = entitledTo(world, sent, name, removed);
      const got = node.deliveries.map((d) => d.text);
      const gotSet = new Set(got);
      const missing = due.filter((x) => !gotSet.has(x));
      checks.push(check(`${name} has every message sent while it was in the room, once`, missing.length === 0 && got.length === gotSet.size, `missing ${missing.length} (${missing.slice(0, 3).join(', ')}), ${got.length} delivered`));
    }
  }
  return checks;
}

/** Options common to the named scenarios. */
export interface ScenarioOptions {
  /** Messages (default depends on the scenario). */
  readonly messages?: number;
  /** Members at the start (default depends on the scenario). */
  readonly members?: number;
}

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
const memberNames = (n: number): string[] => Array.from({ length: n }, (_, i) => NAMES[i] ?? `member${i + 1}`);

/** A named scenario: its builder, and the smallest number of rotations its checks require. */
export interface NamedScenario {
  /** Name. */
  readonly name: string;
  /** One line. */
  readonly description: string;
  /** Builds the scenario for these options. */
  readonly build: (o: ScenarioOptions, world: World) => Scenario;
  /** Rotations the run must show. */
  readonly minRotations: (o: ScenarioOptions, world: World) => number;
  /** Rejections the scenario provokes on purpose (by requirement id); any other one fails it. */
  readonly expectedRejections?: readonly string[];
  /** Client tunables the scenario needs. */
  readonly clientConfig?: Partial<ClientConfig>;
  /** Whether `--members` sizes it (a scenario with a fixed cast refuses the option). */
  readonly sizedByMembers?: true;
}

/**
 * Virtual time a run with faults keeps going after its steps and its last scheduled fault, so
 * that recovery can finish before the checks (spec 8.12): two gap grace periods.
 */
export const SETTLE_MS = 60_000;

/** The named scenarios of `pqroom simulate --list`. */
export const SCENARIOS: readonly NamedScenario[] = [
  {
    name: 'room',
    sizedByMembers: true,
    description: 'create, three joins, 250 messages through two rotations, a member offline and back, a removal (hardened), a late joiner',
    build: (o, w) => {
      // 42% then 40% of the messages: with 250 and N = 100, two rotations before the removal
      // and the late join (each of which starts a new epoch and a new count)
      const total = o.messages ?? 250;
      const [a, b, c] = [Math.floor(total * 0.42), Math.floor(total * 0.4), Math.floor(total * 0.08)];
      const names = memberNames(o.members ?? 3);
      const s = scenario('room', 'the end-to-end room').members(...names, 'late').create().admit(...names).chat(a);
      if (names[2]) s.offline(names[2]);
      s.chat(b);
      if (w.options.profile === 'hardened' && names[1]) s.remove(names[1]);
      s.chat(c);
      if (names[2]) s.online(names[2]);
      s.admit('late').chat(total - a - b - c).wait(60_000);
      return s;
    },
    minRotations: (o) => ((o.messages ?? 250) >= 200 ? 2 : 0),
  },
  {
    name: 'join-race',
    description: 'two invitees present the same invite at once: exactly one becomes a member (ATK-02)',
    build: () =>
      scenario('join-race', 'two joins race for one token')
        .members('alice', 'bob')
        .create()
        .step((r) => {
          act(r, 'owner', { type: 'user.invite' });
          must(r.world.runUntilTrue(() => r.world.invites().length === 1, 60_000), 'invite');
          const inv = r.world.invites()[0]!;
          must(r.world.runUntilTrue(() => !r.world.clients.get('alice')!.crashed && !r.world.clients.get('bob')!.crashed, 120_000), 'both running');
          r.world.user('alice', { type: 'user.join', invite: inv });
          r.world.user('bob', { type: 'user.join', invite: inv });
          r.world.runUntil(r.world.now() + 60_000);
          for (const n of ['alice', 'bob']) if (r.world.stateOf(n) === 'member') r.speakers.add(n);
        })
        .chat(10)
        .wait(30_000)
        .check((r) => {
          const states = ['alice', 'bob'].map((n) => r.world.stateOf(n));
          return check('exactly one of the racing invitees is a member, the other failed', states.filter((x) => x === 'member').length === 1 && states.filter((x) => x === 'failed').length === 1, states.join(', '));
        }),
    minRotations: () => 0,
    expectedRejections: ['REQ-REL-012'],
  },
  {
    name: 'rotation-load',
    sizedByMembers: true,
    description: 'five members, 300 messages fast, rotation every 20 messages',
    build: (o) => {
      const names = memberNames(o.members ?? 4);
      return scenario('rotation-load', 'rotations under load').members(...names).create().admit(...names).chat(o.messages ?? 300, 10).wait(60_000);
    },
    minRotations: (o) => Math.floor((o.messages ?? 300) / 20) - 2,
    clientConfig: { rotateEvery: 20 },
  },
  {
    name: 'removal',
    description: 'three members chat, the owner removes one, the others carry on',
    build: (o) => scenario('removal', 'removal').members('alice', 'bob', 'carol').create().admit('alice', 'bob', 'carol').chat(o.messages ?? 40).remove('bob').chat(o.messages ?? 40).wait(30_000),
    minRotations: () => 0,
  },
  {
    name: 'offline-return',
    description: 'a member is offline while the room talks, then returns and fetches what it missed',
    build: (o) => scenario('offline-return', 'offline member returns').members('alice', 'bob').create().admit('alice', 'bob').chat(10).offline('bob').chat(o.messages ?? 60).online('bob').wait(30_000).chat(10).wait(30_000),
    minRotations: () => 0,
  },
  {
    name: 'late-joiner',
    description: 'a member joins after a rotation and fetches history: hardened since its join, compat since the last rotation (W15)',
    build: (o) => scenario('late-joiner', 'late joiner with history').members('alice', 'late').create().admit('alice').chat(o.messages ?? 120).admit('late').chat(20).wait(30_000),
    minRotations: (o) => ((o.messages ?? 120) >= 100 ? 1 : 0),
  },
];

/** The named scenario, or undefined. */
export function findScenario(name: string): NamedScenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** Runs a scenario on a world and checks it. */
export function runScenario(world: World, named: NamedScenario, o: ScenarioOptions = {}): ScenarioResult {
  const sc = named.build(o, world);
  const run: ScenarioRun = { world, members: [], removed: [], speakers: new Set(), next: 0, extraChecks: [] };
  for (const s of sc.steps) s(run);
  // spec 8.12: convergence is judged once recovery has had time, after the last scheduled fault
  if (hasFaults(world.faults)) world.runUntil(Math.max(world.now(), world.startTime + lastFaultEnd(world.faults)) + SETTLE_MS);
  const sent = sentMessages(world);
  const checks = [...runChecks(world, sent, run.members, run.removed, named.minRotations(o, world), named.expectedRejections), ...run.extraChecks.map((f) => f(run))];
  return { sent, checks, ok: checks.every((x) => x.ok), members: run.members, removed: run.removed };
}

/** The end-to-end room scenario (kept as a function for tests and examples). */
export function roomScenario(world: World, o: ScenarioOptions = {}): ScenarioResult {
  return runScenario(world, SCENARIOS[0]!, o);
}

/** What `pqroom simulate` reports about a run. */
export interface RunSummary {
  /** Messages sent. */
  readonly sent: number;
  /** Messages delivered to applications, all members together. */
  readonly delivered: number;
  /** Alarms raised. */
  readonly alarms: number;
  /** Rejections. */
  readonly rejections: number;
  /** hardened: epochs created; compat: rotations. */
  readonly epochs: number;
  /** Faults applied, by kind. */
  readonly faults: Readonly<Record<string, number>>;
  /** Events processed. */
  readonly events: number;
  /** SHA-256 (16 hex) over every member's delivered transcript, in order. */
  readonly transcriptHash: string;
  /** Messages a member should have had (`entitledTo`) and never delivered, all members together. */
  readonly lost: number;
  /** Messages the relay refused (their senders were told). */
  readonly refused: number;
  /** Whether every check held. */
  readonly ok: boolean;
  /** Checks that failed. */
  readonly failed: readonly string[];
}

/** A run's summary (the last line of its trace). `result` is undefined when a step failed with `error`. */
export function summarize(world: World, result: ScenarioResult | undefined, error?: string): RunSummary {
  const owner = world.clients.get('owner');
  const group = owner ? (owner.snapshot.context as OwnerContext).group : undefined;
  const epochs = group ? Object.keys(group.epochs).length - 1 : (owner?.statuses.filter((s) => s.status.kind === 'epoch').length ?? 0);
  const lines: string[] = [];
  for (const [name, node] of [...world.clients.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    for (const d of node.deliveries) lines.push(`${name} ${d.sender.slice(0, 16)} ${d.seq} ${d.epoch} ${shortHash(d.text)}`);
  }
  const sent = result?.sent ?? sentMessages(world);
  const removed = result?.removed ?? [];
  let lost = 0;
  for (const node of world.clients.values()) {
    const got = new Set(node.deliveries.map((d) => d.text));
    lost += entitledTo(world, sent, node.name, removed).filter((x) => !got.has(x)).length;
  }
  const failed = [...(error === undefined ? [] : [error]), ...(result?.checks ?? []).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)];
  return {
    sent: sent.length,
    lost,
    refused: sent.filter((s) => s.refused !== undefined).length,
    delivered: [...world.clients.values()].reduce((n, c) => n + c.deliveries.length, 0),
    alarms: world.raised.filter((r) => r.kind === 'alarm').length,
    rejections: world.raised.filter((r) => r.kind === 'reject').length,
    epochs,
    faults: Object.fromEntries(Object.entries(world.faultCounts).sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    events: world.events(),
    transcriptHash: shortHash(lines.join('\n')),
    ok: error === undefined && result !== undefined && result.ok,
    failed,
  };
}
