/**
 * The relay-state tests' fixtures: a room with a principal in every role of spec 8.3, in each
 * profile, and a request for every operation of the matrix (spec 8.4), valid whenever the role
 * may make it. Shared by relay-state.test.ts and the tests beside this file.
 */
import type { Bytes } from '../../bytes.ts';
import { decode, encode } from '../../codec.ts';
import { createInvite } from '../../invite.ts';
import { epochHash } from '../../keyschedule.ts';
import {
  AppMessage,
  CompatChat,
  CompatConfirm,
  CompatMember,
  CompatRotation,
  CompatWelcome,
  JoinConfirm,
  Reject,
  Welcome,
  type EpochHead,
  type Invite,
  type KemCert,
  type MemberRecord,
} from '../../messages/index.ts';
import { deterministicRng } from '../../rng.ts';
import { NO_EPOCH } from '../../suite.ts';
import { buildCommit, ZERO_HASH } from '../commit.ts';
import { buildCompatJoinRequest, buildCompatMemberAdd } from '../compat.ts';
import { createIdentity, memberRecordOf, newestKem, rotateKem, type Identity } from '../identity.ts';
import { buildJoinRequest } from '../join.ts';
import { makeKeyUpdate } from '../key-update.ts';
import { EMPTY_RELAY, handleRequest, type RelayOperation, type RelayRequest, type RelayRole, type RelayState, type RelayStep } from '../relay-state.ts';
import { c } from '../testkit.ts';

export const NOW = 1_000_000;
export const rng = deterministicRng(new TextEncoder().encode('relay-state test'));
export const ROLES: readonly RelayRole[] = ['owner', 'member', 'invitee', 'removed', 'stranger'];

export interface Fixture {
  readonly profile: 'hardened' | 'compat';
  readonly state: RelayState;
  readonly roomId: Bytes;
  readonly ids: Record<RelayRole, Identity>;
  readonly invites: Record<'claimed' | 'free', { invite: Invite; inviteId: Bytes }>;
  readonly epoch: number;
  readonly epochHash: Bytes;
  readonly roster: MemberRecord[];
  /** The invitee's join request (hardened), used to build the add commit. */
  readonly inviteeRecordCert?: KemCert;
}

let reqCounter = 1;
/** A fresh request id. */
export function nextReqId(): number {
  return reqCounter++;
}
export function run(state: RelayState, who: Identity, req: RelayRequest): RelayStep {
  return handleRequest(c, state, who.fp, req, NOW);
}
export function ok(step: RelayStep): RelayState {
  if (step.rejected) throw new Error(`unexpected rejection ${step.rejected}: ${decode(Reject, step.outputs.at(-1)!.kind === 'reply' ? (step.outputs.at(-1) as { bytes: Bytes }).bytes : new Uint8Array()).detail}`);
  return step.state;
}

export function hardenedFixture(): Fixture {
  const ids = Object.fromEntries(ROLES.map((r) => [r, createIdentity(c, rng)])) as Record<RelayRole, Identity>;
  const owner = ids.owner;
  const roomId = rng.bytes(16);
  let roster = [memberRecordOf(owner, 'owner', 0)];
  const genesis = buildCommit(c, rng, { roomId, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: roster, removes: [], roster: [], heads: [], owner });
  let state = ok(run(EMPTY_RELAY, owner, { name: 'CreateRoom', value: { req_id: reqCounter++, room_id: roomId, profile: 'hardened', payload: genesis.commit.bytes } }));
  let epoch = 0;
  let eh = epochHash(c, genesis.commit.bytes);
  const issue = () => {
    const inv = createInvite(c, rng, { profile: 'hardened', roomId, ownerFp: owner.fp, now: NOW, lifetimeMs: 60_000 });
    state = ok(run(state, owner, { name: 'PostInvite', value: { req_id: reqCounter++, room_id: roomId, invite_id: inv.inviteId, expires_at: inv.invite.expires_at } }));
    return inv;
  };
  const join = (who: Identity, inv: { invite: Invite; inviteId: Bytes }) => {
    const jr = buildJoinRequest(c, rng, inv.invite, who, inv.inviteId);
    state = ok(run(state, who, { name: 'SubmitJoin', value: { req_id: reqCounter++, room_id: roomId, invite_id: inv.inviteId, payload: jr.bytes } }));
    return jr;
  };
  const commit = (reason: 'add' | 'remove' | 'rotate', extra: { adds?: MemberRecord[]; removes?: Bytes[]; inviteId?: Bytes; heads?: EpochHead[] }) => {
    const b = buildCommit(c, rng, { roomId, epoch: epoch + 1, prevEpochHash: eh, reason, inviteId: extra.inviteId ?? ZERO_HASH, adds: extra.adds ?? [], removes: extra.removes ?? [], roster, heads: extra.heads ?? [], owner });
    state = ok(run(state, owner, { name: 'PostCommit', value: { req_id: reqCounter++, room_id: roomId, payload: b.commit.bytes } }));
    epoch++;
    eh = epochHash(c, b.commit.bytes);
    roster = [...b.roster];
  };
  for (const r of ['member', 'removed'] as const) {
    const inv = issue();
    join(ids[r], inv);
    commit('add', { adds: [memberRecordOf(ids[r], 'member', epoch + 1)], inviteId: inv.inviteId });
  }
  // the removed member had sent seq 0 to 2 in epoch 2, the epoch it was added in: its final head is 3
  commit('remove', { removes: [ids.removed.fp], heads: [{ member_id: ids.removed.fp, next_seq: 3, last_epoch: 2 }] });
  const claimed = issue();
  const jrI = join(ids.invitee, claimed);
  const free = issue();
  state = ok(run(state, owner, { name: 'PublishKeys', value: { req_id: reqCounter++, identity_pk: owner.publicKey, kem_cert: newestKem(owner).cert } }));
  return { profile: 'hardened', state, roomId, ids, invites: { claimed, free }, epoch, epochHash: eh, roster, inviteeRecordCert: jrI.value.kem_cert };
}

export function compatFixture(): Fixture {
  const ids = Object.fromEntries(ROLES.map((r) => [r, createIdentity(c, rng)])) as Record<RelayRole, Identity>;
  const owner = ids.owner;
  const roomId = rng.bytes(16);
  const ownerMember = { identity_pk: owner.publicKey, kem_pk: newestKem(owner).publicKey, role: 'owner' as const };
  let state = ok(run(EMPTY_RELAY, owner, { name: 'CreateRoom', value: { req_id: reqCounter++, room_id: roomId, profile: 'compat', payload: encode(CompatMember, ownerMember) } }));
  const issue = () => {
    const inv = createInvite(c, rng, { profile: 'compat', roomId, ownerFp: owner.fp, now: NOW, lifetimeMs: 0 });
    state = ok(run(state, owner, { name: 'PostInvite', value: { req_id: reqCounter++, room_id: roomId, invite_id: inv.inviteId, expires_at: 0 } }));
    return inv;
  };
  const join = (who: Identity, inv: { invite: Invite; inviteId: Bytes }) => {
    const jr = buildCompatJoinRequest(c, rng, { invite: inv.invite, inviteId: inv.inviteId, identity: who, ownerKemPk: newestKem(owner).publicKey });
    state = ok(run(state, who, { name: 'SubmitJoin', value: { req_id: reqCounter++, room_id: roomId, invite_id: inv.inviteId, payload: jr.request.bytes } }));
  };
  const add = (who: Identity, inv: { inviteId: Bytes }) => {
    const a = buildCompatMemberAdd(c, rng, { roomId, member: { identity_pk: who.publicKey, kem_pk: newestKem(who).publicKey, role: 'member' }, owner });
    state = ok(run(state, owner, { name: 'AddMember', value: { req_id: reqCounter++, room_id: roomId, invite_id: inv.inviteId, payload: a.bytes } }));
  };
  for (const r of ['member', 'removed'] as const) {
    const inv = issue();
    join(ids[r], inv);
    add(ids[r], inv);
  }
  state = ok(run(state, owner, { name: 'RemoveMember', value: { req_id: reqCounter++, room_id: roomId, member_id: ids.removed.fp } }));
  const claimed = issue();
  join(ids.invitee, claimed);
  const free = issue();
  state = ok(run(state, owner, { name: 'PublishKeys', value: { req_id: reqCounter++, identity_pk: owner.publicKey, kem_cert: newestKem(owner).cert } }));
  return { profile: 'compat', state, roomId, ids, invites: { claimed, free }, epoch: 0, epochHash: ZERO_HASH, roster: [] };
}

/**
 * A request for `op` by `who`, valid whenever `who` is allowed to make it. A role only exists
 * with respect to the fixture's room, so `create room` names that room unless the caller is a
 * stranger asking for a new one.
 */
export function requestFor(f: Fixture, op: RelayOperation, who: Identity, role: RelayRole = 'stranger'): RelayRequest {
  const req_id = reqCounter++;
  const room_id = f.roomId;
  const hardened = f.profile === 'hardened';
  switch (op) {
    case 'create room': {
      const fresh = role === 'stranger' ? rng.bytes(16) : f.roomId;
      if (!hardened)
        return { name: 'CreateRoom', value: { req_id, room_id: fresh, profile: 'compat', payload: encode(CompatMember, { identity_pk: who.publicKey, kem_pk: newestKem(who).publicKey, role: 'owner' }) } };
      const g = buildCommit(c, rng, { roomId: fresh, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(who, 'owner', 0)], removes: [], roster: [], heads: [], owner: who });
      return { name: 'CreateRoom', value: { req_id, room_id: fresh, profile: 'hardened', payload: g.commit.bytes } };
    }
    case 'post an invite hash':
      return { name: 'PostInvite', value: { req_id, room_id, invite_id: rng.bytes(32), expires_at: NOW + 1000 } };
    case 'submit a join': {
      const inv = f.invites.free;
      const payload = hardened
        ? buildJoinRequest(c, rng, inv.invite, who, inv.inviteId).bytes
        : buildCompatJoinRequest(c, rng, { invite: inv.invite, inviteId: inv.inviteId, identity: who, ownerKemPk: newestKem(f.ids.owner).publicKey }).request.bytes;
      return { name: 'SubmitJoin', value: { req_id, room_id, invite_id: inv.inviteId, payload } };
    }
    case 'deliver a welcome': {
      const invite_id = f.invites.claimed.inviteId;
      const payload = hardened
        ? encode(Welcome, { room_id, invite_id, join_hash: rng.bytes(32), epoch: f.epoch + 1, kem_ct: rng.bytes(1088), nonce: rng.bytes(24), sealed: rng.bytes(40), signature: rng.bytes(3309) })
        : encode(CompatWelcome, { room_id, invite_id, nonce: rng.bytes(24), sealed: rng.bytes(48) });
      return { name: 'SendWelcome', value: { req_id, room_id, invite_id, payload } };
    }
    case 'submit a confirmation': {
      const invite_id = f.invites.claimed.inviteId;
      const payload = hardened
        ? encode(JoinConfirm, { room_id, invite_id, epoch: f.epoch + 1, welcome_hash: rng.bytes(32), confirm_mac: rng.bytes(32), signature: rng.bytes(3309) })
        : encode(CompatConfirm, { room_id, invite_id, nonce: rng.bytes(24), sealed: rng.bytes(80) });
      return { name: 'SubmitConfirm', value: { req_id, room_id, invite_id, payload } };
    }
    case 'add a member': {
      const invitee = f.ids.invitee;
      if (!hardened) {
        const a = buildCompatMemberAdd(c, rng, { roomId: room_id, member: { identity_pk: invitee.publicKey, kem_pk: newestKem(invitee).publicKey, role: 'member' }, owner: f.ids.owner });
        return { name: 'AddMember', value: { req_id, room_id, invite_id: f.invites.claimed.inviteId, payload: a.bytes } };
      }
      const b = buildCommit(c, rng, { roomId: room_id, epoch: f.epoch + 1, prevEpochHash: f.epochHash, reason: 'add', inviteId: f.invites.claimed.inviteId, adds: [{ ...memberRecordOf(invitee, 'member', f.epoch + 1), kem_cert: f.inviteeRecordCert! }], removes: [], roster: f.roster, heads: [], owner: f.ids.owner });
      return { name: 'PostCommit', value: { req_id, room_id, payload: b.commit.bytes } };
    }
    case 'remove a member': {
      if (!hardened) return { name: 'RemoveMember', value: { req_id, room_id, member_id: f.ids.member.fp } };
      const b = buildCommit(c, rng, { roomId: room_id, epoch: f.epoch + 1, prevEpochHash: f.epochHash, reason: 'remove', inviteId: ZERO_HASH, adds: [], removes: [f.ids.member.fp], roster: f.roster, heads: [], owner: f.ids.owner });
      return { name: 'PostCommit', value: { req_id, room_id, payload: b.commit.bytes } };
    }
    case 'rotate': {
      if (!hardened) return { name: 'Rotate', value: { req_id, room_id, payload: encode(CompatRotation, { room_id, sender: who.fp, nonce: rng.bytes(24), ciphertext: rng.bytes(48) }) } };
      const b = buildCommit(c, rng, { roomId: room_id, epoch: f.epoch + 1, prevEpochHash: f.epochHash, reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: f.roster, heads: [], owner: f.ids.owner });
      return { name: 'PostCommit', value: { req_id, room_id, payload: b.commit.bytes } };
    }
    case 'send': {
      const payload = hardened
        ? encode(AppMessage, { room_id, epoch: f.epoch, sender: who.fp, seq: 0, prev_epoch: NO_EPOCH, nonce: rng.bytes(24), ciphertext: rng.bytes(40), signature: rng.bytes(3309) })
        : encode(CompatChat, { room_id, sender: who.fp, nonce: rng.bytes(24), ciphertext: rng.bytes(40) });
      return { name: 'Send', value: { req_id, room_id, payload } };
    }
    case 'fetch history':
      return { name: 'FetchHistory', value: { req_id, room_id, from_index: 1, limit: 50 } };
    case 'read the roster':
      return { name: 'GetRoster', value: { req_id, room_id } };
    case 'update a member key':
      return { name: 'PostKeyUpdate', value: { req_id, room_id, payload: makeKeyUpdate(c, rng, who, room_id, f.epoch, false).update.bytes } };
    case 'fetch the own mailbox':
      return { name: 'FetchMailbox', value: { req_id, from_index: 1 } };
    case 'publish the own keys':
      // a newer certificate than any the fixture published (the owner published its first)
      return { name: 'PublishKeys', value: { req_id, identity_pk: who.publicKey, kem_cert: newestKem(rotateKem(c, rng, who)).cert } };
    case 'look up keys':
      return { name: 'GetKeys', value: { req_id, member_id: f.ids.owner.fp } };
  }
}
