/**
 * The honest relay's state and request handling (spec 8.1, 8.3 to 8.8): roles, the
 * authorization matrix, the per-operation checks, the invite ACL, rosters, history windows and
 * the key directory. Pure: a request and a state in, a new state and outputs out. Room logs and
 * mailboxes are stored by the driver; the state holds only what the checks need. This file
 * handles a request (retransmissions, rejections); the state, roles and matrix are in
 * relay-state/state.ts, the operations in relay-state/requests.ts.
 */
import type { Bytes } from '../bytes.ts';
import { encode } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { PqroomError, type ReqId } from '../errors.ts';
import { MESSAGES, MsgType, Reject } from '../messages/index.ts';
import { PROTOCOL_VERSION, REGISTERED_SUITES } from '../messages/types.ts';
import { enforced } from '../mutants.ts';
import { withEntry } from '../shared-record.ts';
import { appendAnswer, findAnswer } from './relay-state/answer-list.ts';
import { dispatch, mail } from './relay-state/requests.ts';

export { MAX_STORED_PAYLOAD } from './relay-state/requests.ts';
export { answerCount, answerListOf, answersOf, findAnswer, NO_ANSWERS } from './relay-state/answer-list.ts';
import { ANSWER_MEMORY, idKey, RELAY_REQUEST_NAMES, type RelayOutput, type RelayRequest, type RelayState, type RelayStep } from './relay-state/state.ts';

export {
  ANSWER_MEMORY,
  AUTH_MATRIX,
  EMPTY_RELAY,
  emptyRelay,
  historyWindow,
  idKey,
  operationOf,
  recipientsOf,
  RELAY_REQUEST_NAMES,
  roleOf,
  type Answered,
  type AnswerList,
  type RelayInvite,
  type RelayMember,
  type RelayOperation,
  type RelayOutput,
  type RelayRequest,
  type RelayRole,
  type RelayRoom,
  type RelayState,
  type RelayStep,
} from './relay-state/state.ts';

function reqIdOf(req: RelayRequest): number {
  return req.value.req_id;
}

/** The type numbers of the relay requests (spec 4.5). */
const REQUEST_TYPES: ReadonlySet<number> = new Set(RELAY_REQUEST_NAMES.map((n) => MsgType[n]));

/**
 * REQ-REL-040: the `req_id` a `Reject` of undecodable bytes carries: the request's, read from
 * bytes 4 to 7, when the bytes show one (at least 8 bytes, version 1, a registered suite, the
 * type of a request), however the rest fails; 0 otherwise.
 */
export function readableReqId(bytes: Bytes): number {
  if (bytes.length < 8 || bytes[0] !== PROTOCOL_VERSION || !REGISTERED_SUITES.has((bytes[1]! << 8) | bytes[2]!) || !REQUEST_TYPES.has(bytes[3]!)) return 0;
  return ((bytes[4]! << 24) >>> 0) + (bytes[5]! << 16) + (bytes[6]! << 8) + bytes[7]!;
}

/** The encoded `Reject` for a requirement. */
export function rejectBytes(reqId: number, requirement: ReqId, detail: string): Bytes {
  return encode(Reject, { req_id: reqId, requirement, detail: detail.slice(0, 1024) });
}

/**
 * REQ-REL-004: remembers the answer to the request (principal, req_id, digest), newest last; the
 * oldest of the principal's answers beyond ANSWER_MEMORY is evicted. Another request that reused
 * the req_id keeps its own answer.
 */
function remember(state: RelayState, principal: string, reqId: number, digest: Bytes, reply: Bytes): RelayState {
  // issue 23: the list is appended to without copying it (a full one is 1024 answers)
  const next = appendAnswer(state.answered[principal], { reqId, digest, reply }, ANSWER_MEMORY);
  return { ...state, answered: withEntry(state.answered, principal, next) };
}

/**
 * REQ-REL-051: a mailbox entry made by the worker of another shard (`pqroom relay --workers N`),
 * appended to the principal's mailbox here, at its next index, as if a request of this relay had
 * made it.
 */
export function appendForwardedMail(state: RelayState, to: Bytes, roomId: Bytes, inviteId: Bytes, payload: Bytes): RelayStep {
  const m = mail(state, to, roomId, inviteId, payload);
  return { state: m.state, outputs: [m.output] };
}

/** The requests that change no state: answered afresh every time, never remembered (REQ-REL-004). */
export const READ_ONLY: ReadonlySet<RelayRequest['name']> = new Set(['FetchHistory', 'GetRoster', 'GetKeys', 'FetchMailbox']);

/**
 * The digest a retransmission is recognised by (REQ-REL-004): SHA-256 of the request's bytes.
 * The encoding is canonical (REQ-ENC-015), so re-encoding the decoded request gives the bytes
 * received; a host that has those bytes passes their digest instead.
 */
export function requestDigest(c: CryptoProvider, req: RelayRequest): Bytes {
  return c.sha256(encode(MESSAGES[req.name], req.value));
}

/**
 * Handles one authenticated request (spec 8.4): retransmission check, the authorization matrix,
 * then the operation's own checks. Every rejection is a `Reject` naming its requirement, with the
 * state unchanged.
 */
export function handleRequest(c: CryptoProvider, state: RelayState, principal: Bytes, req: RelayRequest, now: number, digest?: Bytes): RelayStep {
  const p = idKey(principal);
  const reqId = reqIdOf(req);
  const readOnly = READ_ONLY.has(req.name);
  // REQ-REL-004: a retransmission is byte-identical (same principal, req_id and digest); a request
  // that reuses a req_id with other bytes is a new request
  const d = readOnly ? undefined : (digest ?? requestDigest(c, req));
  if (d) {
    const seen = findAnswer(state.answered[p], reqId, d);
    if (seen && enforced('REQ-REL-004')) return { state, outputs: [{ kind: 'reply', bytes: seen.reply }] }; // REQ-REL-004
  }
  try {
    const { state: next, outputs, reply } = dispatch(c, state, principal, req, now);
    const all: RelayOutput[] = reply ? [...outputs, { kind: 'reply', bytes: reply }] : outputs;
    return { state: reply && d ? remember(next, p, reqId, d, reply) : next, outputs: all };
  } catch (e) {
    if (!(e instanceof PqroomError)) throw e;
    const reply = rejectBytes(reqId, e.reqId, e.message);
    // REQ-REL-004: a Reject of the matrix or of the operation's checks is remembered like an Ack
    const st = d ? remember(state, p, reqId, d, reply) : state;
    return { state: st, outputs: [{ kind: 'reply', bytes: reply }], rejected: e.reqId };
  }
}
