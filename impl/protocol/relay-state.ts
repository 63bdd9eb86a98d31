/**
 * The honest relay's state and request handling (spec 8.1, 8.3 to 8.8): roles, the
 * authorization matrix, the per-operation checks, the invite ACL, rosters, history windows and
 * the key directory. Pure: a request and a state in, a new state and outputs out. Room logs and
 * mailboxes are stored by the driver; the state holds only what the checks need. This file
 * handles a request (retransmissions, rejections); the state, roles and matrix are in
 * relay-state/state.ts, the operations in relay-state/requests.ts.
 */
import { equalBytes, toHex, type Bytes } from '../bytes.ts';
import { encode } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { PqroomError, type ReqId } from '../errors.ts';
import { MESSAGES, Reject } from '../messages/index.ts';
import { enforced } from '../mutants.ts';
import { dispatch } from './relay-state/requests.ts';
import { ANSWER_MEMORY, type RelayOutput, type RelayRequest, type RelayState, type RelayStep } from './relay-state/state.ts';

export {
  ANSWER_MEMORY,
  AUTH_MATRIX,
  EMPTY_RELAY,
  emptyRelay,
  historyWindow,
  operationOf,
  recipientsOf,
  RELAY_REQUEST_NAMES,
  roleOf,
  type Answered,
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
  const prev = state.answered[principal] ?? [];
  const next = [...prev, { reqId, digest, reply }].slice(-ANSWER_MEMORY);
  return { ...state, answered: { ...state.answered, [principal]: next } };
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
  const p = toHex(principal);
  const reqId = reqIdOf(req);
  const readOnly = READ_ONLY.has(req.name);
  // REQ-REL-004: a retransmission is byte-identical (same principal, req_id and digest); a request
  // that reuses a req_id with other bytes is a new request
  const d = readOnly ? undefined : (digest ?? requestDigest(c, req));
  if (d) {
    const seen = state.answered[p]?.find((a) => a.reqId === reqId && equalBytes(a.digest, d));
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
