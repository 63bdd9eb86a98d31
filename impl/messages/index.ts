/** Every codec of spec section 4, by name and by message type, and a decoder for any message. */
import { decode, peekType, type Codec, type StructCodec } from '../codec.ts';
import type { Bytes } from '../bytes.ts';
import * as common from './common.ts';
import * as compat from './compat.ts';
import * as keys from './keys.ts';
import * as keystore from './keystore.ts';
import * as login from './login.ts';
import * as relay from './relay.ts';
import * as room from './room.ts';
import * as transport from './transport.ts';
import { MsgType, type MsgName } from './types.ts';

export * from './common.ts';
export * from './compat.ts';
export * from './keys.ts';
export * from './keystore.ts';
export * from './login.ts';
export * from './relay.ts';
export * from './room.ts';
export * from './transport.ts';
export * from './types.ts';

/** Every message codec, keyed by message name (spec 4.1). */
export const MESSAGES: { readonly [N in MsgName]: StructCodec<unknown> } = {
  ClientHello: transport.ClientHello,
  ServerHello: transport.ServerHello,
  ClientAuth: transport.ClientAuth,
  TransportFrame: transport.TransportFrame,
  FrameBatch: transport.FrameBatch,
  CreateRoom: relay.CreateRoom,
  PostInvite: relay.PostInvite,
  SubmitJoin: relay.SubmitJoin,
  SendWelcome: relay.SendWelcome,
  SubmitConfirm: relay.SubmitConfirm,
  PostCommit: relay.PostCommit,
  Send: relay.Send,
  Rotate: relay.Rotate,
  AddMember: relay.AddMember,
  RemoveMember: relay.RemoveMember,
  FetchHistory: relay.FetchHistory,
  GetRoster: relay.GetRoster,
  PublishKeys: relay.PublishKeys,
  GetKeys: relay.GetKeys,
  FetchMailbox: relay.FetchMailbox,
  PostKeyUpdate: relay.PostKeyUpdate,
  Ack: relay.Ack,
  Reject: relay.Reject,
  RoomDelivery: relay.RoomDelivery,
  MailboxDelivery: relay.MailboxDelivery,
  HistoryChunk: relay.HistoryChunk,
  RosterInfo: relay.RosterInfo,
  KeysInfo: relay.KeysInfo,
  CompatRosterInfo: relay.CompatRosterInfo,
  MailboxChunk: relay.MailboxChunk,
  Invite: room.Invite,
  JoinRequest: room.JoinRequest,
  Welcome: room.Welcome,
  JoinConfirm: room.JoinConfirm,
  Commit: room.Commit,
  AppMessage: room.AppMessage,
  GroupInfo: room.GroupInfo,
  AppContent: room.AppContent,
  KeyUpdate: room.KeyUpdate,
  CompatJoinRequest: compat.CompatJoinRequest,
  CompatWelcome: compat.CompatWelcome,
  CompatConfirm: compat.CompatConfirm,
  CompatMemberAdd: compat.CompatMemberAdd,
  CompatChat: compat.CompatChat,
  CompatRotation: compat.CompatRotation,
  CompatWelcomeContent: compat.CompatWelcomeContent,
  KemCert: keys.KemCert,
  MemberRecord: keys.MemberRecord,
  TrustStatement: keystore.TrustStatement,
  CompatMember: keys.CompatMember,
  Register: login.Register,
  CompatLoginStart: login.CompatLoginStart,
  CompatLoginChallenge: login.CompatLoginChallenge,
  CompatLoginResponse: login.CompatLoginResponse,
  CompatLoginFinish: login.CompatLoginFinish,
  LoginStart: login.LoginStart,
  LoginChallenge: login.LoginChallenge,
  LoginResponse: login.LoginResponse,
  LoginFinish: login.LoginFinish,
  Vault: keystore.Vault,
  VaultContents: keystore.VaultContents,
  UnlockedSession: keystore.UnlockedSession,
  // appended last, so that the vectors of the messages before them keep their bytes
  FactorBegin: login.FactorBegin,
  FactorChallenge: login.FactorChallenge,
  FactorResponse: login.FactorResponse,
  FactorAccepted: login.FactorAccepted,
} as const;

/** Structs without a header that appear inside messages (spec 4.3). */
export const SUB_STRUCTS: readonly StructCodec<unknown>[] = [
  common.KdfParams,
  common.MemberRef,
  common.EpochHead,
  common.SecretEntry,
  common.LogEntry,
  common.MailboxEntry,
  keystore.KemKeyEntry,
  keystore.PeerRecord,
  keystore.LoginPin,
  transport.BatchedMessage,
];

/** Enumerations of spec 4.2. */
export const ENUMS: readonly Codec<string>[] = [
  common.ProfileCodec,
  common.Role,
  common.CommitReason,
  common.KdfAlgorithm,
  common.TrustMethod,
  login.FactorMethod,
  login.FactorPurpose,
];

const BY_TYPE = new Map<number, MsgName>(Object.entries(MsgType).map(([n, t]) => [t, n as MsgName]));

/** The message name registered for a type number, if any. */
export function messageName(type: number): MsgName | undefined {
  return BY_TYPE.get(type);
}

/** A decoded message of any type. */
export interface AnyMessage {
  /** The message's registered name. */
  readonly name: MsgName;
  /** The decoded value. */
  readonly value: unknown;
}

/** Decodes a message of whatever registered type its header names (REQ-ENC-002..004, 006, 007). */
export function decodeAny(bytes: Bytes): AnyMessage {
  const type = peekType(bytes);
  const name = BY_TYPE.get(type) as MsgName;
  return { name, value: decode(MESSAGES[name], bytes) };
}
