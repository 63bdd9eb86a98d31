/**
 * Commits (spec 5.4, 5.5, 6.5 to 6.8, 7.7, 8.4): the owner builds them; members and the relay
 * check that a commit is a valid successor of the epoch they hold.
 */
import { compareBytes, equalBytes, isZero, zeros, type Bytes } from '../bytes.ts';
import { encode } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { check, type ReqId } from '../errors.ts';
import {
  commitContextHash,
  epochKeys,
  epochSecret,
  groupContextOf,
  openCommitEntry,
  rosterHash,
  sealCommitEntry,
  type EpochKeys,
} from '../keyschedule.ts';
import { Commit, type CommitReason, type EpochHead, type MemberRecord } from '../messages/index.ts';
import { enforced } from '../mutants.ts';
import type { Rng } from '../rng.ts';
import { HASH_BYTES, MAX_MEMBERS } from '../suite.ts';
import { kemByVersion, requireSigned, signStruct, verifyMemberRecord, type Identity } from './identity.ts';
import type { Encoded } from './join.ts';
import { checkRotationUpdates } from './key-update.ts';

/**
 * The roster after adding `adds` and taking out `removes`, sorted by member id. An add of a member
 * already in the roster replaces its record: a key update (spec 6.11, REQ-KS-007).
 */
export function applyRoster(roster: readonly MemberRecord[], adds: readonly MemberRecord[], removes: readonly Bytes[]): MemberRecord[] {
  const gone = (id: Bytes): boolean => removes.some((x) => equalBytes(x, id)) || adds.some((a) => equalBytes(a.member_id, id));
  return [...roster.filter((r) => !gone(r.member_id)), ...adds].sort((a, b) =>
    compareBytes(a.member_id, b.member_id),
  );
}

/** Inputs of {@link buildCommit}. */
export interface CommitParams {
  /** The room. */
  readonly roomId: Bytes;
  /** The new epoch number. */
  readonly epoch: number;
  /** `epoch_hash` of the current epoch (zeros for the genesis commit). */
  readonly prevEpochHash: Bytes;
  /** Why the commit is made. */
  readonly reason: CommitReason;
  /** The invite an `add` consumes (zeros otherwise). */
  readonly inviteId: Bytes;
  /** Records added (role and `added_epoch` already set). */
  readonly adds: readonly MemberRecord[];
  /** Member ids removed. */
  readonly removes: readonly Bytes[];
  /** The current roster (empty for the genesis commit). */
  readonly roster: readonly MemberRecord[];
  /** The owner's signed history heads (REQ-OWN-032). */
  readonly heads: readonly EpochHead[];
  /** The owner. */
  readonly owner: Identity;
}

/** A commit the owner built, with what only the owner knows about it. */
export interface BuiltCommit {
  /** The signed commit and its encoding. */
  readonly commit: Encoded<Commit>;
  /** The fresh `commit_secret` (spec 5.4). */
  readonly commitSecret: Bytes;
  /** The roster after the commit. */
  readonly roster: readonly MemberRecord[];
}

/**
 * Builds and signs a commit (REQ-OWN-002, REQ-OWN-020, REQ-OWN-030..034): a fresh commit
 * secret sealed to every member of the new roster except the owner and those it adds.
 */
export function buildCommit(c: CryptoProvider, rng: Rng, p: CommitParams): BuiltCommit {
  const roster = applyRoster(p.roster, p.adds, p.removes);
  if (roster.length > MAX_MEMBERS) throw new RangeError('roster would exceed 1000 members');
  const rh = rosterHash(c, roster);
  const ctx = commitContextHash(c, p.roomId, p.epoch, p.prevEpochHash, rh);
  const commitSecret = rng.bytes(32);
  // REQ-OWN-033: one entry per member of the new roster but the owner and those added here, each
  // under the key of its record in the new roster: an updated member's new key (REQ-KS-007)
  const joined = (id: Bytes): boolean => p.adds.some((a) => equalBytes(a.member_id, id)) && !p.roster.some((r) => equalBytes(r.member_id, id));
  const entries = roster
    .filter((r) => !equalBytes(r.member_id, p.owner.fp) && !joined(r.member_id))
    .map((r) => {
      // REQ-KS-007: its mutant seals an updated member's entry to the key its record had before the update
      const old = enforced('REQ-KS-007') ? undefined : p.roster.find((x) => equalBytes(x.member_id, r.member_id));
      const cert = old ?? r;
      return sealCommitEntry(c, rng, ctx, r.member_id, cert.kem_cert.version, cert.kem_cert.kem_pk, commitSecret);
    });
  const value = signStruct(
    c,
    rng,
    Commit,
    {
      room_id: p.roomId,
      epoch: p.epoch,
      prev_epoch_hash: p.prevEpochHash, // REQ-KS-003, REQ-OWN-034: chains to the current epoch hash
      reason: p.reason,
      invite_id: p.inviteId,
      adds: [...p.adds].sort((a, b) => compareBytes(a.member_id, b.member_id)),
      removes: [...p.removes].sort(compareBytes).map((member_id) => ({ member_id })),
      roster_hash: rh,
      heads: [...p.heads].sort((a, b) => compareBytes(a.member_id, b.member_id)),
      entries,
    },
    'commit', // REQ-OWN-034: signed by the owner with context `commit`
    p.owner.secretKey,
  );
  return { commit: { value, bytes: encode(Commit, value) }, commitSecret, roster };
}

/** What a party holds about the current epoch, to check a successor commit. */
export interface EpochView {
  /** The room. */
  readonly roomId: Bytes;
  /** The current epoch number. */
  readonly epoch: number;
  /** `epoch_hash` of the current epoch. */
  readonly epochHash: Bytes;
  /** The current roster. */
  readonly roster: readonly MemberRecord[];
}

/** Requirement ids to report for each kind of commit check (members and the relay cite different ones). */
export interface CommitCheckIds {
  /** Wrong room. */
  readonly room: ReqId;
  /** Signature. */
  readonly signature: ReqId;
  /** Epoch number. */
  readonly epoch: ReqId;
  /** Hash chain. */
  readonly chain: ReqId;
  /** Reason versus contents. */
  readonly reason: ReqId;
  /** Roster hash. */
  readonly rosterHash: ReqId;
  /** Added record well formed. */
  readonly record: ReqId;
  /** The key updates of a rotation (REQ-MEM-053). */
  readonly update: ReqId;
}

/** The member's requirement ids (spec 7.7). */
export const MEMBER_COMMIT_CHECKS: CommitCheckIds = {
  room: 'REQ-MEM-040',
  signature: 'REQ-MEM-041',
  epoch: 'REQ-MEM-042',
  chain: 'REQ-MEM-043',
  reason: 'REQ-MEM-044',
  rosterHash: 'REQ-MEM-045',
  record: 'REQ-MEM-047',
  update: 'REQ-MEM-053',
};

/** The owner record of a roster. */
export function ownerOf(roster: readonly MemberRecord[]): MemberRecord | undefined {
  return roster.find((r) => r.role === 'owner');
}

/**
 * Checks that `commit` is a valid successor of `view` (REQ-MEM-040..045, 047; REQ-REL-015,
 * 017, 019) and returns the new roster. Signature first, then epoch, chain, contents, hash.
 */
export function checkCommitSuccessor(c: CryptoProvider, view: EpochView, commit: Commit, ids: CommitCheckIds): MemberRecord[] {
  check(equalBytes(commit.room_id, view.roomId), ids.room, 'commit is for another room');
  const owner = ownerOf(view.roster);
  check(owner !== undefined, ids.signature, 'no owner in the roster');
  requireSigned(c, Commit, commit, 'commit', owner.identity_pk, ids.signature, 'Commit');
  check(commit.epoch === view.epoch + 1, ids.epoch, `commit for epoch ${commit.epoch}, expected ${view.epoch + 1}`);
  check(equalBytes(commit.prev_epoch_hash, view.epochHash), ids.chain, 'commit does not chain to the current epoch hash');
  checkReason(commit, view.roster, ids.reason);
  if (commit.reason === 'rotate') checkRotationUpdates(c, view.roster, commit, ids.update); // REQ-MEM-053
  const removes = commit.removes.map((r) => r.member_id);
  const roster = applyRoster(view.roster, commit.adds, removes);
  check(equalBytes(rosterHash(c, roster), commit.roster_hash), ids.rosterHash, 'roster_hash does not match the roster after the commit');
  if (commit.reason === 'add') for (const a of commit.adds) verifyMemberRecord(c, a, ids.record);
  return roster;
}

function checkReason(commit: Commit, roster: readonly MemberRecord[], id: ReqId): void {
  const inRoster = (mid: Bytes): boolean => roster.some((r) => equalBytes(r.member_id, mid));
  switch (commit.reason) {
    case 'create':
      check(false, id, 'a create commit cannot follow another epoch');
      break;
    case 'add': {
      check(commit.adds.length === 1 && commit.removes.length === 0, id, 'add needs exactly one add and no removes');
      check(!isZero(commit.invite_id), id, 'add needs an invite id');
      const a = commit.adds[0]!;
      check(a.role === 'member', id, 'an added record must have role member');
      check(a.added_epoch === commit.epoch, id, 'added_epoch must be the commit epoch');
      check(!inRoster(a.member_id), id, 'added member is already in the roster');
      check(roster.length < MAX_MEMBERS, id, 'roster is full');
      break;
    }
    case 'remove': {
      check(commit.adds.length === 0 && commit.removes.length === 1, id, 'remove needs exactly one remove and no adds');
      check(isZero(commit.invite_id), id, 'remove carries no invite id');
      const target = roster.find((r) => equalBytes(r.member_id, commit.removes[0]!.member_id));
      check(target !== undefined, id, 'removed member is not in the roster');
      check(target.role !== 'owner', id, 'the owner cannot be removed');
      break;
    }
    case 'rotate':
      // its adds are key updates, checked by REQ-MEM-053
      check(commit.removes.length === 0 && isZero(commit.invite_id), id, 'rotate changes no members');
      break;
  }
}

/**
 * Checks a genesis commit (REQ-REL-010 for the relay): epoch 0, reason create, zero chain and
 * invite, exactly one owner add, nothing else, correct roster hash, signed by that owner.
 */
export function checkGenesis(c: CryptoProvider, commit: Commit, reqId: ReqId): MemberRecord[] {
  check(commit.epoch === 0 && commit.reason === 'create', reqId, 'genesis must be epoch 0, reason create');
  check(isZero(commit.prev_epoch_hash) && isZero(commit.invite_id), reqId, 'genesis has zero prev_epoch_hash and invite_id');
  check(commit.adds.length === 1 && commit.removes.length === 0, reqId, 'genesis adds exactly the owner');
  check(commit.heads.length === 0 && commit.entries.length === 0, reqId, 'genesis has no heads or entries');
  const owner = commit.adds[0]!;
  check(owner.role === 'owner' && owner.added_epoch === 0, reqId, 'genesis record must be the owner, added at epoch 0');
  verifyMemberRecord(c, owner, reqId);
  check(equalBytes(rosterHash(c, [owner]), commit.roster_hash), reqId, 'genesis roster_hash is wrong');
  requireSigned(c, Commit, commit, 'commit', owner.identity_pk, reqId, 'genesis Commit');
  return [owner];
}

/**
 * A member opens its secret entry of a verified commit and derives the new epoch (REQ-MEM-046):
 * exactly one entry for it, under a KEM version it holds.
 */
export function openCommit(
  c: CryptoProvider,
  commit: Encoded<Commit>,
  me: Identity,
  prevInitSecret: Bytes,
): EpochKeys {
  const mine = commit.value.entries.filter((e) => equalBytes(e.member_id, me.fp));
  check(mine.length === 1, 'REQ-MEM-046', `expected one secret entry for this member, found ${mine.length}`);
  const entry = mine[0]!;
  const kem = kemByVersion(me, entry.kem_version);
  check(kem !== undefined, 'REQ-MEM-046', `no ML-KEM key of version ${entry.kem_version}`);
  const ctx = commitContextHash(c, commit.value.room_id, commit.value.epoch, commit.value.prev_epoch_hash, commit.value.roster_hash);
  const secret = openCommitEntry(c, ctx, entry, kem.secretKey);
  return epochKeys(c, epochSecret(c, prevInitSecret, secret), groupContextOf(c, commit.value, commit.bytes));
}

/** The owner's own derivation of the epoch its commit creates (spec 5.4). */
export function ownerEpochKeys(c: CryptoProvider, built: BuiltCommit, prevInitSecret: Bytes): EpochKeys {
  return epochKeys(c, epochSecret(c, prevInitSecret, built.commitSecret), groupContextOf(c, built.commit.value, built.commit.bytes));
}

/** 32 zero bytes: the `prev_epoch_hash` of epoch 0 and the `invite_id` of commits that consume none. */
export const ZERO_HASH: Bytes = zeros(HASH_BYTES);
