/**
 * The relay's operations (spec 8.4 to 8.8), one function per request: the authorization matrix
 * applied, then each operation's own checks, its new state, its outputs and its answer.
 */
import { enforced } from '../../mutants.ts';
import { withEntry } from '../../shared-record.ts';
import { equalBytes, fromHex, toHex, type Bytes } from '../../bytes.ts';
import { decode, encode, type Codec } from '../../codec.ts';
import type { CryptoProvider } from '../../crypto/provider.ts';
import { PqroomError, ProtocolError, type ReqId } from '../../errors.ts';
import { epochHash, fingerprint } from '../../keyschedule.ts';
import type * as M from '../../messages/index.ts';
import { Ack, AppMessage, Commit, KeyUpdate, CompatChat, CompatConfirm, CompatJoinRequest, CompatMember, CompatMemberAdd, CompatRosterInfo, CompatRotation, CompatWelcome, JoinConfirm, JoinRequest, KeysInfo, MsgType, RosterInfo, Welcome } from '../../messages/index.ts';
import { checkCommitSuccessor, checkGenesis, type CommitCheckIds } from '../commit.ts';
import { verifyCompatMemberAdd } from '../compat.ts';
import { parse, type Parsed } from '../entry.ts';
import { verifyKemCert } from '../identity.ts';
import { checkKeyUpdate, RELAY_UPDATE_CHECKS } from '../key-update.ts';
import { AUTH_MATRIX, historyWindow, idKey, operationOf, recipientsOf, roleOf, type RelayInvite, type RelayOutput, type RelayRequest, type RelayRoom, type RelayState } from './state.ts';

/** The longest payload the relay stores (REQ-ENC-020): 2^24 - 128 bytes, so that its delivery and a chunk holding it alone stay within REQ-ENC-019. */
export const MAX_STORED_PAYLOAD = 2 ** 24 - 128;

function ack(reqId: number, index: number): Bytes {
  return encode(Ack, { req_id: reqId, index });
}

function fail(reqId: ReqId, detail: string): never {
  throw new ProtocolError(reqId, detail);
}

/**
 * REQ-REL-003: the payload decodes as `codec`. `readOnly`: the caller only reads the value and
 * keeps none of it, so it is decoded in place, without a private copy of the payload (issue 23).
 */
function decodePayload<T>(codec: Codec<T>, payload: Bytes, what: string, readOnly = false): T {
  try {
    return decode(codec, payload, { inPlace: readOnly });
  } catch (e) {
    if (e instanceof PqroomError) fail('REQ-REL-003', `payload is not a valid ${what}: ${e.message}`);
    throw e;
  }
}

/**
 * The decoded head commits, by the head's bytes: a head is decoded where it enters (CreateRoom,
 * PostCommit) and its value kept, so that serving a roster (REQ-REL-021) does not decode it again;
 * a head the relay did not decode in this process (a state restored from its store) is decoded once.
 */
const HEADS = new WeakMap<Bytes, Commit>();

function headCommit(head: Bytes): Commit {
  let commit = HEADS.get(head);
  if (commit === undefined) {
    commit = decode(Commit, head);
    HEADS.set(head, commit);
  }
  return commit;
}

function payloadType(payload: Bytes): number | undefined {
  return payload.length >= 4 ? payload[3] : undefined;
}

/** What an operation did: the new state, its outputs, and the answer to the request. */
export interface Dispatched {
  readonly state: RelayState;
  readonly outputs: RelayOutput[];
  readonly reply?: Bytes;
}

/** Runs one request: the operations that need no room, or the room's checks, the authorization matrix (spec 8.4) and the operation. Throws a typed error on a rejection. */
export function dispatch(c: CryptoProvider, state: RelayState, principal: Bytes, req: RelayRequest, now: number): Dispatched {
  // these name no room: the matrix allows them to every role (REQ-REL-001), and only their own checks apply
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
  const roomKey = idKey(req.value.room_id);
  const room = state.rooms[roomKey];
  if (req.name === 'CreateRoom') {
    if (room && enforced('REQ-REL-010')) fail('REQ-REL-010', 'room id already in use');
  } else if (!room) {
    fail('REQ-REL-002', 'unknown room');
  }
  // spec 8.4: a request the room's profile does not define is refused with REQ-REL-003, after REQ-REL-002, before the matrix
  if (room && (req.name === 'PostCommit' || req.name === 'PostKeyUpdate' ? room.profile !== 'hardened' : ['Rotate', 'AddMember'].includes(req.name) && room.profile !== 'compat'))
    fail('REQ-REL-003', `${req.name} is not part of the ${room.profile} profile`);
  // a PostCommit's payload is decoded once, here: its reason picks the matrix row, and postCommit checks it
  const commit = req.name === 'PostCommit' ? parse(Commit, req.value.payload) : undefined;
  const op = operationOf(req, commit);
  if (op === undefined) fail('REQ-REL-003', 'undecodable commit');
  const role = roleOf(room, principal);
  const rule = AUTH_MATRIX[op];
  if (!rule.allow.includes(role) && !(rule.late ?? []).includes(role) && enforced('REQ-REL-001')) fail(rule.reqId, `${op} is not allowed for a ${role}`); // REQ-REL-001
  // REQ-ENC-020: a payload the relay stores must fit, alone, in the delivery and the chunk that serve it
  if ('payload' in req.value && req.value.payload.length > MAX_STORED_PAYLOAD && enforced('REQ-ENC-020')) fail('REQ-ENC-020', `a payload of ${req.value.payload.length} bytes is above ${MAX_STORED_PAYLOAD}`);
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
      return postCommit(c, state, room!, req.value, commit!);
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
    case 'PostKeyUpdate':
      return postKeyUpdate(c, state, room!, principal, req.value);
  }
}

/** REQ-REL-026, REQ-REL-027 (hardened `PostKeyUpdate`): checked as the owner checks it, then to the owner's mailbox. */
function postKeyUpdate(c: CryptoProvider, state: RelayState, room: RelayRoom, principal: Bytes, req: M.PostKeyUpdate): Dispatched {
  checkEnvelopePayload(req.payload, MsgType.KeyUpdate, req.room_id, undefined, 'KeyUpdate');
  const u = decodePayload(KeyUpdate, req.payload, 'KeyUpdate');
  const key = toHex(principal);
  const m = room.members[key];
  if (!equalBytes(u.member_id, principal)) fail('REQ-REL-026', 'the update is not the principal\'s');
  if (!m || m.frozen) fail('REQ-REL-026', 'the member is being removed'); // REQ-REL-025
  const last = m.updated;
  checkKeyUpdate(c, { roomId: room.roomId, epoch: room.epoch, roster: room.roster }, u, last?.version ?? 0, RELAY_UPDATE_CHECKS);
  const urgent = u.urgent === 1;
  if ((urgent ? last?.urgentEpoch : last?.routineEpoch) === room.epoch) fail('REQ-REL-026', `${urgent ? 'an urgent' : 'a routine'} update of this member was accepted in this epoch already`);
  // REQ-REL-027: the member's newest accepted version and epoch are kept with its membership, durable
  const updated = { ...last, version: u.kem_cert.version, ...(urgent ? { urgentEpoch: room.epoch } : { routineEpoch: room.epoch }) };
  const st = withRoom(state, { ...room, members: { ...room.members, [key]: { ...m, updated } } });
  const r = mail(st, room.owner, req.room_id, new Uint8Array(32), req.payload);
  return { state: r.state, outputs: [r.output], reply: ack(req.req_id, 0) };
}

function withRoom(state: RelayState, room: RelayRoom): RelayState {
  // issue 23: one entry changed without copying every room (a record of 1,000 rooms took milliseconds to copy)
  return { ...state, rooms: withEntry(state.rooms, idKey(room.roomId), room) };
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
  // REQ-REL-031: every append is pushed to the owner and every member just before or just after it (the host sends a
  // RoomDelivery to each connected one): a commit reaches the member it adds and the member it removes
  const recipients = [...new Set([...(enforced('REQ-REL-031') ? recipientsOf(room) : []), ...recipientsOf(updated)])];
  // two literals rather than a spread of `{ epoch }` (and of `{ lateBefore }` in fetchHistory): each shape is kept by its literal, not made anew in each run (issue 24)
  const output: RelayOutput = epoch === undefined ? { kind: 'append', roomId: room.roomId, index, payload, recipients } : { kind: 'append', roomId: room.roomId, index, payload, recipients, epoch };
  return { state: withRoom(state, updated), index, output };
}

/** Appends to `to`'s mailbox at its next index (spec 8.1); also the entry point of a mail another shard forwarded (REQ-REL-051). */
export function mail(state: RelayState, to: Bytes, roomId: Bytes, inviteId: Bytes, payload: Bytes): { state: RelayState; output: RelayOutput; index: number } {
  const key = toHex(to);
  const index = state.mailboxes[key] ?? 1;
  return {
    state: { ...state, mailboxes: withEntry(state.mailboxes, key, index + 1) },
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
    HEADS.set(req.payload, commit);
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
  if (room.invites[key] && enforced('REQ-REL-011')) fail('REQ-REL-011', 'invite id already posted');
  if (room.profile === 'hardened' && req.expires_at <= now && enforced('REQ-REL-011')) fail('REQ-REL-011', 'invite already expired');
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
  if (inv.expiresAt !== 0 && now > inv.expiresAt && enforced('REQ-REL-012')) fail('REQ-REL-012', 'invite expired');
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
  if (!inv || ((inv.status !== 'claimed' || !inv.claimant) && enforced('REQ-REL-013'))) fail('REQ-REL-013', 'the invite is not claimed');
  const m = mail(state, fromHex(inv.claimant ?? toHex(room.owner)), req.room_id, req.invite_id, req.payload);
  return { state: m.state, outputs: [m.output], reply: ack(req.req_id, 0) };
}

/** REQ-REL-014 */
function submitConfirm(state: RelayState, room: RelayRoom, principal: Bytes, req: M.SubmitConfirm): Dispatched {
  const hardened = room.profile === 'hardened';
  checkEnvelopePayload(req.payload, hardened ? MsgType.JoinConfirm : MsgType.CompatConfirm, req.room_id, req.invite_id, hardened ? 'JoinConfirm' : 'CompatConfirm');
  decodePayload<unknown>(hardened ? JoinConfirm : CompatConfirm, req.payload, 'confirmation');
  const inv = room.invites[toHex(req.invite_id)];
  if (!inv || ((inv.status !== 'claimed' || inv.claimant !== toHex(principal)) && enforced('REQ-REL-014'))) fail('REQ-REL-014', 'the principal did not claim this invite');
  const m = mail(state, room.owner, req.room_id, req.invite_id, req.payload);
  return { state: m.state, outputs: [m.output], reply: ack(req.req_id, 0) };
}

const RELAY_COMMIT_IDS = (reason: string): CommitCheckIds => {
  const id: ReqId = reason === 'add' ? 'REQ-REL-015' : reason === 'remove' ? 'REQ-REL-019' : 'REQ-REL-017';
  return { room: 'REQ-REL-003', signature: id, epoch: id, chain: id, reason: id, rosterHash: id, record: id, update: id };
};

/** REQ-REL-015, REQ-REL-017, REQ-REL-019 (hardened): `parsed` is the payload, decoded once by dispatch. */
function postCommit(c: CryptoProvider, state: RelayState, room: RelayRoom, req: M.PostCommit, parsed: Parsed<Commit>): Dispatched {
  if (!parsed.ok) fail('REQ-REL-003', `payload is not a valid Commit: ${parsed.error.message}`);
  const commit = parsed.value;
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
    if (head < sent && enforced('REQ-REL-018')) fail('REQ-REL-018', `the removal counts ${head} messages of the removed member; the log holds ${sent}`);
  }
  const r = appendLog(state, room, req.payload, (rm, index) => {
    const members = { ...rm.members };
    // a rotation's adds are key updates of current members (REQ-REL-017): the roster takes them, the membership stays
    if (commit.reason === 'add') for (const a of commit.adds) members[toHex(a.member_id)] = { role: 'member', addedIndex: index, addedEpoch: commit.epoch };
    for (const x of commit.removes) {
      const prev = members[toHex(x.member_id)];
      const finalSeq = commit.heads.find((h) => equalBytes(h.member_id, x.member_id))?.next_seq ?? 0;
      if (prev) members[toHex(x.member_id)] = { ...prev, role: 'removed', removedIndex: index, removedEpoch: commit.epoch, finalSeq };
    }
    HEADS.set(req.payload, commit);
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
    const msg = decodePayload(AppMessage, req.payload, 'AppMessage', true); // read here (sender, epoch, seq), kept nowhere
    if (!equalBytes(msg.sender, principal) && enforced('REQ-REL-016')) fail('REQ-REL-016', 'sender is not the requesting principal');
    const m = room.members[idKey(principal)];
    if (!m || msg.epoch < m.addedEpoch || msg.epoch > room.epoch) fail('REQ-REL-016', `epoch ${msg.epoch} is outside the sender's epochs`);
    if (m.role === 'removed') {
      // only a late message: of an epoch before the removal, counted by the removal's heads
      if (m.removedEpoch === undefined || msg.epoch >= m.removedEpoch) fail('REQ-REL-016', `a removed member sends nothing of epoch ${msg.epoch}`);
      if (msg.seq >= (m.finalSeq ?? 0)) fail('REQ-REL-016', `seq ${msg.seq} is beyond the removed sender's final head ${m.finalSeq ?? 0}`);
    }
    // REQ-REL-025: a member being removed may only deliver a late message the log's count already covers
    if (m.frozen && m.role === 'member' && msg.seq >= (m.sentSeq ?? 0) && enforced('REQ-REL-025')) fail('REQ-REL-025', `the member is being removed: seq ${msg.seq} is beyond the ${m.sentSeq ?? 0} messages the log counts`);
    epoch = msg.epoch;
    seq = msg.seq;
  } else {
    if (room.members[toHex(principal)]?.role === 'removed') fail('REQ-REL-016', 'a removed member sends nothing');
    checkEnvelopePayload(req.payload, MsgType.CompatChat, req.room_id, undefined, 'CompatChat');
    decodePayload(CompatChat, req.payload, 'CompatChat', true);
  }
  const key = idKey(principal);
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

/** REQ-REL-020 */
function fetchHistory(state: RelayState, room: RelayRoom, principal: Bytes, req: M.FetchHistory): Dispatched {
  const w = historyWindow(room, principal);
  const from = Math.max(w.from, req.from_index);
  const out: RelayOutput =
    w.lateBefore === undefined
      ? { kind: 'history', reqId: req.req_id, roomId: room.roomId, from, to: w.to, limit: req.limit }
      : { kind: 'history', reqId: req.req_id, roomId: room.roomId, from, to: w.to, limit: req.limit, lateBefore: w.lateBefore };
  return { state, outputs: [out] };
}

/** REQ-REL-021 */
function getRoster(state: RelayState, room: RelayRoom, req: M.GetRoster): Dispatched {
  const reply =
    room.profile === 'hardened'
      ? encode(RosterInfo, { req_id: req.req_id, room_id: room.roomId, head: headCommit(room.head), members: room.roster })
      : encode(CompatRosterInfo, { req_id: req.req_id, room_id: room.roomId, members: room.compatRoster });
  return { state, outputs: [], reply };
}

/** REQ-REL-022 */
function publishKeys(c: CryptoProvider, state: RelayState, principal: Bytes, req: M.PublishKeys): Dispatched {
  if (!equalBytes(fingerprint(c, req.identity_pk), principal) && enforced('REQ-REL-022')) fail('REQ-REL-022', 'identity key is not the principal');
  if (!equalBytes(req.kem_cert.member_id, principal) && enforced('REQ-REL-022')) fail('REQ-REL-022', 'certificate is for another member');
  const key = toHex(principal);
  const prev = state.directory[key];
  if (prev && req.kem_cert.version <= prev.kemCert.version) fail('REQ-REL-022', `certificate version ${req.kem_cert.version} is not newer than ${prev.kemCert.version}`);
  try {
    verifyKemCert(c, req.kem_cert, req.identity_pk, 'REQ-REL-022');
  } catch (e) {
    if (e instanceof PqroomError) fail('REQ-REL-022', e.message);
    throw e;
  }
  return { state: { ...state, directory: withEntry(state.directory, key, { identityPk: req.identity_pk, kemCert: req.kem_cert }) }, outputs: [], reply: ack(req.req_id, 0) };
}
