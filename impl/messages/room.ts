/** Hardened room messages of spec section 4.7: invite, join handshake, commit and application messages. */
import { equalBytes } from '../bytes.ts';
import { f, fixed, list, message, opaque, text, u32, u64, u8, type ValueOf } from '../codec.ts';
import {
  AEAD_NONCE_BYTES,
  DSA_PK_BYTES,
  DSA_SIG_BYTES,
  HASH_BYTES,
  KEM_CT_BYTES,
  MAX_MEMBERS,
  NO_EPOCH,
  ROOM_ID_BYTES,
  TOKEN_BYTES,
} from '../suite.ts';
import { CommitReason, EpochHead, MemberRef, ProfileCodec, SecretEntry } from './common.ts';
import { KemCert, MemberRecord } from './keys.ts';
import { MsgType } from './types.ts';

/** `Invite` (type 0x40): what the owner hands the invitee out of band (spec 6.3). */
export const Invite = message('Invite', MsgType.Invite, [
  f('profile', ProfileCodec),
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('owner_fp', fixed(HASH_BYTES)),
  f('token', fixed(TOKEN_BYTES)),
  f('expires_at', u64),
  f('relay', text(0, 255)),
]);
/** An invite. */
export type Invite = ValueOf<typeof Invite>;

/** `JoinRequest` (type 0x41, spec 7.2). */
export const JoinRequest = message('JoinRequest', MsgType.JoinRequest, [
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('invite_id', fixed(HASH_BYTES)),
  f('identity_pk', fixed(DSA_PK_BYTES)),
  f('kem_cert', KemCert),
  f('nonce', fixed(32)),
  f('token_mac', fixed(32)),
  f('signature', fixed(DSA_SIG_BYTES)),
]);
/** A hardened join request. */
export type JoinRequest = ValueOf<typeof JoinRequest>;

/** `Commit` (type 0x44, spec 6.5): the owner-signed change from one epoch to the next. */
export const Commit = message('Commit', MsgType.Commit, [
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('epoch', u32),
  f('prev_epoch_hash', fixed(HASH_BYTES)),
  f('reason', CommitReason),
  f('invite_id', fixed(HASH_BYTES)),
  f('adds', list(MemberRecord, 0, MAX_MEMBERS, 'member_id')),
  f('removes', list(MemberRef, 0, MAX_MEMBERS, 'member_id')),
  f('roster_hash', fixed(HASH_BYTES)),
  f('heads', list(EpochHead, 0, MAX_MEMBERS, 'member_id')),
  f('entries', list(SecretEntry, 0, MAX_MEMBERS, 'member_id')),
  f('signature', fixed(DSA_SIG_BYTES)),
]);
/** A commit. */
export type Commit = ValueOf<typeof Commit>;

/** `Welcome` (type 0x42, spec 6.4). */
export const Welcome = message('Welcome', MsgType.Welcome, [
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('invite_id', fixed(HASH_BYTES)),
  f('join_hash', fixed(HASH_BYTES)),
  f('epoch', u32),
  f('kem_ct', fixed(KEM_CT_BYTES)),
  f('nonce', fixed(AEAD_NONCE_BYTES)),
  f('sealed', opaque(16, 16777216)),
  f('signature', fixed(DSA_SIG_BYTES)),
]);
/** A welcome. */
export type Welcome = ValueOf<typeof Welcome>;

/** `GroupInfo` (type 0x46): what a welcome seals for the invitee. */
export const GroupInfo = message('GroupInfo', MsgType.GroupInfo, [
  f('epoch_secret', fixed(32)),
  f('commit', Commit),
  f('roster', list(MemberRecord, 1, MAX_MEMBERS, 'member_id')),
]);
/** The group state a welcome delivers. */
export type GroupInfo = ValueOf<typeof GroupInfo>;

/** `JoinConfirm` (type 0x43, spec 7.3). */
export const JoinConfirm = message('JoinConfirm', MsgType.JoinConfirm, [
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('invite_id', fixed(HASH_BYTES)),
  f('epoch', u32),
  f('welcome_hash', fixed(HASH_BYTES)),
  f('confirm_mac', fixed(32)),
  f('signature', fixed(DSA_SIG_BYTES)),
]);
/** A join confirmation. */
export type JoinConfirm = ValueOf<typeof JoinConfirm>;

/** `AppMessage` (type 0x45, spec 7.5), with the `prev_epoch` rule of spec 4.7. */
export const AppMessage = message(
  'AppMessage',
  MsgType.AppMessage,
  [
    f('room_id', fixed(ROOM_ID_BYTES)),
    f('epoch', u32),
    f('sender', fixed(HASH_BYTES)),
    f('seq', u64),
    f('prev_epoch', u32),
    f('nonce', fixed(AEAD_NONCE_BYTES)),
    f('ciphertext', opaque(16, 65535)),
    f('signature', fixed(DSA_SIG_BYTES)),
  ],
  (v) => {
    if (v.seq === 0) return v.prev_epoch === NO_EPOCH ? undefined : 'prev_epoch must be 0xFFFFFFFF when seq is 0';
    return v.prev_epoch <= v.epoch ? undefined : 'prev_epoch must not exceed epoch';
  },
);
/** An application message. */
export type AppMessage = ValueOf<typeof AppMessage>;

/** `AppContent` (type 0x47): the plaintext of an application message. */
export const AppContent = message('AppContent', MsgType.AppContent, [f('sent_at', u64), f('text', text(0, 65000))]);
/** Application message content. */
export type AppContent = ValueOf<typeof AppContent>;

/**
 * `KeyUpdate` (type 0x48, spec 4.7, 7.12): a member's new ML-KEM key for one room, signed with
 * context `key update`. Validity (REQ-ENC-017): `urgent` is 0 or 1 and the certificate is the member's.
 */
export const KeyUpdate = message(
  'KeyUpdate',
  MsgType.KeyUpdate,
  [
    f('room_id', fixed(ROOM_ID_BYTES)),
    f('epoch', u32),
    f('member_id', fixed(HASH_BYTES)),
    f('kem_cert', KemCert),
    f('urgent', u8),
    f('signature', fixed(DSA_SIG_BYTES)),
  ],
  (v) => {
    if (v.urgent !== 0 && v.urgent !== 1) return 'KeyUpdate.urgent must be 0 or 1';
    return equalBytes(v.kem_cert.member_id, v.member_id) ? undefined : 'KeyUpdate.kem_cert is for another member';
  },
);
/** A member's key update. */
export type KeyUpdate = ValueOf<typeof KeyUpdate>;
