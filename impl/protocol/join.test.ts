/** The hardened join handshake (spec 6.4, 6.5, 7.2, 7.3): each check rejects on its own. */
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, type Bytes } from '../bytes.ts';
import { encode, encodePrefix } from '../codec.ts';
import { createInvite, type IssuedInvite } from '../invite.ts';
import { confirmKey, epochHash, joinHash, joinMacKey, rosterHash, welcomeHash, welcomeKey } from '../keyschedule.ts';
import { Commit, GroupInfo, JoinConfirm, JoinRequest, Welcome, type Invite, type MemberRecord } from '../messages/index.ts';
import { AEAD_NONCE_BYTES, DSA_SIG_BYTES } from '../suite.ts';
import { buildCommit, ownerEpochKeys, type BuiltCommit, type CommitParams } from './commit.ts';
import { createIdentity, memberRecordOf, rotateKem, signStruct, type Identity } from './identity.ts';
import {
  buildJoinConfirm,
  buildJoinRequest,
  buildWelcome,
  openWelcome,
  verifyJoinConfirm,
  verifyJoinRequest,
  type Encoded,
} from './join.ts';
import { c, genesisRoom, type GenesisRoom } from './testkit.ts';
import { rejectsWith } from '../expect-reject.ts';

let room: GenesisRoom;
let invitee: Identity;
let other: Identity;
let issued: IssuedInvite;
let invite: Invite;
let jr: Encoded<JoinRequest>;
let add: BuiltCommit;
let welcome: Encoded<Welcome>;

/** Re-MACs and re-signs a join request after a field change, so that only the intended check fails. */
function reforge(req: JoinRequest, signer: Identity, token: Bytes): Encoded<JoinRequest> {
  const mac = c.hmacSha256(joinMacKey(c, token, req.room_id), encodePrefix(JoinRequest, req, 'token_mac'));
  const { signature: _s, ...unsigned } = { ...req, token_mac: mac };
  const value = signStruct(c, room.rng, JoinRequest, unsigned, 'join request', signer.secretKey);
  return { value, bytes: encode(JoinRequest, value) };
}

function welcomeFor(groupInfo: GroupInfo, signer: Identity = room.owner, token: Bytes = invite.token): Encoded<Welcome> {
  return buildWelcome(c, room.rng, { joinRequest: jr, token, groupInfo, owner: signer });
}

beforeAll(() => {
  room = genesisRoom('join');
  invitee = createIdentity(c, room.rng);
  other = createIdentity(c, room.rng);
  issued = createInvite(c, room.rng, { profile: 'hardened', roomId: room.roomId, ownerFp: room.owner.fp, now: 0, lifetimeMs: 1000 });
  invite = issued.invite;
  jr = buildJoinRequest(c, room.rng, invite, invitee, issued.inviteId);
  add = buildCommit(c, room.rng, {
    roomId: room.roomId,
    epoch: 1,
    prevEpochHash: epochHash(c, room.genesis.commit.bytes),
    reason: 'add',
    inviteId: issued.inviteId,
    adds: [{ ...memberRecordOf(invitee, 'member', 1), kem_cert: jr.value.kem_cert }],
    removes: [],
    roster: room.genesis.roster,
    heads: [],
    owner: room.owner,
  });
  welcome = welcomeFor({ epoch_secret: ownerEpochKeys(c, add, room.keys0.initSecret).epochSecret, commit: add.commit.value, roster: add.roster });
});

describe('REQ-INV-003 join request', () => {
  it('should verify for the owner with the right token', () => {
    expect(() => verifyJoinRequest(c, jr.value, invite.token)).not.toThrow();
  });
});

describe('REQ-OWN-014 the join request proves the token', () => {
  it('should reject a join request checked against another token', () => {
    rejectsWith('REQ-OWN-014', () => verifyJoinRequest(c, jr.value, new Uint8Array(32).fill(9)));
  });
  it('should reject a join request forged without the token', () => {
    const forged = reforge({ ...jr.value, identity_pk: other.publicKey, kem_cert: other.kemKeys[0]!.cert }, other, new Uint8Array(32));
    rejectsWith('REQ-OWN-014', () => verifyJoinRequest(c, forged.value, invite.token));
  });
});

describe('REQ-OWN-015 the join request is signed by its identity key', () => {
  it('should reject a join request whose identity key was substituted (ATK-03), even with the token', () => {
    const swapped = reforge({ ...jr.value, identity_pk: other.publicKey }, invitee, invite.token);
    rejectsWith('REQ-OWN-015', () => verifyJoinRequest(c, swapped.value, invite.token));
  });
});

describe('REQ-OWN-016 the KEM certificate belongs to the identity', () => {
  it("should reject another identity's KEM certificate, validly MACed and signed", () => {
    const swapped = reforge({ ...jr.value, kem_cert: other.kemKeys[0]!.cert }, invitee, invite.token);
    rejectsWith('REQ-OWN-016', () => verifyJoinRequest(c, swapped.value, invite.token));
  });
});

describe('REQ-INV-010..014 the invitee checks the welcome', () => {
  const kemSk = (): Bytes => invitee.kemKeys[0]!.secretKey;
  const gi = (): GroupInfo => ({ epoch_secret: ownerEpochKeys(c, add, room.keys0.initSecret).epochSecret, commit: add.commit.value, roster: add.roster });

  it('should open a valid welcome and see the pending commit', () => {
    const opened = openWelcome(c, welcome, invite, jr, kemSk());
    expect(opened.groupInfo.commit.epoch).toBe(1);
    expect(equalBytes(opened.commitBytes, add.commit.bytes)).toBe(true);
    expect(equalBytes(opened.welcomeHash, welcomeHash(c, welcome.bytes))).toBe(true);
  });
  it('REQ-INV-010 should reject a welcome answering another join request', () => {
    const otherJr = buildJoinRequest(c, room.rng, invite, invitee, issued.inviteId);
    rejectsWith('REQ-INV-010', () => openWelcome(c, welcome, invite, otherJr, kemSk()));
  });
  it('REQ-INV-011 should reject a welcome sealed without the token (a relay-forged welcome, ATK-04)', () => {
    rejectsWith('REQ-INV-011', () => openWelcome(c, welcomeFor(gi(), room.owner, new Uint8Array(32)), invite, jr, kemSk()));
  });
  it('REQ-INV-011 should reject a welcome opened with another KEM key', () => {
    rejectsWith('REQ-INV-011', () => openWelcome(c, welcome, invite, jr, other.kemKeys[0]!.secretKey));
  });
  it('REQ-INV-012 should reject a welcome whose owner is not the one the invite names', () => {
    rejectsWith('REQ-INV-012', () => openWelcome(c, welcome, { ...invite, owner_fp: other.fp }, jr, kemSk()));
  });
  it('REQ-INV-012 should reject a welcome signed by someone else', () => {
    rejectsWith('REQ-INV-012', () => openWelcome(c, welcomeFor(gi(), other), invite, jr, kemSk()));
  });
  it('REQ-INV-013 should reject a group info whose commit adds another key', () => {
    const bad = buildCommit(c, room.rng, {
      roomId: room.roomId,
      epoch: 1,
      prevEpochHash: epochHash(c, room.genesis.commit.bytes),
      reason: 'add',
      inviteId: issued.inviteId,
      adds: [memberRecordOf(other, 'member', 1)],
      removes: [],
      roster: room.genesis.roster,
      heads: [],
      owner: room.owner,
    });
    rejectsWith('REQ-INV-013', () => openWelcome(c, welcomeFor({ ...gi(), commit: bad.commit.value, roster: bad.roster }), invite, jr, kemSk()));
  });
  it('REQ-INV-013 should reject a roster that does not hash to the commit', () => {
    const withGhost = [...add.roster, memberRecordOf(other, 'member', 1)].sort((a, b) => Buffer.compare(a.member_id, b.member_id));
    rejectsWith('REQ-INV-013', () => openWelcome(c, welcomeFor({ ...gi(), roster: withGhost }), invite, jr, kemSk()));
  });
  it('REQ-INV-014 should reject a roster record whose certificate is not signed by its identity', () => {
    const badRecord = { ...memberRecordOf(other, 'member', 1) };
    const forgedCert = { ...badRecord.kem_cert, kem_pk: invitee.kemKeys[0]!.publicKey };
    const commit = buildCommit(c, room.rng, {
      roomId: room.roomId,
      epoch: 1,
      prevEpochHash: epochHash(c, room.genesis.commit.bytes),
      reason: 'add',
      inviteId: issued.inviteId,
      adds: [{ ...memberRecordOf(invitee, 'member', 1), kem_cert: jr.value.kem_cert }],
      removes: [],
      roster: [...room.genesis.roster, { ...badRecord, kem_cert: forgedCert }].sort((a, b) => Buffer.compare(a.member_id, b.member_id)),
      heads: [],
      owner: room.owner,
    });
    rejectsWith('REQ-INV-014', () => openWelcome(c, welcomeFor({ ...gi(), commit: commit.commit.value, roster: commit.roster }), invite, jr, kemSk()));
  });
});

describe('REQ-INV-015 REQ-OWN-022 confirmation', () => {
  const pending = () => ({
    roomId: room.roomId,
    inviteId: issued.inviteId,
    epoch: 1,
    epochSecret: ownerEpochKeys(c, add, room.keys0.initSecret).epochSecret,
    welcomeHash: welcomeHash(c, welcome.bytes),
    inviteeIdentityPk: invitee.publicKey,
  });
  it('should accept the invitee confirmation', () => {
    const opened = openWelcome(c, welcome, invite, jr, invitee.kemKeys[0]!.secretKey);
    const conf = buildJoinConfirm(c, room.rng, { roomId: room.roomId, inviteId: issued.inviteId, epoch: 1, epochSecret: opened.groupInfo.epoch_secret, welcomeHash: opened.welcomeHash, identity: invitee });
    expect(() => verifyJoinConfirm(c, conf.value, pending())).not.toThrow();
  });
  it('should reject a confirmation made without the epoch secret', () => {
    const conf = buildJoinConfirm(c, room.rng, { roomId: room.roomId, inviteId: issued.inviteId, epoch: 1, epochSecret: new Uint8Array(32), welcomeHash: welcomeHash(c, welcome.bytes), identity: invitee });
    rejectsWith('REQ-OWN-022', () => verifyJoinConfirm(c, conf.value, pending()));
  });
  it('should reject a confirmation signed by another identity', () => {
    const conf = buildJoinConfirm(c, room.rng, { ...pending(), identity: other });
    rejectsWith('REQ-OWN-022', () => verifyJoinConfirm(c, conf.value, pending()));
  });
  it('should reject a confirmation of another welcome', () => {
    const conf = buildJoinConfirm(c, room.rng, { ...pending(), welcomeHash: new Uint8Array(32), identity: invitee });
    rejectsWith('REQ-OWN-022', () => verifyJoinConfirm(c, conf.value, pending()));
  });
});

/**
 * Each check of the welcome and of the confirmation on its own (issue 30: generated mutants that
 * drop one of these checks survived the campaign and, where several checks share a requirement,
 * the tests above). Every input below is valid but for the one field the check is about, so that
 * dropping that check alone lets it through (or, where a later check of another requirement is the
 * second line, lets the rejection name that requirement instead: spec 1.4 asks for the first).
 */
describe('REQ-INV-010..014 REQ-OWN-022 each check on its own', () => {
  const kemSk = (): Bytes => invitee.kemKeys[0]!.secretKey;
  const otherRoom = (): Bytes => new Uint8Array(room.roomId.length).fill(3);
  /** A welcome built as buildWelcome builds it, with fields of its signed draft overridden. */
  const forgeWelcome = (groupInfo: GroupInfo, over: Partial<Pick<Welcome, 'room_id' | 'invite_id' | 'join_hash' | 'epoch'>>, signer: Identity = room.owner): Encoded<Welcome> => {
    const jh = joinHash(c, jr.bytes);
    const { ct, ss } = c.kemEncapsulate(jr.value.kem_cert.kem_pk, room.rng.bytes(32));
    const draft = { room_id: jr.value.room_id, invite_id: jr.value.invite_id, join_hash: jh, epoch: groupInfo.commit.epoch, ...over, kem_ct: ct, nonce: room.rng.bytes(AEAD_NONCE_BYTES), sealed: new Uint8Array(16), signature: new Uint8Array(DSA_SIG_BYTES) };
    const sealed = c.aeadSeal(welcomeKey(c, invite.token, ss, jh), draft.nonce, encodePrefix(Welcome, draft, 'sealed'), encode(GroupInfo, groupInfo));
    const { signature: _s, ...unsigned } = { ...draft, sealed };
    const value = signStruct(c, room.rng, Welcome, unsigned, 'welcome', signer.secretKey);
    return { value, bytes: encode(Welcome, value) };
  };
  /** The add commit of the fixture with some of its parameters changed, and its group info. */
  const addWith = (over: Partial<CommitParams>): GroupInfo => {
    const built = buildCommit(c, room.rng, {
      roomId: room.roomId,
      epoch: 1,
      prevEpochHash: epochHash(c, room.genesis.commit.bytes),
      reason: 'add',
      inviteId: issued.inviteId,
      adds: [{ ...memberRecordOf(invitee, 'member', 1), kem_cert: jr.value.kem_cert }],
      removes: [],
      roster: room.genesis.roster,
      heads: [],
      owner: room.owner,
      ...over,
    });
    return { epoch_secret: ownerEpochKeys(c, built, room.keys0.initSecret).epochSecret, commit: built.commit.value, roster: built.roster };
  };
  const byId = (a: MemberRecord, b: MemberRecord): number => Buffer.compare(a.member_id, b.member_id);
  /** An identity whose member id sorts after `than`'s (a second owner, a second add, read after the first). */
  const sortingAfter = (than: Bytes): Identity => {
    for (let i = 0; i < 64; i++) {
      const id = createIdentity(c, room.rng);
      if (Buffer.compare(id.fp, than) > 0) return id;
    }
    throw new Error('no identity sorting after the given one in 64 draws');
  };
  const open = (w: Encoded<Welcome>) => () => openWelcome(c, w, invite, jr, kemSk());

  it('REQ-INV-010 the forged welcome and the rebuilt commit open when nothing is changed (the control of the cases below)', () => {
    expect(open(forgeWelcome(addWith({}), {}))().groupInfo.commit.epoch).toBe(1);
  });
  it('REQ-INV-010 should reject a welcome for another room, validly sealed and signed', () => {
    rejectsWith('REQ-INV-010', open(forgeWelcome(addWith({}), { room_id: otherRoom() })));
  });
  it('REQ-INV-010 should reject a welcome for another invite, validly sealed and signed', () => {
    rejectsWith('REQ-INV-010', open(forgeWelcome(addWith({}), { invite_id: new Uint8Array(issued.inviteId.length).fill(7) })));
  });
  it('REQ-INV-010 should reject a welcome naming another join hash, sealed under the right one', () => {
    rejectsWith('REQ-INV-010', open(forgeWelcome(addWith({}), { join_hash: new Uint8Array(32).fill(7) })));
  });
  it('REQ-INV-012 should reject a roster with a second owner (read after the one the invite names)', () => {
    const second = sortingAfter(room.owner.fp);
    rejectsWith('REQ-INV-012', open(forgeWelcome(addWith({ roster: [...room.genesis.roster, memberRecordOf(second, 'owner', 0)].sort(byId) }), {})));
  });
  it("REQ-INV-012 should reject a roster whose owner record carries another member id than the invite's owner fingerprint", () => {
    const roster = room.genesis.roster.map((r) => (r.role === 'owner' ? { ...r, member_id: new Uint8Array(32).fill(5) } : r));
    rejectsWith('REQ-INV-012', open(forgeWelcome(addWith({ roster }), {})));
  });
  it("REQ-INV-012 should reject a roster whose owner record names the invite's owner but holds another key, welcome and commit signed with it", () => {
    const roster = room.genesis.roster.map((r) => (r.role === 'owner' ? { ...memberRecordOf(other, 'owner', 0), member_id: room.owner.fp } : r));
    const impostor = { ...room.owner, secretKey: other.secretKey };
    rejectsWith('REQ-INV-012', open(forgeWelcome(addWith({ roster, owner: impostor }), {}, other)));
  });
  it('REQ-INV-013 should reject a group info whose commit is not signed by the owner', () => {
    rejectsWith('REQ-INV-013', open(forgeWelcome(addWith({ owner: { ...room.owner, secretKey: other.secretKey } }), {})));
  });
  it('REQ-INV-013 should reject a commit for another room', () => {
    rejectsWith('REQ-INV-013', open(forgeWelcome(addWith({ roomId: otherRoom() }), {})));
  });
  it("REQ-INV-013 should reject a commit of another epoch than the welcome's", () => {
    rejectsWith('REQ-INV-013', open(forgeWelcome(addWith({}), { epoch: 2 })));
  });
  it('REQ-INV-013 should reject a commit that is not an add', () => {
    rejectsWith('REQ-INV-013', open(forgeWelcome(addWith({ reason: 'rotate' }), {})));
  });
  it('REQ-INV-013 should reject a commit consuming another invite', () => {
    rejectsWith('REQ-INV-013', open(forgeWelcome(addWith({ inviteId: new Uint8Array(issued.inviteId.length).fill(4) }), {})));
  });
  it('REQ-INV-013 should reject a commit adding a second member beside the invitee', () => {
    const third = sortingAfter(invitee.fp);
    rejectsWith('REQ-INV-013', open(forgeWelcome(addWith({ adds: [{ ...memberRecordOf(invitee, 'member', 1), kem_cert: jr.value.kem_cert }, memberRecordOf(third, 'member', 1)] }), {})));
  });
  it("REQ-INV-013 should reject a commit adding another identity key with the invitee's KEM certificate", () => {
    rejectsWith('REQ-INV-013', open(forgeWelcome(addWith({ adds: [{ ...memberRecordOf(other, 'member', 1), kem_cert: jr.value.kem_cert }] }), {})));
  });
  it("REQ-INV-013 should reject a commit adding the invitee with another of the invitee's own KEM certificates", () => {
    rejectsWith('REQ-INV-013', open(forgeWelcome(addWith({ adds: [memberRecordOf(rotateKem(c, room.rng, invitee), 'member', 1)] }), {})));
  });
  it('REQ-INV-013 should reject a roster without the added member, the commit hashing that roster', () => {
    const { signature: _s, ...unsigned } = { ...add.commit.value, roster_hash: rosterHash(c, room.genesis.roster) };
    const commit = signStruct(c, room.rng, Commit, unsigned, 'commit', room.owner.secretKey);
    rejectsWith('REQ-INV-013', open(forgeWelcome({ epoch_secret: new Uint8Array(32), commit, roster: room.genesis.roster }, {})));
  });

  const pending = () => ({
    roomId: room.roomId,
    inviteId: issued.inviteId,
    epoch: 1,
    epochSecret: ownerEpochKeys(c, add, room.keys0.initSecret).epochSecret,
    welcomeHash: welcomeHash(c, welcome.bytes),
    inviteeIdentityPk: invitee.publicKey,
  });
  const confirmed = (over: { roomId?: Bytes; inviteId?: Bytes; epoch?: number }) => () => verifyJoinConfirm(c, buildJoinConfirm(c, room.rng, { ...pending(), ...over, identity: invitee }).value, pending());
  it('REQ-OWN-022 should reject a confirmation for another room, validly MACed and signed', () => {
    rejectsWith('REQ-OWN-022', confirmed({ roomId: otherRoom() }));
  });
  it('REQ-OWN-022 should reject a confirmation for another invite, validly MACed and signed', () => {
    rejectsWith('REQ-OWN-022', confirmed({ inviteId: new Uint8Array(issued.inviteId.length).fill(4) }));
  });
  it('REQ-OWN-022 should reject a confirmation for another epoch, validly MACed and signed', () => {
    rejectsWith('REQ-OWN-022', confirmed({ epoch: 2 }));
  });
  it('REQ-OWN-022 should reject a confirmation naming another welcome hash, MACed under the right one', () => {
    const p = pending();
    const base = { room_id: p.roomId, invite_id: p.inviteId, epoch: p.epoch, welcome_hash: new Uint8Array(32).fill(6), confirm_mac: new Uint8Array(32), signature: new Uint8Array(DSA_SIG_BYTES) };
    const mac = c.hmacSha256(confirmKey(c, p.epochSecret, p.welcomeHash), encodePrefix(JoinConfirm, base, 'confirm_mac'));
    const { signature: _s, ...unsigned } = { ...base, confirm_mac: mac };
    const forged = signStruct(c, room.rng, JoinConfirm, unsigned, 'join confirm', invitee.secretKey);
    rejectsWith('REQ-OWN-022', () => verifyJoinConfirm(c, forged, p));
  });
});
