/**
 * A room log entry parsed once, where it enters a client (spec 4.4, 7.6, 7.9): its bytes as the
 * relay served them (signatures, `epoch_hash`, duplicate and equivocation checks need them), and
 * its typed value, or the typed error its bytes carry (REQ-ENC-*). The steps of impl/protocol
 * take the parsed entry and report a decoding error in the place where they used to decode, so
 * that a malformed entry is rejected with the same requirement id at the same point of a run.
 */
import type { Bytes } from '../bytes.ts';
import { decode, type Codec } from '../codec.ts';
import { PqroomError } from '../errors.ts';
import { AppMessage, Commit, CompatChat, CompatMemberAdd, CompatRotation, MsgType } from '../messages/index.ts';
import type { Profile } from '../suite.ts';

/** Bytes that decoded as one message, with its value. */
export interface Decoded<T> {
  readonly ok: true;
  /** The bytes as they came (what a signature, a hash or a duplicate check reads). */
  readonly bytes: Bytes;
  /** The decoded value. */
  readonly value: T;
}

/** Bytes decoded as one message: its value, or the typed error that decoding raised. */
export type Parsed<T> = Decoded<T> | { readonly ok: false; readonly bytes: Bytes; readonly error: PqroomError };

/** Decodes `bytes` with `codec` once; a typed decoding error is kept, anything else (a bug) is thrown. */
export function parse<T>(codec: Codec<T>, bytes: Bytes): Parsed<T> {
  try {
    return { ok: true, bytes, value: decode(codec, bytes) };
  } catch (e) {
    if (e instanceof PqroomError) return { ok: false, bytes, error: e };
    throw e;
  }
}

/** The input of a step that takes a message: its bytes (decoded there), or already parsed where it entered. */
export type MessageInput<T> = Bytes | Parsed<T>;

/** The parsed form of a step's input: bytes are decoded now, a parsed input is taken as it is. */
export function parsedOf<T>(codec: Codec<T>, input: MessageInput<T>): Parsed<T> {
  return input instanceof Uint8Array ? parse(codec, input) : input;
}

/**
 * A room log entry, by the type its header names (`bytes[3]`, as the relay's and the client's
 * dispatch read it): the entries a room of the profile holds are parsed; any other is kept as
 * bytes, for the rejection that names its type (REQ-REL-003, REQ-MEM-072).
 */
export type RoomEntry =
  | { readonly kind: 'AppMessage'; readonly bytes: Bytes; readonly parsed: Parsed<AppMessage> }
  | { readonly kind: 'Commit'; readonly bytes: Bytes; readonly parsed: Parsed<Commit> }
  | { readonly kind: 'CompatChat'; readonly bytes: Bytes; readonly parsed: Parsed<CompatChat> }
  | { readonly kind: 'CompatRotation'; readonly bytes: Bytes; readonly parsed: Parsed<CompatRotation> }
  | { readonly kind: 'CompatMemberAdd'; readonly bytes: Bytes; readonly parsed: Parsed<CompatMemberAdd> }
  | { readonly kind: 'other'; readonly bytes: Bytes; readonly type: number | undefined };

/** The header's type byte, or undefined for fewer than 4 bytes. */
export function entryType(bytes: Bytes): number | undefined {
  return bytes.length >= 4 ? bytes[3] : undefined;
}

/** Parses a room log entry once, for a room of `profile` (hardened: AppMessage, Commit; compat: CompatChat, CompatRotation, CompatMemberAdd). */
export function parseRoomEntry(bytes: Bytes, profile: Profile): RoomEntry {
  const type = entryType(bytes);
  if (profile === 'hardened') {
    if (type === MsgType.AppMessage) return { kind: 'AppMessage', bytes, parsed: parse(AppMessage, bytes) };
    if (type === MsgType.Commit) return { kind: 'Commit', bytes, parsed: parse(Commit, bytes) };
  } else {
    if (type === MsgType.CompatChat) return { kind: 'CompatChat', bytes, parsed: parse(CompatChat, bytes) };
    if (type === MsgType.CompatRotation) return { kind: 'CompatRotation', bytes, parsed: parse(CompatRotation, bytes) };
    if (type === MsgType.CompatMemberAdd) return { kind: 'CompatMemberAdd', bytes, parsed: parse(CompatMemberAdd, bytes) };
  }
  return { kind: 'other', bytes, type };
}

/** A log entry of a history chunk, parsed. */
export interface ParsedLogEntry {
  /** Its log index. */
  readonly index: number;
  /** The entry. */
  readonly entry: RoomEntry;
}
