/**
 * A member's view of a compat room (spec 6.9, 7.9): 0FC's room keys by generation, chat with a
 * claimed sender, rotation by the next key sealed under the current one. Its weaknesses are
 * the seed's: W2 (type confusion), W4, W5, W6, W7.
 */
import { equalBytes, utf8, type Bytes } from '../bytes.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { PqroomError, type ReqId } from '../errors.ts';
import { CompatChat, CompatRotation } from '../messages/index.ts';
import type { Rng } from '../rng.ts';
import { openCompatSealed, sealCompatChat, sealCompatRotation } from './compat.ts';
import { parsedOf, type MessageInput } from './entry.ts';
import type { Encoded } from './join.ts';

/** A room key and its generation (0, 1, 2, ...). */
export interface CompatKey {
  /** Generation. */
  readonly generation: number;
  /** The 32-byte room key. */
  readonly key: Bytes;
}

/** A compat member's view. */
export interface CompatView {
  /** The room. */
  readonly roomId: Bytes;
  /** This member's id (as it claims it). */
  readonly me: Bytes;
  /** Every room key held, newest first (kept to read history, REQ-MEM-070). */
  readonly keys: readonly CompatKey[];
  /** Messages sent and received since the last rotation, duplicates included (REQ-OWN-042, W7). */
  readonly counter: number;
}

/** What happened while processing a compat input. */
export type CompatEvent =
  | { readonly kind: 'delivered'; readonly sender: Bytes; readonly generation: number; readonly text: string }
  | { readonly kind: 'rotated'; readonly generation: number; readonly from: Bytes }
  | { readonly kind: 'rejected'; readonly reqId: ReqId; readonly detail: string };

/** A compat view at the generation the member received. */
export function newCompatView(roomId: Bytes, me: Bytes, key: CompatKey): CompatView {
  return { roomId, me, keys: [key], counter: 0 };
}

/** The current room key. */
export function currentCompatKey(view: CompatView): CompatKey {
  const k = view.keys[0];
  if (!k) throw new Error('compat view without a room key');
  return k;
}

function reject(view: CompatView, e: unknown): { view: CompatView; events: CompatEvent[] } {
  if (e instanceof PqroomError) return { view, events: [{ kind: 'rejected', reqId: e.reqId, detail: e.message }] };
  throw e;
}

/** Receives a chat: opened under any key held, sender as written, no replay or order check (REQ-MEM-070; W5, W6). */
export function receiveCompatChat(c: CryptoProvider, view: CompatView, input: MessageInput<CompatChat>): { view: CompatView; events: CompatEvent[] } {
  const parsed = parsedOf(CompatChat, input);
  if (!parsed.ok) return reject(view, parsed.error);
  const msg = parsed.value;
  if (!equalBytes(msg.room_id, view.roomId)) return { view, events: [{ kind: 'rejected', reqId: 'REQ-MEM-070', detail: 'chat for another room' }] };
  const opened = openCompatSealed(c, msg, view.keys);
  if (!opened) return { view, events: [{ kind: 'rejected', reqId: 'REQ-MEM-070', detail: 'chat does not open under any room key held' }] };
  const text = new TextDecoder('utf-8', { fatal: false }).decode(opened.plaintext);
  return { view: { ...view, counter: view.counter + 1 }, events: [{ kind: 'delivered', sender: msg.sender, generation: opened.generation, text }] };
}

/**
 * Receives a rotation: whatever the header calls a rotation and opens under the current key
 * to 32 bytes becomes the next room key (REQ-MEM-071; W2, W4).
 */
export function receiveCompatRotation(c: CryptoProvider, view: CompatView, input: MessageInput<CompatRotation>): { view: CompatView; events: CompatEvent[] } {
  const parsed = parsedOf(CompatRotation, input);
  if (!parsed.ok) return reject(view, parsed.error);
  const msg = parsed.value;
  const cur = currentCompatKey(view);
  if (!equalBytes(msg.room_id, view.roomId)) return { view, events: [{ kind: 'rejected', reqId: 'REQ-MEM-071', detail: 'rotation for another room' }] };
  const opened = openCompatSealed(c, msg, [cur]);
  if (!opened || opened.plaintext.length !== 32) return { view, events: [{ kind: 'rejected', reqId: 'REQ-MEM-071', detail: 'rotation does not open to a 32-byte key' }] };
  const next = { generation: cur.generation + 1, key: opened.plaintext };
  return { view: { ...view, keys: [next, ...view.keys], counter: 0 }, events: [{ kind: 'rotated', generation: next.generation, from: msg.sender }] };
}

/** Seals a chat under the current key; the sender field is this member's claim (REQ-MEM-070). It is counted when the relay echoes it. */
export function prepareCompatChat(c: CryptoProvider, rng: Rng, view: CompatView, text: string): { view: CompatView; message: Encoded<CompatChat> } {
  const message = sealCompatChat(c, rng, { roomId: view.roomId, sender: view.me, roomKey: currentCompatKey(view).key, text: utf8(text) });
  return { view, message };
}

/** The owner's rotation: a fresh key sealed under the current one (REQ-OWN-042). */
export function prepareCompatRotation(c: CryptoProvider, rng: Rng, view: CompatView): { view: CompatView; message: Encoded<CompatRotation> } {
  const cur = currentCompatKey(view);
  const nextKey = rng.bytes(32);
  const message = sealCompatRotation(c, rng, { roomId: view.roomId, sender: view.me, roomKey: cur.key, nextRoomKey: nextKey });
  return { view: { ...view, keys: [{ generation: cur.generation + 1, key: nextKey }, ...view.keys], counter: 0 }, message };
}
