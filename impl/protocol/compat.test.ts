/** The compat profile's room protocol (spec 6.9, 7.9): it works, and its seed weaknesses are real. */
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, utf8 } from '../bytes.ts';
import { decode, encode } from '../codec.ts';
import { ProtocolError } from '../errors.ts';
import { createInvite } from '../invite.ts';
import { CompatChat, CompatRotation, MsgType } from '../messages/index.ts';
import {
  buildCompatConfirm,
  buildCompatJoinRequest,
  buildCompatMemberAdd,
  compatAnswerJoin,
  compatOpenWelcome,
  openCompatSealed,
  sealCompatChat,
  verifyCompatConfirm,
  verifyCompatMemberAdd,
} from './compat.ts';
import { createIdentity, newestKem, type Identity } from './identity.ts';
import { c, testRng } from './testkit.ts';

const rng = testRng('compat');
let owner: Identity;
let bob: Identity;
let relay: Identity;
const roomId = rng.bytes(16);
const roomKey = rng.bytes(32);

beforeAll(() => {
  owner = createIdentity(c, rng);
  bob = createIdentity(c, rng);
  relay = createIdentity(c, rng);
});

describe('REQ-INV-030 REQ-OWN-040 REQ-INV-031 REQ-OWN-041 the compat join', () => {
  it('should admit an invitee that holds the token', () => {
    const { invite, inviteId } = createInvite(c, rng, { profile: 'compat', roomId, ownerFp: owner.fp, now: 0, lifetimeMs: 1 });
    expect(invite.expires_at).toBe(0);
    const { request, connectionKey } = buildCompatJoinRequest(c, rng, { invite, inviteId, identity: bob, ownerKemPk: newestKem(owner).publicKey });
    const { welcome } = compatAnswerJoin(c, rng, { request: request.value, ownerKemSk: newestKem(owner).secretKey, token: invite.token, roomKey, generation: 0 });
    const content = compatOpenWelcome(c, welcome.value, connectionKey, invite.token);
    expect(equalBytes(content.room_key, roomKey)).toBe(true);
    const conf = buildCompatConfirm(c, rng, { roomId, inviteId, memberId: bob.fp, roomKey: content.room_key });
    expect(() => verifyCompatConfirm(c, conf.value, roomKey, bob.fp)).not.toThrow();
    const add = buildCompatMemberAdd(c, rng, { roomId, member: { identity_pk: bob.publicKey, kem_pk: request.value.kem_pk, role: 'member' }, owner });
    expect(() => verifyCompatMemberAdd(c, add.value, owner.publicKey)).not.toThrow();
    expect(() => verifyCompatMemberAdd(c, add.value, bob.publicKey)).toThrow(ProtocolError);
  });
});

describe('W1 compat hands the room key to whoever injects a join request with an unknown invite id', () => {
  it('should let the relay open the welcome it provoked (the weakness, reproduced)', () => {
    const invite = { profile: 'compat' as const, room_id: roomId, owner_fp: owner.fp, token: new Uint8Array(32), expires_at: 0, relay: '' };
    const { request, connectionKey } = buildCompatJoinRequest(c, rng, { invite, inviteId: rng.bytes(32), identity: relay, ownerKemPk: newestKem(owner).publicKey });
    const { welcome } = compatAnswerJoin(c, rng, { request: request.value, ownerKemSk: newestKem(owner).secretKey, token: new Uint8Array(0), roomKey, generation: 3 });
    expect(equalBytes(compatOpenWelcome(c, welcome.value, connectionKey, new Uint8Array(0)).room_key, roomKey)).toBe(true);
  });
});

describe('W2 W5 compat authenticates neither the type nor the sender', () => {
  it('should decode a chat relabelled as a rotation and open it with the same key', () => {
    const chat = sealCompatChat(c, rng, { roomId, sender: bob.fp, roomKey, text: utf8('meet me at the north gate at 9pm') });
    const relabelled = chat.bytes.slice();
    relabelled[3] = MsgType.CompatRotation;
    const rot = decode(CompatRotation, relabelled);
    const opened = openCompatSealed(c, rot, [{ generation: 0, key: roomKey }]);
    expect(opened?.plaintext.length).toBe(32);
  });
  it('should open a chat whose sender field was rewritten', () => {
    const chat = sealCompatChat(c, rng, { roomId, sender: bob.fp, roomKey, text: utf8('hi') });
    const spoofed = decode(CompatChat, encode(CompatChat, { ...chat.value, sender: owner.fp }));
    expect(openCompatSealed(c, spoofed, [{ generation: 0, key: roomKey }])).toBeDefined();
  });
  it('should try older keys, newest first (REQ-MEM-070)', () => {
    const old = rng.bytes(32);
    const chat = sealCompatChat(c, rng, { roomId, sender: bob.fp, roomKey: old, text: utf8('old') });
    expect(openCompatSealed(c, chat.value, [{ generation: 1, key: roomKey }, { generation: 0, key: old }])?.generation).toBe(0);
  });
});
