/**
 * Named scenarios over the simulated world, with the ground truth they produce and the checks
 * an honest run must pass: the room scenario of spec 6 and 7 (create, invite, join, chat across
 * rotations, removal, an offline member returning, a late joiner), in either profile.
 */
import { toHex } from '../impl/bytes.ts';
import type { GroupView } from '../impl/protocol/group.ts';
import type { OwnerContext } from '../machines/owner.ts';
import type { MemberContext } from '../machines/member.ts';
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

/** Options of the room scenario. */
export interface RoomScenarioOptions {
  /** Members invited at the start (default 3). */
  readonly members?: number;
  /** Messages exchanged (default 250). */
  readonly messages?: number;
  /** hardened: remove a member midway (default true). */
  readonly removal?: boolean;
  /** Take one member offline for a stretch, then bring it back (default true). */
  readonly offline?: boolean;
  /** Let a new member join late (default true). */
  readonly lateJoiner?: boolean;
  /** Virtual milliseconds between messages (default 40). */
  readonly spacingMs?: number;
}

/** What a scenario run produced. */
export interface ScenarioResult {
  /** Every message sent. */
  readonly sent: readonly Sent[];
  /** The checks, all of which hold in an honest run. */
  readonly checks: readonly Check[];
  /** Whether every check holds. */
  readonly ok: boolean;
  /** Names of the members, the late joiner included. */
  readonly members: readonly string[];
  /** The removed member, if any. */
  readonly removed: string | undefined;
}

const names = (n: number): string[] => ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'].slice(0, n).concat(Array.from({ length: Math.max(0, n - 10) }, (_, i) => `member${i + 11}`));

function require(ok: boolean, what: string): void {
  if (!ok) throw new Error(`scenario step failed: ${what}`);
}

/** Joins `who` with a fresh invite and waits until it is a member. */
function admit(world: World, who: string): void {
  const before = world.invites().length;
  world.user('owner', { type: 'user.invite' });
  require(world.runUntilTrue(() => world.invites().length > before, 30_000), `invite for ${who}`);
  world.user(who, { type: 'user.join', invite: world.invites()[before]! });
  require(world.runUntilTrue(() => world.stateOf(who) === 'member', 120_000), `${who} joins`);
}

function ownerGroup(world: World): GroupView | undefined {
  return (world.clients.get('owner')!.snapshot.context as OwnerContext).group;
}

/** Every message sent so far, from the senders' status effects. */
export function sentMessages(world: World): Sent[] {
  const out: Sent[] = [];
  for (const node of world.clients.values()) {
    for (const s of node.statuses) {
      if (s.status.kind === 'sent') out.push({ from: node.name, senderId: toHex(node.identity.fp), seq: s.status.seq, epoch: s.status.epoch, text: s.status.text, at: s.at });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * The room scenario: an owner creates a room and admits members; they exchange messages through
 * at least two rotations; one member goes offline and comes back; (hardened) the owner removes
 * a member; a late member joins. Returns the ground truth and the checks of an honest run.
 */
export function roomScenario(world: World, opts: RoomScenarioOptions = {}): ScenarioResult {
  const profile = world.options.profile;
  const memberNames = names(opts.members ?? 3);
  const total = opts.messages ?? 250;
  const spacing = opts.spacingMs ?? 40;
  const removal = (opts.removal ?? true) && profile === 'hardened' && memberNames.length >= 2 ? memberNames[1]! : undefined;
  const offline = (opts.offline ?? true) && memberNames.length >= 3 ? memberNames[2]! : undefined;
  const late = (opts.lateJoiner ?? true) ? 'late' : undefined;

  world.addOwner('owner');
  for (const n of memberNames) world.addMember(n);
  if (late) world.addMember(late);
  for (const n of ['owner', ...memberNames]) world.connect(n);
  world.user('owner', { type: 'user.create' });
  require(world.runUntilTrue(() => world.stateOf('owner').startsWith('active'), 30_000), 'room created');
  for (const n of memberNames) admit(world, n);

  const active = new Set(['owner', ...memberNames]);
  let k = 0;
  const chat = (count: number): void => {
    const speakers = [...active].filter((n) => n !== offline || world.clients.get(n)!.connId !== undefined);
    for (let i = 0; i < count && k < total; i++, k++) {
      const who = speakers[k % speakers.length]!;
      world.user(who, { type: 'user.send', text: `m${k} from ${who}` }, i * spacing);
    }
    world.runUntil(world.now() + count * spacing + 2_000);
  };

  chat(Math.floor(total * 0.3));
  if (offline) world.disconnect(offline);
  chat(Math.floor(total * 0.2));
  if (removal) {
    world.user('owner', { type: 'user.remove', memberId: world.clients.get(removal)!.identity.fp });
    require(world.runUntilTrue(() => world.stateOf(removal) === 'removed', 60_000), `${removal} removed`);
    active.delete(removal);
  }
  chat(Math.floor(total * 0.2));
  if (offline) world.connect(offline);
  if (late) {
    world.connect(late);
    admit(world, late);
    active.add(late);
  }
  chat(total - k);
  world.runUntil(world.now() + 60_000);

  const sent = sentMessages(world);
  const members = late ? [...memberNames, late] : memberNames;
  const checks = profile === 'hardened' ? hardenedChecks(world, sent, members, removal) : compatChecks(world, sent, members);
  return { sent, checks, ok: checks.every((x) => x.ok), members, removed: removal };
}

function check(name: string, ok: boolean, detail = ''): Check {
  return { name, ok, detail: ok ? '' : detail };
}

function commonChecks(world: World, sent: readonly Sent[], total: number): Check[] {
  const texts = new Set(sent.map((s) => s.text));
  return [
    check('every message was sent exactly once', texts.size === sent.length && sent.length === total, `${sent.length} sent, ${texts.size} distinct, ${total} asked`),
    check('no party raised a rejection or an alarm', world.raised.length === 0, world.raised.slice(0, 5).map((r) => `${r.party} ${r.kind} ${r.reqId}: ${r.detail}`).join('; ')),
  ];
}

/** hardened: each member delivers exactly the messages of the epochs it is in, in sender order (PROP-08, PROP-09, PROP-11, PROP-13). */
export function hardenedChecks(world: World, sent: readonly Sent[], members: readonly string[], removed: string | undefined): Check[] {
  const group = ownerGroup(world)!;
  const rosterOf = (epoch: number): Set<string> => new Set((group.epochs[epoch]?.roster ?? []).map((r) => toHex(r.member_id)));
  const checks = [...commonChecks(world, sent, sent.length)];
  const rotations = Object.values(group.epochs).filter((e) => e.epoch > 0).length;
  checks.push(check('the room went through at least two rotations', Object.keys(group.epochs).length >= 3, `${rotations} commits`));
  for (const name of ['owner', ...members]) {
    const node = world.clients.get(name)!;
    const me = toHex(node.identity.fp);
    const entitled = sent.filter((s) => rosterOf(s.epoch).has(me)).map((s) => s.text);
    const got = node.deliveries.map((d) => d.text);
    const missing = entitled.filter((t) => !got.includes(t));
    const extra = got.filter((t) => !entitled.includes(t));
    checks.push(check(`${name} delivered exactly the messages of its epochs`, missing.length === 0 && extra.length === 0 && got.length === new Set(got).size, `missing ${missing.length} (${missing.slice(0, 3).join(', ')}), extra ${extra.length} (${extra.slice(0, 3).join(', ')}), ${got.length} delivered`));
    const bySender = new Map<string, number[]>();
    for (const d of node.deliveries) bySender.set(d.sender, [...(bySender.get(d.sender) ?? []), d.seq]);
    const ordered = [...bySender.values()].every((seqs) => seqs.every((s, i) => i === 0 || s > seqs[i - 1]!));
    checks.push(check(`${name} delivered each sender's messages in order`, ordered, 'out of order'));
  }
  if (removed) {
    const ctx = world.clients.get(removed)!.snapshot.context as MemberContext;
    const removalEpoch = Object.values(ctx.group!.epochs).find((e) => e.keys === undefined)?.epoch ?? Infinity;
    const after = sent.filter((s) => s.epoch >= removalEpoch);
    const read = world.clients.get(removed)!.deliveries.filter((d) => d.epoch >= removalEpoch);
    checks.push(check(`${removed} (removed) read nothing sent after its removal`, after.length > 0 && read.length === 0, `${read.length} of ${after.length} read`));
  }
  return checks;
}

/** compat: each member has every message sent since it joined, once; a late joiner also gets the current generation's earlier ones (W15). */
export function compatChecks(world: World, sent: readonly Sent[], members: readonly string[]): Check[] {
  const checks = [...commonChecks(world, sent, sent.length)];
  const owner = world.clients.get('owner')!;
  const rotations = owner.statuses.filter((s) => s.status.kind === 'epoch').length;
  checks.push(check('the room went through at least two rotations', rotations >= 2, `${rotations} rotations`));
  for (const name of ['owner', ...members]) {
    const node = world.clients.get(name)!;
    const joined = node.role === 'owner' ? 0 : (node.statuses.find((s) => s.status.kind === 'joined')?.at ?? Infinity);
    const due = sent.filter((s) => s.at >= joined).map((s) => s.text);
    const got = node.deliveries.map((d) => d.text);
    const missing = due.filter((t) => !got.includes(t));
    checks.push(check(`${name} has every message sent since it joined, once`, missing.length === 0 && got.length === new Set(got).size, `missing ${missing.length}, ${got.length} delivered`));
  }
  return checks;
}
