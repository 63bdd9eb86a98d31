/**
 * A member's view of a hardened room (spec 7.4 to 7.8): epochs and rosters, receiving
 * application messages in sender order with duplicate and gap detection, receiving commits,
 * and sending. Pure: every function returns a new view and the events it produced.
 */
import { equalBytes, toHex, type Bytes } from '../bytes.ts';
import { encode } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { enforced } from '../mutants.ts';
import { PqroomError, type ReqId } from '../errors.ts';
import { epochHash, rosterHash as rosterHashOf, type EpochKeys } from '../keyschedule.ts';
import { AppMessage, Commit, type AppContent, type KemCert, type KeyUpdate, type EpochHead, type MemberRecord, type RosterInfo } from '../messages/index.ts';
import type { Rng } from '../rng.ts';
import { NO_EPOCH } from '../suite.ts';
import { openAppMessage, sealAppMessage } from './app.ts';
import { checkCommitSuccessor, MEMBER_COMMIT_CHECKS, openCommit, ownerOf } from './commit.ts';
import { requireSigned, type Identity } from './identity.ts';
import { checkOwnUpdate } from './key-update.ts';
import { parsedOf, type Decoded, type MessageInput, type RoomEntry } from './entry.ts';
import type { Encoded } from './join.ts';

/** What a member holds about one epoch. */
export interface EpochRecord {
  /** Epoch number. */
  readonly epoch: number;
  /** `epoch_hash` of its commit. */
  readonly epochHash: Bytes;
  /** Roster of the epoch. */
  readonly roster: readonly MemberRecord[];
  /** Keys; absent for an epoch whose commit removed this member. */
  readonly keys: EpochKeys | undefined;
  /** The commit that created it. */
  readonly commitBytes: Bytes;
}

/** An accepted message waiting for its turn (REQ-MEM-017). */
export interface HeldMessage {
  /** Sequence number. */
  readonly seq: number;
  /** Its epoch. */
  readonly epoch: number;
  /** Its `prev_epoch`. */
  readonly prevEpoch: number;
  /** Decrypted content. */
  readonly content: AppContent;
  /** The encoding, to tell a duplicate from an equivocation. */
  readonly bytes: Bytes;
}

/** Delivery state of one sender (spec 7.6). */
export interface SenderView {
  /** First sequence number this member is entitled to, once known (REQ-MEM-019). */
  readonly base: number | undefined;
  /** Next sequence number to deliver (defined once `base` is). */
  readonly next: number | undefined;
  /** Epoch of the last delivered message. */
  readonly lastEpoch: number | undefined;
  /** Accepted messages not yet delivered, by increasing `seq`. */
  readonly held: readonly HeldMessage[];
  /** Messages up to `expect - 1` are known to exist (signed heads, REQ-MEM-048). */
  readonly expect: number;
  /** Highest accepted sequence number plus one, and its epoch: this member's head for the sender. */
  readonly head: { readonly nextSeq: number; readonly lastEpoch: number } | undefined;
}

/** A member's view of a hardened room. */
export interface GroupView {
  /** The room. */
  readonly roomId: Bytes;
  /** This member's id. */
  readonly me: Bytes;
  /** The epoch at which this member joined (0 for the owner). */
  readonly joinEpoch: number;
  /** The current epoch. */
  readonly epoch: number;
  /** Every epoch since joining (decision D8). */
  readonly epochs: Readonly<Record<number, EpochRecord>>;
  /** Delivery state by sender (hex member id). */
  readonly senders: Readonly<Record<string, SenderView>>;
  /** This member's next sequence number (REQ-MEM-001). */
  readonly ownNextSeq: number;
  /** The epoch of this member's previous message, or `NO_EPOCH`. */
  readonly ownPrevEpoch: number;
  /** Commits of later epochs, held until their predecessors arrive (REQ-MEM-042), as they were decoded. */
  readonly futureCommits: Readonly<Record<number, Decoded<Commit>>>;
  /** Messages of later epochs, held until their commits arrive (REQ-MEM-011), as they were decoded. */
  readonly futureMessages: readonly Decoded<AppMessage>[];
  /** The latest epoch an owner-signed head served with a roster showed to exist (REQ-MEM-063); until this member reaches it, commits are missing. */
  readonly servedEpoch: number;
  /** Whether a commit removed this member (REQ-MEM-050). */
  readonly removed: boolean;
  /** Distinct authentic messages accepted in the current epoch (the owner's rotation counter, REQ-OWN-030). */
  readonly epochCount: number;
  /** Removed senders' final heads, by hex member id (REQ-MEM-021). */
  readonly finalHeads: Readonly<Record<string, number>>;
  /** This member's outstanding key update (REQ-MEM-051), which a commit updating its record must carry (REQ-MEM-054). */
  readonly outstandingUpdate?: KeyUpdate;
  /** The certificates of its updates that a later one replaced before they were committed (REQ-MEM-054 accepts them too). */
  readonly replacedUpdates?: readonly KemCert[];
}

/** What happened while processing an input. */
export type GroupEvent =
  | { readonly kind: 'delivered'; readonly sender: Bytes; readonly seq: number; readonly epoch: number; readonly content: AppContent }
  | { readonly kind: 'accepted'; readonly sender: Bytes; readonly seq: number; readonly epoch: number }
  | { readonly kind: 'epoch'; readonly epoch: number; readonly reason: Commit['reason']; readonly roster: readonly MemberRecord[] }
  | { readonly kind: 'removed'; readonly epoch: number }
  /** A commit installed this member's outstanding key update (REQ-MEM-054). */
  | { readonly kind: 'key-updated'; readonly epoch: number; readonly version: number }
  | { readonly kind: 'held'; readonly what: 'commit' | 'message'; readonly epoch: number }
  | { readonly kind: 'ignored'; readonly detail: string }
  | { readonly kind: 'rejected'; readonly reqId: ReqId; readonly detail: string }
  | { readonly kind: 'alarm'; readonly reqId: ReqId; readonly detail: string };

/** A new view and what happened. */
export interface GroupStep {
  /** The view after the input. */
  readonly view: GroupView;
  /** Events in order. */
  readonly events: readonly GroupEvent[];
}

/** Bound on messages and commits held for later epochs (memory does not grow without bound). */
export const MAX_FUTURE_ITEMS = 4096;

const EMPTY_SENDER: SenderView = { base: undefined, next: undefined, lastEpoch: undefined, held: [], expect: 0, head: undefined };

/** The view of a member that joins at `record.epoch` (the owner at epoch 0, an invitee at its add commit). */
export function newGroupView(roomId: Bytes, me: Bytes, record: EpochRecord): GroupView {
  return {
    roomId,
    me,
    joinEpoch: record.epoch,
    epoch: record.epoch,
    epochs: { [record.epoch]: record },
    senders: {},
    ownNextSeq: 0,
    ownPrevEpoch: NO_EPOCH,
    futureCommits: {},
    futureMessages: [],
    servedEpoch: record.epoch,
    removed: false,
    epochCount: 0,
    finalHeads: {},
  };
}

/** The record of an epoch created by a commit, given its keys. */
export function epochRecordOf(c: CryptoProvider, commit: Encoded<Commit>, roster: readonly MemberRecord[], keys: EpochKeys | undefined): EpochRecord {
  return { epoch: commit.value.epoch, epochHash: epochHash(c, commit.bytes), roster, keys, commitBytes: commit.bytes };
}

/** The current epoch's record. */
export function currentEpoch(view: GroupView): EpochRecord {
  const r = view.epochs[view.epoch];
  if (!r) throw new Error(`no record of the current epoch ${view.epoch}`);
  return r;
}

function rejected(e: unknown): GroupEvent {
  if (e instanceof PqroomError) return { kind: 'rejected', reqId: e.reqId, detail: e.message };
  throw e;
}

function setSender(view: GroupView, key: string, s: SenderView): GroupView {
  return { ...view, senders: { ...view.senders, [key]: s } };
}

/**
 * Receives an application message, live or from history (REQ-MEM-010 to REQ-MEM-019): checks it,
 * holds it in sender order, and delivers every message whose turn has come. The message comes
 * parsed where it entered the client (a decoding error is rejected here), or as bytes.
 */
export function receiveAppMessage(c: CryptoProvider, view: GroupView, input: MessageInput<AppMessage>): GroupStep {
  const parsed = parsedOf(AppMessage, input);
  if (!parsed.ok) return { view, events: [rejected(parsed.error)] };
  const { value: msg, bytes } = parsed;
  const reject = (reqId: ReqId, detail: string): GroupStep => {
    // mutant REQ-OWN-030: a replay of this epoch advances the rotation counter after all
    const counts = reqId === 'REQ-MEM-016' && msg.epoch === view.epoch && !enforced('REQ-OWN-030');
    return { view: counts ? { ...view, epochCount: view.epochCount + 1 } : view, events: [{ kind: 'rejected', reqId, detail }] };
  };
  if (!equalBytes(msg.room_id, view.roomId)) return reject('REQ-MEM-010', 'message for another room');
  if (msg.epoch > view.epoch) {
    if (view.removed) return reject('REQ-MEM-050', `message of epoch ${msg.epoch} after this member's removal`);
    if (view.futureMessages.length >= MAX_FUTURE_ITEMS) return reject('REQ-MEM-011', 'too many messages held for later epochs');
    if (view.futureMessages.some((m) => equalBytes(m.bytes, bytes))) return { view, events: [{ kind: 'ignored', detail: 'already held' }] };
    return { view: { ...view, futureMessages: [...view.futureMessages, parsed] }, events: [{ kind: 'held', what: 'message', epoch: msg.epoch }] };
  }
  if (msg.epoch < view.joinEpoch) return reject('REQ-MEM-012', `message of epoch ${msg.epoch}, before this member joined at ${view.joinEpoch}`);
  const record = view.epochs[msg.epoch];
  if (!record) return reject('REQ-MEM-012', `no record of epoch ${msg.epoch}`);
  // A sequence number already delivered, or an identical copy of a held message, is rejected
  // before any signature work: whatever its authenticity, it is not accepted again (REQ-MEM-016).
  const key = toHex(msg.sender);
  const known = view.senders[key];
  const replayCheck = enforced('REQ-MEM-016');
  if (replayCheck && known?.next !== undefined && msg.seq < known.next && (known.base === undefined || msg.seq >= known.base))
    return reject('REQ-MEM-016', `duplicate: seq ${msg.seq} was already delivered`);
  if (replayCheck && known?.held.some((h) => h.seq === msg.seq && equalBytes(h.bytes, bytes))) return reject('REQ-MEM-016', `duplicate: seq ${msg.seq} is already held`);
  // mutant REQ-MEM-013: the sender's key is looked up in any roster this member knows, as an
  // implementation with one key directory for the whole room would
  const sender =
    record.roster.find((r) => equalBytes(r.member_id, msg.sender)) ??
    (enforced('REQ-MEM-013') ? undefined : Object.values(view.epochs).flatMap((e) => e.roster).find((r) => equalBytes(r.member_id, msg.sender)));
  if (!sender) return reject('REQ-MEM-013', `sender is not in the roster of epoch ${msg.epoch}`);
  const final = view.finalHeads[key];
  if (final !== undefined && msg.seq >= final && enforced('REQ-MEM-021')) return reject('REQ-MEM-021', `seq ${msg.seq} is beyond the removed sender's final head ${final}`);
  if (!record.keys) return reject('REQ-MEM-050', `this member holds no keys of epoch ${msg.epoch}`);
  let content: AppContent;
  try {
    content = openAppMessage(c, msg, record.keys.appKey, sender.identity_pk);
  } catch (e) {
    return { view, events: [rejected(e)] };
  }
  const s = view.senders[key] ?? EMPTY_SENDER;
  if (s.base !== undefined && msg.seq < s.base)
    return reject('REQ-MEM-018', `seq ${msg.seq} of epoch ${msg.epoch} precedes the sender's first message in this member's epochs (${s.base})`);
  if (replayCheck && s.next !== undefined && msg.seq < s.next) return reject('REQ-MEM-016', `duplicate: seq ${msg.seq} was already delivered`);
  const dup = replayCheck ? s.held.find((h) => h.seq === msg.seq) : undefined;
  if (dup) return reject('REQ-MEM-016', equalBytes(dup.bytes, bytes) ? `duplicate: seq ${msg.seq} is already held` : `a second, different message with seq ${msg.seq}`);
  const held = [...s.held, { seq: msg.seq, epoch: msg.epoch, prevEpoch: msg.prev_epoch, content, bytes }].sort((a, b) => a.seq - b.seq);
  const head = s.head === undefined || msg.seq + 1 > s.head.nextSeq ? { nextSeq: msg.seq + 1, lastEpoch: msg.epoch } : s.head;
  // REQ-OWN-030: only a message not accepted before advances the owner's rotation counter
  const counted = msg.epoch === view.epoch ? view.epochCount + 1 : view.epochCount;
  const accepted: GroupEvent = { kind: 'accepted', sender: msg.sender, seq: msg.seq, epoch: msg.epoch };
  const { sender: ns, events } = deliverReady(view, msg.sender, { ...s, held, head });
  return { view: { ...setSender(view, key, ns), epochCount: counted }, events: [accepted, ...events] };
}

/**
 * Whether a room entry served at a log index this member already processed is one it already
 * has, and may be skipped (REQ-MEM-061: the index is a hint, never evidence): an AppMessage
 * whose `(sender, seq)` it delivered or holds, that precedes its entitlement, or of an epoch
 * before it joined; a later-epoch message it holds. Anything else (another message under a
 * reused index, a message it refused when it came changed) is processed as a new entry; commits
 * always are, and a known one is ignored there (REQ-MEM-042) or is a fork (REQ-MEM-049).
 */
export function hasEntry(view: GroupView, entry: RoomEntry): boolean {
  if (entry.kind !== 'AppMessage' || !entry.parsed.ok) return false;
  const { value: msg, bytes } = entry.parsed;
  if (!equalBytes(msg.room_id, view.roomId)) return false;
  if (msg.epoch < view.joinEpoch) return true;
  if (msg.epoch > view.epoch) return view.futureMessages.some((m) => equalBytes(m.bytes, bytes));
  const s = view.senders[toHex(msg.sender)];
  if (!s) return false;
  if (s.base !== undefined && msg.seq < s.base) return true;
  if (s.next !== undefined && msg.seq < s.next) return true;
  return s.held.some((h) => h.seq === msg.seq && equalBytes(h.bytes, bytes));
}

/** Establishes the entitlement start (REQ-MEM-019) and delivers held messages in order (REQ-MEM-017, REQ-MEM-018). */
function deliverReady(view: GroupView, senderId: Bytes, s0: SenderView): { sender: SenderView; events: GroupEvent[] } {
  let s = s0;
  const events: GroupEvent[] = [];
  if (s.next === undefined) {
    const first = s.held[0];
    // mutant REQ-MEM-019: whatever arrives first is taken as the sender's first message
    if (first && (first.prevEpoch === NO_EPOCH || first.prevEpoch < view.joinEpoch || !enforced('REQ-MEM-019'))) s = { ...s, base: first.seq, next: first.seq };
  }
  // mutant REQ-MEM-017: held messages go out as they come, whatever their seq
  if (!enforced('REQ-MEM-017') && s.next !== undefined && s.held[0] !== undefined && s.held[0].seq > s.next) s = { ...s, next: s.held[0].seq };
  while (s.next !== undefined && s.held[0]?.seq === s.next) {
    const m = s.held[0];
    const rest = s.held.slice(1);
    const chained = s.lastEpoch === undefined ? m.prevEpoch === NO_EPOCH || m.prevEpoch < view.joinEpoch : m.prevEpoch === s.lastEpoch && m.epoch >= s.lastEpoch;
    if (!chained) {
      events.push({ kind: 'rejected', reqId: 'REQ-MEM-018', detail: `seq ${m.seq}: prev_epoch ${m.prevEpoch} contradicts the sender's previous message (epoch ${String(s.lastEpoch)})` });
      s = { ...s, held: rest };
      break;
    }
    events.push({ kind: 'delivered', sender: senderId, seq: m.seq, epoch: m.epoch, content: m.content });
    s = { ...s, held: rest, next: m.seq + 1, lastEpoch: m.epoch };
  }
  return { sender: s, events };
}

/**
 * Receives a commit, live or from history (REQ-MEM-040 to REQ-MEM-050): installs the next
 * epoch, holds later ones, ignores repeats, and raises a fork alarm on a conflicting one. The
 * commit comes parsed where it entered the client (a decoding error is rejected here), or as bytes.
 */
export function receiveCommit(c: CryptoProvider, view: GroupView, input: MessageInput<Commit>, me: Identity): GroupStep {
  const parsed = parsedOf(Commit, input);
  if (!parsed.ok) return { view, events: [rejected(parsed.error)] };
  const { value: commit, bytes } = parsed;
  if (!equalBytes(commit.room_id, view.roomId)) return { view, events: [{ kind: 'rejected', reqId: 'REQ-MEM-040', detail: 'commit for another room' }] };
  if (commit.epoch <= view.epoch) return knownEpochCommit(c, view, commit, bytes);
  if (commit.epoch > view.epoch + 1) {
    if (view.removed) return { view, events: [{ kind: 'ignored', detail: `commit of epoch ${commit.epoch} after removal` }] };
    if (view.futureCommits[commit.epoch] !== undefined) return { view, events: [{ kind: 'ignored', detail: 'commit already held' }] };
    if (Object.keys(view.futureCommits).length >= MAX_FUTURE_ITEMS)
      return { view, events: [{ kind: 'rejected', reqId: 'REQ-MEM-042', detail: 'too many commits held for later epochs' }] };
    return { view: { ...view, futureCommits: { ...view.futureCommits, [commit.epoch]: parsed } }, events: [{ kind: 'held', what: 'commit', epoch: commit.epoch }] };
  }
  if (view.removed) return { view, events: [{ kind: 'ignored', detail: 'commit after removal' }] };
  const cur = currentEpoch(view);
  let roster: MemberRecord[];
  let keys: EpochKeys | undefined;
  const removedMe = commit.removes.some((r) => equalBytes(r.member_id, view.me));
  let ownUpdate: boolean | 'replaced' = false;
  try {
    roster = checkCommitSuccessor(c, { roomId: view.roomId, epoch: view.epoch, epochHash: cur.epochHash, roster: cur.roster }, commit, MEMBER_COMMIT_CHECKS);
    ownUpdate = checkOwnUpdate(commit, view.me, view.outstandingUpdate, view.replacedUpdates); // REQ-MEM-054
    keys = removedMe ? undefined : openCommit(c, { value: commit, bytes }, me, requireKeys(cur).initSecret);
  } catch (e) {
    return { view, events: [rejected(e)] };
  }
  const record: EpochRecord = { epoch: commit.epoch, epochHash: epochHash(c, bytes), roster, keys, commitBytes: bytes };
  let next: GroupView = { ...view, epoch: commit.epoch, epochs: { ...view.epochs, [commit.epoch]: record }, epochCount: 0, removed: removedMe };
  const events: GroupEvent[] = [{ kind: 'epoch', epoch: commit.epoch, reason: commit.reason, roster }];
  if (ownUpdate !== false) {
    // REQ-MEM-054: its key is the one later entries are sealed to; the outstanding update, if that was
    // it, is no longer outstanding, and no replaced one of an older version can be committed any more
    const mine = roster.find((r) => equalBytes(r.member_id, view.me))!;
    const { outstandingUpdate, replacedUpdates: _r, ...rest } = next;
    const left = (view.replacedUpdates ?? []).filter((x) => x.version > mine.kem_cert.version);
    next = { ...rest, ...(ownUpdate === 'replaced' && outstandingUpdate !== undefined ? { outstandingUpdate } : {}), ...(ownUpdate === 'replaced' && left.length > 0 ? { replacedUpdates: left } : {}) };
    events.push({ kind: 'key-updated', epoch: commit.epoch, version: mine.kem_cert.version });
  }
  if (removedMe) events.push({ kind: 'removed', epoch: commit.epoch });
  next = applyHeads(next, commit.heads);
  const fin = applyFinalHeads(next, commit);
  return drainFuture(c, fin.view, me, [...events, ...fin.events]);
}

/**
 * REQ-MEM-021: a removal fixes the removed sender's final head. Messages this member already
 * accepted beyond it were never counted by the owner: an alarm, and any still held are dropped.
 */
function applyFinalHeads(view: GroupView, commit: Commit): GroupStep {
  let v = view;
  const events: GroupEvent[] = [];
  for (const x of commit.removes) {
    const key = toHex(x.member_id);
    const final = commit.heads.find((h) => equalBytes(h.member_id, x.member_id))?.next_seq ?? 0;
    v = { ...v, finalHeads: { ...v.finalHeads, [key]: final } };
    const s = v.senders[key];
    if (s?.head !== undefined && s.head.nextSeq > final) {
      events.push({ kind: 'alarm', reqId: 'REQ-MEM-021', detail: `accepted seq ${s.head.nextSeq - 1} of a sender whose final head is ${final}` });
      v = setSender(v, key, { ...s, held: s.held.filter((h) => h.seq < final) });
    }
  }
  return { view: v, events };
}

/**
 * The owner installs a commit it built and the relay acknowledged (REQ-OWN-023): it has no
 * secret entry of its own and derives the keys from the commit secret it drew.
 */
export function installOwnCommit(c: CryptoProvider, view: GroupView, commit: Encoded<Commit>, roster: readonly MemberRecord[], keys: EpochKeys, me: Identity): GroupStep {
  if (commit.value.epoch !== view.epoch + 1) throw new RangeError(`own commit for epoch ${commit.value.epoch} does not follow ${view.epoch}`);
  const record = epochRecordOf(c, commit, roster, keys);
  const next: GroupView = { ...view, epoch: commit.value.epoch, epochs: { ...view.epochs, [commit.value.epoch]: record }, epochCount: 0 };
  const fin = applyFinalHeads(next, commit.value);
  return drainFuture(c, fin.view, me, [{ kind: 'epoch', epoch: commit.value.epoch, reason: commit.value.reason, roster }, ...fin.events]);
}

function requireKeys(r: EpochRecord): EpochKeys {
  if (!r.keys) throw new PqroomError('REQ-MEM-050', `no keys for epoch ${r.epoch}`);
  return r.keys;
}

/** REQ-MEM-048: heads the member is entitled to raise the sender's expected count. */
function applyHeads(view: GroupView, heads: readonly EpochHead[]): GroupView {
  let v = view;
  for (const h of heads) {
    if (h.last_epoch < view.joinEpoch) continue;
    const key = toHex(h.member_id);
    const s = v.senders[key] ?? EMPTY_SENDER;
    if (h.next_seq > s.expect) v = setSender(v, key, { ...s, expect: h.next_seq });
  }
  return v;
}

/** After a new epoch: process the held commit of the next epoch and the held messages now readable. */
function drainFuture(c: CryptoProvider, view: GroupView, me: Identity, events: GroupEvent[]): GroupStep {
  let v = view;
  const out = [...events];
  const readable = v.futureMessages.filter((m) => m.value.epoch <= v.epoch);
  if (readable.length > 0) {
    v = { ...v, futureMessages: v.futureMessages.filter((m) => m.value.epoch > v.epoch) };
    for (const m of readable) {
      const r = receiveAppMessage(c, v, m);
      v = r.view;
      out.push(...r.events);
    }
  }
  const nextCommit = v.futureCommits[v.epoch + 1];
  if (nextCommit !== undefined) {
    const { [v.epoch + 1]: _taken, ...rest } = v.futureCommits;
    const r = receiveCommit(c, { ...v, futureCommits: rest }, nextCommit, me);
    return { view: r.view, events: [...out, ...r.events] };
  }
  return { view: v, events: out };
}

/** A commit for an epoch this view already holds: ignored if it is that epoch's commit, a fork alarm (REQ-MEM-049) if it is another owner-signed one. */
export function knownEpochCommit(c: CryptoProvider, view: GroupView, commit: Commit, bytes: Bytes): GroupStep {
  const known = view.epochs[commit.epoch];
  if (!known) return { view, events: [{ kind: 'ignored', detail: `commit of epoch ${commit.epoch}, before this member joined` }] };
  if (equalBytes(known.commitBytes, bytes)) return { view, events: [{ kind: 'ignored', detail: `commit of epoch ${commit.epoch} already installed` }] };
  const owner = ownerOf(known.roster);
  try {
    requireSigned(c, Commit, commit, 'commit', owner!.identity_pk, 'REQ-MEM-041', 'Commit');
  } catch (e) {
    return { view, events: [rejected(e)] };
  }
  return { view, events: [{ kind: 'alarm', reqId: 'REQ-MEM-049', detail: `fork: a second owner-signed commit for epoch ${commit.epoch}` }] };
}

/** Seals this member's next message in the current epoch (REQ-MEM-001, REQ-MEM-003). */
export function prepareMessage(c: CryptoProvider, rng: Rng, view: GroupView, me: Identity, content: AppContent): { view: GroupView; message: Encoded<AppMessage> } {
  if (view.removed) throw new PqroomError('REQ-MEM-003', 'a removed member does not send');
  const rec = currentEpoch(view);
  const keys = requireKeys(rec);
  const message = sealAppMessage(c, rng, { roomId: view.roomId, epoch: view.epoch, appKey: keys.appKey, seq: view.ownNextSeq, prevEpoch: view.ownPrevEpoch, sender: me, content });
  return { view: { ...view, ownNextSeq: view.ownNextSeq + 1, ownPrevEpoch: view.epoch }, message };
}

/** A gap: messages of a sender that are expected but not delivered (spec 7.6, 7.7). */
export interface Gap {
  /** The sender (hex). */
  readonly sender: string;
  /** What is missing. */
  readonly detail: string;
  /** Names the gap by its first missing position, so that it keeps its name while it stays open. */
  readonly key: string;
}

/** Every gap in the view: held messages waiting for earlier ones, heads not reached, unknown starts, held future epochs. */
export function gaps(view: GroupView): Gap[] {
  const out: Gap[] = [];
  for (const [sender, s] of Object.entries(view.senders)) {
    const key = `${sender}:${s.next ?? 'start'}`;
    if (s.next === undefined && s.held.length > 0) out.push({ sender, key, detail: `first message before seq ${s.held[0]!.seq} is missing` });
    else if (s.held.length > 0) out.push({ sender, key, detail: `seq ${String(s.next)} to ${s.held[0]!.seq - 1} missing` });
    else if (s.next === undefined ? s.expect > 0 : s.expect > s.next) out.push({ sender, key, detail: `messages up to seq ${s.expect - 1} missing` });
  }
  if (Object.keys(view.futureCommits).length > 0 || view.futureMessages.length > 0 || (view.servedEpoch > view.epoch && !view.removed))
    out.push({ sender: 'commits', key: `commits:${view.epoch}`, detail: `commits after epoch ${view.epoch} missing` });
  return out;
}

/** This member's signed-head view: for each sender, highest accepted seq + 1 and its epoch (REQ-OWN-032). */
export function headsOf(view: GroupView, roster: readonly MemberRecord[]): EpochHead[] {
  const out: EpochHead[] = [];
  for (const r of roster) {
    const h = view.senders[toHex(r.member_id)]?.head;
    if (h) out.push({ member_id: r.member_id, next_seq: h.nextSeq, last_epoch: h.lastEpoch });
  }
  return out;
}

/** The encoding of a commit, for callers that hold the decoded value. */
export function commitBytes(commit: Commit): Bytes {
  return encode(Commit, commit);
}

/**
 * Checks a roster served by the relay (REQ-MEM-060): it must be this room's, its head
 * owner-signed, match the served members, and equal this member's own commit for that epoch. A
 * head older than the member's epoch is a stale view; a newer one is evidence that commits are
 * missing (REQ-MEM-063): the view records it, and the gap it opens is fetched and, if history
 * cannot fill it, alarmed (REQ-MEM-030).
 */
export function checkServedRoster(c: CryptoProvider, view: GroupView, info: RosterInfo): GroupStep {
  const { head, members } = info;
  const refuse = (reqId: ReqId, detail: string): GroupStep => ({ view, events: [{ kind: 'rejected', reqId, detail }] });
  if (!equalBytes(info.room_id, view.roomId) || !equalBytes(head.room_id, view.roomId)) return refuse('REQ-MEM-060', 'roster of another room');
  const owner = ownerOf(currentEpoch(view).roster);
  try {
    requireSigned(c, Commit, head, 'commit', owner!.identity_pk, 'REQ-MEM-060', 'served roster head');
  } catch (e) {
    return { view, events: [rejected(e)] };
  }
  if (!equalBytes(rosterHashOf(c, members), head.roster_hash)) return refuse('REQ-MEM-060', 'served members do not match the head roster hash');
  if (head.epoch > view.epoch) {
    if (view.removed || head.epoch <= view.servedEpoch || !enforced('REQ-MEM-063')) return { view, events: [{ kind: 'held', what: 'commit', epoch: head.epoch }] };
    return { view: { ...view, servedEpoch: head.epoch }, events: [{ kind: 'held', what: 'commit', epoch: head.epoch }] };
  }
  const known = view.epochs[head.epoch];
  if (!known || !equalBytes(known.commitBytes, encode(Commit, head)))
    return { view, events: [{ kind: 'alarm', reqId: 'REQ-MEM-049', detail: `served head for epoch ${head.epoch} differs from this member's commit` }] };
  if (head.epoch < view.epoch) return { view, events: [{ kind: 'alarm', reqId: 'REQ-MEM-060', detail: `stale roster served: epoch ${head.epoch}, current ${view.epoch}` }] };
  return { view, events: [] };
}
