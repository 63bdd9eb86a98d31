/**
 * The crypto provider interface (spec section 3): every primitive a pqroom party uses,
 * behind one interface, so that the real backend (noble) and the adversary's symbolic
 * backend run the same protocol code.
 */
import type { Buffers, Bytes } from '../bytes.ts';

/** A key pair as raw bytes. */
export interface KeyPair {
  /** Public key. */
  readonly publicKey: Bytes;
  /** Secret key. */
  readonly secretKey: Bytes;
}

/** Result of an ML-KEM encapsulation. */
export interface Encapsulation {
  /** The ciphertext `c` (1088 bytes). */
  readonly ct: Bytes;
  /** The shared secret `K` (32 bytes). */
  readonly ss: Bytes;
}

/** Argon2id cost parameters (RFC 9106). */
export interface Argon2Params {
  /** Memory in KiB. */
  readonly m: number;
  /** Iterations. */
  readonly t: number;
  /** Parallelism (lanes). */
  readonly p: number;
}

/** Every primitive of suite 0x0001 (spec 3.1). Implementations never keep secrets between calls. */
export interface CryptoProvider {
  /** Backend name, recorded in traces and reports. */
  readonly name: string;
  /** Where each public-key primitive (and Argon2id, when a backend has its own) comes from, when it is not from the backend named (reported with results). */
  readonly origins?: Readonly<Record<string, string>>;
  /** SHA-256 (FIPS 180-4). */
  sha256(data: Bytes): Bytes;
  /** HMAC-SHA-256 (RFC 2104). */
  hmacSha256(key: Bytes, data: Bytes): Bytes;
  /** HKDF-Extract with SHA-256 (RFC 5869); an empty salt means 32 zero bytes. */
  hkdfExtract(salt: Bytes, ikm: Bytes): Bytes;
  /** HKDF-Expand with SHA-256 (RFC 5869), `length ≤ 8160`. */
  hkdfExpand(prk: Bytes, info: Bytes, length: number): Bytes;
  /** XChaCha20-Poly1305 seal (REQ-CRY-004): 24-byte nonce. */
  aeadSeal(key: Bytes, nonce: Bytes, ad: Bytes, plaintext: Bytes): Bytes;
  /** XChaCha20-Poly1305 open; `undefined` when authentication fails (REQ-CRY-010). */
  aeadOpen(key: Bytes, nonce: Bytes, ad: Bytes, ciphertext: Bytes): Bytes | undefined;
  /** ChaCha20-Poly1305 seal (RFC 8439; REQ-CRY-005): 12-byte nonce. Keeps nothing of `plaintext` (it, like `transportSealAfter`'s, may be a scratch buffer reused after the call: sealBatched). */
  transportSeal(key: Bytes, nonce: Bytes, ad: Bytes, plaintext: Bytes): Bytes;
  /**
   * Optional: `prefix || transportSeal(key, nonce, ad, plaintext)` in one buffer, for a backend
   * that can write the ciphertext after a frame's prefix without a further copy of it. The buffer
   * is `out.take(length)` when `out` is given (every one of its bytes written: the live relay's
   * frame pool, issue 23), else a new one; a backend may ignore `out` and return a new buffer.
   */
  transportSealAfter?(prefix: Bytes, key: Bytes, nonce: Bytes, ad: Bytes, plaintext: Bytes, out?: Buffers): Bytes;
  /**
   * ChaCha20-Poly1305 open; `undefined` when authentication fails. The plaintext is a new buffer
   * that shares no memory with the arguments (a transport frame's reader keeps views into it).
   */
  transportOpen(key: Bytes, nonce: Bytes, ad: Bytes, ciphertext: Bytes): Bytes | undefined;
  /** ML-KEM-768 KeyGen_internal(d, z) from a 64-byte seed `d || z` (REQ-CRY-001). */
  kemKeygen(seed: Bytes): KeyPair;
  /** FIPS 203 §7.2 encapsulation key check (REQ-CRY-002). */
  kemCheckPublicKey(publicKey: Bytes): boolean;
  /** ML-KEM-768 Encaps_internal with the 32-byte randomness `m`; throws on a key failing the check. */
  kemEncapsulate(publicKey: Bytes, m: Bytes): Encapsulation;
  /** ML-KEM-768 Decaps (implicit rejection: never fails on well-sized input). */
  kemDecapsulate(ciphertext: Bytes, secretKey: Bytes): Bytes;
  /** ML-DSA-65 KeyGen_internal(ξ) from a 32-byte seed (REQ-CRY-003). */
  sigKeygen(seed: Bytes): KeyPair;
  /** ML-DSA-65 Sign (pure, hedged with `rnd`) with a context string (REQ-CRY-009). */
  sign(secretKey: Bytes, msg: Bytes, context: Bytes, rnd: Bytes): Bytes;
  /** ML-DSA-65 Verify with a context string; false on any malformed input. */
  verify(publicKey: Bytes, msg: Bytes, context: Bytes, signature: Bytes): boolean;
  /** Argon2id version 0x13 (RFC 9106; REQ-CRY-013). */
  argon2id(password: Bytes, salt: Bytes, params: Argon2Params, length: number): Bytes;
}
