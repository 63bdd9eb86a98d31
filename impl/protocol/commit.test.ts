/** Commits (spec 5.4, 5.5, 6.5..6.8, 7.7): the successor checks one by one, removal and the key chain. */
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../bytes.ts';
import { epochHash, epochKeys, groupContextOf } from '../keyschedule.ts';
import type { Commit } from '../messages/index.ts';
import {
  buildCommit,
  checkCommitSuccessor,
  checkGenesis,
  MEMBER_COMMIT_CHECKS,
  openCommit,
  ownerEpochKeys,
  ZERO_HASH,
  type EpochView,
} from './commit.ts';
import { createIdentity, memberRecordOf, signStruct, type Identity } from './identity.ts';
import { Commit as CommitCodec } from '../messages/index.ts';
import { c, joinedRoom, type JoinedRoom } from './testkit.ts';
import { rejectsWith } from '../expect-reject.ts';

let room: JoinedRoom;
let view1: EpochView;
let outsider: Identity;

function rotate(extra: Partial<Parameters<typeof buildCommit>[2]> = {}) {
  return buildCommit(c, room.rng, {
    roomId: room.roomId,
    epoch: 2,
    prevEpochHash: view1.epochHash,
    reason: 'rotate',
    inviteId: ZERO_HASH,
    adds: [],
    removes: [],
    roster: room.roster1,
    heads: [],
    owner: room.owner,
    ...extra,
  });
}

/** Re-signs a modified commit with the owner key, so that only the contents check can fail. */
function resign(commit: Commit, signer: Identity = room.owner): Commit {
  const { signature: _s, ...unsigned } = commit;
  return signStruct(c, room.rng, CommitCodec, unsigned, 'commit', signer.secretKey);
}

beforeAll(() => {
  room = joinedRoom('commit');
  view1 = { roomId: room.roomId, epoch: 1, epochHash: epochHash(c, room.add.commit.bytes), roster: room.roster1 };
  outsider = createIdentity(c, room.rng);
});

describe('REQ-REL-010 genesis commit', () => {
  it('should accept the owner genesis', () => {
    expect(checkGenesis(c, room.genesis.commit.value, 'REQ-REL-010')).toHaveLength(1);
  });
  it('should reject a genesis signed by someone other than its owner record', () => {
    rejectsWith('REQ-REL-010', () => checkGenesis(c, resign(room.genesis.commit.value, outsider), 'REQ-REL-010'));
  });
});

describe('REQ-MEM-040..045 a member checks each commit', () => {
  it('should accept a rotation and derive the same epoch keys as the owner (REQ-MEM-046)', () => {
    const r = rotate();
    expect(checkCommitSuccessor(c, view1, r.commit.value, MEMBER_COMMIT_CHECKS)).toHaveLength(2);
    const ownerKeys = ownerEpochKeys(c, r, room.keys1.initSecret);
    const memberKeys = openCommit(c, r.commit, room.member, room.keys1.initSecret);
    expect(toHex(memberKeys.appKey)).toBe(toHex(ownerKeys.appKey));
  });
  it('REQ-MEM-040 should reject a commit for another room', () => {
    rejectsWith('REQ-MEM-040', () => checkCommitSuccessor(c, view1, rotate({ roomId: new Uint8Array(16) }).commit.value, MEMBER_COMMIT_CHECKS));
  });
  it('REQ-MEM-041 should reject a rotation signed by a member instead of the owner (ATK-07)', () => {
    rejectsWith('REQ-MEM-041', () => checkCommitSuccessor(c, view1, resign(rotate().commit.value, room.member), MEMBER_COMMIT_CHECKS));
  });
  it('REQ-MEM-042 should reject a commit that skips or repeats an epoch', () => {
    rejectsWith('REQ-MEM-042', () => checkCommitSuccessor(c, view1, rotate({ epoch: 3 }).commit.value, MEMBER_COMMIT_CHECKS));
    rejectsWith('REQ-MEM-042', () => checkCommitSuccessor(c, view1, room.add.commit.value, MEMBER_COMMIT_CHECKS));
  });
  it('REQ-MEM-043 should reject a commit that does not chain to the current epoch', () => {
    rejectsWith('REQ-MEM-043', () => checkCommitSuccessor(c, view1, rotate({ prevEpochHash: new Uint8Array(32) }).commit.value, MEMBER_COMMIT_CHECKS));
  });
  it('REQ-MEM-044 should reject contents that contradict the reason', () => {
    rejectsWith('REQ-MEM-044', () => checkCommitSuccessor(c, view1, resign({ ...rotate().commit.value, reason: 'add' }), MEMBER_COMMIT_CHECKS));
    rejectsWith('REQ-MEM-044', () => checkCommitSuccessor(c, view1, resign({ ...rotate().commit.value, reason: 'create' }), MEMBER_COMMIT_CHECKS));
    const removeOwner = rotate({ reason: 'remove', removes: [room.owner.fp] });
    rejectsWith('REQ-MEM-044', () => checkCommitSuccessor(c, view1, removeOwner.commit.value, MEMBER_COMMIT_CHECKS));
  });
  it('REQ-MEM-044 should reject a rotation that removes a member or consumes an invite, owner-signed with a matching roster hash', () => {
    const removing = rotate({ removes: [room.member.fp] });
    expect(removing.commit.value.reason).toBe('rotate');
    rejectsWith('REQ-MEM-044', () => checkCommitSuccessor(c, view1, removing.commit.value, MEMBER_COMMIT_CHECKS));
    const withInvite = rotate({ inviteId: new Uint8Array(32).fill(1) });
    rejectsWith('REQ-MEM-044', () => checkCommitSuccessor(c, view1, withInvite.commit.value, MEMBER_COMMIT_CHECKS));
    expect(checkCommitSuccessor(c, view1, rotate().commit.value, MEMBER_COMMIT_CHECKS)).toHaveLength(2);
  });
  it('REQ-MEM-046 should refuse an entry sealed to a key version this member never had, with a rejection', () => {
    const r = rotate();
    const value = { ...r.commit.value, entries: r.commit.value.entries.map((e) => (equalBytes(e.member_id, room.member.fp) ? { ...e, kem_version: e.kem_version + 7 } : e)) };
    rejectsWith('REQ-MEM-046', () => openCommit(c, { value, bytes: r.commit.bytes }, room.member, room.keys1.initSecret));
  });
  it('REQ-MEM-045 should reject a commit whose roster hash hides a ghost member (ATK-05)', () => {
    const ghost = memberRecordOf(outsider, 'member', 2);
    const base = rotate();
    const forged = resign({ ...base.commit.value, roster_hash: buildCommit(c, room.rng, {
      roomId: room.roomId, epoch: 2, prevEpochHash: view1.epochHash, reason: 'rotate', inviteId: ZERO_HASH,
      adds: [ghost], removes: [], roster: room.roster1, heads: [], owner: room.owner,
    }).commit.value.roster_hash });
    rejectsWith('REQ-MEM-045', () => checkCommitSuccessor(c, view1, forged, MEMBER_COMMIT_CHECKS));
  });
  it('REQ-MEM-047 should reject an added record whose certificate is not its own', () => {
    const rec = { ...memberRecordOf(outsider, 'member', 2), kem_cert: room.member.kemKeys[0]!.cert };
    const addBad = rotate({ reason: 'add', inviteId: new Uint8Array(32).fill(1), adds: [rec] });
    rejectsWith('REQ-MEM-047', () => checkCommitSuccessor(c, view1, addBad.commit.value, MEMBER_COMMIT_CHECKS));
  });
});

describe('REQ-OWN-031 REQ-OWN-033 REQ-MEM-046 REQ-MEM-050 removal', () => {
  it('should give the removed member no entry and the remaining members the new epoch', () => {
    const third = createIdentity(c, room.rng);
    const addThird = buildCommit(c, room.rng, {
      roomId: room.roomId, epoch: 2, prevEpochHash: view1.epochHash, reason: 'add', inviteId: new Uint8Array(32).fill(7),
      adds: [memberRecordOf(third, 'member', 2)], removes: [], roster: room.roster1, heads: [], owner: room.owner,
    });
    // REQ-OWN-033: an entry for every member of the new roster but the owner and the one this commit adds
    expect(addThird.commit.value.entries.map((e) => toHex(e.member_id))).toEqual([toHex(room.member.fp)]);
    const k2 = ownerEpochKeys(c, addThird, room.keys1.initSecret);
    const view2: EpochView = { roomId: room.roomId, epoch: 2, epochHash: epochHash(c, addThird.commit.bytes), roster: addThird.roster };
    const removal = buildCommit(c, room.rng, {
      roomId: room.roomId, epoch: 3, prevEpochHash: view2.epochHash, reason: 'remove', inviteId: ZERO_HASH,
      adds: [], removes: [room.member.fp], roster: addThird.roster, heads: [], owner: room.owner,
    });
    expect(checkCommitSuccessor(c, view2, removal.commit.value, MEMBER_COMMIT_CHECKS)).toHaveLength(2);
    expect(removal.commit.value.entries.map((e) => toHex(e.member_id))).toEqual([toHex(third.fp)]);
    rejectsWith('REQ-MEM-046', () => openCommit(c, removal.commit, room.member, k2.initSecret));
    const thirdKeys = openCommit(c, removal.commit, third, k2.initSecret);
    expect(equalBytes(thirdKeys.appKey, ownerEpochKeys(c, removal, k2.initSecret).appKey)).toBe(true);
  });
});

describe('REQ-KS-004 epoch secrets need both the previous init secret and the fresh commit secret', () => {
  it('should derive a different epoch from a wrong previous init secret', () => {
    const r = rotate();
    const good = openCommit(c, r.commit, room.member, room.keys1.initSecret);
    const bad = openCommit(c, r.commit, room.member, new Uint8Array(32));
    expect(equalBytes(good.appKey, bad.appKey)).toBe(false);
  });
  it('should bind the keys to the epoch hash and roster hash (group context)', () => {
    const r = rotate();
    const keys = ownerEpochKeys(c, r, room.keys1.initSecret);
    const gc = groupContextOf(c, r.commit.value, r.commit.bytes);
    const shifted = epochKeys(c, keys.epochSecret, { ...gc, roster_hash: new Uint8Array(32) });
    expect(equalBytes(shifted.appKey, keys.appKey)).toBe(false);
  });
});
