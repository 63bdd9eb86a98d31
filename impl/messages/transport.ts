/** Relay connection messages of spec section 4.4 (handshake and frames, spec 8.2). */
import { f, fixed, list, message, opaque, struct, u64, type ValueOf } from '../codec.ts';
import { DSA_PK_BYTES, DSA_SIG_BYTES, KEM_CT_BYTES, KEM_PK_BYTES } from '../suite.ts';
import { MsgType } from './types.ts';

/** `ClientHello` (type 0x01). */
export const ClientHello = message('ClientHello', MsgType.ClientHello, [
  f('client_nonce', fixed(32)),
  f('eph_kem_pk', fixed(KEM_PK_BYTES)),
]);
/** The client's first handshake message. */
export type ClientHello = ValueOf<typeof ClientHello>;

/** `ServerHello` (type 0x02). */
export const ServerHello = message('ServerHello', MsgType.ServerHello, [
  f('server_nonce', fixed(32)),
  f('kem_ct', fixed(KEM_CT_BYTES)),
  f('relay_pk', fixed(DSA_PK_BYTES)),
  f('signature', fixed(DSA_SIG_BYTES)),
]);
/** The relay's handshake answer. */
export type ServerHello = ValueOf<typeof ServerHello>;

/** `ClientAuth` (type 0x03); the signature is empty in compat and 3309 bytes in hardened. */
export const ClientAuth = message(
  'ClientAuth',
  MsgType.ClientAuth,
  [f('identity_pk', fixed(DSA_PK_BYTES)), f('signature', opaque(0, DSA_SIG_BYTES))],
  (v) => (v.signature.length === 0 || v.signature.length === DSA_SIG_BYTES ? undefined : 'signature must be 0 or 3309 bytes'),
);
/** The client's authentication, the first frame of a connection. */
export type ClientAuth = ValueOf<typeof ClientAuth>;

/** `TransportFrame` (type 0x04). */
export const TransportFrame = message('TransportFrame', MsgType.TransportFrame, [
  f('seq', u64),
  f('sealed', opaque(16, 16777232)),
]);
/** A sealed frame on the relay connection. */
export type TransportFrame = ValueOf<typeof TransportFrame>;

/** One inner message of a {@link FrameBatch}. */
export const BatchedMessage = struct('BatchedMessage', [f('message', opaque(1, 16777216))]);
/** An inner message carried in a batch. */
export type BatchedMessage = ValueOf<typeof BatchedMessage>;

/** Most inner messages in one `FrameBatch` (REQ-TRN-010). */
export const MAX_BATCH_MESSAGES = 1024;

/**
 * `FrameBatch` (type 0x05, REQ-TRN-010): several inner messages the relay sends one client in
 * one frame, in order; never nested, never sent by a client.
 */
export const FrameBatch = message('FrameBatch', MsgType.FrameBatch, [f('messages', list(BatchedMessage, 2, MAX_BATCH_MESSAGES))]);
/** Inner messages for one connection, sealed in one frame. */
export type FrameBatch = ValueOf<typeof FrameBatch>;
