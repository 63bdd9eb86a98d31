/**
 * Envelope decoding at the edge of the machines (spec 4.5, 4.6): relay messages become the typed
 * `net.*` events of the client machines, client requests become `RelayRequest`s. Malformed bytes
 * become `net.malformed` events carrying the decoding requirement id (REQ-REL-040). Shared by
 * the simulated and the WebSocket transports.
 */
import type { Bytes } from '../impl/bytes.ts';
import { decode, peekType } from '../impl/codec.ts';
import { PqroomError, type ReqId } from '../impl/errors.ts';
import {
  Ack,
  CompatRosterInfo,
  HistoryChunk,
  KeysInfo,
  MailboxChunk,
  MailboxDelivery,
  MESSAGES,
  messageName,
  MsgType,
  Reject,
  RoomDelivery,
  RosterInfo,
} from '../impl/messages/index.ts';
import { readableReqId, RELAY_REQUEST_NAMES, type RelayRequest } from '../impl/protocol/relay-state.ts';
import type { NetEvent } from '../machines/events.ts';

/** The client event for a message from the relay (decoding failures become `net.malformed`). */
export function relayMessageToEvent(bytes: Bytes, now: number): NetEvent {
  try {
    switch (peekType(bytes)) {
      case MsgType.Ack: {
        const m = decode(Ack, bytes);
        return { type: 'net.ack', reqId: m.req_id, index: m.index, now };
      }
      case MsgType.Reject: {
        const m = decode(Reject, bytes);
        return { type: 'net.reject', reqId: m.req_id, requirement: m.requirement, detail: m.detail, now };
      }
      case MsgType.RoomDelivery: {
        const m = decode(RoomDelivery, bytes);
        return { type: 'net.room', roomId: m.room_id, index: m.index, payload: m.payload, now };
      }
      case MsgType.MailboxDelivery:
        return { type: 'net.mailbox', entry: decode(MailboxDelivery, bytes).entry, now };
      case MsgType.MailboxChunk: {
        const m = decode(MailboxChunk, bytes);
        return { type: 'net.mailboxChunk', reqId: m.req_id, entries: m.entries, nextIndex: m.next_index, complete: m.complete, now };
      }
      case MsgType.HistoryChunk: {
        const m = decode(HistoryChunk, bytes);
        return { type: 'net.history', reqId: m.req_id, roomId: m.room_id, entries: m.entries, nextIndex: m.next_index, complete: m.complete, now };
      }
      case MsgType.RosterInfo: {
        const m = decode(RosterInfo, bytes);
        return { type: 'net.roster', reqId: m.req_id, info: m, now };
      }
      case MsgType.CompatRosterInfo: {
        const m = decode(CompatRosterInfo, bytes);
        return { type: 'net.roster', reqId: m.req_id, info: m, now };
      }
      case MsgType.KeysInfo: {
        const m = decode(KeysInfo, bytes);
        return { type: 'net.keys', reqId: m.req_id, identityPk: m.identity_pk, kemCert: m.kem_cert, now };
      }
      default:
        return { type: 'net.malformed', reqId: 'REQ-ENC-005', detail: `a relay does not send messages of type ${messageName(peekType(bytes)) ?? '?'}`, now };
    }
  } catch (e) {
    if (e instanceof PqroomError) return { type: 'net.malformed', reqId: e.reqId, detail: e.message, now };
    throw e;
  }
}

const REQUEST_TYPES: ReadonlySet<string> = new Set(RELAY_REQUEST_NAMES);

/** A client request decoded, or the requirement its bytes violate and the request id they show (REQ-REL-040, 0 when none). */
export type DecodedRequest = { readonly ok: true; readonly request: RelayRequest } | { readonly ok: false; readonly reqId: ReqId; readonly detail: string; readonly requestId: number };

/**
 * Decodes a client's request (REQ-REL-040 for anything that is not one). `owned`: the caller
 * hands `bytes` over (a frame's plaintext just opened, held by nobody else), so the request is
 * decoded in place, its payload a view into them rather than into a copy (issue 23).
 */
export function decodeRequest(bytes: Bytes, owned = false): DecodedRequest {
  try {
    const name = messageName(peekType(bytes));
    if (name === undefined || !REQUEST_TYPES.has(name)) return { ok: false, reqId: 'REQ-ENC-005', detail: `${name ?? 'unknown'} is not a relay request`, requestId: 0 };
    return { ok: true, request: { name, value: decode(MESSAGES[name], bytes, { inPlace: owned }) } as RelayRequest };
  } catch (e) {
    if (e instanceof PqroomError) return { ok: false, reqId: e.reqId, detail: e.message, requestId: readableReqId(bytes) };
    throw e;
  }
}
