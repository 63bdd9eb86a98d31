/** Member key updates (spec 5.5.1, 6.11, 7.12): making, checking and committing one. */
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes } from '../bytes.ts';
import { decode, encode } from '../codec.ts';
import { checkTogether, DecodeError, ProtocolError } from '../errors.ts';
import { rejectsWith } from '../expect-reject.ts';
import { epochHash } from '../keyschedule.ts';
import { KeyUpdate, type Commit } from '../messages/index.ts';
import { withCheckOff, withChecksConsulted } from '../mutants.ts';
import { Commit as CommitCodec } from '../messages/index.ts';
import { buildCommit, checkCommitSuccessor, MEMBER_COMMIT_CHECKS, openCommit, ownerEpochKeys, ZERO_HASH, type EpochView } from './commit.ts';
import { createIdentity, newestKem, signStruct, verifyStruct, type Identity } from './identity.ts';
import {
  checkKeyUpdate,
  checkOwnUpdate,
  checkRotationUpdates,
  DEFAULT_UPDATE_POLICY,
  makeKeyUpdate,
  OWNER_UPDATE_CHECKS,
  updateDue,
  type MadeKeyUpdate,
} from './key-update.ts';
import { c, joinedRoom, type JoinedRoom } from './testkit.ts';

let room: JoinedRoom;
let view1: EpochView;
let made: MadeKeyUpdate;
let outsider: Identity;

beforeAll(() => {
  room = joinedRoom('key update');
  view1 = { roomId: room.roomId, epoch: 1, epochHash: epochHash(c, room.add.commit.bytes), roster: room.roster1 };
  made = makeKeyUpdate(c, room.rng, room.member, room.roomId, 1, false);
  outsider = createIdentity(c, room.rng);
});

/** A rotation of epoch 2 carrying `updates` (records of the current roster with a new certificate). */
function rotation(updates: Commit['adds']) {
  return buildCommit(c, room.rng, { roomId: room.roomId, epoch: 2, prevEpochHash: view1.epochHash, reason: 'rotate', inviteId: ZERO_HASH, adds: updates, removes: [], roster: room.roster1, heads: [], owner: room.owner });
}

function resign(commit: Commit): Commit {
  const { signature: _s, ...unsigned } = commit;
  return signStruct(c, room.rng, CommitCodec, unsigned, 'commit', room.owner.secretKey);
}

describe('REQ-MEM-051 making a key update', () => {
  it('REQ-MEM-051 should certify a fresh key of the next version, keep it, and sign the update with context key update', () => {
    const old = newestKem(room.member);
    expect(made.kem.version).toBe(old.version + 1);
    expect(equalBytes(made.kem.publicKey, old.publicKey)).toBe(false);
    expect(newestKem(made.identity)).toBe(made.kem);
    expect(made.identity.kemKeys).toHaveLength(room.member.kemKeys.length + 1);
    const u = made.update.value;
    expect(u.epoch).toBe(1);
    expect(equalBytes(u.room_id, room.roomId) && equalBytes(u.member_id, room.member.fp)).toBe(true);
    expect(verifyStruct(c, KeyUpdate, u, 'key update', room.member.publicKey)).toBe(true);
    expect(verifyStruct(c, KeyUpdate, u, 'commit', room.member.publicKey)).toBe(false);
  });
  it('REQ-ENC-017 a KeyUpdate round-trips, is 7899 bytes, and urgent outside 0..1 or a certificate of another member is rejected', () => {
    expect(made.update.bytes.length).toBe(7899);
    expect(equalBytes(encode(KeyUpdate, decode(KeyUpdate, made.update.bytes)), made.update.bytes)).toBe(true);
    const urgentAt = 4 + 16 + 4 + 32 + 4533;
    const bad = made.update.bytes.slice();
    bad[urgentAt] = 2;
    expect(() => decode(KeyUpdate, bad)).toThrow(DecodeError);
    const other = made.update.bytes.slice();
    other[4 + 16 + 4]! ^= 1; // member_id no longer the certificate's
    try {
      decode(KeyUpdate, other);
      expect.unreachable();
    } catch (e) {
      expect((e as DecodeError).reqId).toBe('REQ-ENC-017');
    }
  });
});

describe('the owner checks a key update (spec 6.11)', () => {
  it('REQ-OWN-052 should accept a valid update and return the record with the new certificate', () => {
    const rec = checkKeyUpdate(c, view1, made.update.value, 0, OWNER_UPDATE_CHECKS);
    expect(rec.kem_cert).toEqual(made.kem.cert);
    const cur = room.roster1.find((r) => equalBytes(r.member_id, room.member.fp))!;
    expect({ ...rec, kem_cert: cur.kem_cert }).toEqual(cur);
  });
  it('REQ-OWN-050 should reject an update of another room or of an epoch that does not exist yet', () => {
    rejectsWith('REQ-OWN-050', () => checkKeyUpdate(c, { ...view1, roomId: new Uint8Array(16) }, made.update.value, 0, OWNER_UPDATE_CHECKS));
    const later = makeKeyUpdate(c, room.rng, room.member, room.roomId, 2, false).update.value;
    rejectsWith('REQ-OWN-050', () => checkKeyUpdate(c, view1, later, 0, OWNER_UPDATE_CHECKS));
  });
  it('REQ-OWN-051 should reject a forged signature, a non-member and the owner', () => {
    const forged = { ...made.update.value, signature: made.update.value.signature.slice() };
    forged.signature[10]! ^= 1;
    rejectsWith('REQ-OWN-051', () => checkKeyUpdate(c, view1, forged, 0, OWNER_UPDATE_CHECKS));
    const stranger = makeKeyUpdate(c, room.rng, outsider, room.roomId, 1, false).update.value;
    rejectsWith('REQ-OWN-051', () => checkKeyUpdate(c, view1, stranger, 0, OWNER_UPDATE_CHECKS));
    const owners = makeKeyUpdate(c, room.rng, room.owner, room.roomId, 1, false).update.value;
    rejectsWith('REQ-OWN-051', () => checkKeyUpdate(c, view1, owners, 0, OWNER_UPDATE_CHECKS));
    // signed by the member's key with another member's id: the signature is checked under the named record
    const relabelled = signStruct(c, room.rng, KeyUpdate, { ...made.update.value, member_id: room.owner.fp, kem_cert: { ...made.kem.cert, member_id: room.owner.fp } }, 'key update', room.member.secretKey);
    rejectsWith('REQ-OWN-051', () => checkKeyUpdate(c, view1, relabelled, 0, OWNER_UPDATE_CHECKS));
  });
  it('REQ-OWN-052 should reject a stale update: not above the record, or not above the one pending', () => {
    rejectsWith('REQ-OWN-052', () => checkKeyUpdate(c, view1, made.update.value, made.kem.version, OWNER_UPDATE_CHECKS));
    const roster2 = rotation([checkKeyUpdate(c, view1, made.update.value, 0, OWNER_UPDATE_CHECKS)]).roster;
    rejectsWith('REQ-OWN-052', () => checkKeyUpdate(c, { ...view1, epoch: 2, roster: roster2 }, made.update.value, 0, OWNER_UPDATE_CHECKS));
  });
});

describe('REQ-KS-007 a rotation that installs an update seals the member entry to the new key', () => {
  it('REQ-KS-007 the new key opens the entry, the old one does not, and both ends derive the same epoch', () => {
    const r = rotation([checkKeyUpdate(c, view1, made.update.value, 0, OWNER_UPDATE_CHECKS)]);
    const entry = r.commit.value.entries.find((e) => equalBytes(e.member_id, room.member.fp))!;
    expect(entry.kem_version).toBe(made.kem.version);
    const roster = checkCommitSuccessor(c, view1, r.commit.value, MEMBER_COMMIT_CHECKS);
    expect(roster.find((x) => equalBytes(x.member_id, room.member.fp))!.kem_cert).toEqual(made.kem.cert);
    const owner = ownerEpochKeys(c, r, room.keys1.initSecret);
    expect(equalBytes(openCommit(c, r.commit, made.identity, room.keys1.initSecret).epochSecret, owner.epochSecret)).toBe(true);
    rejectsWith('REQ-MEM-046', () => openCommit(c, r.commit, room.member, room.keys1.initSecret)); // only the old key
  });
  it('REQ-KS-007 a rotation without updates is the commit it always was (no adds, the old key)', () => {
    const r = rotation([]);
    expect(r.commit.value.adds).toEqual([]);
    expect(r.commit.value.entries[0]!.kem_version).toBe(newestKem(room.member).version);
  });
});

describe('REQ-MEM-053 members check the updates of a rotation', () => {
  const rec = () => checkKeyUpdate(c, view1, made.update.value, 0, OWNER_UPDATE_CHECKS);
  it('REQ-MEM-053 should reject an update that changes more than the certificate, is not newer, is the owner, or is doubled', () => {
    const cases: Commit['adds'][] = [
      [{ ...rec(), added_epoch: 0 }],
      [{ ...rec(), kem_cert: room.roster1.find((x) => equalBytes(x.member_id, room.member.fp))!.kem_cert }],
      [{ ...room.roster1.find((x) => x.role === 'owner')!, kem_cert: newestKem(room.owner).cert }],
    ];
    for (const adds of cases) {
      const good = rotation([]).commit.value;
      rejectsWith('REQ-MEM-053', () => checkCommitSuccessor(c, view1, resign({ ...good, adds }), MEMBER_COMMIT_CHECKS));
    }
  });
  it('REQ-MEM-053 should reject an update whose certificate is not signed by the member', () => {
    const bad = { ...rec(), kem_cert: { ...made.kem.cert, signature: made.kem.cert.signature.slice() } };
    bad.kem_cert.signature[5]! ^= 1;
    rejectsWith('REQ-MEM-053', () => checkCommitSuccessor(c, view1, resign({ ...rotation([]).commit.value, adds: [bad] }), MEMBER_COMMIT_CHECKS));
  });
});

describe('REQ-MEM-053 the mutant switch of the rotation checks', () => {
  const rec = () => checkKeyUpdate(c, view1, made.update.value, 0, OWNER_UPDATE_CHECKS);
  const good = () => rotation([rec()]).commit.value;
  // a member outside the roster: with its checks taken one by one, a mutant would read the record it did not find
  const stranger = () => resign({ ...good(), adds: [{ ...rec(), member_id: outsider.fp }] });
  it('REQ-MEM-053 should ask the switch only when an update fails, so that a run whose rotations hold is the same run in its mutant', () => {
    const ok = withChecksConsulted(() => checkCommitSuccessor(c, view1, good(), MEMBER_COMMIT_CHECKS));
    expect(ok.error).toBeUndefined();
    expect(ok.consulted.has('REQ-MEM-053')).toBe(false);
    const bad = withChecksConsulted(() => checkCommitSuccessor(c, view1, stranger(), MEMBER_COMMIT_CHECKS));
    expect((bad.error as ProtocolError).reqId).toBe('REQ-MEM-053');
    expect(bad.consulted.has('REQ-MEM-053')).toBe(true);
  });
  it('REQ-MEM-053 should have its mutant drop the checks as one, whichever fails first, and nothing else', () => {
    for (const commit of [stranger(), resign({ ...good(), adds: [{ ...rec(), added_epoch: 0 }] })]) {
      expect(() => withCheckOff('REQ-MEM-053', () => checkRotationUpdates(c, view1.roster, commit, 'REQ-MEM-053'))).not.toThrow();
      rejectsWith('REQ-MEM-053', () => checkRotationUpdates(c, view1.roster, commit, 'REQ-MEM-053'));
    }
    // another requirement's failure inside the checks is not the mutant's to drop
    const wrong = new ProtocolError('REQ-MEM-054', 'not a rotation check');
    expect(() => withCheckOff('REQ-MEM-053', () => checkTogether('REQ-MEM-053', () => { throw wrong; }))).toThrow(wrong);
  });
});

describe('REQ-MEM-054 a member checks the key committed for itself', () => {
  it('REQ-MEM-054 should accept its own outstanding certificate and reject any other or none', () => {
    const r = rotation([checkKeyUpdate(c, view1, made.update.value, 0, OWNER_UPDATE_CHECKS)]).commit.value;
    expect(checkOwnUpdate(r, room.member.fp, made.update.value)).toBe(true);
    expect(checkOwnUpdate(rotation([]).commit.value, room.member.fp, made.update.value)).toBe(false);
    rejectsWith('REQ-MEM-054', () => checkOwnUpdate(r, room.member.fp, undefined));
    const other = makeKeyUpdate(c, room.rng, room.member, room.roomId, 1, false).update.value;
    rejectsWith('REQ-MEM-054', () => checkOwnUpdate(r, room.member.fp, other));
  });
});

describe('REQ-MEM-052 the update policy', () => {
  const base = { committedEpoch: 1, committedAt: 0, epoch: 1, now: 0, alarm: false };
  it('REQ-MEM-052 should make an update due after K epochs or T time, urgent at once after an alarm', () => {
    const K = DEFAULT_UPDATE_POLICY.epochs;
    expect(updateDue(DEFAULT_UPDATE_POLICY, base).due).toBe(false);
    expect(updateDue(DEFAULT_UPDATE_POLICY, { ...base, epoch: K }).due).toBe(false);
    expect(updateDue(DEFAULT_UPDATE_POLICY, { ...base, epoch: 1 + K })).toEqual({ due: true, urgent: false });
    expect(updateDue(DEFAULT_UPDATE_POLICY, { ...base, now: DEFAULT_UPDATE_POLICY.ms })).toEqual({ due: true, urgent: false });
    expect(updateDue(DEFAULT_UPDATE_POLICY, { ...base, alarm: true })).toEqual({ due: true, urgent: true });
  });
  it('REQ-MEM-051 an outstanding update blocks another for K epochs, except an alarm over a routine one', () => {
    const late = { ...base, epoch: 9 };
    expect(updateDue(DEFAULT_UPDATE_POLICY, { ...late, outstandingSince: 8 }).due).toBe(false);
    expect(updateDue(DEFAULT_UPDATE_POLICY, { ...late, outstandingSince: 5 }).due).toBe(true);
    expect(updateDue(DEFAULT_UPDATE_POLICY, { ...late, outstandingSince: 8, alarm: true })).toEqual({ due: true, urgent: true });
    expect(updateDue(DEFAULT_UPDATE_POLICY, { ...late, outstandingSince: 8, outstandingUrgent: true, alarm: true }).due).toBe(false);
  });
});
