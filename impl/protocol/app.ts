/** Application messages (spec 7.5, 7.6): sealing and the cryptographic checks of opening. */
import type { Bytes } from '../bytes.ts';
import { decode, encode, encodePrefix } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { check, PqroomError, ProtocolError } from '../errors.ts';
import { AppContent, AppMessage } from '../messages/index.ts';
import type { Rng } from '../rng.ts';
import { AEAD_NONCE_BYTES, DSA_SIG_BYTES } from '../suite.ts';
import { requireSigned, signStruct, type Identity } from './identity.ts';
import type { Encoded } from './join.ts';

/** Inputs of {@link sealAppMessage}. */
export interface SealParams {
  /** The room. */
  readonly roomId: Bytes;
  /** The sender's current epoch. */
  readonly epoch: number;
  /** `app_key` of that epoch. */
  readonly appKey: Bytes;
  /** The sender's next sequence number (REQ-MEM-001, decision D7). */
  readonly seq: number;
  /** Epoch of the sender's previous message, or `NO_EPOCH`. */
  readonly prevEpoch: number;
  /** The sender. */
  readonly sender: Identity;
  /** The content. */
  readonly content: AppContent;
}

/** Seals and signs an application message (REQ-MEM-001). */
export function sealAppMessage(c: CryptoProvider, rng: Rng, p: SealParams): Encoded<AppMessage> {
  const draft = {
    room_id: p.roomId,
    epoch: p.epoch,
    sender: p.sender.fp,
    seq: p.seq,
    prev_epoch: p.prevEpoch,
    nonce: rng.bytes(AEAD_NONCE_BYTES),
    ciphertext: new Uint8Array(16),
    signature: new Uint8Array(DSA_SIG_BYTES),
  };
  const ciphertext = c.aeadSeal(p.appKey, draft.nonce, encodePrefix(AppMessage, draft, 'ciphertext'), encode(AppContent, p.content));
  const { signature: _s, ...unsigned } = { ...draft, ciphertext };
  const value = signStruct(c, rng, AppMessage, unsigned, 'app message', p.sender.secretKey);
  return { value, bytes: encode(AppMessage, value) };
}

/**
 * The cryptographic checks of a received message (REQ-MEM-014, REQ-MEM-015): the sender's
 * signature, then the AEAD under the epoch's key, then the content's decoding.
 */
export function openAppMessage(c: CryptoProvider, msg: AppMessage, appKey: Bytes, senderIdentityPk: Bytes): AppContent {
  requireSigned(c, AppMessage, msg, 'app message', senderIdentityPk, 'REQ-MEM-014', 'AppMessage');
  const plain = c.aeadOpen(appKey, msg.nonce, encodePrefix(AppMessage, msg, 'ciphertext'), msg.ciphertext);
  check(plain !== undefined, 'REQ-MEM-015', 'ciphertext does not open under the epoch key');
  try {
    return decode(AppContent, plain);
  } catch (e) {
    if (e instanceof PqroomError) throw new ProtocolError('REQ-MEM-015', `content does not decode: ${e.message}`);
    throw e;
  }
}
