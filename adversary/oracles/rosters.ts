/**
 * PROP-05, the roster oracle of spec 12: the member list an honest member shows is the owner's.
 */
import { toHex } from '../../impl/bytes.ts';
import { decode } from '../../impl/codec.ts';
import { fingerprint } from '../../impl/keyschedule.ts';
import { AddMember, CompatMemberAdd, MsgType, RemoveMember } from '../../impl/messages/index.ts';
import type { OwnerContext } from '../../machines/owner.ts';
import type { ClientNode } from '../../simulator/world.ts';
import { isType, type OracleContext } from './context.ts';

/** The PROP-05 check of a run: judges the rosters a client showed since its last call. */
export function rosterOracle(run: OracleContext): (node: ClientNode) => void {
  const { world, observed, hardened, clientById, violate } = run;
  const R = run.rooms;
  /**
   * PROP-05: every member of a roster an honest member shows (REQ-MEM-062, compat REQ-MEM-073)
   * was added by the owner. hardened, exactly: the shown roster of epoch e is the owner's roster
   * of epoch e, so a member removed by then is not in it either. compat: every member id is the
   * owner's or one the owner admitted, and no member the owner removed before the relay received
   * the roster request (a roster asked for while the owner's RemoveMember was still on its way is
   * a race the oracle does not judge).
   */
  const rostersSeen = new Map<string, number>();
  /** compat: the members the owner asked the relay to remove (hex), with when the relay received the request. */
  const removedAtRelay = (owner: string): Map<string, number> => {
    const out = new Map<string, number>();
    for (const o of observed()) {
      if (o.dir !== 'up' || o.client !== owner || !isType(o.bytes, MsgType.RemoveMember)) continue;
      const id = toHex(decode(RemoveMember, o.bytes).member_id);
      if (!out.has(id)) out.set(id, o.t);
    }
    return out;
  };
  /** compat: when the relay first had the owner's AddMember for each member (hex id), ms since the start. */
  const addedAtRelay = (owner: string): Map<string, number> => {
    const out = new Map<string, number>();
    for (const o of observed()) {
      if (o.dir !== 'up' || o.client !== owner || !isType(o.bytes, MsgType.AddMember)) continue;
      try {
        const add = decode(CompatMemberAdd, decode(AddMember, o.bytes).payload);
        const id = toHex(fingerprint(world.options.crypto, add.member.identity_pk));
        if (!out.has(id)) out.set(id, o.t);
      } catch {
        // not an add the relay could take
      }
    }
    return out;
  };
  /** When the relay last received a request of `type` from `client` at or before `t` (ms since the start). */
  const lastRequest = (client: string, type: number, t: number): number | undefined => {
    let last: number | undefined;
    for (const o of observed()) if (o.dir === 'up' && o.client === client && o.t <= t && isType(o.bytes, type)) last = o.t;
    return last;
  };
  const checkRosters = (node: ClientNode): void => {
    const owner = R.ownerOf(node);
    if (!owner || node.role !== 'member') return;
    for (let i = rostersSeen.get(node.name) ?? 0; i < node.statuses.length; i++) {
      const st = node.statuses[i]!.status;
      if (st.kind !== 'roster') continue;
      const shown = new Set(st.members.map(toHex));
      const name = (id: string): string => clientById(id)?.name ?? id.slice(0, 16);
      if (hardened) {
        const og = (owner.snapshot.context as OwnerContext).group;
        const rec = og?.epochs[st.epoch];
        if (!rec) continue;
        const real = new Set(rec.roster.map((r) => toHex(r.member_id)));
        for (const id of shown) if (!real.has(id)) violate('PROP-05', node.name, `shows ${name(id)} as a member of epoch ${st.epoch}; the owner's roster of that epoch does not have it`);
        for (const id of real) if (!shown.has(id)) violate('PROP-05', node.name, `shows the roster of epoch ${st.epoch} without ${name(id)}`);
      } else {
        const added = new Set([toHex(owner.identity.fp)]);
        for (const x of owner.statuses) if (x.status.kind === 'admitted') added.add(toHex(x.status.memberId));
        for (const id of shown) if (!added.has(id)) violate('PROP-05', node.name, `shows ${name(id)} as a member; the owner never added it`);
        // a member the owner removed is judged once the relay had the owner's RemoveMember before
        // this roster's GetRoster: an honest relay handles a connection's requests in the order it
        // receives them, so its answer left the member out (no race there)
        const asked = lastRequest(node.name, MsgType.GetRoster, node.statuses[i]!.at - world.startTime);
        if (asked === undefined) continue;
        const removedT = removedAtRelay(owner.name);
        for (const [id, t] of removedT) {
          if (asked > t && shown.has(id)) violate('PROP-05', node.name, `shows ${name(id)} as a member; the owner removed it (the relay had its RemoveMember at t=${t} ms) before this roster was asked for at t=${asked} ms`);
        }
        // and a member the owner added before the GetRoster, and did not remove, is in the answer
        for (const [id, t] of addedAtRelay(owner.name)) {
          const gone = removedT.get(id);
          if (asked > t && (gone === undefined || gone > asked) && !shown.has(id))
            violate('PROP-05', node.name, `shows the member list without ${name(id)}; the owner added it (the relay had its AddMember at t=${t} ms) before this roster was asked for at t=${asked} ms`);
        }
      }
    }
    rostersSeen.set(node.name, node.statuses.length);
  };

  return checkRosters;
}
