/**
 * Property oracles (spec 12): executable forms of the `PROP-nn` sentences, checked against the
 * ground truth the simulator records (what each honest party sent and created), after every
 * step of a run, plus the few that speak of what must eventually happen (a recovery or an
 * alarm), which are checked when the run has settled.
 *
 * Honest parties are the clients the adversary does not control (CAP-16). The invite oracles
 * (invites.ts), the roster oracle (rosters.ts) and the key update oracle (key-updates.ts) are judged here too, through the run's context
 * (context.ts).
 */
import { equalBytes, toHex, type Bytes } from '../../impl/bytes.ts';
import { decode, encode, peekType } from '../../impl/codec.ts';
import { AppMessage, Commit, MsgType, RosterInfo } from '../../impl/messages/index.ts';
import type { OwnerContext } from '../../machines/owner.ts';
import type { GroupView } from '../../impl/protocol/group.ts';
import { DEFAULT_CLIENT_CONFIG, type ClientCore } from '../../machines/client-core.ts';
import { entitledTo, sentMessages, type Sent } from '../../simulator/scenarios.ts';
import type { ClientNode, World } from '../../simulator/world.ts';
import { payloadsOf } from '../knowledge.ts';
import type { Observation } from '../relay.ts';
import { isType, type OracleContext } from './context.ts';
import { inviteOracles } from './invites.ts';
import { keyUpdateOracle } from './key-updates.ts';
import { rooms } from './rooms.ts';
import { rosterOracle } from './rosters.ts';
import type { Monitor, PropId, Violation } from './types.ts';

/** The head of a served roster, encoded as the commit it claims to be (none when it does not decode). */
function rosterHead(bytes: Bytes): Bytes[] {
  try {
    return [encode(Commit, decode(RosterInfo, bytes).head)];
  } catch {
    return [];
  }
}

// Loops at module level rather than arrows made at each call inside the monitor: such an arrow's
// optimized code lived only as long as one of them did, and was compiled again after each
// collection that found none alive (12 to 35 times a campaign each, issue 24).

/** The owner's status admitting member `id`, if any. */
function admission(owner: ClientNode | undefined, id: Bytes): ClientNode['statuses'][number] | undefined {
  if (!owner) return undefined;
  for (const x of owner.statuses) if (x.status.kind === 'admitted' && equalBytes(x.status.memberId, id)) return x;
  return undefined;
}

/** Whether a roster holds member `id`. */
function rosterHolds(roster: readonly { readonly member_id: Bytes }[], id: Bytes): boolean {
  for (const r of roster) if (equalBytes(r.member_id, id)) return true;
  return false;
}

/** Whether the user asked for a rotation after `after` and by `until`. */
function askedRotation(asked: ClientNode['asked'], after: number, until: number): boolean {
  for (const a of asked) if (a.type === 'user.rotate' && a.at > after && a.at <= until) return true;
  return false;
}

/** What an honest client sent, in which room, and its place among its sender's messages of that room. */
type Truth = Sent & { readonly order: number; readonly room: string };

interface PerClient {
  delivered: number;
  readonly seen: Set<string>;
  readonly lastOrder: Map<string, number>;
  epochsChecked: Set<number>;
}

/** The oracles over a world; `controlled` names the clients the adversary controls, `observed` is the malicious relay's record. */
export function propertyMonitor(
  world: World,
  controlled: ReadonlySet<string>,
  observed: () => readonly Observation[],
  removals: ReadonlyMap<string, number> = new Map(),
): Monitor {
  const violations: Violation[] = [];
  const flagged = new Set<string>();
  const per = new Map<string, PerClient>();
  /** What was sent, by room and text (`room|text`): a text is judged within its room (spec 7.11). */
  const truth = new Map<string, Truth>();
  /** The sealed messages honest parties sent (hex), to what they sent (PROP-10 evidence). */
  const truthByPayload = new Map<string, Truth>();
  const R = rooms(world);
  const statusSeen = new Map<string, number>();
  const orderOf = new Map<string, number>();
  const hardened = world.options.profile === 'hardened';
  const t = (): number => world.now() - world.startTime;

  const violate = (prop: PropId, party: string, detail: string): void => {
    const key = `${prop}|${party}|${detail}`;
    if (flagged.has(key)) return;
    flagged.add(key);
    violations.push({ prop, party, t: t(), detail });
  };

  // clients by identity fingerprint; a person may be a client in several rooms, so one id can name several
  const byId = new Map<string, ClientNode[]>();
  let indexed = 0;
  /** The client an id names, as seen from `from`: the one in from's room when the id names several. */
  const clientById = (id: string, from?: ClientNode): ClientNode | undefined => {
    if (indexed !== world.clients.size) {
      byId.clear();
      for (const n of world.clients.values()) byId.set(toHex(n.identity.fp), [...(byId.get(toHex(n.identity.fp)) ?? []), n]);
      indexed = world.clients.size;
    }
    const all = byId.get(id);
    if (all === undefined || all.length === 1 || from === undefined) return all?.[0];
    return all.find((n) => R.roomOf(n) === R.roomOf(from)) ?? all[0];
  };

  // asked at every step: listed again only when a client is added (clients are never replaced or removed)
  let honestOf = { size: -1, list: [] as ClientNode[] };
  const honest = (): readonly ClientNode[] => {
    if (honestOf.size !== world.clients.size) honestOf = { size: world.clients.size, list: [...world.clients.values()].filter((n) => !controlled.has(n.name)) };
    return honestOf.list;
  };
  const run: OracleContext = { world, controlled, observed, rooms: R, hardened, honest, clientById, violate };
  const { checkAdmissions, checkInviteUse, checkExpiry } = inviteOracles(run);
  const checkRosters = rosterOracle(run);
  const checkKeyUpdates = keyUpdateOracle(run);

  const refreshTruth = (): void => {
    for (const node of world.clients.values()) {
      const from = statusSeen.get(node.name) ?? 0;
      for (let i = from; i < node.statuses.length; i++) {
        const s = node.statuses[i]!;
        if (s.status.kind !== 'sent') continue;
        const senderId = toHex(node.identity.fp);
        const room = R.roomOf(node);
        const order = orderOf.get(`${room}|${senderId}`) ?? 0;
        orderOf.set(`${room}|${senderId}`, order + 1);
        const sent = { from: node.name, senderId, seq: s.status.seq, epoch: s.status.epoch, text: s.status.text, at: s.at, order, room };
        truth.set(`${room}|${s.status.text}`, sent);
        truthByPayload.set(toHex(s.status.payload), sent);
      }
      statusSeen.set(node.name, node.statuses.length);
    }
  };

  const admittedAt = (node: ClientNode): { at: number; epoch: number } | undefined => {
    const owner = R.ownerOf(node);
    const id = node.identity.fp;
    const s = admission(owner, id);
    return s && s.status.kind === 'admitted' ? { at: s.at, epoch: s.status.epoch } : undefined;
  };

  /** Every epoch secret (compat: room key) each owner has created, installed or not: owner -> epoch -> hex set. */
  const createdBy = new Map<string, Map<number, Set<string>>>();
  const ownerKeysOf = new Map<string, { readonly from: readonly unknown[]; readonly keys: Map<number, Uint8Array> }>();
  /** Per owner, the epoch each of its keys was last noted under in `createdBy`. */
  const notedBy = new Map<string, WeakMap<Uint8Array, number>>();
  const ownerKeys = (owner: ClientNode | undefined): Map<number, Uint8Array> => {
    const ctx = owner?.snapshot.context as OwnerContext | undefined;
    if (!owner || !ctx) return new Map<number, Uint8Array>();
    // contexts are immutable: while these four are the same objects, so is the answer
    const last = ownerKeysOf.get(owner.name);
    if (last && last.from[0] === ctx.group && last.from[1] === ctx.compat && last.from[2] === ctx.publishing && last.from[3] === ctx.pending) return last.keys;
    const from = [ctx.group, ctx.compat, ctx.publishing, ctx.pending];
    const out = new Map<number, Uint8Array>();
    ownerKeysOf.set(owner.name, { from, keys: out });
    const created = createdBy.get(owner.name) ?? new Map<number, Set<string>>();
    createdBy.set(owner.name, created);
    if (ctx.group) for (const [e, r] of Object.entries(ctx.group.epochs)) if (r.keys) out.set(Number(e), r.keys.epochSecret);
    if (ctx.compat) for (const k of ctx.compat.keys) out.set(k.generation, k.key);
    const notedAt = notedBy.get(owner.name) ?? new WeakMap<Uint8Array, number>();
    notedBy.set(owner.name, notedAt);
    const mine: [number, Uint8Array][] = [...out];
    // commits the owner built but has not installed (pending, being published) are its creations too
    if (ctx.publishing) mine.push([ctx.publishing.built.commit.value.epoch, ctx.publishing.keys.epochSecret]);
    if (ctx.pending) mine.push([ctx.pending.built.commit.value.epoch, ctx.pending.keys.epochSecret]);
    for (const [e, k] of mine) {
      // keys are immutable and every owner step but few keeps them: each (key, epoch) is hexed once, not at every step
      if (notedAt.get(k) === e) continue;
      notedAt.set(k, e);
      const set = created.get(e) ?? new Set<string>();
      set.add(toHex(k));
      created.set(e, set);
    }
    return out;
  };

  const checkDeliveries = (node: ClientNode): void => {
    let pc = per.get(node.name);
    if (!pc) {
      pc = { delivered: 0, seen: new Set(), lastOrder: new Map(), epochsChecked: new Set() };
      per.set(node.name, pc);
    }
    for (; pc.delivered < node.deliveries.length; pc.delivered++) {
      const d = node.deliveries[pc.delivered]!;
      const s = truth.get(`${R.roomOf(node)}|${d.text}`);
      const claimed = clientById(d.sender, node);
      const claimedHonest = claimed !== undefined && !controlled.has(claimed.name);
      // PROP-04: what an honest sender is said to have sent, it sent
      if (claimedHonest && (s === undefined || s.senderId !== d.sender)) {
        const what = s === undefined ? `"${d.text}", which ${claimed.name} never sent` : `"${d.text}" as sent by ${claimed.name}; ${s.from} sent it`;
        violate('PROP-04', node.name, `accepted ${what}`);
        if (d.via === 'net.history') violate('PROP-15', node.name, `accepted a modified or inserted history item: ${what}`);
      }
      // PROP-26: nothing from a removed sender beyond what its removal counted
      if (claimed !== undefined) {
        const why = beyondRemoval(node, claimed, d, s);
        if (why) violate('PROP-26', node.name, why);
      }
      // PROP-30: only from a member of the message's epoch (compat: generation), as the owner's records have it
      if (claimed !== undefined) {
        const why = outsideEpoch(node, claimed, d);
        if (why) violate('PROP-30', node.name, why);
      }
      // PROP-08: at most once
      if (pc.seen.has(d.text)) violate('PROP-08', node.name, `accepted "${d.text}" a second time`);
      pc.seen.add(d.text);
      if (s === undefined) continue;
      // PROP-09: in the order sent
      const last = pc.lastOrder.get(s.senderId);
      if (last !== undefined && s.order < last) violate('PROP-09', node.name, `delivered "${d.text}" after a later message of ${s.from}`);
      pc.lastOrder.set(s.senderId, Math.max(last ?? -1, s.order));
      // PROP-13: nothing from before it joined
      if (node.role === 'member') {
        const adm = admittedAt(node);
        const before = adm === undefined || (hardened ? s.epoch < adm.epoch : s.at < adm.at);
        if (before) violate('PROP-13', node.name, `accepted "${d.text}", sent by ${s.from} before it joined`);
      }
    }
  };

  /**
   * PROP-30: hardened, the sender is in the owner's roster of the message's epoch; compat, whose
   * rosters the relay keeps, the sender is the owner or a member the owner admitted at or before
   * the message's generation.
   */
  const outsideEpoch = (node: ClientNode, sender: ClientNode, d: ClientNode['deliveries'][number]): string | undefined => {
    const owner = R.ownerOf(node);
    if (!owner || sender === owner) return undefined;
    if (hardened) {
      const rec = (owner.snapshot.context as OwnerContext).group?.epochs[d.epoch];
      if (!rec || rosterHolds(rec.roster, sender.identity.fp)) return undefined;
      return `accepted "${d.text}" as ${sender.name}'s in epoch ${d.epoch}, whose roster does not hold ${sender.name}`;
    }
    const adm = admittedAt(sender);
    if (adm !== undefined && adm.epoch <= d.epoch) return undefined;
    return `accepted "${d.text}" as ${sender.name}'s under generation ${d.epoch}, ${adm === undefined ? `and the owner never admitted ${sender.name}` : `before the owner admitted ${sender.name} (generation ${adm.epoch})`}`;
  };

  /**
   * PROP-26: hardened, the owner's removal commit counts the removed sender's messages with its
   * head (next_seq); compat, which has no heads, counts what the sender sent before it was removed.
   */
  const beyondRemoval = (node: ClientNode, sender: ClientNode, d: ClientNode['deliveries'][number], s: Truth | undefined): string | undefined => {
    const removedAt = removals.get(sender.name);
    if (removedAt === undefined || node.name === sender.name) return undefined;
    if (hardened) {
      const g = (R.ownerOf(node)?.snapshot.context as OwnerContext | undefined)?.group;
      const mine = (node.snapshot.context as ClientCore).group;
      if (!g || !mine) return undefined;
      for (const [e, rec] of Object.entries(g.epochs)) {
        const commit = decode(Commit, rec.commitBytes);
        if (commit.reason !== 'remove' || !commit.removes.some((r) => equalBytes(r.member_id, sender.identity.fp))) continue;
        if (mine.epoch < Number(e)) return undefined; // this member has not accepted the removal yet
        const head = commit.heads.find((h) => equalBytes(h.member_id, sender.identity.fp));
        const counted = head?.next_seq ?? 0;
        if (d.seq >= counted) return `accepted seq ${d.seq} of ${sender.name} after accepting its removal, whose head counts ${counted} messages`;
      }
      return undefined;
    }
    if (d.at - world.startTime < removedAt) return undefined;
    return s !== undefined && s.from === sender.name && s.at - world.startTime < removedAt ? undefined : `accepted "${d.text}" as ${sender.name}'s after ${sender.name} was removed, which ${sender.name} did not send before`;
  };

  /** What checkKeys last judged for each client: contexts are immutable, so the same objects give the same verdicts. */
  const keysJudged = new Map<string, readonly unknown[]>();
  const checkKeys = (node: ClientNode): void => {
    if (node.role === 'owner') return;
    const ownerNode = R.ownerOf(node);
    const owner = ownerKeys(ownerNode);
    const ctx = node.snapshot.context as ClientCore;
    const pending = (ctx as ClientCore & { pendingGroup?: { view: GroupView } }).pendingGroup?.view;
    const last = keysJudged.get(node.name);
    if (last && last[0] === ctx.group && last[1] === ctx.compat && last[2] === pending && last[3] === owner && last[4] === ownerNode) return;
    keysJudged.set(node.name, [ctx.group, ctx.compat, pending, owner, ownerNode]);
    const created = createdBy.get(ownerNode?.name ?? '') ?? new Map<number, Set<string>>();
    // PROP-07 (invitee half): the owner an invitee accepts is the owner its invite names
    const realOwner = ownerNode?.identity.fp;
    for (const g of [ctx.group, pending]) {
      if (!g || !realOwner) continue;
      const rec = g.epochs[g.joinEpoch]?.roster.find((r) => r.role === 'owner');
      if (rec && !equalBytes(rec.member_id, realOwner)) violate('PROP-07', node.name, `accepted a welcome whose owner is ${toHex(rec.member_id).slice(0, 16)}, not the owner its invite names`);
    }
    const pc = per.get(node.name)!;
    const installed: [number, Uint8Array][] = [];
    if (ctx.group) for (const [e, r] of Object.entries(ctx.group.epochs)) if (r.keys) installed.push([Number(e), r.keys.epochSecret]);
    if (ctx.compat) for (const k of ctx.compat.keys) installed.push([k.generation, k.key]);
    for (const [e, key] of installed) {
      if (pc.epochsChecked.has(e)) continue;
      pc.epochsChecked.add(e);
      const mine = owner.get(e);
      const what = hardened ? `epoch secret of epoch ${e}` : `room key of generation ${e}`;
      if (!created.get(e)?.has(toHex(key))) violate('PROP-06', node.name, `installed ${hardened ? 'an' : 'a'} ${what} the owner did not create`);
      if (mine !== undefined && !equalBytes(mine, key)) violate('PROP-14', node.name, `holds a different ${what} from the owner's`);
      else if (mine === undefined) pc.epochsChecked.delete(e); // judged again once the owner has the epoch
    }
  };

  /**
   * PROP-18: a count-driven rotation (reason `rotate`) out of epoch e needs N distinct authentic
   * messages of epoch e, as the senders' own records say, sent before it. Messages that are held
   * (accepted, not yet delivered) count, as they do for the owner (REQ-OWN-030).
   */
  const rotationsKey = new Map<string, string>();
  let suiteSeen = 0;
  let unpinnedSeen = 0;
  let misSeen = 0;
  // the world's options read once, not at each step: they come in many shapes (one per caller), which the
  // step's optimized code kept meeting anew (issue 24)
  const delay = world.options.clientConfig?.keyUpdateDelayMs ?? DEFAULT_CLIENT_CONFIG.keyUpdateDelayMs;
  const rotateEvery = world.options.clientConfig?.rotateEvery ?? 100;
  /**
   * Whether the owner's rotation to `epoch` (at `at`) commits a key update that made it due on its own: urgent, or
   * pending for the update delay. The update must be the member's in this owner's room (a person in two rooms keeps
   * a client in each: its update of the other room made nothing due here, ATK-30e).
   */
  const updateDriven = (owner: ClientNode, epoch: number, at: number): boolean => {
    return owner.statuses.some((c) => {
      if (c.status.kind !== 'key-committed' || c.status.epoch !== epoch) return false;
      const { memberId, version } = c.status;
      const member = [...world.clients.values()].find((n) => n.role !== 'owner' && equalBytes(n.identity.fp, memberId) && R.roomOf(n) === owner.name);
      return (member?.statuses ?? []).some((u) => u.status.kind === 'key-update' && u.status.version === version && (u.status.urgent || u.at + delay <= at));
    });
  };
  const checkRotations = (owner: ClientNode): void => {
    if (controlled.has(owner.name)) return;
    const key = `${truth.size}|${owner.statuses.length}`;
    if (key === rotationsKey.get(owner.name)) return;
    rotationsKey.set(owner.name, key);
    const n = rotateEvery;
    let since = -Infinity; // the previous rotation
    for (const s of owner.statuses) {
      if (s.status.kind !== 'epoch' || s.status.reason !== 'rotate') continue;
      const previous = since;
      since = s.at;
      // a rotation the user asked for since the previous one is not count-driven (REQ-OWN-030 allows it at any time)
      if (askedRotation(owner.asked, previous, s.at)) continue;
      // nor is one that commits a key update that was urgent or had waited the update delay (REQ-OWN-053)
      if (updateDriven(owner, s.status.epoch, s.at)) continue;
      const prev = s.status.epoch - 1;
      let distinct = 0;
      for (const x of truth.values()) if (x.room === owner.name && x.epoch === prev && x.at <= s.at) distinct++;
      if (distinct < n) violate('PROP-18', owner.name, `rotated out of epoch ${prev} when ${distinct} distinct messages of that epoch had been sent (N = ${n})`);
    }
  };

  /** The epoch of a room entry of the room `roomId` (hex), or undefined (another room's entry, or not an entry). */
  const epochOfEntry = (bytes: Uint8Array, roomId: string | undefined): number | undefined => {
    try {
      const type = peekType(bytes);
      const e = type === MsgType.AppMessage ? decode(AppMessage, bytes) : type === MsgType.Commit ? decode(Commit, bytes) : undefined;
      return e !== undefined && R.roomIdOf(e) === roomId ? e.epoch : undefined;
    } catch {
      return undefined;
    }
  };

  /** The payloads honest clients sent up: their messages and commits as they signed them (judged once the run has settled). */
  let genuineCache: Set<string> | undefined;
  const genuinePayloads = (): Set<string> => {
    if (genuineCache) return genuineCache;
    genuineCache = new Set<string>();
    for (const o of observed()) if (o.dir === 'up' && !controlled.has(o.client)) for (const p of payloadsOf(o.bytes)) genuineCache.add(toHex(p));
    return genuineCache;
  };
  /**
   * What the relay handed a client as evidence about each sender: the highest seq of that
   * sender's messages, and the highest seq a commit's heads count for it (PROP-10, hardened).
   * Only what reached the client counts, and only as an honest party sent it: a delivery the
   * relay withheld or dropped after it was observed is no evidence, nor is a message it forged or
   * changed, which the client refuses (the model-based test found PROP-10 wrongly raised for both).
   */
  const receivedCache = new Map<string, Map<string, number>>();
  const received = (client: string): Map<string, number> => {
    const cached = receivedCache.get(client);
    if (cached) return cached;
    const out = new Map<string, number>();
    const note = (sender: string, seq: number): void => {
      if (seq > (out.get(sender) ?? -1)) out.set(sender, seq);
    };
    const genuine = genuinePayloads();
    const node = world.clients.get(client);
    const roomId = node ? R.idOf(R.roomOf(node)) : undefined;
    for (const bytes of node?.inbox ?? []) {
      for (const p of payloadsOf(bytes)) {
        if (!genuine.has(toHex(p))) continue;
        try {
          const type = peekType(p);
          if (type === MsgType.AppMessage) {
            const m = decode(AppMessage, p);
            if (R.roomIdOf(m) === roomId) note(toHex(m.sender), m.seq); // another room's message is no evidence here (spec 7.11)
          } else if (type === MsgType.Commit) {
            const cm = decode(Commit, p);
            if (R.roomIdOf(cm) === roomId) for (const h of cm.heads) note(toHex(h.member_id), h.next_seq - 1);
          }
        } catch {
          // not evidence
        }
      }
    }
    receivedCache.set(client, out);
    return out;
  };

  /**
   * The messages that reached a client byte for byte as their senders sealed them, by sender: the
   * highest send order among them (PROP-10 evidence in both profiles, whether the client
   * accepted them or not: a compat client that drops a genuine message because of the log index
   * it came under was still shown it).
   */
  const reachedCache = new Map<string, Map<string, number>>();
  const reached = (client: string): Map<string, number> => {
    const cached = reachedCache.get(client);
    if (cached) return cached;
    const out = new Map<string, number>();
    const node = world.clients.get(client);
    const room = node ? R.roomOf(node) : undefined;
    for (const bytes of node?.inbox ?? []) {
      for (const p of payloadsOf(bytes)) {
        const s = truthByPayload.get(toHex(p));
        if (s && s.room === room && s.order > (out.get(s.senderId) ?? -1)) out.set(s.senderId, s.order);
      }
    }
    reachedCache.set(client, out);
    return out;
  };

  /**
   * PROP-14 (hardened): the latest epoch a client was shown evidence of, counting only what
   * reached it (its inbox, never what the relay observed and then withheld) and only as an honest
   * party made it: a message or commit as its sender signed it, or a served roster whose head is
   * the owner's commit byte for byte (a roster head proves its epoch exists as much as the commit
   * does, REQ-MEM-063).
   */
  const evidenceOfEpoch = (client: string): number => {
    const genuine = genuinePayloads();
    const node = world.clients.get(client);
    const roomId = node ? R.idOf(R.roomOf(node)) : undefined;
    let max = -1;
    for (const bytes of node?.inbox ?? []) {
      const payloads = isType(bytes, MsgType.RosterInfo) ? rosterHead(bytes) : payloadsOf(bytes);
      for (const p of payloads) if (genuine.has(toHex(p))) max = Math.max(max, epochOfEntry(p, roomId) ?? -1);
    }
    return max;
  };

  return {
    violations,
    report: (v) => violate(v.prop, v.party, v.detail),
    step() {
      refreshTruth();
      for (const o of R.owners()) ownerKeys(o); // every owner's creations, before any member's keys are judged
      for (const node of honest()) {
        checkDeliveries(node);
        checkKeys(node);
        checkRosters(node);
        checkKeyUpdates(node);
      }
      for (const o of R.owners()) {
        checkRotations(o);
        checkAdmissions(o);
      }
      checkInviteUse();
      checkExpiry();
      // PROP-19: no connection completed with an endpoint that lacks the pinned relay key
      for (; unpinnedSeen < world.unpinned.length; unpinnedSeen++) {
        const u = world.unpinned[unpinnedSeen]!;
        if (!controlled.has(u.party)) violate('PROP-19', u.party, 'completed a connection with an endpoint that does not hold the relay key');
      }
      // PROP-20: the relay attributes connections only to principals that proved their key
      for (; misSeen < world.misattributed.length; misSeen++) {
        const m = world.misattributed[misSeen]!;
        const victim = clientById(m.principal)?.name ?? m.principal.slice(0, 16);
        violate('PROP-20', 'relay', `attributed ${m.party}'s connection to ${victim}`);
      }
      // PROP-17: no frame of another suite is taken in
      for (; suiteSeen < world.wrongSuite.length; suiteSeen++) {
        const w = world.wrongSuite[suiteSeen]!;
        if (!controlled.has(w.party)) violate('PROP-17', w.party, `took in a ${w.msg} whose header names suite 0x${w.suite.toString(16).padStart(4, '0')}`);
      }
    },
    finish(removed) {
      this.step();
      const raisedBy = (name: string, kind: 'alarm' | 'reject', req?: string): boolean => world.raised.some((r) => r.party === name && r.kind === kind && (req === undefined || r.reqId === req));
      const allSent = sentMessages(world);
      for (const node of honest()) {
        if (node.role === 'owner' || removed.includes(node.name) || node.statuses.every((s) => s.status.kind !== 'joined')) continue;
        const room = R.roomOf(node);
        const ownerCtx = R.ownerOf(node)?.snapshot.context as OwnerContext | undefined;
        const ownerEpoch = ownerCtx?.group?.epoch ?? ownerCtx?.compat?.keys[0]?.generation ?? 0;
        const sent = [...truth.values()].filter((s) => s.refused === undefined && s.room === room);
        // PROP-10 and PROP-15: a message withheld while a later one of its sender arrived is recovered or alarmed
        const got = new Set(node.deliveries.map((d) => d.text));
        const inRoom = allSent.filter((s) => world.clients.get(s.from) !== undefined && R.roomOf(world.clients.get(s.from)!) === room);
        const entitled = new Set(entitledTo(world, inRoom, node.name, removed, room));
        for (const s of sent) {
          if (!entitled.has(s.text) || got.has(s.text) || s.from === node.name) continue;
          const later =
            node.deliveries.some((d) => {
              const x = truth.get(`${room}|${d.text}`);
              return x !== undefined && x.senderId === s.senderId && x.order > s.order;
            }) ||
            (reached(node.name).get(s.senderId) ?? -1) > s.order ||
            (hardened && (received(node.name).get(s.senderId) ?? -1) > s.seq);
          if (later && !raisedBy(node.name, 'alarm')) {
            violate('PROP-10', node.name, `never got "${s.text}" of ${s.from}, got a later message of ${s.from}, raised no alarm`);
            violate('PROP-15', node.name, `history without "${s.text}" accepted without an alarm`);
          }
        }
        // PROP-14: kept on an old epoch after seeing a later one, without a stale-view alarm
        const ctx = node.snapshot.context as ClientCore;
        const mine = ctx.group?.epoch ?? ctx.compat?.keys[0]?.generation ?? 0;
        if (mine < ownerEpoch && !raisedBy(node.name, 'alarm')) {
          const evidence = hardened ? evidenceOfEpoch(node.name) > mine : raisedBy(node.name, 'reject', 'REQ-MEM-070');
          if (evidence) violate('PROP-14', node.name, `stays at epoch ${mine} (the owner is at ${ownerEpoch}) after seeing a later epoch, without an alarm`);
        }
      }
    },
  };
}
