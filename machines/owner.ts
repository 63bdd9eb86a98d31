/**
 * The owner machine (spec 6): creates the room, issues invites, admits one invitee at a time
 * (welcome, confirmation, then the owner-signed add commit), rotates every N messages, removes
 * members (hardened), and is a member of its own room. compat runs 0FC's flows on the same
 * states: automatic welcomes, owner-signed member adds, rotation sealed under the old key.
 */
import { enqueueActions, setup } from 'xstate';
import { equalBytes, toHex, type Bytes } from '../impl/bytes.ts';
import { decode, encode, peekType } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { PqroomError, ProtocolError, type ReqId } from '../impl/errors.ts';
import { createInvite, inviteToText } from '../impl/invite.ts';
import { fingerprint, INITIAL_INIT_SECRET, welcomeHash, type EpochKeys } from '../impl/keyschedule.ts';
import {
  AddMember,
  AppMessage,
  CompatConfirm,
  CompatJoinRequest,
  CompatMember,
  CreateRoom,
  JoinConfirm,
  JoinRequest,
  MsgType,
  PostCommit,
  PostInvite,
  RemoveMember,
  Rotate,
  Send,
  SendWelcome,
  type Commit,
  type EpochHead,
  type Invite,
  type MailboxEntry,
} from '../impl/messages/index.ts';
import { buildCommit, ownerEpochKeys, ZERO_HASH, type BuiltCommit } from '../impl/protocol/commit.ts';
import { buildCompatMemberAdd, compatAnswerJoin, verifyCompatConfirm } from '../impl/protocol/compat.ts';
import { currentCompatKey, newCompatView, prepareCompatRotation } from '../impl/protocol/compat-group.ts';
import { currentEpoch, epochRecordOf, headsOf, installOwnCommit, newGroupView } from '../impl/protocol/group.ts';
import { memberRecordOf, newestKem, type Identity } from '../impl/protocol/identity.ts';
import { buildWelcome, verifyJoinConfirm, verifyJoinRequest, type Encoded } from '../impl/protocol/join.ts';
import { enforced } from '../impl/mutants.ts';
import { drbgInstantiate } from '../impl/rng.ts';
import { MAX_MEMBERS, type Profile } from '../impl/suite.ts';
import {
  advance,
  checkGaps,
  fetchHistory,
  fetchMailbox,
  initialCore,
  onDown,
  onTick,
  onUp,
  processHistory,
  processRoomEntry,
  rejection,
  request,
  sealOutgoing,
  settle,
  status,
  wake,
  withRng,
  type ClientConfig,
  type ClientCore,
  type Out,
  sendRefused,
  type SendMeta,
} from './client-core.ts';
import type { ClientEffect, OwnerEvent } from './events.ts';
import { fromInput } from './driver.ts';
import { once } from './memo.ts';

/** What an owner machine is started with. */
export interface OwnerInput {
  /** Crypto backend. */
  readonly crypto: CryptoProvider;
  /** The room's profile. */
  readonly profile: Profile;
  /** The owner's keys. */
  readonly identity: Identity;
  /** Seed of the deterministic generator (REQ-CRY-011). */
  readonly rngSeed: Bytes;
  /** Tunables. */
  readonly config?: Partial<ClientConfig>;
}

/** An invite the owner issued (REQ-OWN-004): the token is erased once consumed (REQ-OWN-019). */
export interface IssuedInvite {
  /** Its id. */
  readonly inviteId: Bytes;
  /** The invite; `undefined` once consumed (token erased). */
  readonly invite: Invite | undefined;
  /** Expiry (0: none). */
  readonly expiresAt: number;
  /** `posting` until the relay acknowledges; `open`; `pending` during a join; `consumed`. */
  readonly status: 'posting' | 'open' | 'pending' | 'consumed';
}

/** The join being admitted (hardened, REQ-OWN-020). */
export interface PendingJoin {
  /** The invite it consumes. */
  readonly inviteId: Bytes;
  /** The join request, as received. */
  readonly joinRequest: Encoded<JoinRequest>;
  /** The add commit, published after confirmation. */
  readonly built: BuiltCommit;
  /** The keys of the epoch it creates. */
  readonly keys: EpochKeys;
  /** The welcome sent. */
  readonly welcome: Bytes;
  /** When the welcome was sent (REQ-OWN-021). */
  readonly since: number;
}

/** A commit in flight (hardened): installed when the relay acknowledges it (REQ-OWN-023). */
export interface Publishing {
  /** The commit. */
  readonly built: BuiltCommit;
  /** Its epoch's keys. */
  readonly keys: EpochKeys;
  /** The request carrying it. */
  readonly reqId: number;
  /** Set when the relay refused it: the same bytes are posted again at this time (REQ-OWN-024). */
  readonly retryAt?: number;
}

/** A removal being prepared (REQ-OWN-035): the relay is asked to freeze the member first. */
export interface Freeze {
  /** The member to remove. */
  readonly memberId: Bytes;
  /** The last log index when the relay froze the member (its acknowledgement); unset while the request is in flight. */
  readonly atIndex?: number;
}

/** A compat join answered and awaiting confirmation (REQ-OWN-040). */
export interface CompatJoin {
  /** The invite id the request named. */
  readonly inviteId: Bytes;
  /** The joiner's identity key (claimed). */
  readonly identityPk: Bytes;
  /** The joiner's ML-KEM key (claimed). */
  readonly kemPk: Bytes;
}

/** The owner machine's context. */
export interface OwnerContext extends ClientCore {
  /** Invites issued. */
  readonly invites: readonly IssuedInvite[];
  /** hardened: join requests waiting for the pending commit (REQ-OWN-020). */
  readonly queue: readonly MailboxEntry[];
  /** hardened: the join being admitted. */
  readonly pending: PendingJoin | undefined;
  /** hardened: the commit in flight. */
  readonly publishing: Publishing | undefined;
  /** compat: joins answered, by invite id (hex). */
  readonly compatJoins: Readonly<Record<string, CompatJoin>>;
  /** Removals asked for and not yet committed. */
  readonly removals: readonly Bytes[];
  /** A rotation asked for and not yet committed. */
  readonly rotationWanted: boolean;
  /** hardened: the removal being prepared (REQ-OWN-035). */
  readonly freeze: Freeze | undefined;
  /** No new freeze or commit before this time: set when the relay refuses a freeze (REQ-OWN-035), so a refusing relay gets no request storm. */
  readonly commitHoldUntil: number;
  /**
   * hardened: for each sender (hex member id), one more than the highest `seq` of any
   * `AppMessage` entry of the log naming it, accepted or not, and that entry's epoch: what the
   * relay counts (REQ-REL-018), for a removal's head (REQ-OWN-036). Not security state: it
   * only ever raises a removed member's final head.
   */
  readonly logHeads: Readonly<Record<string, { readonly nextSeq: number; readonly lastEpoch: number }>>;
}

/** Notes the `AppMessage` entries among `payloads` in `logHeads` (REQ-OWN-036). */
function noteLog(ctx: OwnerContext, payloads: readonly Bytes[]): OwnerContext {
  if (ctx.profile !== 'hardened' || ctx.roomId === undefined) return ctx;
  let heads = ctx.logHeads;
  for (const p of payloads) {
    let m: AppMessage;
    try {
      if (peekType(p) !== MsgType.AppMessage) continue;
      m = decode(AppMessage, p);
    } catch {
      continue;
    }
    if (!equalBytes(m.room_id, ctx.roomId)) continue;
    const key = toHex(m.sender);
    if (m.seq + 1 > (heads[key]?.nextSeq ?? 0)) heads = { ...heads, [key]: { nextSeq: m.seq + 1, lastEpoch: m.epoch } };
  }
  return heads === ctx.logHeads ? ctx : { ...ctx, logHeads: heads };
}

/**
 * The heads of a commit (REQ-OWN-032); for a removal, the removed member's head counts every
 * message of it the log holds, including those no one accepted (REQ-OWN-036).
 */
function commitHeads(ctx: OwnerContext, removed: Bytes | undefined): EpochHead[] {
  const group = ctx.group!;
  const roster = currentEpoch(group).roster;
  const heads = headsOf(group, roster);
  const logged = removed === undefined ? undefined : ctx.logHeads[toHex(removed)];
  if (!removed || !logged || !enforced('REQ-OWN-036')) return heads;
  const own = heads.find((h) => equalBytes(h.member_id, removed));
  if (own && own.next_seq >= logged.nextSeq) return heads;
  const final: EpochHead = { member_id: removed, next_seq: logged.nextSeq, last_epoch: own?.last_epoch ?? logged.lastEpoch };
  // heads follow the roster's order, as headsOf makes them
  return roster.flatMap((r) => (equalBytes(r.member_id, removed) ? [final] : heads.filter((h) => equalBytes(h.member_id, r.member_id))));
}

type Ev<T extends OwnerEvent['type']> = Extract<OwnerEvent, { type: T }>;

function rejected(e: unknown, input: string): ClientEffect {
  if (e instanceof PqroomError) return rejection(e.reqId, e.message, input);
  throw e;
}

function emitAll(enqueue: { emit: (e: ClientEffect) => void }, effects: readonly ClientEffect[]): void {
  for (const fx of effects) enqueue.emit(fx);
}

/** REQ-OWN-001, REQ-OWN-002: a fresh room id and the genesis (hardened) or room key (compat). */
function createRoom(ctx: OwnerContext, now: number): Out<OwnerContext> {
  const { ctx: c1, value: roomId } = withRng(ctx, (rng) => rng.bytes(16));
  if (ctx.profile === 'hardened') {
    const { ctx: c2, value: built } = withRng(c1, (rng) =>
      buildCommit(ctx.crypto, rng, { roomId, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(ctx.identity, 'owner', 0)], removes: [], roster: [], heads: [], owner: ctx.identity }),
    );
    const keys = ownerEpochKeys(ctx.crypto, built, INITIAL_INIT_SECRET);
    const group = newGroupView(roomId, ctx.identity.fp, epochRecordOf(ctx.crypto, built.commit, built.roster, keys));
    return request({ ...c2, group }, now, 'create', (req_id) => encode(CreateRoom, { req_id, room_id: roomId, profile: 'hardened', payload: built.commit.bytes }), { roomId });
  }
  const { ctx: c2, value: roomKey } = withRng(c1, (rng) => rng.bytes(32));
  const compat = newCompatView(roomId, ctx.identity.fp, { generation: 0, key: roomKey });
  const owner = encode(CompatMember, { identity_pk: ctx.identity.publicKey, kem_pk: newestKem(ctx.identity).publicKey, role: 'owner' });
  return request({ ...c2, compat }, now, 'create', (req_id) => encode(CreateRoom, { req_id, room_id: roomId, profile: 'compat', payload: owner }), { roomId });
}

/** REQ-OWN-004..006: issue an invite; its text is announced when the relay holds its id. */
function issueInvite(ctx: OwnerContext, e: Ev<'user.invite'>): Out<OwnerContext> {
  const roomId = ctx.roomId!;
  const { ctx: c1, value: issued } = withRng(ctx, (rng) =>
    createInvite(ctx.crypto, rng, { profile: ctx.profile, roomId, ownerFp: ctx.identity.fp, now: e.now, lifetimeMs: e.lifetimeMs ?? ctx.config.inviteLifetimeMs, relay: e.relay ?? '' }),
  );
  const rec: IssuedInvite = { inviteId: issued.inviteId, invite: issued.invite, expiresAt: issued.invite.expires_at, status: 'posting' };
  return request({ ...c1, invites: [...c1.invites, rec] }, e.now, 'invite', (req_id) =>
    encode(PostInvite, { req_id, room_id: roomId, invite_id: issued.inviteId, expires_at: issued.invite.expires_at }),
  { inviteId: issued.inviteId });
}

function setInvite(ctx: OwnerContext, inviteId: Bytes, f: (i: IssuedInvite) => IssuedInvite): OwnerContext {
  return { ...ctx, invites: ctx.invites.map((i) => (equalBytes(i.inviteId, inviteId) ? f(i) : i)) };
}

type AdmitOutcome =
  | { readonly kind: 'admitted'; readonly out: Out<OwnerContext> }
  | { readonly kind: 'resent'; readonly out: Out<OwnerContext> }
  | { readonly kind: 'rejected'; readonly out: Out<OwnerContext> };

/**
 * Checks a join request (REQ-OWN-010 to REQ-OWN-018) and admits it: consume the invite
 * (REQ-OWN-019), build the pending add commit and the welcome (REQ-OWN-020), send the welcome.
 */
function admit(ctx: OwnerContext, entry: MailboxEntry, now: number): AdmitOutcome {
  const input = `join request (mailbox ${entry.index})`;
  const group = ctx.group!;
  try {
    const req = decode(JoinRequest, entry.payload);
    if (!equalBytes(req.room_id, ctx.roomId!)) throw new ProtocolError('REQ-OWN-010', 'join request for another room');
    const inv = ctx.invites.find((i) => equalBytes(i.inviteId, req.invite_id));
    if (!inv || inv.status === 'posting') throw new ProtocolError('REQ-OWN-011', 'unknown invite id');
    if (inv.status === 'pending' && ctx.pending && equalBytes(ctx.pending.joinRequest.bytes, entry.payload)) {
      const welcome = ctx.pending.welcome;
      const r = request(ctx, now, 'welcome', (req_id) => encode(SendWelcome, { req_id, room_id: ctx.roomId!, invite_id: req.invite_id, payload: welcome }));
      return { kind: 'resent', out: r };
    }
    if (inv.status !== 'open' || !inv.invite) throw new ProtocolError('REQ-OWN-012', 'invite already consumed');
    if (now > inv.expiresAt) throw new ProtocolError('REQ-OWN-013', 'invite expired');
    verifyJoinRequest(ctx.crypto, req, inv.invite.token); // REQ-OWN-014, REQ-OWN-015, REQ-OWN-016
    const roster = currentEpoch(group).roster;
    if (roster.some((r) => equalBytes(r.member_id, fingerprint(ctx.crypto, req.identity_pk)))) throw new ProtocolError('REQ-OWN-017', 'already a member');
    if (roster.length >= MAX_MEMBERS) throw new ProtocolError('REQ-OWN-018', 'the room is full');
    const token = inv.invite.token;
    const consumed = setInvite(ctx, req.invite_id, (i) => ({ ...i, invite: undefined, status: 'pending' })); // REQ-OWN-019: token erased
    const record = { member_id: fingerprint(ctx.crypto, req.identity_pk), identity_pk: req.identity_pk, kem_cert: req.kem_cert, role: 'member' as const, added_epoch: group.epoch + 1 };
    const cur = currentEpoch(group);
    const { ctx: c1, value: built } = withRng(consumed, (rng) =>
      buildCommit(ctx.crypto, rng, { roomId: ctx.roomId!, epoch: group.epoch + 1, prevEpochHash: cur.epochHash, reason: 'add', inviteId: req.invite_id, adds: [record], removes: [], roster, heads: headsOf(group, roster), owner: ctx.identity }),
    );
    const keys = ownerEpochKeys(ctx.crypto, built, cur.keys!.initSecret);
    const joinRequest = { value: req, bytes: entry.payload };
    const { ctx: c2, value: welcome } = withRng(c1, (rng) =>
      buildWelcome(ctx.crypto, rng, { joinRequest, token, groupInfo: { epoch_secret: keys.epochSecret, commit: built.commit.value, roster: built.roster }, owner: ctx.identity }),
    );
    const pending: PendingJoin = { inviteId: req.invite_id, joinRequest, built, keys, welcome: welcome.bytes, since: now };
    const r = request({ ...c2, pending }, now, 'welcome', (req_id) => encode(SendWelcome, { req_id, room_id: ctx.roomId!, invite_id: req.invite_id, payload: welcome.bytes }));
    return { kind: 'admitted', out: r };
  } catch (e) {
    return { kind: 'rejected', out: { ctx, effects: [rejected(e, input)] } };
  }
}

/** REQ-OWN-022: a valid confirmation publishes the pending commit. */
function confirm(ctx: OwnerContext, entry: MailboxEntry, now: number): { ok: boolean; out: Out<OwnerContext> } {
  const p = ctx.pending!;
  try {
    const conf = decode(JoinConfirm, entry.payload);
    verifyJoinConfirm(ctx.crypto, conf, {
      roomId: ctx.roomId!,
      inviteId: p.inviteId,
      epoch: p.built.commit.value.epoch,
      epochSecret: p.keys.epochSecret,
      welcomeHash: welcomeHash(ctx.crypto, p.welcome),
      inviteeIdentityPk: p.joinRequest.value.identity_pk,
    });
  } catch (e) {
    return { ok: false, out: { ctx, effects: [rejected(e, `confirmation (mailbox ${entry.index})`)] } };
  }
  return { ok: true, out: publish({ ...ctx, pending: undefined }, p.built, p.keys, now) };
}

function publish(ctx: OwnerContext, built: BuiltCommit, keys: EpochKeys, now: number): Out<OwnerContext> {
  const roomId = ctx.roomId!;
  const r = request(ctx, now, 'commit', (req_id) => encode(PostCommit, { req_id, room_id: roomId, payload: built.commit.bytes }));
  return { ctx: { ...r.ctx, publishing: { built, keys, reqId: r.ctx.nextReqId - 1 } }, effects: r.effects };
}

/** REQ-OWN-023: the relay stored the commit; install the epoch. */
function installPublished(ctx: OwnerContext): Out<OwnerContext> {
  const pub = ctx.publishing!;
  const r = installOwnCommit(ctx.crypto, ctx.group!, pub.built.commit, pub.built.roster, pub.keys, ctx.identity);
  const commit = pub.built.commit.value;
  let c: OwnerContext = { ...settle(ctx, pub.reqId).ctx, group: r.view, publishing: undefined };
  const effects: ClientEffect[] = [];
  if (commit.reason === 'add') {
    c = setInvite(c, commit.invite_id, (i) => ({ ...i, status: 'consumed' }));
    const add = commit.adds[0]!;
    effects.push(status({ kind: 'admitted', memberId: add.member_id, epoch: commit.epoch, inviteId: commit.invite_id, identityPk: add.identity_pk, kemPk: add.kem_cert.kem_pk }));
  }
  if (commit.reason === 'remove') c = { ...c, freeze: undefined, removals: c.removals.filter((x) => !commit.removes.some((rm) => equalBytes(rm.member_id, x))) };
  if (commit.reason === 'rotate') c = { ...c, rotationWanted: false };
  for (const ev of r.events) {
    if (ev.kind === 'epoch') effects.push(status({ kind: 'epoch', epoch: ev.epoch, reason: ev.reason }));
    if (ev.kind === 'delivered') effects.push({ type: 'effect.deliver', sender: ev.sender, seq: ev.seq, epoch: ev.epoch, text: ev.content.text, sentAt: ev.content.sent_at });
    if (ev.kind === 'rejected') effects.push(rejection(ev.reqId, ev.detail, 'held message'));
  }
  return { ctx: c, effects };
}

/**
 * Whether the hardened owner must commit now: a removal whose member the relay has frozen and
 * whose messages up to the freeze the owner has all seen (REQ-OWN-035), or, with no removal
 * waiting, a rotation asked for or N messages in the epoch (REQ-OWN-030).
 */
function commitDue(ctx: OwnerContext, now: number): boolean {
  if (ctx.profile !== 'hardened' || !ctx.group || ctx.pending || ctx.publishing || now < ctx.commitHoldUntil) return false;
  const remove = ctx.removals[0];
  if (remove) return ctx.freeze?.atIndex !== undefined && equalBytes(ctx.freeze.memberId, remove) && ctx.log.index >= ctx.freeze.atIndex;
  return ctx.rotationWanted || ctx.group.epochCount >= ctx.config.rotateEvery;
}

/** Whether the hardened owner must ask the relay to freeze the next member it removes (REQ-OWN-035). */
function freezeDue(ctx: OwnerContext, now: number): boolean {
  const remove = ctx.removals[0];
  if (ctx.profile !== 'hardened' || !remove || ctx.pending || ctx.publishing || now < ctx.commitHoldUntil) return false;
  return ctx.freeze === undefined || !equalBytes(ctx.freeze.memberId, remove);
}

/** REQ-OWN-035: ask the relay to freeze the member (hardened `RemoveMember`). */
function requestFreeze(ctx: OwnerContext, now: number): Out<OwnerContext> {
  const memberId = ctx.removals[0]!;
  const r = request(ctx, now, 'freeze', (req_id) => encode(RemoveMember, { req_id, room_id: ctx.roomId!, member_id: memberId }));
  return { ctx: { ...r.ctx, freeze: { memberId } }, effects: r.effects };
}

/** REQ-OWN-030, REQ-OWN-031: build a rotation or removal commit and publish it. */
function commitChange(ctx: OwnerContext, now: number): Out<OwnerContext> {
  const group = ctx.group!;
  const cur = currentEpoch(group);
  const remove = ctx.removals[0];
  const { ctx: c1, value: built } = withRng(ctx, (rng) =>
    buildCommit(ctx.crypto, rng, {
      roomId: ctx.roomId!,
      epoch: group.epoch + 1,
      prevEpochHash: cur.epochHash,
      reason: remove ? 'remove' : 'rotate',
      inviteId: ZERO_HASH,
      adds: [],
      removes: remove ? [remove] : [],
      roster: cur.roster,
      heads: commitHeads(ctx, remove),
      owner: ctx.identity,
    }),
  );
  return publish(c1, built, ownerEpochKeys(ctx.crypto, built, cur.keys!.initSecret), now);
}

/**
 * Publishes a commit the owner has already signed (REQ-OWN-024). The mutant of `check` (REQ-OWN-024
 * for a refused commit, REQ-OWN-021 for a timed-out add) signs a fresh one instead.
 */
function publishSigned(ctx: OwnerContext, signed: { readonly built: BuiltCommit; readonly keys: EpochKeys }, now: number, check: ReqId): Out<OwnerContext> {
  return enforced(check) ? publish(ctx, signed.built, signed.keys, now) : resign(ctx, signed.built.commit.value, now);
}

/**
 * A fresh commit for the epoch of `like` (same reason, adds and removes; current roster and
 * heads; a new commit secret). Only mutants call it: REQ-OWN-024 forbids signing a second commit
 * for an epoch.
 */
function resign(ctx: OwnerContext, like: Commit, now: number): Out<OwnerContext> {
  const group = ctx.group!;
  const cur = currentEpoch(group);
  const { ctx: c1, value: built } = withRng(ctx, (rng) =>
    buildCommit(ctx.crypto, rng, {
      roomId: ctx.roomId!,
      epoch: group.epoch + 1,
      prevEpochHash: cur.epochHash,
      reason: like.reason,
      inviteId: like.invite_id,
      adds: like.adds,
      removes: like.removes.map((r) => r.member_id),
      roster: cur.roster,
      heads: headsOf(group, cur.roster),
      owner: ctx.identity,
    }),
  );
  return publish(c1, built, ownerEpochKeys(ctx.crypto, built, cur.keys!.initSecret), now);
}

/** compat join request (REQ-OWN-040): answered automatically, with the empty token for unknown or used ids (W1). */
function compatAnswer(ctx: OwnerContext, entry: MailboxEntry, now: number): Out<OwnerContext> {
  try {
    const req = decode(CompatJoinRequest, entry.payload);
    const inv = ctx.invites.find((i) => equalBytes(i.inviteId, req.invite_id) && i.status === 'open' && i.invite);
    const token = inv?.invite?.token ?? new Uint8Array(0);
    const key = currentCompatKey(ctx.compat!);
    const { ctx: c1, value } = withRng(ctx, (rng) =>
      compatAnswerJoin(ctx.crypto, rng, { request: req, ownerKemSk: newestKem(ctx.identity).secretKey, token, roomKey: key.key, generation: key.generation }),
    );
    const joins = { ...c1.compatJoins, [toHex(req.invite_id)]: { inviteId: req.invite_id, identityPk: req.identity_pk, kemPk: req.kem_pk } };
    return request({ ...c1, compatJoins: joins }, now, 'welcome', (req_id) =>
      encode(SendWelcome, { req_id, room_id: ctx.roomId!, invite_id: req.invite_id, payload: value.welcome.bytes }),
    );
  } catch (e) {
    return { ctx, effects: [rejected(e, `compat join request (mailbox ${entry.index})`)] };
  }
}

/** compat confirmation (REQ-OWN-041): sign the joiner's keys, ask the relay to add it, erase the token. */
function compatConfirm(ctx: OwnerContext, entry: MailboxEntry, now: number): Out<OwnerContext> {
  try {
    const conf = decode(CompatConfirm, entry.payload);
    const join = ctx.compatJoins[toHex(conf.invite_id)];
    if (!join) throw new ProtocolError('REQ-OWN-041', 'confirmation for a join that was not answered');
    const memberId = fingerprint(ctx.crypto, join.identityPk);
    verifyCompatConfirm(ctx.crypto, conf, currentCompatKey(ctx.compat!).key, memberId);
    const { ctx: c1, value: add } = withRng(ctx, (rng) =>
      buildCompatMemberAdd(ctx.crypto, rng, { roomId: ctx.roomId!, member: { identity_pk: join.identityPk, kem_pk: join.kemPk, role: 'member' }, owner: ctx.identity }),
    );
    const { [toHex(conf.invite_id)]: _done, ...joins } = c1.compatJoins;
    const consumed = setInvite({ ...c1, compatJoins: joins }, conf.invite_id, (i) => ({ ...i, invite: undefined, status: 'consumed' }));
    const r = request(consumed, now, 'add', (req_id) => encode(AddMember, { req_id, room_id: ctx.roomId!, invite_id: conf.invite_id, payload: add.bytes }));
    return { ctx: r.ctx, effects: [...r.effects, status({ kind: 'admitted', memberId, epoch: currentCompatKey(ctx.compat!).generation, inviteId: conf.invite_id, identityPk: join.identityPk, kemPk: join.kemPk })] };
  } catch (e) {
    return { ctx, effects: [rejected(e, `compat confirmation (mailbox ${entry.index})`)] };
  }
}

/** compat rotation (REQ-OWN-042): the next key under the current one. */
function compatRotate(ctx: OwnerContext, now: number, reason: 'rotate' | 'remove' = 'rotate'): Out<OwnerContext> {
  const { ctx: c1, value } = withRng(ctx, (rng) => prepareCompatRotation(ctx.crypto, rng, ctx.compat!));
  const r = request({ ...c1, compat: value.view, rotationWanted: false }, now, 'rotate', (req_id) => encode(Rotate, { req_id, room_id: ctx.roomId!, payload: value.message.bytes }));
  return { ctx: r.ctx, effects: [...r.effects, status({ kind: 'epoch', epoch: currentCompatKey(value.view).generation, reason })] };
}

/** compat removal (REQ-OWN-043, D11): the relay drops the member, then the owner rotates under the old key. */
function compatRemove(ctx: OwnerContext, memberId: Bytes, now: number): Out<OwnerContext> {
  const r = request(ctx, now, 'remove', (req_id) => encode(RemoveMember, { req_id, room_id: ctx.roomId!, member_id: memberId }));
  const rot = compatRotate(r.ctx, now, 'remove');
  return { ctx: rot.ctx, effects: [...r.effects, ...rot.effects] };
}

/** Mailbox entries the owner has not seen yet, each marked seen. */
function freshMail(ctx: OwnerContext, entries: readonly MailboxEntry[]): { ctx: OwnerContext; fresh: MailboxEntry[] } {
  let mail = ctx.mail;
  const fresh: MailboxEntry[] = [];
  for (const e of entries) {
    const a = advance(mail, e.index);
    if (!a.fresh) continue;
    mail = a.progress;
    fresh.push(e);
  }
  return { ctx: { ...ctx, mail }, fresh };
}

function mailEntries(e: Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>): readonly MailboxEntry[] {
  return e.type === 'net.mailbox' ? [e.entry] : e.entries;
}

function typeOf(entry: MailboxEntry): number | undefined {
  return entry.payload.length >= 4 ? entry.payload[3] : undefined;
}

/** What to do with incoming mail in a hardened state: admit the first valid join, confirm, queue the rest. */
type MailPlan = { readonly next: 'awaitingConfirm' | 'publishing' | 'stay'; readonly out: Out<OwnerContext> };

function hardenedMail(ctx0: OwnerContext, e: Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>): MailPlan {
  const settled = e.type === 'net.mailboxChunk' ? { ...settle(ctx0, e.reqId).ctx, sync: { ...ctx0.sync, mailInFlight: undefined } } : ctx0;
  const { ctx: c0, fresh } = freshMail(settled, mailEntries(e));
  let ctx = c0;
  const effects: ClientEffect[] = [];
  let next: MailPlan['next'] = 'stay';
  for (const entry of fresh) {
    const t = typeOf(entry);
    if (t === MsgType.JoinConfirm) {
      if (!ctx.pending || ctx.publishing) {
        effects.push(rejection('REQ-OWN-022', 'confirmation without a pending join', `mailbox ${entry.index}`));
        continue;
      }
      const r = confirm(ctx, entry, e.now);
      ctx = r.out.ctx;
      effects.push(...r.out.effects);
      if (r.ok) next = 'publishing';
    } else if (t === MsgType.JoinRequest) {
      if (ctx.pending || ctx.publishing) {
        const dup = ctx.pending && equalBytes(ctx.pending.joinRequest.bytes, entry.payload);
        if (dup) {
          const r = admit(ctx, entry, e.now);
          ctx = r.out.ctx;
          effects.push(...r.out.effects);
        } else ctx = { ...ctx, queue: [...ctx.queue, entry] }; // REQ-OWN-020: one join at a time
        continue;
      }
      const r = admit(ctx, entry, e.now);
      ctx = r.out.ctx;
      effects.push(...r.out.effects);
      if (r.kind === 'admitted') next = 'awaitingConfirm';
    } else {
      effects.push(rejection('REQ-ENC-005', `unexpected mailbox message type ${String(t)}`, `mailbox ${entry.index}`));
    }
  }
  return { next, out: { ctx, effects } };
}

function compatMail(ctx0: OwnerContext, e: Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>): Out<OwnerContext> {
  const settled = e.type === 'net.mailboxChunk' ? { ...settle(ctx0, e.reqId).ctx, sync: { ...ctx0.sync, mailInFlight: undefined } } : ctx0;
  const { ctx: c0, fresh } = freshMail(settled, mailEntries(e));
  let ctx = c0;
  const effects: ClientEffect[] = [];
  for (const entry of fresh) {
    const t = typeOf(entry);
    const r = t === MsgType.CompatJoinRequest ? compatAnswer(ctx, entry, e.now) : t === MsgType.CompatConfirm ? compatConfirm(ctx, entry, e.now) : { ctx, effects: [rejection('REQ-ENC-005', `unexpected mailbox message type ${String(t)}`, `mailbox ${entry.index}`)] };
    ctx = r.ctx;
    effects.push(...r.effects);
  }
  return { ctx, effects };
}

function afterEntries(now: number, out: Out<OwnerContext>): Out<OwnerContext> {
  const g = checkGaps(out.ctx, now);
  let ctx = g.ctx;
  const effects = [...out.effects, ...g.effects];
  if (ctx.profile === 'compat' && ctx.compat && ctx.compat.counter >= ctx.config.rotateEvery && !ctx.outbox.some((p) => p.kind === 'rotate')) {
    const r = compatRotate(ctx, now);
    ctx = r.ctx;
    effects.push(...r.effects);
  }
  return { ctx, effects: [...effects, wake(ctx, now)] };
}

/** The payload of an encoded CreateRoom (the last field). */
function payloadOf(createRoom: Bytes): Bytes {
  return decode(CreateRoom, createRoom).payload;
}

function isPublishedCommit(ctx: OwnerContext, payload: Bytes): boolean {
  return ctx.publishing !== undefined && equalBytes(payload, ctx.publishing.built.commit.bytes);
}

/** The owner machine. */
export const ownerMachine = setup({
  types: {
    context: {} as OwnerContext,
    events: {} as OwnerEvent,
    input: {} as OwnerInput,
    emitted: {} as ClientEffect,
  },
  guards: {
    isCreateAnswer: ({ context, event }) => context.outbox.some((p) => p.kind === 'create' && p.reqId === (event as Ev<'net.ack'>).reqId),
    isCommitAnswer: ({ context, event }) => context.publishing?.reqId === (event as Ev<'net.ack'>).reqId,
    isCreateEcho: ({ context, event }) => {
      const create = context.outbox.find((p) => p.kind === 'create');
      return create !== undefined && (event as Ev<'net.room'>).index === 1 && equalBytes(payloadOf(create.bytes), (event as Ev<'net.room'>).payload);
    },
    isPublishedEcho: ({ context, event }) => isPublishedCommit(context, (event as Ev<'net.room'>).payload),
    historyHasPublished: ({ context, event }) => {
      const e = event as Ev<'net.history'>;
      return context.sync.inFlight === e.reqId && e.entries.some((x) => isPublishedCommit(context, x.payload));
    },
    isHardened: ({ context }) => context.profile === 'hardened',
    mailAwaitsConfirm: ({ context, event }) => once(context, event, 'mail', () => hardenedMail(context, event as Ev<'net.mailbox'>)).next === 'awaitingConfirm',
    mailPublishes: ({ context, event }) => once(context, event, 'mail', () => hardenedMail(context, event as Ev<'net.mailbox'>)).next === 'publishing',
    queuedAdmits: ({ context, event }) => context.queue.length > 0 && once(context, event, 'queue', () => admit({ ...context, queue: context.queue.slice(1) }, context.queue[0]!, (event as { now: number }).now)).kind === 'admitted',
    queuedInvalid: ({ context }) => context.queue.length > 0,
    commitDue: ({ context, event }) => commitDue(context, (event as { now: number }).now),
    freezeDue: ({ context, event }) => freezeDue(context, (event as { now: number }).now),
    retryDue: ({ context, event }) => context.publishing?.retryAt !== undefined && (event as Ev<'timer.tick'>).now >= context.publishing.retryAt,
    joinTimedOut: ({ context, event }) => context.pending !== undefined && (event as Ev<'timer.tick'>).now - context.pending.since >= context.config.joinTimeoutMs,
  },
  actions: {
    create: enqueueActions(({ context, event, enqueue }) => {
      const now = (event as Ev<'user.create'>).now;
      const out = createRoom(context, now);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(wake(out.ctx, now));
    }),
    roomCreated: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.ack'>;
      const s = settle(context, e.reqId);
      const roomId = (s.pending!.meta as { roomId: Bytes }).roomId;
      const log = advance(s.ctx.log, e.index).progress;
      const m = fetchMailbox({ ...s.ctx, roomId, log }, e.now);
      enqueue.assign(m.ctx);
      enqueue.emit(status({ kind: 'room-created', roomId }));
      emitAll(enqueue, m.effects);
      enqueue.emit(wake(m.ctx, e.now));
    }),
    createRefused: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.reject'>;
      const s = settle(context, e.reqId);
      enqueue.assign({ ...s.ctx, group: undefined, compat: undefined, roomId: undefined }); // REQ-OWN-003
      enqueue.emit(rejection(e.requirement as ReqId, `room creation refused: ${e.detail}`, 'CreateRoom'));
    }),
    invite: enqueueActions(({ context, event, enqueue }) => {
      const out = issueInvite(context, event as Ev<'user.invite'>);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(wake(out.ctx, (event as Ev<'user.invite'>).now));
    }),
    ack: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.ack'>;
      const s = settle(context, e.reqId);
      let ctx = s.ctx;
      if (s.pending?.kind === 'invite') {
        const id = (s.pending.meta as { inviteId: Bytes }).inviteId;
        const rec = ctx.invites.find((i) => equalBytes(i.inviteId, id));
        if (rec?.status === 'posting' && rec.invite) {
          ctx = setInvite(ctx, id, (i) => ({ ...i, status: 'open' }));
          enqueue.emit(status({ kind: 'invite', text: inviteToText(ctx.crypto, rec.invite), invite: rec.invite, inviteId: id }));
        }
      }
      if (s.pending?.kind === 'freeze' && ctx.freeze && ctx.freeze.atIndex === undefined) {
        // REQ-OWN-035: the removal waits until the owner has processed the log up to the freeze
        ctx = { ...ctx, freeze: { ...ctx.freeze, atIndex: e.index } };
        if (ctx.log.index < e.index) {
          const h = fetchHistory(ctx, e.now, false);
          ctx = h.ctx;
          emitAll(enqueue, h.effects);
        }
      }
      enqueue.assign(ctx);
    }),
    refused: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.reject'>;
      const s = settle(context, e.reqId);
      let ctx = s.ctx;
      if (s.pending?.kind === 'invite') ctx = { ...ctx, invites: ctx.invites.filter((i) => !equalBytes(i.inviteId, (s.pending!.meta as { inviteId: Bytes }).inviteId)) };
      if (s.pending?.kind === 'history') ctx = { ...ctx, sync: { ...ctx.sync, inFlight: undefined } };
      if (s.pending?.kind === 'mailbox') ctx = { ...ctx, sync: { ...ctx.sync, mailInFlight: undefined } };
      if (s.pending?.kind === 'freeze' && ctx.freeze?.atIndex === undefined) {
        // REQ-OWN-035: an honest relay freezes a current member; ask again after one retry interval
        ctx = { ...ctx, freeze: undefined, commitHoldUntil: e.now + ctx.config.retryMs };
        enqueue.assign(ctx);
        enqueue.emit({ type: 'effect.alarm', reqId: 'REQ-OWN-035', detail: `relay refused to freeze a member before its removal: ${e.requirement} ${e.detail}` });
        enqueue.emit(wake(ctx, e.now, ctx.commitHoldUntil));
        return;
      }
      enqueue.assign(ctx);
      enqueue.emit(rejection(e.requirement as ReqId, `relay refused ${s.pending?.kind ?? 'an unknown request'}: ${e.detail}`, `request ${e.reqId}`));
      emitAll(enqueue, sendRefused(s.pending, e.requirement));
    }),
    commitAcked: enqueueActions(({ context, event, enqueue }) => {
      const out = installPublished(context);
      const done = afterEntries((event as { now: number }).now, out);
      enqueue.assign(done.ctx);
      emitAll(enqueue, done.effects);
    }),
    commitEcho: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.room'>;
      const out = installPublished({ ...context, log: advance(context.log, e.index).progress });
      const done = afterEntries(e.now, out);
      enqueue.assign(done.ctx);
      emitAll(enqueue, done.effects);
    }),
    commitRefused: enqueueActions(({ context, event, enqueue }) => {
      // REQ-OWN-023: an honest relay never refuses the owner's commit (REQ-OWN-035 rules out the
      // removal race), so a refusal is an alarm. REQ-OWN-024: the commit stays the only one the
      // owner will ever sign for its epoch; the same bytes are posted again after a retry interval.
      const e = event as Ev<'net.reject'>;
      const pub = context.publishing!;
      const retryAt = e.now + context.config.retryMs;
      const ctx: OwnerContext = { ...settle(context, e.reqId).ctx, publishing: { ...pub, retryAt } };
      enqueue.assign(ctx);
      enqueue.emit({ type: 'effect.alarm', reqId: 'REQ-OWN-023', detail: `relay refused the commit for epoch ${pub.built.commit.value.epoch}: ${e.requirement} ${e.detail}` });
      enqueue.emit(wake(ctx, e.now, retryAt));
    }),
    repost: enqueueActions(({ context, event, enqueue }) => {
      // REQ-OWN-024: the refused commit again, byte for byte (its mutant signs a fresh one, as the owner once did)
      const pub = context.publishing!;
      const now = (event as Ev<'timer.tick'>).now;
      const out = publishSigned({ ...context, publishing: undefined }, pub, now, 'REQ-OWN-024');
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(wake(out.ctx, now));
    }),
    freeze: enqueueActions(({ context, event, enqueue }) => {
      const out = requestFreeze(context, (event as { now: number }).now);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
    }),
    hardenedMail: enqueueActions(({ context, event, enqueue }) => {
      const plan = once(context, event, 'mail', () => hardenedMail(context, event as Ev<'net.mailbox'>));
      enqueue.assign(plan.out.ctx);
      emitAll(enqueue, plan.out.effects);
      enqueue.emit(wake(plan.out.ctx, (event as { now: number }).now));
    }),
    compatMail: enqueueActions(({ context, event, enqueue }) => {
      const out = compatMail(context, event as Ev<'net.mailbox'>);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(wake(out.ctx, (event as { now: number }).now));
    }),
    admitQueued: enqueueActions(({ context, event, enqueue }) => {
      const r = once(context, event, 'queue', () => admit({ ...context, queue: context.queue.slice(1) }, context.queue[0]!, (event as { now: number }).now));
      enqueue.assign(r.out.ctx);
      emitAll(enqueue, r.out.effects);
    }),
    dropQueued: enqueueActions(({ context, event, enqueue }) => {
      const r = once(context, event, 'queue', () => admit({ ...context, queue: context.queue.slice(1) }, context.queue[0]!, (event as { now: number }).now));
      enqueue.assign(r.out.ctx);
      emitAll(enqueue, r.out.effects);
    }),
    commitChange: enqueueActions(({ context, event, enqueue }) => {
      const out = commitChange(context, (event as { now: number }).now);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
    }),
    publishUnconfirmed: enqueueActions(({ context, event, enqueue }) => {
      // REQ-OWN-021, REQ-OWN-024: the pending add commit is signed and travelled in the welcome;
      // the owner never signs another commit for its epoch, so it publishes this one unconfirmed
      const p = context.pending!;
      const now = (event as Ev<'timer.tick'>).now;
      // the mutant of REQ-OWN-021 signs a fresh add commit instead of the one the welcome carried
      const out = publishSigned({ ...context, pending: undefined }, p, now, 'REQ-OWN-021');
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(status({ kind: 'join-unconfirmed', reqId: 'REQ-OWN-021', memberId: p.built.commit.value.adds[0]!.member_id, detail: 'no confirmation before the join timeout: the add commit is published unconfirmed' }));
      enqueue.emit(wake(out.ctx, now));
    }),
    wantRotation: enqueueActions(({ context, event, enqueue }) => {
      if (context.profile === 'compat') {
        const out = compatRotate(context, (event as { now: number }).now);
        enqueue.assign(out.ctx);
        emitAll(enqueue, out.effects);
        return;
      }
      enqueue.assign({ ...context, rotationWanted: true });
    }),
    wantRemoval: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'user.remove'>;
      if (equalBytes(e.memberId, context.identity.fp)) {
        enqueue.emit(rejection('REQ-OWN-031', 'the owner cannot remove itself', 'user.remove'));
        return;
      }
      if (context.profile === 'compat') {
        const out = compatRemove(context, e.memberId, e.now);
        enqueue.assign(out.ctx);
        emitAll(enqueue, out.effects);
        return;
      }
      const inRoster = currentEpoch(context.group!).roster.some((r) => equalBytes(r.member_id, e.memberId));
      if (!inRoster) {
        enqueue.emit(rejection('REQ-OWN-031', 'not a member', 'user.remove'));
        return;
      }
      enqueue.assign({ ...context, removals: [...context.removals, e.memberId] });
    }),
    send: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'user.send'>;
      const sealed = sealOutgoing(context, e.text, e.now);
      const roomId = context.roomId!;
      const meta: SendMeta = { seq: sealed.seq, epoch: sealed.epoch, text: e.text };
      const r = request(sealed.ctx, e.now, 'send', (req_id) => encode(Send, { req_id, room_id: roomId, payload: sealed.bytes }), meta);
      enqueue.assign(r.ctx);
      emitAll(enqueue, r.effects);
      enqueue.emit(status({ kind: 'sent', seq: sealed.seq, epoch: sealed.epoch, text: e.text, payload: sealed.bytes }));
      enqueue.emit(wake(r.ctx, e.now));
    }),
    applyEntry: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.room'>;
      const r = processRoomEntry(noteLog(context, [e.payload]), e.index, e.payload);
      let out: Out<OwnerContext> = { ctx: r.ctx, effects: r.effects };
      if (r.ctx.log.above.length > 0) {
        const h = fetchHistory(out.ctx, e.now, false);
        out = { ctx: h.ctx, effects: [...out.effects, ...h.effects] };
      }
      const done = afterEntries(e.now, out);
      enqueue.assign(done.ctx);
      emitAll(enqueue, done.effects);
    }),
    applyHistory: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.history'>;
      if (context.sync.inFlight !== e.reqId) {
        enqueue.assign(settle(context, e.reqId).ctx);
        return;
      }
      const echo = context.publishing && e.entries.find((x) => isPublishedCommit(context, x.payload));
      let base = noteLog(settle(context, e.reqId).ctx, e.entries.map((x) => x.payload));
      const pre: ClientEffect[] = [];
      if (echo) {
        const inst = installPublished({ ...base, log: advance(base.log, echo.index).progress });
        base = inst.ctx;
        pre.push(...inst.effects);
      }
      const r = processHistory(base, e.now, e);
      const done = afterEntries(e.now, { ctx: r.ctx, effects: [...pre, ...r.effects] });
      enqueue.assign(done.ctx);
      emitAll(enqueue, done.effects);
    }),
    sync: enqueueActions(({ context, event, enqueue }) => {
      const r = fetchHistory(context, (event as { now: number }).now, false);
      enqueue.assign(r.ctx);
      emitAll(enqueue, r.effects);
    }),
    up: enqueueActions(({ context, event, enqueue }) => {
      const now = (event as Ev<'net.up'>).now;
      let out = onUp(context, now);
      if (out.ctx.roomId !== undefined) {
        const h = fetchHistory(out.ctx, now, false);
        out = { ctx: h.ctx, effects: [...out.effects, ...h.effects] };
      }
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(wake(out.ctx, now));
    }),
    down: enqueueActions(({ context, enqueue }) => {
      enqueue.assign(onDown(context));
    }),
    tick: enqueueActions(({ context, event, enqueue }) => {
      const now = (event as Ev<'timer.tick'>).now;
      const extra = context.pending
        ? context.pending.since + context.config.joinTimeoutMs
        : context.publishing?.retryAt ?? (context.commitHoldUntil > now ? context.commitHoldUntil : undefined);
      const out = onTick(context, now, extra);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
    }),
    rejectUser: enqueueActions(({ event, enqueue }) => {
      enqueue.emit(rejection('REQ-OWN-007', `${event.type} needs a created room`, event.type));
    }),
    rejectEntry: enqueueActions(({ event, enqueue }) => {
      enqueue.emit(rejection('REQ-MEM-010', 'room entry for a room this owner does not have yet', `room entry ${(event as Ev<'net.room'>).index}`));
    }),
    noteMail: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>;
      const settled = e.type === 'net.mailboxChunk' ? { ...settle(context, e.reqId).ctx, sync: { ...context.sync, mailInFlight: undefined } } : context;
      const { ctx, fresh } = freshMail(settled, mailEntries(e));
      enqueue.assign(ctx);
      for (const m of fresh) enqueue.emit(rejection('REQ-OWN-007', 'mail before the room exists', `mailbox ${m.index}`));
    }),
    malformed: enqueueActions(({ event, enqueue }) => {
      const e = event as Ev<'net.malformed'>;
      enqueue.emit(rejection(e.reqId, e.detail, 'relay message'));
    }),
    noteKeys: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign(settle(context, (event as Ev<'net.keys'>).reqId).ctx);
    }),
  },
}).createMachine({
  id: 'owner',
  /** The initial context, from the machine's input. */
  context: fromInput((input: OwnerInput): OwnerContext => ({
    ...initialCore({ crypto: input.crypto, profile: input.profile, identity: input.identity, rng: drbgInstantiate(input.rngSeed), config: input.config ?? {} }),
    invites: [],
    queue: [],
    pending: undefined,
    publishing: undefined,
    compatJoins: {},
    removals: [],
    rotationWanted: false,
    freeze: undefined,
    commitHoldUntil: 0,
    logHeads: {},
  })),
  initial: 'idle',
  on: {
    'net.up': { actions: 'up' },
    'net.down': { actions: 'down' },
    'net.ack': { actions: 'ack' },
    'net.reject': { actions: 'refused' },
    'net.keys': { actions: 'noteKeys' },
    'net.malformed': { actions: 'malformed' },
    'net.room': { actions: 'rejectEntry' },
    'net.history': { actions: 'applyHistory' },
    'net.mailbox': { actions: 'noteMail' },
    'net.mailboxChunk': { actions: 'noteMail' },
    'timer.tick': { actions: 'tick' },
    'user.create': { actions: 'rejectUser' },
    'user.invite': { actions: 'rejectUser' },
    'user.send': { actions: 'rejectUser' },
    'user.rotate': { actions: 'rejectUser' },
    'user.remove': { actions: 'rejectUser' },
    'user.sync': { actions: 'sync' },
  },
  states: {
    idle: {
      on: {
        'user.create': { target: 'creating', actions: 'create' },
      },
    },
    creating: {
      on: {
        'net.room': [{ guard: 'isCreateEcho' }, { actions: 'rejectEntry' }],
        'net.ack': [{ guard: 'isCreateAnswer', target: 'active', actions: 'roomCreated' }, { actions: 'ack' }],
        'net.reject': [{ guard: 'isCreateAnswer', target: 'idle', actions: 'createRefused' }, { actions: 'refused' }],
      },
    },
    active: {
      initial: 'ready',
      on: {
        'user.invite': { actions: 'invite' },
        'user.send': { actions: 'send' },
        'user.sync': { actions: 'sync' },
        'user.rotate': { actions: 'wantRotation' },
        'user.remove': { actions: 'wantRemoval' },
        'net.room': { actions: 'applyEntry' },
        'net.history': { actions: 'applyHistory' },
      },
      states: {
        ready: {
          always: [
            { guard: 'queuedAdmits', target: 'awaitingConfirm', actions: 'admitQueued' },
            { guard: 'queuedInvalid', actions: 'dropQueued' },
            { guard: 'freezeDue', actions: 'freeze' },
            { guard: 'commitDue', target: 'publishing', actions: 'commitChange' },
          ],
          on: {
            'net.mailbox': [
              { guard: 'mailAwaitsConfirm', target: 'awaitingConfirm', actions: 'hardenedMail' },
              { guard: 'mailPublishes', target: 'publishing', actions: 'hardenedMail' },
              { guard: 'isHardened', actions: 'hardenedMail' },
              { actions: 'compatMail' },
            ],
            'net.mailboxChunk': [
              { guard: 'mailAwaitsConfirm', target: 'awaitingConfirm', actions: 'hardenedMail' },
              { guard: 'mailPublishes', target: 'publishing', actions: 'hardenedMail' },
              { guard: 'isHardened', actions: 'hardenedMail' },
              { actions: 'compatMail' },
            ],
          },
        },
        awaitingConfirm: {
          on: {
            'net.mailbox': [{ guard: 'mailPublishes', target: 'publishing', actions: 'hardenedMail' }, { actions: 'hardenedMail' }],
            'net.mailboxChunk': [{ guard: 'mailPublishes', target: 'publishing', actions: 'hardenedMail' }, { actions: 'hardenedMail' }],
            'timer.tick': [{ guard: 'joinTimedOut', target: 'publishing', actions: 'publishUnconfirmed' }, { actions: 'tick' }],
          },
        },
        publishing: {
          on: {
            'net.ack': [{ guard: 'isCommitAnswer', target: 'ready', actions: 'commitAcked' }, { actions: 'ack' }],
            'net.reject': [{ guard: 'isCommitAnswer', actions: 'commitRefused' }, { actions: 'refused' }],
            'timer.tick': [{ guard: 'retryDue', actions: 'repost' }, { actions: 'tick' }],
            'net.room': [{ guard: 'isPublishedEcho', target: 'ready', actions: 'commitEcho' }, { actions: 'applyEntry' }],
            'net.history': [{ guard: 'historyHasPublished', target: 'ready', actions: 'applyHistory' }, { actions: 'applyHistory' }],
            'net.mailbox': { actions: 'hardenedMail' },
            'net.mailboxChunk': { actions: 'hardenedMail' },
          },
        },
      },
    },
  },
});
