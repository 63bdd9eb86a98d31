/**
 * Routing by room (spec 7.11, REQ-MEM-064): a relay pushes to every connection of a principal,
 * and a person may keep several rooms, so every room-addressed frame is taken by the room its
 * envelope names. A driver calls `routeToRoom` before it feeds a relay message to a room's
 * machine: a room delivery or history page of another room is not this machine's (the person's
 * machine for that room takes its own copy), and nothing of it counts here, neither as evidence
 * nor toward this room's log progress. The checks inside the envelope (REQ-MEM-010, REQ-MEM-040,
 * REQ-INV-010, REQ-OWN-010) still apply to whatever is taken: an envelope is the relay's word.
 */
import { equalBytes, type Bytes } from '../impl/bytes.ts';
import type { Invite } from '../impl/messages/index.ts';
import type { NetEvent } from './events.ts';

/** The room a client machine keeps, or is joining (undefined before it has one). */
export function roomOf(ctx: { readonly roomId?: Bytes | undefined; readonly invite?: Invite | undefined }): Bytes | undefined {
  return ctx.roomId ?? ctx.invite?.room_id;
}

/** The event for the machine that keeps `room`, or undefined when the frame is another room's (REQ-MEM-064). */
export function routeToRoom(room: Bytes | undefined, ev: NetEvent): NetEvent | undefined {
  if (room === undefined) return ev;
  if ((ev.type === 'net.room' || ev.type === 'net.history') && !equalBytes(ev.roomId, room)) return undefined;
  return ev;
}
