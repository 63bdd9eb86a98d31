/**
 * The owner's commits (spec 6.5 to 6.8): publishing a signed commit and installing it when the relay
 * stored it, rotations every N messages, removals after the relay froze the member, and compat's
 * rotation under the old key.
 */
import { equalBytes, toHex, type Bytes } from '../../impl/bytes.ts';
import { encode } from '../../impl/codec.ts';
import type { ReqId } from '../../impl/errors.ts';
import type { EpochKeys } from '../../impl/keyschedule.ts';
import { PostCommit, RemoveMember, Rotate, type Commit, type EpochHead } from '../../impl/messages/index.ts';
import { enforced } from '../../impl/mutants.ts';
import { buildCommit, ownerEpochKeys, ZERO_HASH, type BuiltCommit } from '../../impl/protocol/commit.ts';
import { currentCompatKey, prepareCompatRotation } from '../../impl/protocol/compat-group.ts';
import type { RoomEntry } from '../../impl/protocol/entry.ts';
import { currentEpoch, headsOf, installOwnCommit } from '../../impl/protocol/group.ts';
import { checkGaps, rejection, request, settle, status, wake, withRng, type Out } from '../client-core.ts';
import type { ClientEffect } from '../events.ts';
import { setInvite, type OwnerContext } from './context.ts';
import { rotationUpdates, updatesDue, withoutUpdates } from './updates.ts';

/** Notes the `AppMessage` entries among `entries` (parsed where they entered) in `logHeads` (REQ-OWN-036). */
export function noteLog(ctx: OwnerContext, entries: readonly RoomEntry[]): OwnerContext {
  if (ctx.profile !== 'hardened' || ctx.roomId === undefined) return ctx;
  let heads = ctx.logHeads;
  for (const e of entries) {
    if (e.kind !== 'AppMessage' || !e.parsed.ok) continue;
    const m = e.parsed.value;
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

/** Posts a commit the owner signed; it is `publishing` until the relay answers. */
export function publish(ctx: OwnerContext, built: BuiltCommit, keys: EpochKeys, now: number): Out<OwnerContext> {
  const roomId = ctx.roomId!;
  const r = request(ctx, now, 'commit', (req_id) => encode(PostCommit, { req_id, room_id: roomId, payload: built.commit.bytes }));
  return { ctx: { ...r.ctx, publishing: { built, keys, reqId: r.ctx.nextReqId - 1 } }, effects: r.effects };
}

/** REQ-OWN-023: the relay stored the commit; install the epoch. */
export function installPublished(ctx: OwnerContext): Out<OwnerContext> {
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
  if (commit.reason === 'rotate') {
    // REQ-OWN-053: the updates it carried are committed
    c = withoutUpdates({ ...c, rotationWanted: false }, commit.adds);
    for (const a of commit.adds) effects.push(status({ kind: 'key-committed', memberId: a.member_id, epoch: commit.epoch, version: a.kem_cert.version }));
  }
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
 * waiting, a rotation asked for, N messages in the epoch (REQ-OWN-030), or a pending key update
 * that is urgent or has waited the update delay (REQ-OWN-053).
 */
export function commitDue(ctx: OwnerContext, now: number): boolean {
  if (ctx.profile !== 'hardened' || !ctx.group || ctx.pending || ctx.publishing || now < ctx.commitHoldUntil) return false;
  const remove = ctx.removals[0];
  if (remove) return ctx.freeze?.atIndex !== undefined && equalBytes(ctx.freeze.memberId, remove) && ctx.log.index >= ctx.freeze.atIndex;
  return ctx.rotationWanted || ctx.group.epochCount >= ctx.config.rotateEvery || updatesDue(ctx, now);
}

/** Whether the hardened owner must ask the relay to freeze the next member it removes (REQ-OWN-035). */
export function freezeDue(ctx: OwnerContext, now: number): boolean {
  const remove = ctx.removals[0];
  if (ctx.profile !== 'hardened' || !remove || ctx.pending || ctx.publishing || now < ctx.commitHoldUntil) return false;
  return ctx.freeze === undefined || !equalBytes(ctx.freeze.memberId, remove);
}

/** REQ-OWN-035: ask the relay to freeze the member (hardened `RemoveMember`). */
export function requestFreeze(ctx: OwnerContext, now: number): Out<OwnerContext> {
  const memberId = ctx.removals[0]!;
  const r = request(ctx, now, 'freeze', (req_id) => encode(RemoveMember, { req_id, room_id: ctx.roomId!, member_id: memberId }));
  return { ctx: { ...r.ctx, freeze: { memberId } }, effects: r.effects };
}

/** REQ-OWN-030, REQ-OWN-031: build a rotation or removal commit and publish it. */
export function commitChange(ctx: OwnerContext, now: number): Out<OwnerContext> {
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
      // REQ-OWN-053: a rotation carries every pending key update; a removal none
      adds: remove ? [] : rotationUpdates(ctx),
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
export function publishSigned(ctx: OwnerContext, signed: { readonly built: BuiltCommit; readonly keys: EpochKeys }, now: number, check: ReqId): Out<OwnerContext> {
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

/** compat rotation (REQ-OWN-042): the next key under the current one. */
export function compatRotate(ctx: OwnerContext, now: number, reason: 'rotate' | 'remove' = 'rotate'): Out<OwnerContext> {
  const { ctx: c1, value } = withRng(ctx, (rng) => prepareCompatRotation(ctx.crypto, rng, ctx.compat!));
  const r = request({ ...c1, compat: value.view, rotationWanted: false }, now, 'rotate', (req_id) => encode(Rotate, { req_id, room_id: ctx.roomId!, payload: value.message.bytes }));
  return { ctx: r.ctx, effects: [...r.effects, status({ kind: 'epoch', epoch: currentCompatKey(value.view).generation, reason })] };
}

/** compat removal (REQ-OWN-043, D11): the relay drops the member, then the owner rotates under the old key. */
export function compatRemove(ctx: OwnerContext, memberId: Bytes, now: number): Out<OwnerContext> {
  const r = request(ctx, now, 'remove', (req_id) => encode(RemoveMember, { req_id, room_id: ctx.roomId!, member_id: memberId }));
  const rot = compatRotate(r.ctx, now, 'remove');
  return { ctx: rot.ctx, effects: [...r.effects, ...rot.effects] };
}

/** What follows new room entries: gap checks, compat's rotation every N messages, the next wake-up. */
export function afterEntries(now: number, out: Out<OwnerContext>): Out<OwnerContext> {
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

/** Whether `payload` is the commit the owner is publishing (its echo in the log). */
export function isPublishedCommit(ctx: OwnerContext, payload: Bytes): boolean {
  return ctx.publishing !== undefined && equalBytes(payload, ctx.publishing.built.commit.bytes);
}
