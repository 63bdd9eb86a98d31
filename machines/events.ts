/**
 * Events and effects shared by the role machines (spec 6 to 8). Events are dot-namespaced:
 * `user.*` what a person asks, `net.*` what arrives, `timer.*` timeouts, `conn.*` connection
 * changes. Effects are what a machine asks its driver to do; machines never do I/O.
 */
import type { Bytes } from '../impl/bytes.ts';
import type { ReqId } from '../impl/errors.ts';
import type { Invite, KemCert, MailboxEntry } from '../impl/messages/index.ts';
import type * as M from '../impl/messages/index.ts';
import type { RelayRequest } from '../impl/protocol/relay-state.ts';

/** Every event carries the driver's time (spec 3.8): machines never read a clock. */
export interface Timed {
  /** Milliseconds since the Unix epoch, from the driver's injected clock. */
  readonly now: number;
}

/** Events a client machine (owner, member) receives from its driver. */
export type NetEvent =
  | (Timed & { readonly type: 'net.up' })
  | (Timed & { readonly type: 'net.down' })
  | (Timed & { readonly type: 'net.ack'; readonly reqId: number; readonly index: number })
  | (Timed & { readonly type: 'net.reject'; readonly reqId: number; readonly requirement: string; readonly detail: string })
  | (Timed & { readonly type: 'net.room'; readonly roomId: Bytes; readonly index: number; readonly payload: Bytes })
  | (Timed & { readonly type: 'net.mailbox'; readonly entry: MailboxEntry })
  | (Timed & { readonly type: 'net.mailboxChunk'; readonly reqId: number; readonly entries: readonly MailboxEntry[]; readonly nextIndex: number; readonly complete: boolean })
  | (Timed & { readonly type: 'net.history'; readonly reqId: number; readonly roomId: Bytes; readonly entries: readonly M.LogEntry[]; readonly nextIndex: number; readonly complete: boolean })
  | (Timed & { readonly type: 'net.roster'; readonly reqId: number; readonly info: M.RosterInfo | M.CompatRosterInfo })
  | (Timed & { readonly type: 'net.keys'; readonly reqId: number; readonly identityPk: Bytes; readonly kemCert: KemCert })
  | (Timed & { readonly type: 'net.malformed'; readonly reqId: ReqId; readonly detail: string });

/** Timer events: the driver delivers `timer.tick` at the times the machine asked for (effect.wake). */
export type TimerEvent = Timed & { readonly type: 'timer.tick' };

/** What a person asks of a member machine. */
export type MemberUserEvent =
  | (Timed & { readonly type: 'user.join'; readonly invite: Invite })
  | (Timed & { readonly type: 'user.send'; readonly text: string })
  | (Timed & { readonly type: 'user.sync' })
  /** Show the room's member list (REQ-MEM-062). */
  | (Timed & { readonly type: 'user.roster' })
  /** The user asks for a key update at once (REQ-MEM-052: urgent). */
  | (Timed & { readonly type: 'user.update' });

/** What a person asks of an owner machine. */
export type OwnerUserEvent =
  | (Timed & { readonly type: 'user.create' })
  | (Timed & { readonly type: 'user.invite'; readonly lifetimeMs?: number; readonly relay?: string })
  | (Timed & { readonly type: 'user.send'; readonly text: string })
  | (Timed & { readonly type: 'user.rotate' })
  | (Timed & { readonly type: 'user.remove'; readonly memberId: Bytes })
  | (Timed & { readonly type: 'user.sync' });

/** All member machine events. */
export type MemberEvent = MemberUserEvent | NetEvent | TimerEvent;
/** All owner machine events. */
export type OwnerEvent = OwnerUserEvent | NetEvent | TimerEvent;

/** A status change worth showing or tracing. */
export type Status =
  | { readonly kind: 'room-created'; readonly roomId: Bytes }
  | { readonly kind: 'invite'; readonly text: string; readonly invite: Invite; readonly inviteId: Bytes }
  | { readonly kind: 'joined'; readonly epoch: number }
  /** The owner admitted a member: the invite it came through and the keys admitted for it (PROP-07). */
  | { readonly kind: 'admitted'; readonly memberId: Bytes; readonly epoch: number; readonly inviteId: Bytes; readonly identityPk: Bytes; readonly kemPk: Bytes }
  | { readonly kind: 'epoch'; readonly epoch: number; readonly reason: string }
  | { readonly kind: 'removed'; readonly epoch: number }
  /** hardened member: it sent a key update (REQ-MEM-051) of this ML-KEM key version, made in `epoch`. */
  | { readonly kind: 'key-update'; readonly epoch: number; readonly version: number; readonly urgent: boolean }
  /** hardened member: the commit of `epoch` installed its key update; older ML-KEM private keys of the room are erased (REQ-MEM-054). */
  | { readonly kind: 'key-updated'; readonly epoch: number; readonly version: number }
  /** hardened owner: the commit of `epoch` installed a member's key update (REQ-OWN-053). */
  | { readonly kind: 'key-committed'; readonly memberId: Bytes; readonly epoch: number; readonly version: number }
  | { readonly kind: 'join-failed'; readonly reqId: string; readonly detail: string }
  /** hardened owner: the join timed out and the add commit was published without the invitee's confirmation (REQ-OWN-021). */
  | { readonly kind: 'join-unconfirmed'; readonly reqId: string; readonly memberId: Bytes; readonly detail: string }
  /** A message sealed and handed to the relay: `payload` is the sealed message (AppMessage, compat: CompatChat) as its sender made it. */
  | { readonly kind: 'sent'; readonly seq: number; readonly epoch: number; readonly text: string; readonly payload: Bytes }
  /** The member list a member shows (REQ-MEM-062; compat: as served, REQ-MEM-073), with the epoch (compat: room key generation) it holds. */
  | { readonly kind: 'roster'; readonly epoch: number; readonly members: readonly Bytes[]; readonly served: boolean }
  /** The relay refused a message this client sent (for instance: it was removed before the message arrived). */
  | { readonly kind: 'send-refused'; readonly seq: number; readonly epoch: number; readonly text: string; readonly reqId: string };

/** Effects of a client machine. */
export type ClientEffect =
  /** Send one relay request (the connection layer frames it). */
  | { readonly type: 'effect.send'; readonly bytes: Bytes; readonly reqId: number }
  /** Hand a message to the application, in sender order. */
  | { readonly type: 'effect.deliver'; readonly sender: Bytes; readonly seq: number; readonly epoch: number; readonly text: string; readonly sentAt: number }
  /** A typed rejection of one input: security state unchanged (spec 1.4). */
  | { readonly type: 'effect.reject'; readonly reqId: ReqId; readonly detail: string; readonly input: string }
  /** Evidence of misbehaviour (spec 12.1). */
  | { readonly type: 'effect.alarm'; readonly reqId: ReqId; readonly detail: string }
  /** Deliver `timer.tick` at time `at` (replaces the previous request). */
  | { readonly type: 'effect.wake'; readonly at: number }
  /** A status change. */
  | { readonly type: 'effect.status'; readonly status: Status };

/** Events of the relay machine. */
export type RelayEvent =
  | (Timed & { readonly type: 'conn.open'; readonly conn: string; readonly principal: Bytes })
  | (Timed & { readonly type: 'conn.close'; readonly conn: string })
  /** A decoded request; `digest` is SHA-256 of the bytes received (REQ-REL-004), computed from the request when absent. */
  | (Timed & { readonly type: 'net.request'; readonly conn: string; readonly request: RelayRequest; readonly digest?: Bytes })
  /** Bytes that are not a request: `reqId` the decoding requirement, `requestId` the req_id they show (REQ-REL-040; absent: 0). */
  | (Timed & { readonly type: 'net.malformed'; readonly conn: string; readonly reqId: ReqId; readonly detail: string; readonly requestId?: number })
  | (Timed & { readonly type: 'admin.shutdown' })
  /** A mailbox entry for a principal whose mailbox this relay keeps, made by the worker of another shard (REQ-REL-051). */
  | (Timed & { readonly type: 'mail.forwarded'; readonly to: Bytes; readonly roomId: Bytes; readonly inviteId: Bytes; readonly payload: Bytes });

/** Effects of the relay machine. */
export type RelayEffect =
  /** Send bytes to one connection. */
  | { readonly type: 'effect.reply'; readonly conn: string; readonly bytes: Bytes }
  /** Send the same bytes to each of `conns`, in this order (a room delivery or a mailbox push to every connection of its recipients). */
  | { readonly type: 'effect.push'; readonly conns: readonly string[]; readonly bytes: Bytes }
  /** Append to a room log, durably, before any reply of the same step is sent (REQ-REL-050). */
  | { readonly type: 'effect.append'; readonly roomId: Bytes; readonly index: number; readonly payload: Bytes; readonly epoch?: number }
  /** Append to a principal's mailbox, durably (REQ-REL-050). */
  | { readonly type: 'effect.storeMail'; readonly principal: Bytes; readonly entry: MailboxEntry }
  /** Answer a FetchHistory on `conn` from the store. */
  | { readonly type: 'effect.serveHistory'; readonly conn: string; readonly reqId: number; readonly roomId: Bytes; readonly from: number; readonly to: number; readonly limit: number; readonly lateBefore?: number }
  /** Answer a FetchMailbox on `conn` from the store. */
  | { readonly type: 'effect.serveMailbox'; readonly conn: string; readonly reqId: number; readonly principal: Bytes; readonly from: number }
  /** Close a connection, with the reason logged. */
  | { readonly type: 'effect.close'; readonly conn: string; readonly reason: string }
  /** A rejection, for logs, traces and metrics. */
  | { readonly type: 'effect.reject'; readonly conn: string; readonly reqId: ReqId; readonly detail: string };
