/**
 * The real backend for Node.js: noble for every primitive (spec 3.1), except the transport AEAD,
 * ChaCha20-Poly1305 (RFC 8439, REQ-CRY-005), which runs on node:crypto (OpenSSL). The two
 * implementations are cross-checked by the tests and both pass Wycheproof; browsers use
 * `nobleCrypto`. Transport frames carry ~3.5 KB signed messages, where OpenSSL is ~100× faster.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { Bytes } from '../bytes.ts';
import { nobleCrypto } from './noble.ts';
import type { CryptoProvider } from './provider.ts';

const TAG = 16;

function seal(key: Bytes, nonce: Bytes, ad: Bytes, pt: Bytes): Bytes {
  const ci = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  ci.setAAD(ad, { plaintextLength: pt.length });
  const a = ci.update(pt);
  const b = ci.final();
  const tag = ci.getAuthTag();
  const out = new Uint8Array(a.length + b.length + TAG);
  out.set(a, 0);
  out.set(b, a.length);
  out.set(tag, a.length + b.length);
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
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  } catch {
    return undefined;
  }
}

/** noble everywhere, node:crypto's ChaCha20-Poly1305 for transport frames. */
export const nodeCrypto: CryptoProvider = {
  ...nobleCrypto,
  name: 'noble+node-chacha',
  transportSeal: (key, nonce, ad, pt) => {
    if (key.length !== 32 || nonce.length !== 12) return nobleCrypto.transportSeal(key, nonce, ad, pt); // same errors as noble
    return seal(key, nonce, ad, pt);
  },
  transportOpen: open,
};
