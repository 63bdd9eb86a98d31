/**
 * What the honest relay keeps (spec 8.1): rooms, members, invites, mailboxes and the key
 * directory; the roles a principal holds (spec 8.3), the authorization matrix (spec 8.4), the
 * requests and their outcomes, and who receives a room's deliveries and history (spec 8.5, 8.6).
 */
import { equalBytes, toHex, type Bytes } from '../../bytes.ts';
import { decode } from '../../codec.ts';
import type { ReqId } from '../../errors.ts';
import type * as M from '../../messages/index.ts';
import { Commit, CompatMember, type KemCert, type MailboxEntry, type MemberRecord } from '../../messages/index.ts';
import { enforced } from '../../mutants.ts';
import type { Profile } from '../../suite.ts';
import type { Parsed } from '../entry.ts';
import type { AnswerList } from './answer-list.ts';

export type { Answered, AnswerList } from './answer-list.ts';

/** How many ids {@link idKey} remembers. */
const ID_KEYS = 8;
const idBytes: Bytes[] = Array.from({ length: ID_KEYS }, () => new Uint8Array(0));
const idHex: string[] = Array.from({ length: ID_KEYS }, () => '');
let idNext = 0;

/**
 * `toHex(id)`, for the public ids the state is keyed by (principals, room ids), from the last few it
 * converted when it has seen the bytes (issue 23): one `Send` converted its principal and room id about
 * seven times, 1.3 µs each with the lookup of a fresh 64-character key. The same string each time, so
 * a lookup finds it already internalized. Remembers copies of at most `ID_KEYS` (8) ids of at most
 * 64 bytes (never use it for a secret); a pure function of the bytes, whatever the callers do with theirs.
 */
export function idKey(id: Bytes): string {
  const n = id.length;
  if (n === 0 || n > 64) return toHex(id);
  for (let k = 0; k < ID_KEYS; k++) {
    const b = idBytes[k]!;
    if (b.length !== n) continue;
    let i = 0;
    while (i < n && b[i] === id[i]) i++;
    if (i === n) return idHex[k]!;
  }
  const hex = toHex(id);
  idBytes[idNext] = id.slice();
  idHex[idNext] = hex;
  idNext = (idNext + 1) % ID_KEYS;
  return hex;
}

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
  | 'read the roster'
  | 'fetch the own mailbox'
  | 'publish the own keys'
  | 'look up keys'
  | 'update a member key';

const ALL_ROLES: readonly RelayRole[] = ['owner', 'member', 'invitee', 'removed', 'stranger'];

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
  // an invitee polls for its add while confirming: its window is empty until then (spec 8.4, REQ-REL-020)
  'fetch history': { allow: ['owner', 'member', 'invitee', 'removed'], reqId: 'REQ-REL-020' },
  'read the roster': { allow: ['owner', 'member'], reqId: 'REQ-REL-021' },
  // these name no room: every principal may make them, whatever its roles (spec 8.4)
  'fetch the own mailbox': { allow: ALL_ROLES, reqId: 'REQ-REL-024' },
  'publish the own keys': { allow: ALL_ROLES, reqId: 'REQ-REL-022' },
  'look up keys': { allow: ALL_ROLES, reqId: 'REQ-REL-023' },
  // the owner receives no commit entry, so it has no key to update (spec 7.12)
  'update a member key': { allow: ['member'], reqId: 'REQ-REL-026' },
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
  /** hardened: the newest key update version accepted from it, and the room epochs of its last routine and urgent ones (REQ-REL-027). */
  readonly updated?: { readonly version: number; readonly routineEpoch?: number; readonly urgentEpoch?: number };
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
  /** The last answers per principal (hex), newest last (REQ-REL-004), in a list appended to without copying it whole (issue 23). */
  readonly answered: Readonly<Record<string, AnswerList>>;
}

/** The empty relay, serving both profiles. */
export const EMPTY_RELAY: RelayState = { rooms: {}, mailboxes: {}, directory: {}, answered: {} };

/** An empty relay serving one profile. */
export function emptyRelay(profile: Profile): RelayState {
  return { ...EMPTY_RELAY, profile };
}

/** How many answers per principal are remembered (REQ-REL-004); the oldest answered is evicted first. */
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
  | { readonly name: 'FetchMailbox'; readonly value: M.FetchMailbox }
  | { readonly name: 'PostKeyUpdate'; readonly value: M.PostKeyUpdate };

/** Names of the relay requests. */
export const RELAY_REQUEST_NAMES: readonly RelayRequest['name'][] = [
  'CreateRoom', 'PostInvite', 'SubmitJoin', 'SendWelcome', 'SubmitConfirm', 'PostCommit', 'Send', 'Rotate', 'AddMember',
  'RemoveMember', 'FetchHistory', 'GetRoster', 'PublishKeys', 'GetKeys', 'FetchMailbox', 'PostKeyUpdate',
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

/** The role of `principal` in `room` (spec 8.3): the first that applies, in the order owner, member, invitee, removed, stranger (REQ-REL-009). */
export function roleOf(room: RelayRoom | undefined, principal: Bytes): RelayRole {
  if (!room) return 'stranger';
  if (equalBytes(room.owner, principal)) return 'owner';
  const m = room.members[idKey(principal)];
  if (m?.role === 'member') return 'member';
  if (m?.role === 'removed' && !enforced('REQ-REL-009')) return 'removed'; // the order without REQ-REL-009 (a mutant)
  const p = idKey(principal);
  // REQ-REL-009: a removed member that claimed a new invite is an invitee
  if (Object.values(room.invites).some((i) => i.status === 'claimed' && i.claimant === p)) return 'invitee';
  if (m?.role === 'removed') return 'removed';
  return 'stranger';
}

/**
 * The matrix operation a request exercises (PostCommit by its reason; an undecodable one as a
 * rotation, its payload refused after the matrix). `commit`
 * is the PostCommit's payload already parsed, when the caller has it (dispatch parses it once).
 */
export function operationOf(req: RelayRequest, commit?: Parsed<Commit>): RelayOperation | undefined {
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
      const reason = commit === undefined ? commitReasonOf(req.value.payload) : commit.ok ? commit.value.reason : undefined;
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
    case 'FetchMailbox':
      return 'fetch the own mailbox';
    case 'PublishKeys':
      return 'publish the own keys';
    case 'GetKeys':
      return 'look up keys';
    case 'PostKeyUpdate':
      return 'update a member key';
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

/**
 * The last list {@link recipientsOf} made, for the owner and members records it was made from: a
 * room's records are immutable and change only with its membership, so most appends (every
 * `Send`) find their list here instead of walking the members again (issue 23).
 */
let lastRecipients: { readonly owner: Bytes; readonly members: RelayRoom['members']; readonly list: readonly string[] } | undefined;

/** Principals (hex ids, as the state keys them) who are the room's owner or current members. */
export function recipientsOf(room: RelayRoom): string[] {
  const last = lastRecipients;
  if (last !== undefined && last.owner === room.owner && last.members === room.members) return last.list.slice();
  const out: string[] = [idKey(room.owner)];
  for (const hex in room.members) if (room.members[hex]!.role === 'member') out.push(hex);
  lastRecipients = { owner: room.owner, members: room.members, list: out.slice() };
  return out;
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
