/**
 * The real crypto backend (spec 3.1) on @noble/post-quantum, @noble/ciphers and @noble/hashes.
 * ML-KEM-768: FIPS 203. ML-DSA-65: FIPS 204. XChaCha20-Poly1305 and ChaCha20-Poly1305: RFC 8439
 * and draft-irtf-cfrg-xchacha-03. SHA-256, HMAC, HKDF (RFC 5869), Argon2id (RFC 9106).
 */
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { argon2id } from '@noble/hashes/argon2.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { Bytes } from '../bytes.ts';
import { CryptoError } from '../errors.ts';
import { DSA_PK_BYTES, DSA_SIG_BYTES, KEM_CT_BYTES, KEM_PK_BYTES } from '../suite.ts';
import type { CryptoProvider } from './provider.ts';

const Q = 3329;

/**
 * FIPS 203 §7.2 encapsulation key check: length, and ByteEncode12(ByteDecode12(ek)) = ek,
 * i.e. every 12-bit coefficient of the encoded vector t̂ is below q = 3329 (REQ-CRY-002).
 */
export function mlKemPublicKeyIsValid(pk: Bytes): boolean {
  if (pk.length !== KEM_PK_BYTES) return false;
  const polyBytes = KEM_PK_BYTES - 32; // 3 polynomials of 384 bytes, then ρ
  for (let i = 0; i < polyBytes; i += 3) {
    const b0 = pk[i] as number;
    const b1 = pk[i + 1] as number;
    const b2 = pk[i + 2] as number;
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q) return false;
    if (((b1 >> 4) | (b2 << 4)) >= Q) return false;
  }
  return true;
}

/** The real backend. Stateless: one shared instance is safe. */
export const nobleCrypto: CryptoProvider = {
  name: 'noble',
  sha256: (data) => sha256(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  hkdfExtract: (salt, ikm) => extract(sha256, ikm, salt.length === 0 ? new Uint8Array(32) : salt),
  hkdfExpand: (prk, info, length) => expand(sha256, prk, info, length),
  aeadSeal: (key, nonce, ad, pt) => xchacha20poly1305(key, nonce, ad).encrypt(pt),
  aeadOpen: (key, nonce, ad, ct) => {
    try {
      return xchacha20poly1305(key, nonce, ad).decrypt(ct);
    } catch {
      return undefined;
    }
  },
  transportSeal: (key, nonce, ad, pt) => chacha20poly1305(key, nonce, ad).encrypt(pt),
  transportOpen: (key, nonce, ad, ct) => {
    try {
      return chacha20poly1305(key, nonce, ad).decrypt(ct);
    } catch {
      return undefined;
    }
  },
  kemKeygen: (seed) => {
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    return { publicKey, secretKey };
  },
  kemCheckPublicKey: mlKemPublicKeyIsValid,
  kemEncapsulate: (pk, m) => {
    if (!mlKemPublicKeyIsValid(pk)) throw new CryptoError('REQ-CRY-002', 'ML-KEM encapsulation key check failed');
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(pk, m);
    return { ct: cipherText, ss: sharedSecret };
  },
  kemDecapsulate: (ct, sk) => {
    if (ct.length !== KEM_CT_BYTES) throw new CryptoError('REQ-CRY-001', 'ML-KEM ciphertext of wrong length');
    return ml_kem768.decapsulate(ct, sk);
  },
  sigKeygen: (seed) => {
    const { publicKey, secretKey } = ml_dsa65.keygen(seed);
    return { publicKey, secretKey };
  },
  sign: (sk, msg, context, rnd) => ml_dsa65.sign(msg, sk, { context, extraEntropy: rnd }),
  verify: (pk, msg, context, sig) => {
    if (pk.length !== DSA_PK_BYTES || sig.length !== DSA_SIG_BYTES) return false;
    try {
      return ml_dsa65.verify(sig, msg, pk, { context });
    } catch {
      return false;
    }
  },
  argon2id: (password, salt, params, length) =>
    argon2id(password, salt, { t: params.t, m: params.m, p: params.p, dkLen: length, version: 0x13 }),
};

