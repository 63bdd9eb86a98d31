/** The hardened join handshake (spec 6.4, 6.5, 7.2, 7.3): each check rejects on its own. */
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, type Bytes } from '../bytes.ts';
import { encode, encodePrefix } from '../codec.ts';
import { createInvite, type IssuedInvite } from '../invite.ts';
import { epochHash, joinMacKey, welcomeHash } from '../keyschedule.ts';
import { GroupInfo, JoinRequest, Welcome, type Invite } from '../messages/index.ts';
import { buildCommit, ownerEpochKeys, type BuiltCommit } from './commit.ts';
import { createIdentity, memberRecordOf, signStruct, type Identity } from './identity.ts';
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
