/**
 * The owner's side of member key updates (spec 6.11, hardened): checking a `KeyUpdate` from its
 * mailbox (REQ-OWN-050..052), holding it as the member's pending update, and what its next
 * rotation carries (REQ-OWN-053).
 */
import { compareBytes, equalBytes, toHex, type Bytes } from '../../impl/bytes.ts';
import { decode } from '../../impl/codec.ts';
import { ProtocolError } from '../../impl/errors.ts';
import { KeyUpdate, type MailboxEntry, type MemberRecord } from '../../impl/messages/index.ts';
import { currentEpoch } from '../../impl/protocol/group.ts';
import { checkKeyUpdate, OWNER_UPDATE_CHECKS } from '../../impl/protocol/key-update.ts';
import type { Out } from '../client-core.ts';
import { rejected, type OwnerContext } from './context.ts';

export type { PendingUpdate } from './context.ts';

/** REQ-OWN-050..053: a `KeyUpdate` from the mailbox, checked and held as the member's pending update (replacing an older one). */
export function receiveKeyUpdate(ctx: OwnerContext, entry: MailboxEntry, now: number): Out<OwnerContext> {
  try {
    const u = decode(KeyUpdate, entry.payload);
    const key = toHex(u.member_id);
    const cur = currentEpoch(ctx.group!);
    // REQ-OWN-051: never a member whose removal the owner has begun
    if (ctx.removals.some((m) => equalBytes(m, u.member_id))) throw new ProtocolError('REQ-OWN-051', 'key update from a member whose removal has begun');
    const record = checkKeyUpdate(ctx.crypto, { roomId: ctx.roomId!, epoch: cur.epoch, roster: cur.roster }, u, ctx.updates[key]?.record.kem_cert.version ?? 0, OWNER_UPDATE_CHECKS);
    return { ctx: { ...ctx, updates: { ...ctx.updates, [key]: { record, since: now, urgent: u.urgent === 1 } } }, effects: [] };
  } catch (e) {
    return { ctx, effects: [rejected(e, `key update (mailbox ${entry.index})`)] };
  }
}

/**
 * REQ-OWN-053: the key updates a rotation carries: every pending one whose member is still a
 * member with an older key, as its current record with `kem_cert` replaced, by member id.
 */
export function rotationUpdates(ctx: OwnerContext): MemberRecord[] {
  const roster = currentEpoch(ctx.group!).roster;
  return Object.values(ctx.updates)
    .flatMap((p) => {
      const cur = roster.find((r) => equalBytes(r.member_id, p.record.member_id));
      return cur && cur.role === 'member' && p.record.kem_cert.version > cur.kem_cert.version ? [{ ...cur, kem_cert: p.record.kem_cert }] : [];
    })
    .sort((a, b) => compareBytes(a.member_id, b.member_id));
}

/** REQ-OWN-053: a rotation is due for pending updates: an urgent one, or one pending for the update delay. */
export function updatesDue(ctx: OwnerContext, now: number): boolean {
  return rotationUpdates(ctx).length > 0 && Object.values(ctx.updates).some((p) => p.urgent || now - p.since >= ctx.config.keyUpdateDelayMs);
}

/** When the oldest pending update reaches the update delay (a wake-up), if that is still to come. */
export function updateDeadline(ctx: OwnerContext, now: number): number | undefined {
  const times = Object.values(ctx.updates).map((p) => p.since + ctx.config.keyUpdateDelayMs).filter((t) => t > now);
  return times.length === 0 ? undefined : Math.min(...times);
}

/** The pending updates left once a rotation carrying `adds` is installed (REQ-OWN-053), or a removal of `removed` has begun. */
export function withoutUpdates(ctx: OwnerContext, done: readonly MemberRecord[], removed?: Bytes): OwnerContext {
  const updates = Object.fromEntries(
    Object.entries(ctx.updates).filter(([, p]) => {
      if (removed !== undefined && equalBytes(p.record.member_id, removed)) return false;
      const c = done.find((a) => equalBytes(a.member_id, p.record.member_id));
      return c === undefined || p.record.kem_cert.version > c.kem_cert.version;
    }),
  );
  return Object.keys(updates).length === Object.keys(ctx.updates).length ? ctx : { ...ctx, updates };
}
