/** Application messages (spec 7.5, 7.6): sealing, and the signature and AEAD checks of opening. */
import { beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, encodePrefix } from '../codec.ts';
import { AppMessage, MsgType } from '../messages/index.ts';
import { NO_EPOCH } from '../suite.ts';
import { signStruct } from './identity.ts';
import { openAppMessage, sealAppMessage } from './app.ts';
import { c, joinedRoom, type JoinedRoom } from './testkit.ts';
import { rejectsWith } from '../expect-reject.ts';

let room: JoinedRoom;
let msg: AppMessage;

beforeAll(() => {
  room = joinedRoom('app');
  msg = sealAppMessage(c, room.rng, {
    roomId: room.roomId,
    epoch: 1,
    appKey: room.keys1.appKey,
    seq: 0,
    prevEpoch: NO_EPOCH,
    sender: room.member,
    content: { sent_at: 1234, text: 'hello, room' },
  }).value;
});

describe('REQ-MEM-001 sealing', () => {
  it('should open for another member with the epoch key and the sender key', () => {
    expect(openAppMessage(c, msg, room.keys1.appKey, room.member.publicKey)).toEqual({ sent_at: 1234, text: 'hello, room' });
  });
});

describe('REQ-ENC-005 the header type byte is bound', () => {
  it('should not decode a relabelled message as another type', () => {
    const bytes = encode(AppMessage, msg);
    bytes[3] = MsgType.Commit;
    expect(() => decode(AppMessage, bytes)).toThrow(/REQ-ENC-005/);
  });
});

describe('REQ-MEM-014 sender signatures', () => {
  it('should reject a message claiming another member as sender (ATK-14)', () => {
    rejectsWith('REQ-MEM-014', () => openAppMessage(c, { ...msg, sender: room.owner.fp }, room.keys1.appKey, room.owner.publicKey));
  });
  it('should reject a message whose sequence number was changed', () => {
    rejectsWith('REQ-MEM-014', () => openAppMessage(c, { ...msg, seq: 5, prev_epoch: 1 }, room.keys1.appKey, room.member.publicKey));
  });
});

describe('REQ-MEM-015 associated data binds room, epoch, sender and sequence number', () => {
  it('should reject a message re-signed by its sender but moved to another epoch', () => {
    const { signature: _s, ...unsigned } = { ...msg, epoch: 2 };
    const moved = signStruct(c, room.rng, AppMessage, unsigned, 'app message', room.member.secretKey);
    rejectsWith('REQ-MEM-015', () => openAppMessage(c, moved, room.keys1.appKey, room.member.publicKey));
  });
  it('should reject a message opened with another epoch key (cross-epoch injection, ATK-15)', () => {
    rejectsWith('REQ-MEM-015', () => openAppMessage(c, msg, room.keys0.appKey, room.member.publicKey));
  });
  it('should reject a member-authored message claiming the owner and re-signed by the member', () => {
    const { signature: _s, ...unsigned } = { ...msg, sender: room.owner.fp };
    const forged = signStruct(c, room.rng, AppMessage, unsigned, 'app message', room.member.secretKey);
    rejectsWith('REQ-MEM-014', () => openAppMessage(c, forged, room.keys1.appKey, room.owner.publicKey));
  });
  it('REQ-MEM-015 should reject a message that opens under the epoch key and is signed by its sender, but whose plaintext is not an AppContent', () => {
    for (const plain of [new Uint8Array(0), new Uint8Array([0xff, 0xff, 0xff]), encode(AppMessage, msg)]) {
      const ciphertext = c.aeadSeal(room.keys1.appKey, msg.nonce, encodePrefix(AppMessage, msg, 'ciphertext'), plain);
      const { signature: _s, ...unsigned } = { ...msg, ciphertext };
      const junk = signStruct(c, room.rng, AppMessage, unsigned, 'app message', room.member.secretKey);
      rejectsWith('REQ-MEM-015', () => openAppMessage(c, junk, room.keys1.appKey, room.member.publicKey));
    }
  });
});
