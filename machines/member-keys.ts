/**
 * The member's key update policy (spec 7.12, hardened): when it makes an update (REQ-MEM-052),
 * and how it makes and sends one (REQ-MEM-051). Its outstanding update lives in its group view,
 * where the commit that installs it is checked (REQ-MEM-054).
 */
import { encode } from '../impl/codec.ts';
import type { ReqId } from '../impl/errors.ts';
import { PostKeyUpdate } from '../impl/messages/index.ts';
import { makeKeyUpdate, updateDue } from '../impl/protocol/key-update.ts';
import { request, status, wake, withRng, type ClientCore, type Out } from './client-core.ts';
import type { ClientEffect } from './events.ts';

/** The part of a member's context the policy reads and changes. */
export interface KeyUpdater extends ClientCore {
  /** hardened, once a member: the age of its ML-KEM key in the room. */
  readonly keyAge?: KeyAgeState;
}

/** What a member keeps for its key update policy (REQ-MEM-051, REQ-MEM-052); the outstanding update itself is in its group view. */
export interface KeyAgeState {
  /** The epoch whose commit installed its current key (its add, or its last update). */
  readonly committedEpoch: number;
  /** When it installed that epoch. */
  readonly committedAt: number;
  /** The epoch in which its outstanding update was made, if one is outstanding. */
  readonly sentEpoch?: number;
  /** Whether the outstanding update is urgent. */
  readonly urgent?: boolean;
  /** An alarm suggesting compromise was raised since (REQ-MEM-052). */
  readonly alarm: boolean;
}

/** The alarms that suggest a compromise of the room (REQ-MEM-052): a fork, a stale view, a message a removal's head does not count. */
const COMPROMISE_ALARMS: readonly ReqId[] = ['REQ-MEM-049', 'REQ-MEM-030', 'REQ-MEM-021'];

/**
 * REQ-MEM-051, REQ-MEM-052: notes what the effects of the step show (its update installed, a
 * compromise alarm), then makes and sends a key update if the policy asks for one (or the user
 * did: `asked`). A removed member, an invitee and compat make none.
 */
export function keyPolicy<C extends KeyUpdater>(ctx: C, now: number, seen: readonly ClientEffect[], asked = false): Out<C> {
  if (ctx.profile !== 'hardened' || !ctx.group || ctx.group.removed || !ctx.keyAge) return { ctx, effects: [] };
  let age = ctx.keyAge;
  for (const fx of seen) {
    // its key was committed; an update that replaced the committed one stays outstanding
    if (fx.type === 'effect.status' && fx.status.kind === 'key-updated')
      age = { committedEpoch: fx.status.epoch, committedAt: now, alarm: age.alarm, ...(ctx.group.outstandingUpdate && age.sentEpoch !== undefined ? { sentEpoch: age.sentEpoch, urgent: age.urgent === true } : {}) };
    if (fx.type === 'effect.alarm' && COMPROMISE_ALARMS.includes(fx.reqId)) age = { ...age, alarm: true };
  }
  const policy = { epochs: ctx.config.keyUpdateEpochs, ms: ctx.config.keyUpdateMs };
  const d = updateDue(policy, {
    committedEpoch: age.committedEpoch,
    committedAt: age.committedAt,
    epoch: ctx.group.epoch,
    now,
    ...(age.sentEpoch === undefined ? {} : { outstandingSince: age.sentEpoch, outstandingUrgent: age.urgent === true }),
    alarm: age.alarm || asked,
  });
  const c: C = age === ctx.keyAge ? ctx : { ...ctx, keyAge: age };
  if (!d.due) return { ctx: c, effects: [] };
  return sendKeyUpdate(c, now, d.urgent);
}

/** REQ-MEM-051: a fresh key pair and its signed update, kept before the update leaves (it replaces an outstanding one), sent in `PostKeyUpdate`. */
function sendKeyUpdate<C extends KeyUpdater>(ctx: C, now: number, urgent: boolean): Out<C> {
  const group = ctx.group!;
  const { ctx: c1, value: made } = withRng(ctx, (rng) => makeKeyUpdate(ctx.crypto, rng, ctx.identity, group.roomId, group.epoch, urgent));
  const base: C = {
    ...c1,
    identity: made.identity,
    // REQ-MEM-054: an update it replaces may still be committed (the owner may hold it already)
    group: { ...group, outstandingUpdate: made.update.value, ...(group.outstandingUpdate ? { replacedUpdates: [...(group.replacedUpdates ?? []), group.outstandingUpdate.kem_cert] } : {}) },
    keyAge: { ...ctx.keyAge!, sentEpoch: group.epoch, urgent, alarm: false },
    outbox: c1.outbox.filter((p) => p.kind !== 'keyUpdate'),
  };
  const r = request(base, now, 'keyUpdate', (req_id) => encode(PostKeyUpdate, { req_id, room_id: group.roomId, payload: made.update.bytes }));
  return { ctx: r.ctx, effects: [...r.effects, status({ kind: 'key-update', epoch: group.epoch, version: made.kem.version, urgent }), wake(r.ctx, now)] };
}

/** The step's outcome followed by the key update policy (REQ-MEM-052). */
export function withKeyPolicy<C extends KeyUpdater>(now: number, out: Out<C>, asked = false): Out<C> {
  const k = keyPolicy(out.ctx, now, out.effects, asked);
  return { ctx: k.ctx, effects: [...out.effects, ...k.effects] };
}

