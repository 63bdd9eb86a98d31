/**
 * The invite oracles of spec 12: PROP-07 (owner half: the keys admitted are the invitee's),
 * PROP-16 (an invite lets at most one party in, and only a holder of its token) and PROP-29 (no
 * join after the invite's signed expiry).
 */
import { equalBytes, toHex } from '../../impl/bytes.ts';
import { decode, peekType } from '../../impl/codec.ts';
import { inviteId } from '../../impl/keyschedule.ts';
import { MESSAGES, messageName, MsgType } from '../../impl/messages/index.ts';
import type { ClientCore } from '../../machines/client-core.ts';
import type { ClientNode } from '../../simulator/world.ts';
import { isType, type OracleContext } from './context.ts';

/** The invite checks, each judging what changed since its last call. */
export interface InviteOracles {
  /** PROP-07 (owner half) and PROP-16 (second half), on an owner's admissions. */
  checkAdmissions(owner: ClientNode): void;
  /** PROP-16 (first half), over every honest member. */
  checkInviteUse(): void;
  /** PROP-29, over what honest parties sent the relay. */
  checkExpiry(): void;
}

/** The invite oracles of a run. */
export function inviteOracles(run: OracleContext): InviteOracles {
  const { world, controlled, observed, honest, violate } = run;
  const R = run.rooms;
  /**
   * PROP-07 (owner half): the keys the owner admitted through an invite are the keys of the
   * invitee that joined with it. PROP-16: an admission through an invite that no client
   * holding its token redeemed (a join request the relay made itself, W1) admits someone
   * without the token.
   */
  const admissionsSeen = new Map<string, number>();
  const checkAdmissions = (owner: ClientNode): void => {
    for (let i = admissionsSeen.get(owner.name) ?? 0; i < owner.statuses.length; admissionsSeen.set(owner.name, ++i)) {
      const st = owner.statuses[i]!.status;
      if (st.kind !== 'admitted') continue;
      // the invite's holders (two when it was handed to two people, ATK-02): the admitted one if its identity is among them
      const holders = [...world.clients.values()].filter((n) => {
        const id = (n.snapshot.context as ClientCore & { inviteId?: Uint8Array }).inviteId;
        return n.role === 'member' && id !== undefined && equalBytes(id, st.inviteId);
      });
      const invitee = holders.find((n) => equalBytes(n.identity.publicKey, st.identityPk)) ?? holders[0];
      if (!invitee) violate('PROP-16', owner.name, `admitted ${toHex(st.memberId).slice(0, 16)} through invite ${toHex(st.inviteId).slice(0, 16)}, which no holder of its token redeemed`);
      if (!invitee || controlled.has(invitee.name)) continue;
      if (!equalBytes(st.identityPk, invitee.identity.publicKey)) violate('PROP-07', owner.name, `admitted an identity key through ${invitee.name}'s invite that ${invitee.name} did not generate`);
      else if (!invitee.identity.kemKeys.some((k) => equalBytes(k.publicKey, st.kemPk))) violate('PROP-07', owner.name, `admitted ${invitee.name} with an ML-KEM key ${invitee.name} did not generate`);
    }
  };

  /**
   * PROP-16 (first half): an invite lets at most one party into the room: at most one honest
   * joiner ever obtains the room's keys through a welcome for it.
   */
  const keysThrough = new Map<string, Set<string>>();
  const obtained = new Set<string>(); // members already counted
  const checkInviteUse = (): void => {
    for (const node of honest()) {
      if (node.role !== 'member' || obtained.has(node.name)) continue;
      const ctx = node.snapshot.context as ClientCore & { inviteId?: Uint8Array; pendingGroup?: unknown; pendingCompat?: unknown };
      if (ctx.inviteId === undefined || (ctx.pendingGroup === undefined && ctx.pendingCompat === undefined && ctx.group === undefined && ctx.compat === undefined)) continue;
      const key = toHex(ctx.inviteId);
      const set = keysThrough.get(key) ?? new Set<string>();
      obtained.add(node.name);
      set.add(node.name);
      keysThrough.set(key, set);
      if (set.size > 1) violate('PROP-16', 'owner', `invite ${key.slice(0, 16)} let ${[...set].sort().join(' and ')} obtain the room's keys`);
    }
  };

  /**
   * PROP-29: no join goes through an invite after its signed expiry. Judged on what honest parties
   * sent, as the relay received it: the owner's first SendWelcome for an invite (it admitted the
   * join request), an invitee's first SubmitJoin and first SubmitConfirm for it (it began the join,
   * it accepted the welcome). Retransmissions of a request first sent in time are not new acts.
   */
  let expirySeen = 0;
  const firstActs = new Set<string>();
  /** Invite ids by token (hex): an invite's id is a hash of its token, computed once per token. */
  const idOfToken = new Map<string, string>();
  /** Every owner's invites with an expiry, by invite id, as they stand now (built when a call first needs it). */
  const expiries = (): Map<string, number> => {
    const expiry = new Map<string, number>();
    for (const o of R.owners())
      for (const inv of world.invites(o.name)) {
        if (inv.expires_at === 0) continue;
        const token = toHex(inv.token);
        let id = idOfToken.get(token);
        if (id === undefined) idOfToken.set(token, (id = toHex(inviteId(world.options.crypto, inv.token))));
        expiry.set(id, inv.expires_at);
      }
    return expiry;
  };
  const checkExpiry = (): void => {
    const all = observed();
    if (expirySeen === all.length) return;
    // most observations are no join act: the invites are read only for one that is
    let expiry: Map<string, number> | undefined;
    for (; expirySeen < all.length; expirySeen++) {
      const o = all[expirySeen]!;
      if (o.dir !== 'up' || controlled.has(o.client)) continue;
      const act = isType(o.bytes, MsgType.SendWelcome) ? 'admitted a join request (sent its welcome)' : isType(o.bytes, MsgType.SubmitJoin) ? 'sent a join request' : isType(o.bytes, MsgType.SubmitConfirm) ? 'accepted a welcome (sent its confirmation)' : undefined;
      if (act === undefined) continue;
      let invite: string;
      try {
        invite = toHex((decode(MESSAGES[messageName(peekType(o.bytes))!], o.bytes) as { invite_id: Uint8Array }).invite_id);
      } catch {
        continue;
      }
      const key = `${o.client}|${act}|${invite}`;
      if (firstActs.has(key)) continue;
      firstActs.add(key);
      expiry ??= expiries();
      const expires = expiry.get(invite);
      if (expires !== undefined && world.startTime + o.t > expires) violate('PROP-29', o.client, `${act} through invite ${invite.slice(0, 16)} ${world.startTime + o.t - expires} ms after it expired`);
    }
  };

  return { checkAdmissions, checkInviteUse, checkExpiry };
}
