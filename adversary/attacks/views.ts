/**
 * Attacks on what members see of the room (spec 11.4: ATK-05, ATK-05b, ATK-08, ATK-08b, ATK-19,
 * ATK-19b): a ghost in the roster, a rolled-back roster, a rotation withheld, a member frozen on an
 * old epoch, and forks that show two members different commits for one epoch.
 */
import { compareBytes } from '../../impl/bytes.ts';
import { decode, encode, encodeUnchecked } from '../../impl/codec.ts';
import type { ReqId } from '../../impl/errors.ts';
import { Commit, CompatRosterInfo, PostCommit, Reject, RosterInfo } from '../../impl/messages/index.ts';
import { memberRecordOf, newestKem } from '../../impl/protocol/identity.ts';
import type { MemberContext } from '../../machines/member.ts';
import { messageLabel } from '../../simulator/message-label.ts';
import { rotation, type Attack } from './attack.ts';
import type { World } from '../../simulator/world.ts';
import type { MaliciousRelay } from '../relay.ts';

/** Attacks on what members see of the room: its roster and its commits. */
export const VIEW_ATTACKS: readonly Attack[] = [
  {
    id: 'ATK-08',
    title: 'rotation withheld from one member (split epochs)',
    weakness: 'W8',
    props: ['PROP-14'],
    plan: (p) => [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'bob', msg: rotation(p) } }],
  },
  {
    id: 'ATK-08b',
    title: 'one member frozen on an old epoch: every room entry from a rotation on withheld from it, history cut short as complete, rosters served honestly',
    weakness: 'W8',
    props: ['PROP-14'],
    // compat: the frozen member is shown no evidence of a later generation (a compat roster
    // carries none), so it notices nothing and PROP-14 is not violated; the freeze goes unseen (W8)
    compat: 'blocked',
    plan: (p) => [{ cap: 'CAP-11', op: 'freeze', match: { dir: 'down', client: 'bob', msg: rotation(p), nth: 1 } }],
  },
  {
    id: 'ATK-19',
    title: 'fork: the relay refuses the owner\'s commit, keeps it, and shows it to one member while the others get the owner\'s next commit for the same epoch',
    weakness: 'W8',
    props: ['PROP-14'],
    plan: (p) => (p === 'compat' ? [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'bob', msg: rotation(p) } }] : []),
    fork: { to: 'bob', reason: 'REQ-REL-018' },
  },
  {
    id: 'ATK-19b',
    title: "fork through a timed-out join: the relay drops a controlled invitee's confirmation and shows one member the add commit from its welcome",
    weakness: 'W8',
    props: ['PROP-14'],
    plan: (p) => (p === 'compat' ? [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'bob', msg: rotation(p) } }] : []),
    lateJoin: true,
    controlled: ['dave'],
    welcomeFork: { by: 'dave', to: 'bob' },
    joinTimeoutMs: 60_000,
  },
  {
    id: 'ATK-05',
    title: 'ghost member: the relay adds a member of its own to the roster it serves',
    weakness: 'W10',
    props: ['PROP-05'],
    plan: (p) => [{ cap: 'CAP-09', op: 'rewrite', match: { dir: 'down', msg: p === 'hardened' ? 'RosterInfo' : 'CompatRosterInfo' }, craft: 'ghost' }],
    controlled: ['mallory'],
    ghost: 'mallory',
  },
  {
    id: 'ATK-05b',
    title: 'roster rollback: after a removal the relay serves the roster it served before it',
    weakness: 'W10',
    props: ['PROP-05'],
    plan: (p) => [{ cap: 'CAP-09', op: 'rewrite', match: { dir: 'down', msg: p === 'hardened' ? 'RosterInfo' : 'CompatRosterInfo' }, craft: 'rollback' }],
    removes: 'carol',
    rollbackRosters: true,
  },
];


/** CAP-09 (W10): every served roster gets `ghost` as a member, with its own (valid) keys. */
export function ghostRosters(world: World, relay: MaliciousRelay, ghost: string): void {
  const g = world.clients.get(ghost)!.identity;
  relay.rewrites.set('ghost', (_client, frame) => {
    const label = messageLabel(frame);
    if (label.startsWith('CompatRosterInfo')) {
      const info = decode(CompatRosterInfo, frame);
      return encodeUnchecked(CompatRosterInfo, { ...info, members: [...info.members, { identity_pk: g.publicKey, kem_pk: newestKem(g).publicKey, role: 'member' }] });
    }
    if (label.startsWith('RosterInfo')) {
      const info = decode(RosterInfo, frame);
      const members = [...info.members, memberRecordOf(g, 'member', info.head.epoch)].sort((a, b) => compareBytes(a.member_id, b.member_id));
      return encodeUnchecked(RosterInfo, { ...info, members });
    }
    return undefined;
  });
}

/** CAP-09 (W10): every roster served is the first one served (its request id excepted): a rollback once the roster changed. */
export function rollbackRosters(relay: MaliciousRelay): void {
  let hardened: RosterInfo | undefined;
  let compat: CompatRosterInfo | undefined;
  relay.rewrites.set('rollback', (_client, frame) => {
    const label = messageLabel(frame);
    if (label.startsWith('CompatRosterInfo')) {
      const info = decode(CompatRosterInfo, frame);
      if (compat === undefined) return void (compat = info);
      return encodeUnchecked(CompatRosterInfo, { ...compat, req_id: info.req_id });
    }
    if (label.startsWith('RosterInfo')) {
      const info = decode(RosterInfo, frame);
      if (hardened === undefined) return void (hardened = info);
      return encodeUnchecked(RosterInfo, { ...hardened, req_id: info.req_id });
    }
    return undefined;
  });
}

/** See {@link Attack.fork}. */
export function forkCommits(relay: MaliciousRelay, to: string, reason: ReqId): void {
  let first: Uint8Array | undefined;
  relay.watch((o) => {
    if (first || o.dir !== 'up' || o.client !== 'owner' || !messageLabel(o.bytes).startsWith('PostCommit(Commit)')) return;
    const post = decode(PostCommit, o.bytes);
    if (decode(Commit, post.payload).reason !== 'rotate') return;
    first = post.payload;
    relay.later(() => relay.inject('owner', encode(Reject, { req_id: post.req_id, requirement: reason, detail: 'refused' })));
    relay.crafts.set('first-commit', () => first);
    relay.addStep({ cap: 'CAP-09', op: 'substitute', match: { dir: 'down', client: to, msg: 'RoomDelivery(AppMessage)', nth: 1 }, craft: 'first-commit' });
    relay.addStep({ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: to, msg: 'RoomDelivery(Commit)' } });
  });
  relay.addStep({ cap: 'CAP-02', op: 'drop', match: { dir: 'up', client: 'owner', msg: 'PostCommit(Commit)', nth: 1 } });
}

/** See {@link Attack.welcomeFork}. */
export function welcomeFork(world: World, relay: MaliciousRelay, by: string, to: string): void {
  let first: Uint8Array | undefined;
  let withholding = false;
  relay.watch((o) => {
    const label = messageLabel(o.bytes);
    if (!first && o.dir === 'up' && o.client === by && label.startsWith('SubmitConfirm')) {
      // a controlled invitee: the adversary holds what it holds, the add commit of its welcome included
      first = (world.clients.get(by)!.snapshot.context as MemberContext).pendingGroup?.commitBytes;
      if (!first) return;
      relay.crafts.set('welcome-commit', () => first);
      // the owner's next commit reaches `to` as the welcome's add commit
      relay.addStep({ cap: 'CAP-09', op: 'substitute', match: { dir: 'down', client: to, msg: 'RoomDelivery(Commit)', nth: 1 }, craft: 'welcome-commit' });
    } else if (first && !withholding && o.dir === 'down' && o.client === to && label === 'RoomDelivery(Commit)') {
      withholding = true;
      relay.later(() => relay.addStep({ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: to, msg: 'RoomDelivery(Commit)' } }));
    }
  });
  relay.addStep({ cap: 'CAP-02', op: 'drop', match: { dir: 'up', client: by, msg: 'SubmitConfirm(JoinConfirm)' } });
}
