/**
 * The honest relay's state and request handling (spec 8.1, 8.3 to 8.8): roles, the
 * authorization matrix, the per-operation checks, the invite ACL, rosters, history windows and
 * the key directory. Pure: a request and a state in, a new state and outputs out. Room logs and
 * mailboxes are stored by the driver; the state holds only what the checks need.
 */
import { equalBytes, fromHex, toHex, type Bytes } from '../bytes.ts';
import { decode, encode, type Codec } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { PqroomError, ProtocolError, type ReqId } from '../errors.ts';
import { epochHash, fingerprint } from '../keyschedule.ts';
import {
  Ack,
  AppMessage,
  Commit,
  CompatChat,
  CompatJoinRequest,
  CompatMemberAdd,
  CompatMember,
  CompatRosterInfo,
  CompatRotation,
  CompatConfirm,
  CompatWelcome,
  JoinConfirm,
  JoinRequest,
  KeysInfo,
  MsgType,
  Reject,
  RosterInfo,
  Welcome,
  type KemCert,
  type MailboxEntry,
  type MemberRecord,
} from '../messages/index.ts';
import type * as M from '../messages/index.ts';
import type { Profile } from '../suite.ts';
import { checkCommitSuccessor, checkGenesis, type CommitCheckIds } from './commit.ts';
import { verifyCompatMemberAdd } from './compat.ts';
import { verifyKemCert } from './identity.ts';

/** The roles a principal can hold in a room (spec 8.3). */
export type RelayRole = 'owner' | 'member' | 'invitee' | 'removed' | 'stranger';

/** The operations of the authorization matrix (spec 8.4). */
export type RelayOperation =
  | 'create room'
  | 'post an invite hash'
  | 'submit a join'
  | 'deliver a welcome'
  | 'submit a confirmation'
  | 'add a member'
  | 'remove a member'
  | 'send'
  | 'rotate'
  | 'fetch history'
  | 'read the roster';

/** The authorization matrix of spec 8.4, as data: operation × role → allowed, and the requirement cited. */
export const AUTH_MATRIX: Readonly<Record<RelayOperation, { readonly allow: readonly RelayRole[]; readonly late?: readonly RelayRole[]; readonly reqId: ReqId }>> = {
  'create room': { allow: ['stranger'], reqId: 'REQ-REL-010' },
  'post an invite hash': { allow: ['owner'], reqId: 'REQ-REL-011' },
  'submit a join': { allow: ['removed', 'stranger'], reqId: 'REQ-REL-012' },
  'deliver a welcome': { allow: ['owner'], reqId: 'REQ-REL-013' },
  'submit a confirmation': { allow: ['invitee'], reqId: 'REQ-REL-014' },
  'add a member': { allow: ['owner'], reqId: 'REQ-REL-015' },
  'remove a member': { allow: ['owner'], reqId: 'REQ-REL-019' },
  // a removed member may still deliver a late message of its own epochs (REQ-REL-016)
  send: { allow: ['owner', 'member'], late: ['removed'], reqId: 'REQ-REL-016' },
  rotate: { allow: ['owner'], reqId: 'REQ-REL-017' },
  'fetch history': { allow: ['owner', 'member', 'removed'], reqId: 'REQ-REL-020' },
  'read the roster': { allow: ['owner', 'member'], reqId: 'REQ-REL-021' },
};

/** A principal's membership of a room, as the relay keeps it. */
export interface RelayMember {
  /** `owner`, `member` or `removed`. */
  readonly role: 'owner' | 'member' | 'removed';
  /** Log index of the entry that added it (1 for the owner). */
  readonly addedIndex: number;
  /** Epoch it was added in (hardened; 0 in compat). */
  readonly addedEpoch: number;
  /** Log index of the entry that removed it (the last entry of its window). */
  readonly removedIndex?: number;
  /** hardened: the epoch of the commit that removed it; later application messages of earlier epochs are still its own. */
  readonly removedEpoch?: number;
  /** hardened: its `next_seq` in the heads of the commit that removed it (REQ-REL-016, REQ-MEM-021). */
  readonly finalSeq?: number;
  /** hardened: one more than the highest `seq` appended from it (REQ-REL-018). */
  readonly sentSeq?: number;
  /** hardened: the owner is removing it (REQ-REL-025): it may add nothing the log does not already count. */
  readonly frozen?: boolean;
}

/** An invite as the relay knows it: only its id (REQ-KS-002). */
export interface RelayInvite {
  /** 0 for no expiry. */
  readonly expiresAt: number;
  /** ACL status (spec 8.1). */
  readonly status: 'open' | 'claimed' | 'consumed';
  /** Principal that claimed it (hex). */
  readonly claimant?: string;
  /** The claimed join payload, to recognise a retransmission (REQ-REL-012). */
  readonly joinPayload?: Bytes;
}

/** A room as the relay keeps it (spec 8.1). */
export interface RelayRoom {
  /** Room id. */
  readonly roomId: Bytes;
  /** Profile fixed at creation. */
  readonly profile: Profile;
  /** The owner principal. */
  readonly owner: Bytes;
  /** hardened: current epoch, its hash and commit, and the roster. */
  readonly epoch: number;
  /** hardened: hash of the head commit. */
  readonly epochHash: Bytes;
  /** hardened: the head commit (encoded). */
  readonly head: Bytes;
  /** hardened: the roster. */
  readonly roster: readonly MemberRecord[];
  /** compat: the member list (W10: unsigned). */
  readonly compatRoster: readonly CompatMember[];
  /** compat: log indexes of rotations, increasing. */
  readonly rotations: readonly number[];
  /** Memberships by principal (hex). */
  readonly members: Readonly<Record<string, RelayMember>>;
  /** Invites by id (hex). */
  readonly invites: Readonly<Record<string, RelayInvite>>;
  /** Index the next log entry gets (entries are 1, 2, ...). */
  readonly nextIndex: number;
}

/** One remembered answer, for retransmitted requests (REQ-REL-004). */
export interface Answered {
  /** The request id. */
  readonly reqId: number;
  /** The answer sent. */
  readonly reply: Bytes;
}

/** The relay's whole state, apart from log and mailbox contents. */
export interface RelayState {
  /** The profile this relay serves; rooms of the other profile are refused (REQ-REL-010). Unset: both. */
  readonly profile?: Profile;
  /** Rooms by id (hex). */
  readonly rooms: Readonly<Record<string, RelayRoom>>;
  /** Next mailbox index per principal (hex). */
  readonly mailboxes: Readonly<Record<string, number>>;
  /** The key directory by member id (hex) (spec 8.8). */
  readonly directory: Readonly<Record<string, { readonly identityPk: Bytes; readonly kemCert: KemCert }>>;
  /** The last answers per principal (hex), newest last (REQ-REL-004). */
  readonly answered: Readonly<Record<string, readonly Answered[]>>;
}

/** The empty relay, serving both profiles. */
export const EMPTY_RELAY: RelayState = { rooms: {}, mailboxes: {}, directory: {}, answered: {} };

/** An empty relay serving one profile. */
export function emptyRelay(profile: Profile): RelayState {
  return { ...EMPTY_RELAY, profile };
}

/** How many answers per principal are remembered (REQ-REL-004). */
export const ANSWER_MEMORY = 1024;

/** What a request makes the relay do. */
export type RelayOutput =
  /** Send `bytes` back to the requester. */
  | { readonly kind: 'reply'; readonly bytes: Bytes }
  /** Append `payload` to the room log at `index`, durably, and push it to the room's connected members. */
  | { readonly kind: 'append'; readonly roomId: Bytes; readonly index: number; readonly payload: Bytes; readonly recipients: readonly string[]; readonly epoch?: number }
  /** Append `entry` to the mailbox of `to`, durably, and push it. */
  | { readonly kind: 'mail'; readonly to: Bytes; readonly entry: MailboxEntry }
  /** Answer a FetchHistory from the store: entries `from..to` (inclusive), at most `limit`. */
  | { readonly kind: 'history'; readonly reqId: number; readonly roomId: Bytes; readonly from: number; readonly to: number; readonly limit: number; readonly lateBefore?: number }
  /** Answer a FetchMailbox from the store, from index `from`. */
  | { readonly kind: 'mailbox'; readonly reqId: number; readonly principal: Bytes; readonly from: number };

/** A relay request after envelope decoding. */
export type RelayRequest =
  | { readonly name: 'CreateRoom'; readonly value: M.CreateRoom }
  | { readonly name: 'PostInvite'; readonly value: M.PostInvite }
  | { readonly name: 'SubmitJoin'; readonly value: M.SubmitJoin }
  | { readonly name: 'SendWelcome'; readonly value: M.SendWelcome }
  | { readonly name: 'SubmitConfirm'; readonly value: M.SubmitConfirm }
  | { readonly name: 'PostCommit'; readonly value: M.PostCommit }
  | { readonly name: 'Send'; readonly value: M.Send }
  | { readonly name: 'Rotate'; readonly value: M.Rotate }
  | { readonly name: 'AddMember'; readonly value: M.AddMember }
  | { readonly name: 'RemoveMember'; readonly value: M.RemoveMember }
  | { readonly name: 'FetchHistory'; readonly value: M.FetchHistory }
  | { readonly name: 'GetRoster'; readonly value: M.GetRoster }
  | { readonly name: 'PublishKeys'; readonly value: M.PublishKeys }
  | { readonly name: 'GetKeys'; readonly value: M.GetKeys }
  | { readonly name: 'FetchMailbox'; readonly value: M.FetchMailbox };

/** Names of the relay requests. */
export const RELAY_REQUEST_NAMES: readonly RelayRequest['name'][] = [
  'CreateRoom', 'PostInvite', 'SubmitJoin', 'SendWelcome', 'SubmitConfirm', 'PostCommit', 'Send', 'Rotate', 'AddMember',
  'RemoveMember', 'FetchHistory', 'GetRoster', 'PublishKeys', 'GetKeys', 'FetchMailbox',
];

/** The outcome of one request. */
export interface RelayStep {
  /** The state afterwards (unchanged on rejection). */
  readonly state: RelayState;
  /** What to do. */
  readonly outputs: readonly RelayOutput[];
  /** The requirement that rejected the request, if it was rejected. */
  readonly rejected?: ReqId;
}

/** The role of `principal` in `room` (spec 8.3). */
export function roleOf(room: RelayRoom | undefined, principal: Bytes): RelayRole {
  if (!room) return 'stranger';
  if (equalBytes(room.owner, principal)) return 'owner';
  const m = room.members[toHex(principal)];
  if (m?.role === 'member') return 'member';
  if (m?.role === 'removed') return 'removed';
  const p = toHex(principal);
  if (Object.values(room.invites).some((i) => i.status === 'claimed' && i.claimant === p)) return 'invitee';
  return 'stranger';
}

/** The matrix operation a request exercises (PostCommit by its reason), or undefined for non-room requests. */
export function operationOf(req: RelayRequest): RelayOperation | undefined {
  switch (req.name) {
    case 'CreateRoom':
      return 'create room';
    case 'PostInvite':
      return 'post an invite hash';
    case 'SubmitJoin':
      return 'submit a join';
    case 'SendWelcome':
      return 'deliver a welcome';
    case 'SubmitConfirm':
      return 'submit a confirmation';
    case 'PostCommit': {
      const reason = commitReasonOf(req.value.payload);
      return reason === 'add' ? 'add a member' : reason === 'remove' ? 'remove a member' : 'rotate';
    }
    case 'AddMember':
      return 'add a member';
    case 'RemoveMember':
      return 'remove a member';
    case 'Send':
      return 'send';
    case 'Rotate':
      return 'rotate';
    case 'FetchHistory':
      return 'fetch history';
    case 'GetRoster':
      return 'read the roster';
    default:
      return undefined;
  }
}

function commitReasonOf(payload: Bytes): string | undefined {
  try {
    return decode(Commit, payload).reason;
  } catch {
    return undefined;
  }
}

function reqIdOf(req: RelayRequest): number {
  return req.value.req_id;
}

function ack(reqId: number, index: number): Bytes {
  return encode(Ack, { req_id: reqId, index });
}

/** The encoded `Reject` for a requirement. */
export function rejectBytes(reqId: number, requirement: ReqId, detail: string): Bytes {
  return encode(Reject, { req_id: reqId, requirement, detail: detail.slice(0, 1024) });
}

function fail(reqId: ReqId, detail: string): never {
  throw new ProtocolError(reqId, detail);
}

function decodePayload<T>(codec: Codec<T>, payload: Bytes, what: string): T {
  try {
    return decode(codec, payload);
  } catch (e) {
    if (e instanceof PqroomError) fail('REQ-REL-003', `payload is not a valid ${what}: ${e.message}`);
    throw e;
  }
}

function payloadType(payload: Bytes): number | undefined {
  return payload.length >= 4 ? payload[3] : undefined;
}

/** Principals (hex ids, as the state keys them) that receive a room's deliveries: the owner and current members. */
export function recipientsOf(room: RelayRoom): string[] {
  const out: string[] = [toHex(room.owner)];
  for (const [hex, m] of Object.entries(room.members)) if (m.role === 'member') out.push(hex);
  return out;
}

function remember(state: RelayState, principal: string, reqId: number, reply: Bytes): RelayState {
  const prev = state.answered[principal] ?? [];
  const next = [...prev.filter((a) => a.reqId !== reqId), { reqId, reply }].slice(-ANSWER_MEMORY);
  return { ...state, answered: { ...state.answered, [principal]: next } };
}

const READ_ONLY: ReadonlySet<RelayRequest['name']> = new Set(['FetchHistory', 'GetRoster', 'GetKeys', 'FetchMailbox']);

/**
 * Handles one authenticated request (spec 8.4): retransmission check, the authorization matrix,
 * then the operation's own checks. Every rejection is a `Reject` naming its requirement, with the
 * state unchanged.
 */
export function handleRequest(c: CryptoProvider, state: RelayState, principal: Bytes, req: RelayRequest, now: number): RelayStep {
  const p = toHex(principal);
  const reqId = reqIdOf(req);
  if (!READ_ONLY.has(req.name)) {
    const seen = state.answered[p]?.find((a) => a.reqId === reqId);
    if (seen) return { state, outputs: [{ kind: 'reply', bytes: seen.reply }] }; // REQ-REL-004
  }
  try {
    const { state: next, outputs, reply } = dispatch(c, state, principal, req, now);
    const all: RelayOutput[] = reply ? [...outputs, { kind: 'reply', bytes: reply }] : outputs;
    return { state: reply && !READ_ONLY.has(req.name) ? remember(next, p, reqId, reply) : next, outputs: all };
  } catch (e) {
    if (!(e instanceof PqroomError)) throw e;
    const reply = rejectBytes(reqId, e.reqId, e.message);
    const st = READ_ONLY.has(req.name) ? state : remember(state, p, reqId, reply);
    return { state: st, outputs: [{ kind: 'reply', bytes: reply }], rejected: e.reqId };
  }
}

interface Dispatched {
  readonly state: RelayState;
  readonly outputs: RelayOutput[];
  readonly reply?: Bytes;
}

function dispatch(c: CryptoProvider, state: RelayState, principal: Bytes, req: RelayRequest, now: number): Dispatched {
  switch (req.name) {
    case 'PublishKeys':
      return publishKeys(c, state, principal, req.value);
    case 'GetKeys': {
      const entry = state.directory[toHex(req.value.member_id)];
      if (!entry) fail('REQ-REL-023', 'no keys published for that member id');
      return { state, outputs: [], reply: encode(KeysInfo, { req_id: req.value.req_id, identity_pk: entry.identityPk, kem_cert: entry.kemCert }) };
    }
    case 'FetchMailbox':
      return { state, outputs: [{ kind: 'mailbox', reqId: req.value.req_id, principal, from: Math.max(1, req.value.from_index) }] }; // REQ-REL-024
    default:
      break;
  }
  const roomKey = toHex(req.value.room_id);
  const room = state.rooms[roomKey];
  if (req.name === 'CreateRoom') {
    if (room) fail('REQ-REL-010', 'room id already in use');
  } else if (!room) {
    fail('REQ-REL-002', 'unknown room');
  }
  if (room && (req.name === 'PostCommit' ? room.profile !== 'hardened' : ['Rotate', 'AddMember'].includes(req.name) && room.profile !== 'compat'))
    fail('REQ-REL-003', `${req.name} is not part of the ${room.profile} profile`);
  const op = operationOf(req);
  if (op === undefined) fail('REQ-REL-003', 'undecodable commit');
  const role = roleOf(room, principal);
  const rule = AUTH_MATRIX[op];
  if (!rule.allow.includes(role) && !(rule.late ?? []).includes(role)) fail(rule.reqId, `${op} is not allowed for a ${role}`); // REQ-REL-001
  switch (req.name) {
    case 'CreateRoom':
      return createRoom(c, state, principal, req.value);
    case 'PostInvite':
      return postInvite(state, room!, req.value, now);
    case 'SubmitJoin':
      return submitJoin(state, room!, principal, req.value, now);
    case 'SendWelcome':
      return sendWelcome(state, room!, req.value);
    case 'SubmitConfirm':
      return submitConfirm(state, room!, principal, req.value);
    case 'PostCommit':
      return postCommit(c, state, room!, req.value);
    case 'AddMember':
      return compatAddMember(c, state, room!, req.value);
    case 'RemoveMember':
      return room!.profile === 'hardened' ? freezeMember(state, room!, req.value) : compatRemoveMember(c, state, room!, req.value);
    case 'Send':
      return send(state, room!, principal, req.value);
    case 'Rotate':
      return compatRotate(state, room!, req.value);
    case 'FetchHistory':
      return fetchHistory(state, room!, principal, req.value);
    case 'GetRoster':
      return getRoster(state, room!, req.value);
  }
}

function withRoom(state: RelayState, room: RelayRoom): RelayState {
  return { ...state, rooms: { ...state.rooms, [toHex(room.roomId)]: room } };
}

function appendLog(
  state: RelayState,
  room: RelayRoom,
  payload: Bytes,
  update: (r: RelayRoom, index: number) => RelayRoom,
  epoch?: number,
): { state: RelayState; index: number; output: RelayOutput } {
  const index = room.nextIndex;
  const updated = update({ ...room, nextIndex: index + 1 }, index);
  // REQ-REL-031: every append is pushed to every current owner or member (the host sends a RoomDelivery to each connected one)
  const output: RelayOutput = { kind: 'append', roomId: room.roomId, index, payload, recipients: recipientsOf(updated), ...(epoch === undefined ? {} : { epoch }) };
  return { state: withRoom(state, updated), index, output };
}

function mail(state: RelayState, to: Bytes, roomId: Bytes, inviteId: Bytes, payload: Bytes): { state: RelayState; output: RelayOutput; index: number } {
  const key = toHex(to);
  const index = state.mailboxes[key] ?? 1;
  return {
    state: { ...state, mailboxes: { ...state.mailboxes, [key]: index + 1 } },
    output: { kind: 'mail', to, entry: { index, room_id: roomId, invite_id: inviteId, payload } },
    index,
  };
}

/** REQ-REL-010 */
function createRoom(c: CryptoProvider, state: RelayState, principal: Bytes, req: M.CreateRoom): Dispatched {
  let room: RelayRoom;
  if (state.profile !== undefined && req.profile !== state.profile) fail('REQ-REL-010', `this relay serves ${state.profile} rooms only`);
  const base = { roomId: req.room_id, profile: req.profile, owner: principal, members: {}, invites: {}, nextIndex: 1, rotations: [] as number[] };
  if (req.profile === 'hardened') {
    const commit = decodePayload(Commit, req.payload, 'Commit');
    if (!equalBytes(commit.room_id, req.room_id)) fail('REQ-REL-003', 'genesis commit is for another room id');
    const roster = checkGenesis(c, commit, 'REQ-REL-010');
    if (!equalBytes(roster[0]!.member_id, principal)) fail('REQ-REL-010', 'the genesis owner is not the requesting principal');
    room = { ...base, epoch: 0, epochHash: epochHash(c, req.payload), head: req.payload, roster, compatRoster: [] };
  } else {
    const owner = decodePayload(CompatMember, req.payload, 'CompatMember');
    if (owner.role !== 'owner' || !equalBytes(fingerprint(c, owner.identity_pk), principal)) fail('REQ-REL-010', 'the compat owner record is not the requesting principal');
    room = { ...base, epoch: 0, epochHash: new Uint8Array(32), head: new Uint8Array(0), roster: [], compatRoster: [owner] };
  }
  const r = appendLog(state, room, req.payload, (rm, index) => ({ ...rm, members: { [toHex(principal)]: { role: 'owner', addedIndex: index, addedEpoch: 0 } } }));
  return { state: r.state, outputs: [r.output], reply: ack(req.req_id, r.index) };
}

/** REQ-REL-011 */
function postInvite(state: RelayState, room: RelayRoom, req: M.PostInvite, now: number): Dispatched {
  const key = toHex(req.invite_id);
  if (room.invites[key]) fail('REQ-REL-011', 'invite id already posted');
  if (room.profile === 'hardened' && req.expires_at <= now) fail('REQ-REL-011', 'invite already expired');
  return { state: withRoom(state, { ...room, invites: { ...room.invites, [key]: { expiresAt: req.expires_at, status: 'open' } } }), outputs: [], reply: ack(req.req_id, 0) };
}

function checkEnvelopePayload(payload: Bytes, expected: number, roomId: Bytes, inviteId: Bytes | undefined, name: string): void {
  if (payloadType(payload) !== expected) fail('REQ-REL-003', `payload must be a ${name}`);
  // every room payload starts with header (4) then room_id (16), and join messages then invite_id (32)
  if (!equalBytes(payload.subarray(4, 20), roomId)) fail('REQ-REL-003', 'payload names another room');
  if (inviteId && !equalBytes(payload.subarray(20, 52), inviteId)) fail('REQ-REL-003', 'payload names another invite');
}

/** REQ-REL-012 */
function submitJoin(state: RelayState, room: RelayRoom, principal: Bytes, req: M.SubmitJoin, now: number): Dispatched {
  const hardened = room.profile === 'hardened';
  checkEnvelopePayload(req.payload, hardened ? MsgType.JoinRequest : MsgType.CompatJoinRequest, req.room_id, req.invite_id, hardened ? 'JoinRequest' : 'CompatJoinRequest');
  decodePayload<unknown>(hardened ? JoinRequest : CompatJoinRequest, req.payload, 'join request');
  const key = toHex(req.invite_id);
  const inv = room.invites[key];
  if (!inv) fail('REQ-REL-012', 'unknown invite id');
  if (inv.expiresAt !== 0 && now > inv.expiresAt) fail('REQ-REL-012', 'invite expired');
  if (inv.status !== 'open') fail('REQ-REL-012', `invite is ${inv.status}`);
  const claimed: RelayInvite = { ...inv, status: 'claimed', claimant: toHex(principal), joinPayload: req.payload };
  const st = withRoom(state, { ...room, invites: { ...room.invites, [key]: claimed } });
  const m = mail(st, room.owner, req.room_id, req.invite_id, req.payload);
  return { state: m.state, outputs: [m.output], reply: ack(req.req_id, 0) };
}

/** REQ-REL-013 */
function sendWelcome(state: RelayState, room: RelayRoom, req: M.SendWelcome): Dispatched {
  const hardened = room.profile === 'hardened';
  checkEnvelopePayload(req.payload, hardened ? MsgType.Welcome : MsgType.CompatWelcome, req.room_id, req.invite_id, hardened ? 'Welcome' : 'CompatWelcome');
  decodePayload<unknown>(hardened ? Welcome : CompatWelcome, req.payload, 'welcome');
  const inv = room.invites[toHex(req.invite_id)];
  if (!inv || inv.status !== 'claimed' || !inv.claimant) fail('REQ-REL-013', 'the invite is not claimed');
  const m = mail(state, fromHex(inv.claimant), req.room_id, req.invite_id, req.payload);
  return { state: m.state, outputs: [m.output], reply: ack(req.req_id, 0) };
}

/** REQ-REL-014 */
function submitConfirm(state: RelayState, room: RelayRoom, principal: Bytes, req: M.SubmitConfirm): Dispatched {
  const hardened = room.profile === 'hardened';
  checkEnvelopePayload(req.payload, hardened ? MsgType.JoinConfirm : MsgType.CompatConfirm, req.room_id, req.invite_id, hardened ? 'JoinConfirm' : 'CompatConfirm');
  decodePayload<unknown>(hardened ? JoinConfirm : CompatConfirm, req.payload, 'confirmation');
  const inv = room.invites[toHex(req.invite_id)];
  if (!inv || inv.status !== 'claimed' || inv.claimant !== toHex(principal)) fail('REQ-REL-014', 'the principal did not claim this invite');
  const m = mail(state, room.owner, req.room_id, req.invite_id, req.payload);
  return { state: m.state, outputs: [m.output], reply: ack(req.req_id, 0) };
}

const RELAY_COMMIT_IDS = (reason: string): CommitCheckIds => {
  const id: ReqId = reason === 'add' ? 'REQ-REL-015' : reason === 'remove' ? 'REQ-REL-019' : 'REQ-REL-017';
  return { room: 'REQ-REL-003', signature: id, epoch: id, chain: id, reason: id, rosterHash: id, record: id };
};

/** REQ-REL-015, REQ-REL-017, REQ-REL-019 (hardened). */
function postCommit(c: CryptoProvider, state: RelayState, room: RelayRoom, req: M.PostCommit): Dispatched {
  const commit = decodePayload(Commit, req.payload, 'Commit');
  const ids = RELAY_COMMIT_IDS(commit.reason);
  const roster = checkCommitSuccessor(c, { roomId: room.roomId, epoch: room.epoch, epochHash: room.epochHash, roster: room.roster }, commit, ids);
  let invites = room.invites;
  if (commit.reason === 'add') {
    const key = toHex(commit.invite_id);
    const inv = room.invites[key];
    if (!inv || inv.status !== 'claimed') fail('REQ-REL-015', 'the commit consumes an invite that is not claimed');
    if (inv.claimant !== toHex(commit.adds[0]!.member_id)) fail('REQ-REL-015', 'the added member is not the claimant of the invite');
    invites = { ...invites, [key]: { expiresAt: inv.expiresAt, status: 'consumed' } }; // token disposal: only the id remains
  }
  for (const x of commit.removes) {
    // REQ-REL-018: the removal must count every message of the removed member the log holds
    const sent = room.members[toHex(x.member_id)]?.sentSeq ?? 0;
    const head = commit.heads.find((h) => equalBytes(h.member_id, x.member_id))?.next_seq ?? 0;
    if (head < sent) fail('REQ-REL-018', `the removal counts ${head} messages of the removed member; the log holds ${sent}`);
  }
  const r = appendLog(state, room, req.payload, (rm, index) => {
    const members = { ...rm.members };
    for (const a of commit.adds) members[toHex(a.member_id)] = { role: 'member', addedIndex: index, addedEpoch: commit.epoch };
    for (const x of commit.removes) {
      const prev = members[toHex(x.member_id)];
      const finalSeq = commit.heads.find((h) => equalBytes(h.member_id, x.member_id))?.next_seq ?? 0;
      if (prev) members[toHex(x.member_id)] = { ...prev, role: 'removed', removedIndex: index, removedEpoch: commit.epoch, finalSeq };
    }
    return { ...rm, epoch: commit.epoch, epochHash: epochHash(c, req.payload), head: req.payload, roster, members, invites };
  }, commit.epoch);
  return { state: r.state, outputs: [r.output], reply: ack(req.req_id, r.index) };
}

/** REQ-REL-015 (compat AddMember): 0FC's one server-side check, the owner's signature. */
function compatAddMember(c: CryptoProvider, state: RelayState, room: RelayRoom, req: M.AddMember): Dispatched {
  checkEnvelopePayload(req.payload, MsgType.CompatMemberAdd, req.room_id, undefined, 'CompatMemberAdd');
  const add = decodePayload(CompatMemberAdd, req.payload, 'CompatMemberAdd');
  const key = toHex(req.invite_id);
  const inv = room.invites[key];
  if (!inv || inv.status !== 'claimed') fail('REQ-REL-015', 'the invite is not claimed');
  const memberId = fingerprint(c, add.member.identity_pk);
  if (inv.claimant !== toHex(memberId)) fail('REQ-REL-015', 'the added member is not the claimant of the invite');
  const owner = room.compatRoster.find((m) => m.role === 'owner');
  verifyCompatMemberAdd(c, add, owner!.identity_pk);
  const r = appendLog(state, room, req.payload, (rm, index) => ({
    ...rm,
    compatRoster: [...withoutMember(c, rm.compatRoster, memberId), { ...add.member, role: 'member' }],
    members: { ...rm.members, [toHex(memberId)]: { role: 'member', addedIndex: index, addedEpoch: 0 } },
    invites: { ...rm.invites, [key]: { expiresAt: inv.expiresAt, status: 'consumed' } },
  }));
  return { state: r.state, outputs: [r.output], reply: ack(req.req_id, r.index) };
}

/** A compat member list without the member whose id is `memberId`. */
function withoutMember(c: CryptoProvider, roster: readonly CompatMember[], memberId: Bytes): CompatMember[] {
  return roster.filter((m) => !equalBytes(fingerprint(c, m.identity_pk), memberId));
}

/** REQ-REL-019 (compat RemoveMember, decision D11). */
function compatRemoveMember(c: CryptoProvider, state: RelayState, room: RelayRoom, req: M.RemoveMember): Dispatched {
  const key = toHex(req.member_id);
  const m = room.members[key];
  if (!m || m.role !== 'member') fail('REQ-REL-019', 'not a current member');
  const last = room.nextIndex - 1;
  // REQ-REL-021: the member list the relay serves is its current members, so the removed one leaves it
  const compatRoster = withoutMember(c, room.compatRoster, req.member_id);
  return { state: withRoom(state, { ...room, compatRoster, members: { ...room.members, [key]: { ...m, role: 'removed', removedIndex: last } } }), outputs: [], reply: ack(req.req_id, 0) };
}

/**
 * REQ-REL-025 (hardened `RemoveMember`): the owner is about to commit the member's removal.
 * From now on the relay appends nothing of it that would raise the count REQ-REL-018 checks,
 * and the acknowledgement carries the last log index, so an owner that has processed the log
 * up to it knows every message the removal must count.
 */
function freezeMember(state: RelayState, room: RelayRoom, req: M.RemoveMember): Dispatched {
  const key = toHex(req.member_id);
  const m = room.members[key];
  if (!m || m.role !== 'member') fail('REQ-REL-025', 'not a current member');
  const last = room.nextIndex - 1;
  return { state: withRoom(state, { ...room, members: { ...room.members, [key]: { ...m, frozen: true } } }), outputs: [], reply: ack(req.req_id, last) };
}

/** REQ-REL-016 */
function send(state: RelayState, room: RelayRoom, principal: Bytes, req: M.Send): Dispatched {
  let epoch: number | undefined;
  let seq: number | undefined;
  if (room.profile === 'hardened') {
    checkEnvelopePayload(req.payload, MsgType.AppMessage, req.room_id, undefined, 'AppMessage');
    const msg = decodePayload(AppMessage, req.payload, 'AppMessage');
    if (!equalBytes(msg.sender, principal)) fail('REQ-REL-016', 'sender is not the requesting principal');
    const m = room.members[toHex(principal)];
    if (!m || msg.epoch < m.addedEpoch || msg.epoch > room.epoch) fail('REQ-REL-016', `epoch ${msg.epoch} is outside the sender's epochs`);
    if (m.role === 'removed') {
      // only a late message: of an epoch before the removal, counted by the removal's heads
      if (m.removedEpoch === undefined || msg.epoch >= m.removedEpoch) fail('REQ-REL-016', `a removed member sends nothing of epoch ${msg.epoch}`);
      if (msg.seq >= (m.finalSeq ?? 0)) fail('REQ-REL-016', `seq ${msg.seq} is beyond the removed sender's final head ${m.finalSeq ?? 0}`);
    }
    // REQ-REL-025: a member being removed may only deliver a late message the log's count already covers
    if (m.frozen && m.role === 'member' && msg.seq >= (m.sentSeq ?? 0)) fail('REQ-REL-025', `the member is being removed: seq ${msg.seq} is beyond the ${m.sentSeq ?? 0} messages the log counts`);
    epoch = msg.epoch;
    seq = msg.seq;
  } else {
    if (room.members[toHex(principal)]?.role === 'removed') fail('REQ-REL-016', 'a removed member sends nothing');
    checkEnvelopePayload(req.payload, MsgType.CompatChat, req.room_id, undefined, 'CompatChat');
    decodePayload(CompatChat, req.payload, 'CompatChat');
  }
  const key = toHex(principal);
  const r = appendLog(state, room, req.payload, (rm) => {
    const m = rm.members[key];
    if (seq === undefined || !m || seq < (m.sentSeq ?? 0)) return rm;
    return { ...rm, members: { ...rm.members, [key]: { ...m, sentSeq: seq + 1 } } }; // REQ-REL-018
  }, epoch);
  return { state: r.state, outputs: [r.output], reply: ack(req.req_id, r.index) };
}

/** REQ-REL-017 (compat Rotate). */
function compatRotate(state: RelayState, room: RelayRoom, req: M.Rotate): Dispatched {
  checkEnvelopePayload(req.payload, MsgType.CompatRotation, req.room_id, undefined, 'CompatRotation');
  decodePayload(CompatRotation, req.payload, 'CompatRotation');
  const r = appendLog(state, room, req.payload, (rm, index) => ({ ...rm, rotations: [...rm.rotations, index] }));
  return { state: r.state, outputs: [r.output], reply: ack(req.req_id, r.index) };
}

/**
 * The log window a principal may fetch (REQ-REL-020): `[from, to]`, inclusive; for a removed
 * hardened member also `lateBefore`: application messages of epochs before it that were appended
 * after the removal (sent before it, delivered late) are still its own.
 */
export function historyWindow(room: RelayRoom, principal: Bytes): { from: number; to: number; lateBefore?: number } {
  const end = room.nextIndex - 1;
  const m = room.members[toHex(principal)];
  if (!m) return { from: 1, to: 0 };
  const to = m.role === 'removed' ? (m.removedIndex ?? end) : end;
  if (room.profile === 'hardened') return m.role === 'removed' && m.removedEpoch !== undefined ? { from: m.addedIndex, to, lateBefore: m.removedEpoch } : { from: m.addedIndex, to };
  // compat (the seed's rules, W15): from the latest rotation at or before the join
  const rot = [...room.rotations].reverse().find((i) => i <= m.addedIndex);
  return { from: rot ?? 1, to };
}

/** REQ-REL-020 */
function fetchHistory(state: RelayState, room: RelayRoom, principal: Bytes, req: M.FetchHistory): Dispatched {
  const w = historyWindow(room, principal);
  const out: RelayOutput = { kind: 'history', reqId: req.req_id, roomId: room.roomId, from: Math.max(w.from, req.from_index), to: w.to, limit: req.limit, ...(w.lateBefore === undefined ? {} : { lateBefore: w.lateBefore }) };
  return { state, outputs: [out] };
}

/** REQ-REL-021 */
function getRoster(state: RelayState, room: RelayRoom, req: M.GetRoster): Dispatched {
  const reply =
    room.profile === 'hardened'
      ? encode(RosterInfo, { req_id: req.req_id, room_id: room.roomId, head: decode(Commit, room.head), members: room.roster })
      : encode(CompatRosterInfo, { req_id: req.req_id, room_id: room.roomId, members: room.compatRoster });
  return { state, outputs: [], reply };
}

/** REQ-REL-022 */
function publishKeys(c: CryptoProvider, state: RelayState, principal: Bytes, req: M.PublishKeys): Dispatched {
  if (!equalBytes(fingerprint(c, req.identity_pk), principal)) fail('REQ-REL-022', 'identity key is not the principal');
  if (!equalBytes(req.kem_cert.member_id, principal)) fail('REQ-REL-022', 'certificate is for another member');
  const key = toHex(principal);
  const prev = state.directory[key];
  if (prev && req.kem_cert.version <= prev.kemCert.version) fail('REQ-REL-022', `certificate version ${req.kem_cert.version} is not newer than ${prev.kemCert.version}`);
  try {
    verifyKemCert(c, req.kem_cert, req.identity_pk, 'REQ-REL-022');
  } catch (e) {
    if (e instanceof PqroomError) fail('REQ-REL-022', e.message);
    throw e;
  }
  return { state: { ...state, directory: { ...state.directory, [key]: { identityPk: req.identity_pk, kemCert: req.kem_cert } } }, outputs: [], reply: ack(req.req_id, 0) };
}
