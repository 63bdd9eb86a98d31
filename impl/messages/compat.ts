/** compat room messages of spec section 4.8: 0FC's join handshake, chat and rotation. */
import { f, fixed, message, opaque, u32, type ValueOf } from '../codec.ts';
import { AEAD_NONCE_BYTES, DSA_PK_BYTES, DSA_SIG_BYTES, HASH_BYTES, KEM_CT_BYTES, KEM_PK_BYTES, ROOM_ID_BYTES } from '../suite.ts';
import { CompatMember } from './keys.ts';
import { MsgType } from './types.ts';

/** `CompatJoinRequest` (type 0x50, spec 7.9). */
export const CompatJoinRequest = message('CompatJoinRequest', MsgType.CompatJoinRequest, [
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('invite_id', fixed(HASH_BYTES)),
  f('identity_pk', fixed(DSA_PK_BYTES)),
  f('kem_pk', fixed(KEM_PK_BYTES)),
  f('kem_ct', fixed(KEM_CT_BYTES)),
]);
/** A compat join request. */
export type CompatJoinRequest = ValueOf<typeof CompatJoinRequest>;

/** `CompatWelcome` (type 0x51, spec 6.9). */
export const CompatWelcome = message('CompatWelcome', MsgType.CompatWelcome, [
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('invite_id', fixed(HASH_BYTES)),
  f('nonce', fixed(AEAD_NONCE_BYTES)),
  f('sealed', opaque(16, 65535)),
]);
/** A compat welcome. */
export type CompatWelcome = ValueOf<typeof CompatWelcome>;

/** `CompatWelcomeContent` (type 0x56): the room key a compat welcome seals. */
export const CompatWelcomeContent = message('CompatWelcomeContent', MsgType.CompatWelcomeContent, [
  f('room_key', fixed(32)),
  f('generation', u32),
]);
/** Content of a compat welcome. */
export type CompatWelcomeContent = ValueOf<typeof CompatWelcomeContent>;

/** `CompatConfirm` (type 0x52, spec 7.9). */
export const CompatConfirm = message('CompatConfirm', MsgType.CompatConfirm, [
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('invite_id', fixed(HASH_BYTES)),
  f('nonce', fixed(AEAD_NONCE_BYTES)),
  f('sealed', opaque(16, 65535)),
]);
/** A compat confirmation. */
export type CompatConfirm = ValueOf<typeof CompatConfirm>;

/** `CompatMemberAdd` (type 0x53, spec 6.9): the owner's signature over a new member's keys. */
export const CompatMemberAdd = message('CompatMemberAdd', MsgType.CompatMemberAdd, [
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('member', CompatMember),
  f('signature', fixed(DSA_SIG_BYTES)),
]);
/** A compat member add. */
export type CompatMemberAdd = ValueOf<typeof CompatMemberAdd>;

const sealedChatFields = [
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('sender', fixed(HASH_BYTES)),
  f('nonce', fixed(AEAD_NONCE_BYTES)),
  f('ciphertext', opaque(16, 65535)),
] as const;

/** `CompatChat` (type 0x54, spec 7.9). */
export const CompatChat = message('CompatChat', MsgType.CompatChat, sealedChatFields);
/** A compat chat message. */
export type CompatChat = ValueOf<typeof CompatChat>;

/** `CompatRotation` (type 0x55, spec 6.9): same layout as CompatChat; only the type byte differs (W2). */
export const CompatRotation = message('CompatRotation', MsgType.CompatRotation, sealedChatFields);
/** A compat rotation. */
export type CompatRotation = ValueOf<typeof CompatRotation>;
