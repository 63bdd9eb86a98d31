/**
 * The real backend for Node.js: noble for every primitive (spec 3.1), except the transport AEAD,
 * ChaCha20-Poly1305 (RFC 8439, REQ-CRY-005), SHA-256, HMAC-SHA-256 and HKDF-SHA-256, which run on
 * node:crypto (OpenSSL). The two implementations are cross-checked by the tests and both pass
 * Wycheproof; browsers use `nobleCrypto`. Transport frames carry ~3.5 KB signed messages and
 * rosters hash tens of KB, where OpenSSL is many times faster than JavaScript.
 */
import { createCipheriv, createDecipheriv, createHmac, hash } from 'node:crypto';
import { concat, type Buffers, type Bytes } from '../bytes.ts';
import { argon2idBlocking } from './argon2-blocking.ts';
import { nobleCrypto } from './noble.ts';
import type { CryptoProvider } from './provider.ts';

const TAG = 16;

/** `prefix || ChaCha20-Poly1305(key, nonce, ad, pt) || tag` in one buffer, `into`'s when given (the ciphertext is copied once, into it). */
function seal(key: Bytes, nonce: Bytes, ad: Bytes, pt: Bytes, prefix?: Bytes, into?: Buffers): Bytes {
  const ci = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  ci.setAAD(ad, { plaintextLength: pt.length });
  const a = ci.update(pt);
  const b = ci.final();
  const tag = ci.getAuthTag();
  const p = prefix?.length ?? 0;
  // every byte of `out` is written below: no zero fill (a relay's FrameBatch frame is up to 256 KiB, and
  // filling fresh pages first cost as much as the cipher, issue 23); never a slice of Node's shared pool
  const n = p + a.length + b.length + TAG;
  const out = into ? into.take(n) : u8(Buffer.allocUnsafeSlow(n));
  if (out.length !== n) throw new RangeError(`a frame of ${n} bytes given a buffer of ${out.length}`);
  if (prefix) out.set(prefix, 0);
  out.set(a, p);
  out.set(b, p + a.length);
  out.set(tag, p + a.length + b.length);
  return out;
}

function open(key: Bytes, nonce: Bytes, ad: Bytes, ct: Bytes): Bytes | undefined {
  if (ct.length < TAG || key.length !== 32 || nonce.length !== 12) return undefined;
  try {
    const de = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    de.setAAD(ad, { plaintextLength: ct.length - TAG });
    de.setAuthTag(ct.subarray(ct.length - TAG));
    const a = de.update(ct.subarray(0, ct.length - TAG));
    const b = de.final();
    if (b.length === 0) return u8(a); // a stream cipher's final() adds nothing: no second copy of the plaintext
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  } catch {
    return undefined;
  }
}

function u8(b: Buffer): Bytes {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** One-shot `crypto.hash` (Node 20.12 and later): the same digest as createHash's, without a Hash object per call. */
const sha256 = (data: Bytes): Bytes => u8(hash('sha256', data, 'buffer'));
const hmacSha256 = (key: Bytes, data: Bytes): Bytes => u8(createHmac('sha256', key).update(data).digest());

/** RFC 5869 expand on node:crypto's HMAC; out-of-range lengths get noble's errors. */
function hkdfExpand(prk: Bytes, info: Bytes, length: number): Bytes {
  if (!Number.isSafeInteger(length) || length < 1 || length > 255 * 32 || prk.length < 32) return nobleCrypto.hkdfExpand(prk, info, length);
  const out = new Uint8Array(length);
  let t: Bytes = new Uint8Array(0);
  for (let i = 0, pos = 0; pos < length; i++) {
    t = u8(createHmac('sha256', prk).update(t).update(info).update(Uint8Array.of(i + 1)).digest());
    out.set(t.subarray(0, Math.min(32, length - pos)), pos);
    pos += 32;
  }
  return out;
}

/** From this memory (KiB) on, Argon2id runs in WebAssembly on a helper thread: below, noble's is quicker than the hand-over. */
export const ARGON2_WASM_FROM_KIB = 1024;

/** noble for ML-KEM, ML-DSA and XChaCha20-Poly1305; node:crypto for hashing and transport frames; a large Argon2id in WebAssembly. */
export const nodeCrypto: CryptoProvider = {
  ...nobleCrypto,
  name: 'noble+node',
  sha256,
  hmacSha256,
  hkdfExtract: (salt, ikm) => hmacSha256(salt.length === 0 ? new Uint8Array(32) : salt, ikm),
  hkdfExpand,
  transportSeal: (key, nonce, ad, pt) => {
    if (key.length !== 32 || nonce.length !== 12) return nobleCrypto.transportSeal(key, nonce, ad, pt); // same errors as noble
    return seal(key, nonce, ad, pt);
  },
  transportSealAfter: (prefix, key, nonce, ad, pt, out) => {
    if (key.length !== 32 || nonce.length !== 12) return concat(prefix, nobleCrypto.transportSeal(key, nonce, ad, pt)); // same errors as noble
    return seal(key, nonce, ad, pt, prefix, out);
  },
  transportOpen: open,
  // REQ-CRY-013: the login's Argon2id (64 MiB, about 1.5 s in noble here) in hash-wasm, the same bytes
  argon2id: (password, salt, params, length) =>
    (params.m >= ARGON2_WASM_FROM_KIB ? argon2idBlocking(password, salt, params, length) : undefined) ?? nobleCrypto.argon2id(password, salt, params, length),
};
