/** The message type registry of spec section 4.1 and the header constants of spec 2.4. */

/** Protocol version carried in every header (REQ-ENC-002). */
export const PROTOCOL_VERSION = 1;

/** The only registered ciphersuite (spec 3.1, decision D1). */
export const SUITE_ID = 0x0001;

/** Registered suite ids (REQ-ENC-003). */
export const REGISTERED_SUITES: ReadonlySet<number> = new Set([SUITE_ID]);

/** Message type numbers, exactly as in the table of spec 4.1. */
export const MsgType = {
  ClientHello: 0x01,
  ServerHello: 0x02,
  ClientAuth: 0x03,
  TransportFrame: 0x04,
  FrameBatch: 0x05,
  CreateRoom: 0x10,
  PostInvite: 0x11,
  SubmitJoin: 0x12,
  SendWelcome: 0x13,
  SubmitConfirm: 0x14,
  PostCommit: 0x15,
  Send: 0x16,
  Rotate: 0x17,
  AddMember: 0x18,
  RemoveMember: 0x19,
  FetchHistory: 0x1a,
  GetRoster: 0x1b,
  PublishKeys: 0x1c,
  GetKeys: 0x1d,
  FetchMailbox: 0x1e,
  PostKeyUpdate: 0x1f,
  Ack: 0x30,
  Reject: 0x31,
  RoomDelivery: 0x32,
  MailboxDelivery: 0x33,
  HistoryChunk: 0x34,
  RosterInfo: 0x35,
  KeysInfo: 0x36,
  CompatRosterInfo: 0x37,
  MailboxChunk: 0x38,
  Invite: 0x40,
  JoinRequest: 0x41,
  Welcome: 0x42,
  JoinConfirm: 0x43,
  Commit: 0x44,
  AppMessage: 0x45,
  GroupInfo: 0x46,
  AppContent: 0x47,
  KeyUpdate: 0x48,
  CompatJoinRequest: 0x50,
  CompatWelcome: 0x51,
  CompatConfirm: 0x52,
  CompatMemberAdd: 0x53,
  CompatChat: 0x54,
  CompatRotation: 0x55,
  CompatWelcomeContent: 0x56,
  KemCert: 0x60,
  MemberRecord: 0x61,
  TrustStatement: 0x62,
  CompatMember: 0x63,
  Register: 0x70,
  CompatLoginStart: 0x71,
  CompatLoginChallenge: 0x72,
  CompatLoginResponse: 0x73,
  CompatLoginFinish: 0x74,
  LoginStart: 0x75,
  LoginChallenge: 0x76,
  LoginResponse: 0x77,
  LoginFinish: 0x78,
  FactorBegin: 0x79,
  FactorChallenge: 0x7a,
  FactorResponse: 0x7b,
  FactorAccepted: 0x7c,
  Vault: 0x80,
  VaultContents: 0x81,
  UnlockedSession: 0x82,
} as const;

/** The name of a registered message. */
export type MsgName = keyof typeof MsgType;

/** Registered message type numbers (REQ-ENC-004). */
export const REGISTERED_TYPES: ReadonlySet<number> = new Set(Object.values(MsgType));

/** Largest encoded message (REQ-ENC-019). */
export const MAX_MESSAGE_BYTES = 2 ** 24;

/** Largest encoded transport frame: one message plus header, seq, length prefix and tag. */
export const MAX_FRAME_BYTES = MAX_MESSAGE_BYTES + 32;
