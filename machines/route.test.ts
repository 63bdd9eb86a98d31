/** Routing by room (spec 7.11, REQ-MEM-064): a frame is taken by the room its envelope names. */
import { describe, expect, it } from 'vitest';
import type { NetEvent } from './events.ts';
import { roomOf, routeToRoom } from './route.ts';

const A = new Uint8Array(16).fill(0xa);
const B = new Uint8Array(16).fill(0xb);
const room = (roomId: Uint8Array): NetEvent => ({ type: 'net.room', roomId, index: 3, payload: new Uint8Array([1, 2, 3]), now: 1 });
const history = (roomId: Uint8Array): NetEvent => ({ type: 'net.history', reqId: 7, roomId, entries: [], nextIndex: 1, complete: true, now: 1 });

describe('REQ-MEM-064 routeToRoom', () => {
  it('should give a room delivery or history page to the room it names, and to no other', () => {
    for (const ev of [room(A), history(A)]) expect(routeToRoom(A, ev)).toBe(ev);
    for (const ev of [room(B), history(B)]) expect(routeToRoom(A, ev)).toBeUndefined();
  });
  it('should pass everything to a client that keeps no room yet, and what is not room-addressed to anyone', () => {
    expect(routeToRoom(undefined, room(B))).toEqual(room(B));
    const ack: NetEvent = { type: 'net.ack', reqId: 1, index: 0, now: 1 };
    expect(routeToRoom(A, ack)).toBe(ack);
  });
  it('should take the room a client keeps, or the one its invite names while it joins', () => {
    expect(roomOf({ roomId: A })).toBe(A);
    expect(roomOf({ roomId: undefined, invite: { room_id: B } as never })).toBe(B);
    expect(roomOf({})).toBeUndefined();
  });
});
