/** Relay requests, responses and deliveries of spec sections 4.5 and 4.6. */
import { bool, f, fixed, list, message, opaque, text, u16, u32, u64, type ValueOf } from '../codec.ts';
import { DSA_PK_BYTES, HASH_BYTES, MAX_MEMBERS, ROOM_ID_BYTES } from '../suite.ts';
import { LogEntry, MailboxEntry, ProfileCodec } from './common.ts';
import { CompatMember, KemCert, MemberRecord } from './keys.ts';
import { Commit } from './room.ts';
import { MsgType } from './types.ts';

const reqId = f('req_id', u32);
const roomId = f('room_id', fixed(ROOM_ID_BYTES));
const inviteId = f('invite_id', fixed(HASH_BYTES));
const payload = f('payload', opaque(1, 16777216));

/** `CreateRoom` (type 0x10). */
export const CreateRoom = message('CreateRoom', MsgType.CreateRoom, [reqId, roomId, f('profile', ProfileCodec), payload]);
/** A room creation request. */
export type CreateRoom = ValueOf<typeof CreateRoom>;
/** `PostInvite` (type 0x11). */
export const PostInvite = message('PostInvite', MsgType.PostInvite, [reqId, roomId, inviteId, f('expires_at', u64)]);
/** An invite-hash registration. */
export type PostInvite = ValueOf<typeof PostInvite>;
/** `SubmitJoin` (type 0x12). */
export const SubmitJoin = message('SubmitJoin', MsgType.SubmitJoin, [reqId, roomId, inviteId, payload]);
/** A join submission. */
export type SubmitJoin = ValueOf<typeof SubmitJoin>;
/** `SendWelcome` (type 0x13). */
export const SendWelcome = message('SendWelcome', MsgType.SendWelcome, [reqId, roomId, inviteId, payload]);
/** A welcome for the relay to deliver. */
export type SendWelcome = ValueOf<typeof SendWelcome>;
/** `SubmitConfirm` (type 0x14). */
export const SubmitConfirm = message('SubmitConfirm', MsgType.SubmitConfirm, [reqId, roomId, inviteId, payload]);
/** A confirmation for the relay to deliver. */
export type SubmitConfirm = ValueOf<typeof SubmitConfirm>;
/** `PostCommit` (type 0x15). */
export const PostCommit = message('PostCommit', MsgType.PostCommit, [reqId, roomId, payload]);
/** A commit for the relay to publish. */
export type PostCommit = ValueOf<typeof PostCommit>;
/** `Send` (type 0x16). */
export const Send = message('Send', MsgType.Send, [reqId, roomId, payload]);
/** An application message for the relay to publish. */
export type Send = ValueOf<typeof Send>;
/** `Rotate` (type 0x17, compat). */
export const Rotate = message('Rotate', MsgType.Rotate, [reqId, roomId, payload]);
/** A compat rotation for the relay to publish. */
export type Rotate = ValueOf<typeof Rotate>;
/** `AddMember` (type 0x18, compat). */
export const AddMember = message('AddMember', MsgType.AddMember, [reqId, roomId, inviteId, payload]);
/** A compat member add. */
export type AddMember = ValueOf<typeof AddMember>;
/** `RemoveMember` (type 0x19, compat). */
export const RemoveMember = message('RemoveMember', MsgType.RemoveMember, [reqId, roomId, f('member_id', fixed(HASH_BYTES))]);
/** A compat kick. */
export type RemoveMember = ValueOf<typeof RemoveMember>;
/** `FetchHistory` (type 0x1A). */
export const FetchHistory = message(
  'FetchHistory',
  MsgType.FetchHistory,
  [reqId, roomId, f('from_index', u64), f('limit', u16)],
  (v) => (v.limit >= 1 && v.limit <= 256 ? undefined : 'limit must be 1..256'),
);
/** A history request. */
export type FetchHistory = ValueOf<typeof FetchHistory>;
/** `GetRoster` (type 0x1B). */
export const GetRoster = message('GetRoster', MsgType.GetRoster, [reqId, roomId]);
/** A roster request. */
export type GetRoster = ValueOf<typeof GetRoster>;
/** `PublishKeys` (type 0x1C). */
export const PublishKeys = message('PublishKeys', MsgType.PublishKeys, [
  reqId,
  f('identity_pk', fixed(DSA_PK_BYTES)),
  f('kem_cert', KemCert),
]);
/** A key directory publication. */
export type PublishKeys = ValueOf<typeof PublishKeys>;
/** `GetKeys` (type 0x1D). */
export const GetKeys = message('GetKeys', MsgType.GetKeys, [reqId, f('member_id', fixed(HASH_BYTES))]);
/** A key directory lookup. */
export type GetKeys = ValueOf<typeof GetKeys>;
/** `PostKeyUpdate` (type 0x1F, hardened): a member's `KeyUpdate` for the owner's mailbox (spec 8.4, REQ-REL-026). */
export const PostKeyUpdate = message('PostKeyUpdate', MsgType.PostKeyUpdate, [reqId, roomId, payload]);
/** A key update posted to the relay. */
export type PostKeyUpdate = ValueOf<typeof PostKeyUpdate>;

/** `FetchMailbox` (type 0x1E). */
export const FetchMailbox = message('FetchMailbox', MsgType.FetchMailbox, [reqId, f('from_index', u64)]);
/** A mailbox request. */
export type FetchMailbox = ValueOf<typeof FetchMailbox>;

/** `Ack` (type 0x30). */
export const Ack = message('Ack', MsgType.Ack, [reqId, f('index', u64)]);
/** A positive answer. */
export type Ack = ValueOf<typeof Ack>;
/** `Reject` (type 0x31): names the requirement that failed. */
export const Reject = message(
  'Reject',
  MsgType.Reject,
  [reqId, f('requirement', text(1, 32)), f('detail', text(0, 1024))],
  (v) => (/^REQ-[A-Z]+-[0-9]{3}$/.test(v.requirement) ? undefined : 'requirement must be a REQ-XXX-nnn id'),
);
/** A negative answer. */
export type Reject = ValueOf<typeof Reject>;
/** `RoomDelivery` (type 0x32). */
export const RoomDelivery = message('RoomDelivery', MsgType.RoomDelivery, [roomId, f('index', u64), payload]);
/** A pushed room log entry. */
export type RoomDelivery = ValueOf<typeof RoomDelivery>;
/** `MailboxDelivery` (type 0x33). */
export const MailboxDelivery = message('MailboxDelivery', MsgType.MailboxDelivery, [f('entry', MailboxEntry)]);
/** A pushed mailbox entry. */
export type MailboxDelivery = ValueOf<typeof MailboxDelivery>;
/** `HistoryChunk` (type 0x34). */
export const HistoryChunk = message('HistoryChunk', MsgType.HistoryChunk, [
  reqId,
  roomId,
  f('entries', list(LogEntry, 0, 256, 'index')),
  f('next_index', u64),
  f('complete', bool),
]);
/** A page of room history. */
export type HistoryChunk = ValueOf<typeof HistoryChunk>;
/** `RosterInfo` (type 0x35, hardened). */
export const RosterInfo = message('RosterInfo', MsgType.RosterInfo, [
  reqId,
  roomId,
  f('head', Commit),
  f('members', list(MemberRecord, 1, MAX_MEMBERS, 'member_id')),
]);
/** A served hardened roster. */
export type RosterInfo = ValueOf<typeof RosterInfo>;
/** `KeysInfo` (type 0x36). */
export const KeysInfo = message('KeysInfo', MsgType.KeysInfo, [
  reqId,
  f('identity_pk', fixed(DSA_PK_BYTES)),
  f('kem_cert', KemCert),
]);
/** A served directory entry. */
export type KeysInfo = ValueOf<typeof KeysInfo>;
/** `CompatRosterInfo` (type 0x37, compat). */
export const CompatRosterInfo = message('CompatRosterInfo', MsgType.CompatRosterInfo, [
  reqId,
  roomId,
  f('members', list(CompatMember, 1, MAX_MEMBERS)),
]);
/** A served compat member list. */
export type CompatRosterInfo = ValueOf<typeof CompatRosterInfo>;
/** `MailboxChunk` (type 0x38). */
export const MailboxChunk = message('MailboxChunk', MsgType.MailboxChunk, [
  reqId,
  f('entries', list(MailboxEntry, 0, 256, 'index')),
  f('next_index', u64),
  f('complete', bool),
]);
/** A page of a mailbox. */
export type MailboxChunk = ValueOf<typeof MailboxChunk>;
