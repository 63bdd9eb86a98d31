/**
 * The owner's invites and joins (spec 6.3, 6.4, 6.9): issuing an invite, checking and admitting a
 * join request, confirming it, one join at a time; compat's automatic welcomes and owner-signed adds.
 */
import { equalBytes, toHex } from '../../impl/bytes.ts';
import { decode, encode } from '../../impl/codec.ts';
import { ProtocolError } from '../../impl/errors.ts';
import { createInvite } from '../../impl/invite.ts';
import { enforced } from '../../impl/mutants.ts';
import { fingerprint, welcomeHash } from '../../impl/keyschedule.ts';
import { AddMember, CompatConfirm, CompatJoinRequest, JoinConfirm, JoinRequest, MsgType, PostInvite, SendWelcome, type MailboxEntry } from '../../impl/messages/index.ts';
import { buildCommit, ownerEpochKeys } from '../../impl/protocol/commit.ts';
import { currentCompatKey } from '../../impl/protocol/compat-group.ts';
import { buildCompatMemberAdd, compatAnswerJoin, verifyCompatConfirm } from '../../impl/protocol/compat.ts';
import { currentEpoch, headsOf } from '../../impl/protocol/group.ts';
import { newestKem } from '../../impl/protocol/identity.ts';
import { buildWelcome, verifyJoinConfirm, verifyJoinRequest } from '../../impl/protocol/join.ts';
import { MAX_MEMBERS } from '../../impl/suite.ts';
import { advance, continueMailbox, rejection, request, settle, status, withRng, type Out } from '../client-core.ts';
import type { ClientEffect } from '../events.ts';
import { publish } from './commits.ts';
import { receiveKeyUpdate } from './updates.ts';
import { rejected, setInvite, type Ev, type IssuedInvite, type OwnerContext, type PendingJoin } from './context.ts';

/** REQ-OWN-004..006: issue an invite; its text is announced when the relay holds its id. */
export function issueInvite(ctx: OwnerContext, e: Ev<'user.invite'>): Out<OwnerContext> {
  const roomId = ctx.roomId!;
  const { ctx: c1, value: issued } = withRng(ctx, (rng) =>
    createInvite(ctx.crypto, rng, { profile: ctx.profile, roomId, ownerFp: ctx.identity.fp, now: e.now, lifetimeMs: e.lifetimeMs ?? ctx.config.inviteLifetimeMs, relay: e.relay ?? '' }),
  );
  const rec: IssuedInvite = { inviteId: issued.inviteId, invite: issued.invite, expiresAt: issued.invite.expires_at, status: 'posting' };
  return request({ ...c1, invites: [...c1.invites, rec] }, e.now, 'invite', (req_id) =>
    encode(PostInvite, { req_id, room_id: roomId, invite_id: issued.inviteId, expires_at: issued.invite.expires_at }),
  { inviteId: issued.inviteId });
}

type AdmitOutcome =
  | { readonly kind: 'admitted'; readonly out: Out<OwnerContext> }
  | { readonly kind: 'resent'; readonly out: Out<OwnerContext> }
  | { readonly kind: 'rejected'; readonly out: Out<OwnerContext> };

/**
 * Checks a join request (REQ-OWN-010 to REQ-OWN-018) and admits it: consume the invite
 * (REQ-OWN-019), build the pending add commit and the welcome (REQ-OWN-020), send the welcome.
 */
export function admit(ctx: OwnerContext, entry: MailboxEntry, now: number): AdmitOutcome {
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
    if (now > inv.expiresAt && enforced('REQ-OWN-013')) throw new ProtocolError('REQ-OWN-013', 'invite expired');
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

/**
 * Mailbox entries of this room the owner has not seen yet, each marked seen. The mailbox is the
 * principal's: an entry of another room is another room's (REQ-MEM-064), marked seen and left.
 */
export function freshMail(ctx: OwnerContext, entries: readonly MailboxEntry[]): { ctx: OwnerContext; fresh: MailboxEntry[] } {
  let mail = ctx.mail;
  const fresh: MailboxEntry[] = [];
  for (const e of entries) {
    const a = advance(mail, e.index);
    if (!a.fresh) continue;
    mail = a.progress;
    if (ctx.roomId !== undefined && !equalBytes(e.room_id, ctx.roomId)) continue;
    fresh.push(e);
  }
  return { ctx: { ...ctx, mail }, fresh };
}

/** The mailbox entries an event carries. */
export function mailEntries(e: Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>): readonly MailboxEntry[] {
  return e.type === 'net.mailbox' ? [e.entry] : e.entries;
}

function typeOf(entry: MailboxEntry): number | undefined {
  return entry.payload.length >= 4 ? entry.payload[3] : undefined;
}

/** What to do with incoming mail in a hardened state: admit the first valid join, confirm, queue the rest. */
type MailPlan = { readonly next: 'awaitingConfirm' | 'publishing' | 'stay'; readonly out: Out<OwnerContext> };

/** Incoming mail in a hardened state: admit the first valid join, confirm, queue the rest. */
export function hardenedMail(ctx0: OwnerContext, e: Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>): MailPlan {
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
    } else if (t === MsgType.KeyUpdate) {
      const r = receiveKeyUpdate(ctx, entry, e.now); // REQ-OWN-050..053
      ctx = r.ctx;
      effects.push(...r.effects);
    } else {
      effects.push(rejection('REQ-ENC-005', `unexpected mailbox message type ${String(t)}`, `mailbox ${entry.index}`));
    }
  }
  const more = continueMailbox(ctx, e, e.now); // REQ-REL-036
  return { next, out: { ctx: more.ctx, effects: [...effects, ...more.effects] } };
}

/** Incoming mail in compat: answer join requests, confirm joins. */
export function compatMail(ctx0: OwnerContext, e: Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>): Out<OwnerContext> {
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
  const more = continueMailbox(ctx, e, e.now); // REQ-REL-036
  return { ctx: more.ctx, effects: [...effects, ...more.effects] };
}
