/**
 * The member key update flow of spec 6.11 and 7.12 (hardened), as golden runs: a member makes a
 * `KeyUpdate` (REQ-MEM-051), the owner checks it (REQ-OWN-050..052) and commits it in a rotation
 * that seals the member's entry to the new key (REQ-OWN-053, REQ-KS-007), and the member checks
 * that rotation (REQ-MEM-053, REQ-MEM-054) and opens it with the new key. Each run also holds what
 * must be refused: the same update handed to the owner of another room (REQ-OWN-050) or again
 * after its commit (REQ-OWN-052), and the commit's entry opened with the member's previous key.
 */
import { equalBytes, fromHex as b, toHex as h, utf8 } from '../../impl/bytes.ts';
import { decode, type Json } from '../../impl/codec.ts';
import { nobleCrypto as c } from '../../impl/crypto/noble.ts';
import { commitContextHash, epochHash, INITIAL_INIT_SECRET, openCommitEntry } from '../../impl/keyschedule.ts';
import { Commit, KeyUpdate, type MemberRecord } from '../../impl/messages/index.ts';
import { buildCommit, checkCommitSuccessor, checkGenesis, MEMBER_COMMIT_CHECKS, openCommit, ownerEpochKeys, ZERO_HASH } from '../../impl/protocol/commit.ts';
import { createIdentity, identityFromSeeds, memberRecordOf, newestKem } from '../../impl/protocol/identity.ts';
import { checkKeyUpdate, checkOwnUpdate, makeKeyUpdate, OWNER_UPDATE_CHECKS } from '../../impl/protocol/key-update.ts';
import { PqroomError } from '../../impl/errors.ts';
import { deterministicRng } from '../../impl/rng.ts';
import { expectEqual, type VectorKind } from './kind.ts';

type Case = Record<string, Json>;

/** The requirement id a check refuses with, or `accepted`. */
function refusal(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (e instanceof PqroomError) return e.reqId;
    throw e;
  }
}

/** Whether the entry of `commit` for `me` opens under `secretKey` (ML-KEM's implicit rejection: a wrong key gives a wrong secret, and the seal fails). */
function entryOpens(commit: Commit, me: Uint8Array, secretKey: Uint8Array): boolean {
  const entry = commit.entries.find((e) => equalBytes(e.member_id, me))!;
  const ctx = commitContextHash(c, commit.room_id, commit.epoch, commit.prev_epoch_hash, commit.roster_hash);
  return refusal(() => openCommitEntry(c, ctx, entry, secretKey)) === 'accepted';
}

/** A room with bob in it (genesis, add), bob's key update in epoch 1, and the rotation to epoch 2 that commits it. */
function updateRun(seed: string, urgent: boolean): Case {
  const rng = deterministicRng(utf8(seed));
  const owner = createIdentity(c, rng);
  const bob = createIdentity(c, rng);
  const roomId = rng.bytes(16);
  const otherRoomId = rng.bytes(16);
  const genesis = buildCommit(c, rng, { roomId, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(owner, 'owner', 0)], removes: [], roster: [], heads: [], owner });
  const k0 = ownerEpochKeys(c, genesis, INITIAL_INIT_SECRET);
  const add = buildCommit(c, rng, { roomId, epoch: 1, prevEpochHash: epochHash(c, genesis.commit.bytes), reason: 'add', inviteId: rng.bytes(32), adds: [memberRecordOf(bob, 'member', 1)], removes: [], roster: genesis.roster, heads: [], owner });
  const k1 = ownerEpochKeys(c, add, k0.initSecret);
  // REQ-MEM-051: bob's fresh key (version 2) and its update, bound to the room and epoch 1
  const made = makeKeyUpdate(c, rng, bob, roomId, 1, urgent);
  // REQ-OWN-050..052: the owner's checks; REQ-OWN-053: the rotation carries the updated record
  const view = { roomId, epoch: 1, roster: add.roster };
  const record: MemberRecord = checkKeyUpdate(c, view, made.update.value, 0, OWNER_UPDATE_CHECKS);
  const rotate = buildCommit(c, rng, { roomId, epoch: 2, prevEpochHash: epochHash(c, add.commit.bytes), reason: 'rotate', inviteId: ZERO_HASH, adds: [record], removes: [], roster: add.roster, heads: [], owner });
  const k2 = ownerEpochKeys(c, rotate, k1.initSecret);
  const old = newestKem(bob);
  return {
    seed,
    owner_identity_pk: h(owner.publicKey),
    member_identity_seed: h(bob.seed),
    member_old_kem_seed: h(old.seed),
    member_new_kem_seed: h(made.kem.seed),
    genesis_commit: h(genesis.commit.bytes),
    add_commit: h(add.commit.bytes),
    epoch1_init_secret: h(k1.initSecret),
    key_update: h(made.update.bytes),
    rotate_commit: h(rotate.commit.bytes),
    epoch2_secret: h(k2.epochSecret),
    epoch2_app_key: h(k2.appKey),
    other_room_id: h(otherRoomId),
    // what must be refused, and by which requirement
    update_in_other_room: refusal(() => checkKeyUpdate(c, { ...view, roomId: otherRoomId }, made.update.value, 0, OWNER_UPDATE_CHECKS)),
    update_after_commit: refusal(() => checkKeyUpdate(c, { roomId, epoch: 2, roster: rotate.roster }, made.update.value, 0, OWNER_UPDATE_CHECKS)),
    old_key_opens_entry: entryOpens(rotate.commit.value, bob.fp, old.secretKey),
  };
}

/** What a member checks of a run without replaying the generator: the update, the rotation, its own record, and the entry under the new key only. */
function checkRun(v: Case): void {
  const genesis = decode(Commit, b(v.genesis_commit as string));
  const roster0 = checkGenesis(c, genesis, 'REQ-REL-010');
  expectEqual('owner key', h(roster0[0]!.identity_pk), v.owner_identity_pk);
  const addBytes = b(v.add_commit as string);
  const add = decode(Commit, addBytes);
  const roster1 = checkCommitSuccessor(c, { roomId: genesis.room_id, epoch: 0, epochHash: epochHash(c, b(v.genesis_commit as string)), roster: roster0 }, add, MEMBER_COMMIT_CHECKS);
  const u = decode(KeyUpdate, b(v.key_update as string));
  const view = { roomId: genesis.room_id, epoch: 1, roster: roster1 };
  checkKeyUpdate(c, view, u, 0, OWNER_UPDATE_CHECKS);
  expectEqual('update_in_other_room', refusal(() => checkKeyUpdate(c, { ...view, roomId: b(v.other_room_id as string) }, u, 0, OWNER_UPDATE_CHECKS)), v.update_in_other_room);
  const rotBytes = b(v.rotate_commit as string);
  const rot = decode(Commit, rotBytes);
  const roster2 = checkCommitSuccessor(c, { roomId: genesis.room_id, epoch: 1, epochHash: epochHash(c, addBytes), roster: roster1 }, rot, MEMBER_COMMIT_CHECKS);
  expectEqual('update_after_commit', refusal(() => checkKeyUpdate(c, { roomId: genesis.room_id, epoch: 2, roster: roster2 }, u, 0, OWNER_UPDATE_CHECKS)), v.update_after_commit);
  expectEqual('own update installed (REQ-MEM-054)', checkOwnUpdate(rot, u.member_id, u), true);
  const oldKem = c.kemKeygen(b(v.member_old_kem_seed as string));
  expectEqual('old_key_opens_entry', entryOpens(rot, u.member_id, oldKem.secretKey), v.old_key_opens_entry);
  const oldRecord = roster1.find((r) => equalBytes(r.member_id, u.member_id))!;
  const member = identityFromSeeds(c, b(v.member_identity_seed as string), [
    { version: oldRecord.kem_cert.version, seed: b(v.member_old_kem_seed as string), cert: oldRecord.kem_cert },
    { version: u.kem_cert.version, seed: b(v.member_new_kem_seed as string), cert: u.kem_cert },
  ]);
  const k2 = openCommit(c, { value: rot, bytes: rotBytes }, member, b(v.epoch1_init_secret as string));
  expectEqual('epoch2_secret', h(k2.epochSecret), v.epoch2_secret);
  expectEqual('epoch2_app_key', h(k2.appKey), v.epoch2_app_key);
}

/** Golden runs of the member key update flow (spec 6.11, 7.12). */
export const updateFlowKind: VectorKind = {
  kind: 'update-flow',
  file: 'update-flow.json',
  description:
    "Member key updates (spec 6.11, 7.12, hardened): from one seed, a room with one member, the member's KeyUpdate (REQ-MEM-051), the owner's rotation committing it with the member's entry sealed to the new key (REQ-OWN-053, REQ-KS-007), and the epoch it opens. The verifier regenerates each run byte for byte and checks it as the owner and the member would (REQ-OWN-050..052, REQ-MEM-053, REQ-MEM-054); each run records the requirement that refuses the update in another room and after its commit, and that the previous key does not open the new entry.",
  generate() {
    return [
      { id: 'update/routine', run: updateRun('vectors key update routine', false) },
      { id: 'update/urgent', run: updateRun('vectors key update urgent', true) },
    ];
  },
  verify(v) {
    const run = v.run as Case;
    checkRun(run);
    expectEqual('run', updateRun(run.seed as string, decode(KeyUpdate, b(run.key_update as string)).urgent === 1), run);
  },
};
