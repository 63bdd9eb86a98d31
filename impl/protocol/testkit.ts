/** Deterministic fixtures for the protocol-step tests: identities, a genesis room, a joined member. */
import { utf8, type Bytes } from '../bytes.ts';
import { nobleCrypto } from '../crypto/noble.ts';
import { createInvite } from '../invite.ts';
import { epochHash, INITIAL_INIT_SECRET, type EpochKeys } from '../keyschedule.ts';
import type { MemberRecord } from '../messages/index.ts';
import { deterministicRng, type StatefulRng } from '../rng.ts';
import { buildCommit, ownerEpochKeys, ZERO_HASH, type BuiltCommit } from './commit.ts';
import { createIdentity, memberRecordOf, type Identity } from './identity.ts';
import { buildJoinRequest, buildWelcome, openWelcome } from './join.ts';

/** The real backend, shared by the fixtures. */
export const c = nobleCrypto;

/** A deterministic generator for a named test. */
export function testRng(name: string): StatefulRng {
  return deterministicRng(utf8(`pqroom test ${name}`));
}

/** A room right after creation: the owner's identity, the genesis commit and epoch 0 keys. */
export interface GenesisRoom {
  /** Generator for further steps. */
  readonly rng: StatefulRng;
  /** The owner. */
  readonly owner: Identity;
  /** Room id. */
  readonly roomId: Bytes;
  /** Genesis commit. */
  readonly genesis: BuiltCommit;
  /** Epoch 0 keys. */
  readonly keys0: EpochKeys;
}

/** Creates a room (REQ-OWN-001, REQ-OWN-002). */
export function genesisRoom(name: string): GenesisRoom {
  const rng = testRng(name);
  const owner = createIdentity(c, rng);
  const roomId = rng.bytes(16);
  const genesis = buildCommit(c, rng, {
    roomId,
    epoch: 0,
    prevEpochHash: ZERO_HASH,
    reason: 'create',
    inviteId: ZERO_HASH,
    adds: [memberRecordOf(owner, 'owner', 0)],
    removes: [],
    roster: [],
    heads: [],
    owner,
  });
  return { rng, owner, roomId, genesis, keys0: ownerEpochKeys(c, genesis, INITIAL_INIT_SECRET) };
}

/** A room in which `member` joined at epoch 1 through the full handshake. */
export interface JoinedRoom extends GenesisRoom {
  /** The member. */
  readonly member: Identity;
  /** The add commit. */
  readonly add: BuiltCommit;
  /** The owner's epoch 1 keys. */
  readonly keys1: EpochKeys;
  /** The roster of epoch 1. */
  readonly roster1: readonly MemberRecord[];
}

/** Runs invite, join request, welcome and returns the room at epoch 1. */
export function joinedRoom(name: string): JoinedRoom {
  const g = genesisRoom(name);
  const { rng, owner, roomId } = g;
  const member = createIdentity(c, rng);
  const { invite, inviteId } = createInvite(c, rng, { profile: 'hardened', roomId, ownerFp: owner.fp, now: 0, lifetimeMs: 1000 });
  const jr = buildJoinRequest(c, rng, invite, member, inviteId);
  const add = buildCommit(c, rng, {
    roomId,
    epoch: 1,
    prevEpochHash: epochHash(c, g.genesis.commit.bytes),
    reason: 'add',
    inviteId,
    adds: [{ ...memberRecordOf(member, 'member', 1), kem_cert: jr.value.kem_cert }],
    removes: [],
    roster: g.genesis.roster,
    heads: [],
    owner,
  });
  const keys1 = ownerEpochKeys(c, add, g.keys0.initSecret);
  const w = buildWelcome(c, rng, { joinRequest: jr, token: invite.token, groupInfo: { epoch_secret: keys1.epochSecret, commit: add.commit.value, roster: add.roster }, owner });
  openWelcome(c, w, invite, jr, member.kemKeys[0]!.secretKey);
  return { ...g, member, add, keys1, roster1: add.roster };
}
