/**
 * The relay connection (spec 5.8, 8.2): the ML-KEM/ML-DSA handshake, client authentication,
 * sealed frames and the replay window. Pure functions; the drivers keep the state.
 */
import { concat, equalBytes, putU32, putU64, type Buffers, type Bytes } from '../bytes.ts';
import { decode, encode, encodeInto, encodePrefix } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { check } from '../errors.ts';
import { fingerprint, frameNonce, transportKeys, type TransportKeys } from '../keyschedule.ts';
import { ClientAuth, ClientHello, FrameBatch, MAX_BATCH_MESSAGES, ServerHello, TransportFrame } from '../messages/index.ts';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, MsgType, PROTOCOL_VERSION, SUITE_ID } from '../messages/types.ts';
import type { Rng } from '../rng.ts';
import { AEAD_TAG_BYTES, KEM_SEED_BYTES, type Profile } from '../suite.ts';
import { labeledHash, sigContext } from '../labels.ts';
import type { Identity } from './identity.ts';

/** The client's state after sending ClientHello. */
export interface ClientHelloState {
  /** The encoded ClientHello. */
  readonly helloBytes: Bytes;
  /** The ephemeral ML-KEM secret key (REQ-TRN-001). */
  readonly ephKemSk: Bytes;
}

/** Starts a connection: a fresh ephemeral ML-KEM key pair for this connection only (REQ-TRN-001). */
export function clientHello(c: CryptoProvider, rng: Rng): ClientHelloState {
  const kp = c.kemKeygen(rng.bytes(KEM_SEED_BYTES));
  const hello: ClientHello = { client_nonce: rng.bytes(32), eph_kem_pk: kp.publicKey };
  return { helloBytes: encode(ClientHello, hello), ephKemSk: kp.secretKey };
}

/** `th = LabeledHash("transport hello", encode(ClientHello) || TBS(ServerHello))` (spec 5.8). */
export function transcriptHash(c: CryptoProvider, clientHelloBytes: Bytes, serverHello: ServerHello): Bytes {
  return labeledHash(c, 'transport hello', concat(clientHelloBytes, encodePrefix(ServerHello, serverHello, 'signature')));
}

/** An established connection's keys. */
export interface Established {
  /** The handshake transcript hash, the channel binding. */
  readonly th: Bytes;
  /** Directional keys. */
  readonly keys: TransportKeys;
}

/** The relay answers a ClientHello: encapsulate to the ephemeral key, sign the transcript. */
export function serverHello(
  c: CryptoProvider,
  rng: Rng,
  clientHelloBytes: Bytes,
  relay: { publicKey: Bytes; secretKey: Bytes },
): Established & { helloBytes: Bytes } {
  const ch = decode(ClientHello, clientHelloBytes);
  const { ct, ss } = c.kemEncapsulate(ch.eph_kem_pk, rng.bytes(32));
  const draft: ServerHello = { server_nonce: rng.bytes(32), kem_ct: ct, relay_pk: relay.publicKey, signature: new Uint8Array(3309) };
  const th = transcriptHash(c, clientHelloBytes, draft);
  const sh: ServerHello = { ...draft, signature: c.sign(relay.secretKey, th, sigContext('relay hello'), rng.bytes(32)) };
  return { helloBytes: encode(ServerHello, sh), th, keys: transportKeys(c, th, ss) };
}

/**
 * The client checks the ServerHello (REQ-TRN-002, REQ-TRN-003): hardened, the relay key must be
 * the pinned one; compat takes the presented key (W12). Then the signature over `th`.
 */
export function clientFinish(
  c: CryptoProvider,
  state: ClientHelloState,
  serverHelloBytes: Bytes,
  profile: Profile,
  pinnedRelayPk: Bytes | undefined,
): Established & { relayPk: Bytes } {
  const sh = decode(ServerHello, serverHelloBytes);
  if (profile === 'hardened') {
    check(pinnedRelayPk !== undefined && equalBytes(sh.relay_pk, pinnedRelayPk), 'REQ-TRN-002', 'relay key is not the pinned one');
  }
  const th = transcriptHash(c, state.helloBytes, sh);
  check(c.verify(sh.relay_pk, th, sigContext('relay hello'), sh.signature), 'REQ-TRN-003', 'ServerHello signature does not verify');
  const ss = c.kemDecapsulate(sh.kem_ct, state.ephKemSk);
  return { th, keys: transportKeys(c, th, ss), relayPk: sh.relay_pk };
}

/** The client's authentication (REQ-TRN-004): hardened signs `th`; compat only claims a key (W3). */
export function clientAuth(c: CryptoProvider, rng: Rng, th: Bytes, identity: Identity, profile: Profile): Bytes {
  const signature = profile === 'hardened' ? c.sign(identity.secretKey, th, sigContext('client auth'), rng.bytes(32)) : new Uint8Array(0);
  return encode(ClientAuth, { identity_pk: identity.publicKey, signature });
}

/** The relay's check of ClientAuth (REQ-TRN-004): returns the connection's principal. */
export function verifyClientAuth(c: CryptoProvider, authBytes: Bytes, th: Bytes, profile: Profile): Bytes {
  const auth = decode(ClientAuth, authBytes);
  if (profile === 'hardened') {
    check(auth.signature.length > 0 && c.verify(auth.identity_pk, th, sigContext('client auth'), auth.signature), 'REQ-TRN-004', 'ClientAuth signature does not verify');
  }
  return fingerprint(c, auth.identity_pk);
}

function frameAd(seq: number): Bytes {
  const out = new Uint8Array(12); // the frame's header || u64be(seq)
  out.set([PROTOCOL_VERSION, SUITE_ID >> 8, SUITE_ID & 0xff, MsgType.TransportFrame]);
  putU64(out, 4, seq);
  return out;
}

/** Where sealed frames are written (the live relay's frame pool). */
export type FrameBuffers = Buffers;

/**
 * Seals one inner message into a TransportFrame with sequence number `seq` (REQ-TRN-008, REQ-CRY-005),
 * in a buffer from `out` where the backend writes frames there (CryptoProvider.transportSealAfter), else a new one.
 */
export function sealFrame(c: CryptoProvider, key: Bytes, seq: number, inner: Bytes, out?: FrameBuffers): Bytes {
  if (c.transportSealAfter === undefined || inner.length > MAX_MESSAGE_BYTES) {
    return encode(TransportFrame, { seq, sealed: c.transportSeal(key, frameNonce(seq), frameAd(seq), inner) });
  }
  // the encoding of TransportFrame up to its sealed bytes: header, seq (the AD), the 4-byte length of `sealed` (spec 4.4)
  const ad = frameAd(seq);
  const prefix = new Uint8Array(16);
  prefix.set(ad);
  putU32(prefix, 12, inner.length + AEAD_TAG_BYTES);
  return c.transportSealAfter(prefix, key, frameNonce(seq), ad, inner, out);
}

/** The replay window of a connection direction (REQ-TRN-005, decision D10). */
export interface ReplayWindow {
  /** Highest accepted sequence number, or -1. */
  readonly top: number;
  /**
   * Bit `i` set: sequence number `top - i` was accepted (i < 1024). A bigint, not an array: a
   * window is a new value per frame, and a 1,024-bit bigint is one small object on V8's heap where a
   * `Uint32Array(32)` was an ArrayBuffer of its own for the collector to track (issue 23).
   */
  readonly bits: bigint;
}

/** Width of the replay window (REQ-TRN-005). */
export const REPLAY_WINDOW = 1024;

const WINDOW_MASK = (1n << BigInt(REPLAY_WINDOW)) - 1n;

/** An empty window. */
export const EMPTY_WINDOW: ReplayWindow = { top: -1, bits: 0n };

/** Whether `seq` is fresh for `w`: not seen and not older than the window. */
export function windowAccepts(w: ReplayWindow, seq: number): boolean {
  if (seq > w.top) return true;
  const age = w.top - seq;
  if (age >= REPLAY_WINDOW) return false;
  return ((w.bits >> BigInt(age)) & 1n) === 0n;
}

/** The window after accepting `seq` (a new value; `w` is not modified). */
export function windowAdd(w: ReplayWindow, seq: number): ReplayWindow {
  if (seq > w.top) {
    // bit i of the new window is bit i - shift of the old one; the bits shifted past the window are dropped
    const shift = seq - w.top;
    return { top: seq, bits: shift >= REPLAY_WINDOW ? 1n : ((w.bits << BigInt(shift)) & WINDOW_MASK) | 1n };
  }
  // masked: a `seq` older than the window (which windowAccepts refuses) sets no bit beyond it, as the Uint32Array did
  return { top: w.top, bits: (w.bits | (1n << BigInt(w.top - seq))) & WINDOW_MASK };
}

/**
 * Opens a frame (REQ-TRN-005, REQ-TRN-007): size first, then decoding, the replay window and
 * the AEAD. Returns the inner message and the new window.
 */
export function openFrame(c: CryptoProvider, key: Bytes, frameBytes: Bytes, w: ReplayWindow): { inner: Bytes; window: ReplayWindow; seq: number } {
  check(frameBytes.length <= MAX_FRAME_BYTES, 'REQ-TRN-007', `frame of ${frameBytes.length} bytes exceeds the limit`);
  // in place: `sealed` is only read by the AEAD, whose plaintext is a new buffer (REQ-ENC-016 holds for what is returned)
  const fr = decode(TransportFrame, frameBytes, { maxBytes: MAX_FRAME_BYTES, inPlace: true });
  check(windowAccepts(w, fr.seq), 'REQ-TRN-005', `frame ${fr.seq} is a replay or too old`);
  const inner = c.transportOpen(key, frameNonce(fr.seq), frameAd(fr.seq), fr.sealed);
  check(inner !== undefined, 'REQ-TRN-005', `frame ${fr.seq} does not authenticate`);
  return { inner, window: windowAdd(w, fr.seq), seq: fr.seq };
}

/** Most bytes of inner messages the relay puts in one `FrameBatch` (REQ-TRN-010). */
export const MAX_BATCH_BYTES = 256 * 1024;

/**
 * REQ-TRN-010: the relay's inner messages for one connection, in order, as the fewest inner
 * messages to seal: consecutive messages grouped into `FrameBatch`es of at most
 * {@link MAX_BATCH_MESSAGES} messages and {@link MAX_BATCH_BYTES} bytes; a message alone in its
 * group (or larger than the limit) is sealed as it is.
 */
export function batchInners(inners: readonly Bytes[], maxBytes = MAX_BATCH_BYTES): Bytes[] {
  return groupInners(inners, maxBytes).map((group) => (group.length === 1 ? group[0]! : encode(FrameBatch, batchOf(group))));
}

/** batchInners's groups: consecutive messages, at most {@link MAX_BATCH_MESSAGES} and `maxBytes` bytes a group (a larger message alone). */
function groupInners(inners: readonly Bytes[], maxBytes: number): Bytes[][] {
  const out: Bytes[][] = [];
  let group: Bytes[] = [];
  let bytes = 0;
  for (const inner of inners) {
    if (group.length > 0 && (bytes + inner.length > maxBytes || group.length === MAX_BATCH_MESSAGES)) {
      out.push(group);
      group = [];
      bytes = 0;
    }
    group.push(inner);
    bytes += inner.length;
  }
  if (group.length > 0) out.push(group);
  return out;
}

function batchOf(group: readonly Bytes[]): FrameBatch {
  return { messages: group.map((message) => ({ message })) };
}

/**
 * Where a FrameBatch's plaintext is encoded for {@link sealBatched}: kept between calls, grown to the
 * largest batch (about {@link MAX_BATCH_BYTES}), since the AEAD reads it and keeps none of it.
 */
let batchScratch = new Uint8Array(0);

/**
 * REQ-TRN-010, REQ-TRN-008: `inners` batched as {@link batchInners} groups them, each group sealed
 * in a TransportFrame with the next sequence number from `seq`. The same frames as sealing
 * batchInners's output, without a buffer of its own for each FrameBatch's plaintext (issue 23: a
 * relay delivery's bytes were copied into a new FrameBatch, read once by the AEAD and dropped; a
 * backend's seal copies what it reads, CryptoProvider.transportSeal). Each frame in a buffer from `out`, as {@link sealFrame}.
 */
export function sealBatched(c: CryptoProvider, key: Bytes, seq: number, inners: readonly Bytes[], maxBytes = MAX_BATCH_BYTES, out?: FrameBuffers): Bytes[] {
  return groupInners(inners, maxBytes).map((group, i) => {
    if (group.length === 1) return sealFrame(c, key, seq + i, group[0]!, out);
    const plaintext = encodeInto(FrameBatch, batchOf(group), batchScratch);
    // a batch larger than the scratch was encoded in a buffer of its own: the scratch grows to hold the next such
    if (plaintext.buffer !== batchScratch.buffer && plaintext.length <= 2 * MAX_BATCH_BYTES) batchScratch = new Uint8Array(Math.min(2 * MAX_BATCH_BYTES, Math.max(plaintext.length, 2 * batchScratch.length)));
    return sealFrame(c, key, seq + i, plaintext, out);
  });
}

/**
 * REQ-TRN-010: the inner messages an opened frame carries: its inner message, or the messages of
 * its `FrameBatch` in order. A batch that does not decode or that holds a batch is refused whole.
 * Takes `inner` over (the frame's fresh plaintext): the messages are views into it.
 */
export function unbatch(inner: Bytes): readonly Bytes[] {
  if (!isBatch(inner)) return [inner];
  const out = decode(FrameBatch, inner, { inPlace: true }).messages.map((m) => m.message);
  for (const m of out) check(!isBatch(m), 'REQ-TRN-010', 'a FrameBatch inside a FrameBatch');
  return out;
}

/** Whether `bytes` starts with a FrameBatch header (a header that does not decode is not one). */
function isBatch(bytes: Bytes): boolean {
  return bytes.length >= 4 && bytes[0] === PROTOCOL_VERSION && bytes[1] === SUITE_ID >> 8 && bytes[2] === (SUITE_ID & 0xff) && bytes[3] === MsgType.FrameBatch;
}
