/**
 * The real backend against Wycheproof (ML-KEM-768, ML-DSA-65, ChaCha20-Poly1305,
 * XChaCha20-Poly1305, HKDF-SHA-256), against a second implementation (node:crypto), and
 * against the RFC 9106 Argon2id vector.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { argon2id } from '@noble/hashes/argon2.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { describe, expect, it } from 'vitest';
import { concat, equalBytes, fromHex, toHex, type Bytes } from '../bytes.ts';
import { haveExternalVectors, loadWycheproof, type WycheproofCase } from './external-vectors.ts';
import { mlKemPublicKeyIsValid, nobleCrypto as c } from './noble.ts';
import { nodeCrypto } from './node.ts';

const hex = (v: unknown): Bytes => fromHex((v as string | undefined) ?? '');
const external = haveExternalVectors();
if (!external && process.env.PQROOM_REQUIRE_EXTERNAL_VECTORS === '1') throw new Error('PQROOM_REQUIRE_EXTERNAL_VECTORS=1 but the Wycheproof vectors are absent (set PQROOM_EXTERNAL_VECTORS or put them in ../shared/vectors-external)');
if (!external) console.warn('SKIPPED: ../shared/vectors-external is absent; Wycheproof tests do not run in this checkout');
const wycheproof = external ? describe : describe.skip;

/** Runs `check` on every case of a file and asserts how many ran, so a zero-case file fails. */
function runAll(file: string, check: (t: WycheproofCase) => void): void {
  const cases = loadWycheproof(file);
  let ran = 0;
  for (const t of cases) {
    try {
      check(t);
    } catch (e) {
      throw new Error(`${file} tcId ${t.tcId} (${t.comment ?? ''}; ${(t.flags ?? []).join(',')}): ${(e as Error).message}`);
    }
    ran++;
  }
  expect(ran).toBe(cases.length);
  expect(ran).toBeGreaterThan(0);
  console.info(`${file}: ${ran} cases`);
}

function throws(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch {
    return true;
  }
}

wycheproof('REQ-CRY-001 ML-KEM-768 (FIPS 203) against Wycheproof', () => {
  it('should derive the key pairs of mlkem_768_keygen_seed_test', () =>
    runAll('mlkem_768_keygen_seed_test.json', (t) => {
      const kp = c.kemKeygen(hex(t.seed));
      expect(toHex(kp.publicKey)).toBe(t.ek);
      expect(toHex(kp.secretKey)).toBe(t.dk);
    }));

  it('should encapsulate as mlkem_768_encaps_test says, rejecting keys that fail the modulus check (REQ-CRY-002)', () =>
    runAll('mlkem_768_encaps_test.json', (t) => {
      const ek = hex(t.ek);
      if (t.result === 'valid') {
        expect(mlKemPublicKeyIsValid(ek)).toBe(true);
        const e = c.kemEncapsulate(ek, hex(t.m));
        expect(toHex(e.ct)).toBe(t.c);
        expect(toHex(e.ss)).toBe(t.K);
      } else {
        expect(mlKemPublicKeyIsValid(ek)).toBe(false);
        expect(throws(() => c.kemEncapsulate(ek, hex(t.m)))).toBe(true);
      }
    }));

  it('should decapsulate as mlkem_768_test says (implicit rejection included)', () =>
    runAll('mlkem_768_test.json', (t) => {
      const seed = hex(t.seed);
      if (t.result === 'valid') {
        const kp = c.kemKeygen(seed);
        if (t.ek !== undefined) expect(toHex(kp.publicKey)).toBe(t.ek);
        expect(toHex(c.kemDecapsulate(hex(t.c), kp.secretKey))).toBe(t.K);
      } else {
        expect(throws(() => c.kemDecapsulate(hex(t.c), c.kemKeygen(seed).secretKey))).toBe(true);
      }
    }));

  it('should check the decapsulation key and ciphertext of mlkem_768_semi_expanded_decaps_test', () =>
    runAll('mlkem_768_semi_expanded_decaps_test.json', (t) => {
      if (t.result === 'valid') expect(toHex(c.kemDecapsulate(hex(t.c), hex(t.dk)))).toBe(t.K);
      else expect(throws(() => c.kemDecapsulate(hex(t.c), hex(t.dk)))).toBe(true);
    }));
});

wycheproof('REQ-CRY-003 ML-DSA-65 (FIPS 204) against Wycheproof', () => {
  const signCase = (sk: () => Bytes, pk: Bytes) => (t: WycheproofCase) => {
    const ctx = hex(t.ctx);
    const rnd = t.rnd === undefined ? new Uint8Array(32) : hex(t.rnd);
    if (t.result !== 'valid') {
      const msg = t.msg === undefined ? new Uint8Array(0) : hex(t.msg);
      expect(throws(() => c.sign(sk(), msg, ctx, rnd))).toBe(true);
      return;
    }
    const sig =
      t.msg === undefined
        ? ml_dsa65.internal.sign(hex(t.mu), sk(), { externalMu: true, extraEntropy: rnd })
        : c.sign(sk(), hex(t.msg), ctx, rnd);
    expect(toHex(sig)).toBe(t.sig);
    if (t.msg !== undefined) expect(c.verify(pk, hex(t.msg), ctx, sig)).toBe(true);
  };

  it('should sign as mldsa_65_sign_seed_test says, from the 32-byte seed', () =>
    runAll('mldsa_65_sign_seed_test.json', (t) => {
      const g = t.group;
      const seed = hex(g.privateSeed);
      if (seed.length !== 32) {
        expect(throws(() => c.sigKeygen(seed))).toBe(true);
        return;
      }
      const kp = c.sigKeygen(seed);
      expect(toHex(kp.publicKey)).toBe(g.publicKey);
      signCase(() => kp.secretKey, kp.publicKey)(t);
    }));

  it('should sign as mldsa_65_sign_noseed_test says, from the expanded key', () =>
    runAll('mldsa_65_sign_noseed_test.json', (t) => signCase(() => hex(t.group.privateKey), hex(t.group.publicKey))(t)));

  it('should verify exactly the valid signatures of mldsa_65_verify_test', () =>
    runAll('mldsa_65_verify_test.json', (t) => {
      expect(c.verify(hex(t.group.publicKey), hex(t.msg), hex(t.ctx), hex(t.sig))).toBe(t.result === 'valid');
    }));
});

wycheproof('REQ-CRY-004 REQ-CRY-005 AEADs against Wycheproof', () => {
  const aeadCase = (seal: typeof c.aeadSeal, open: typeof c.aeadOpen) => (t: WycheproofCase) => {
    const [key, iv, aad, msg] = [hex(t.key), hex(t.iv), hex(t.aad), hex(t.msg)];
    const sealed = concat(hex(t.ct), hex(t.tag));
    if (t.result === 'valid') {
      expect(toHex(seal(key, iv, aad, msg))).toBe(toHex(sealed));
      expect(toHex(open(key, iv, aad, sealed) ?? new Uint8Array([0xff]))).toBe(toHex(msg));
    } else {
      expect(open(key, iv, aad, sealed)).toBeUndefined();
    }
  };
  it('should seal and open chacha20_poly1305_test (transport AEAD)', () =>
    runAll('chacha20_poly1305_test.json', aeadCase(c.transportSeal, c.transportOpen)));
  it('should seal and open chacha20_poly1305_test with the node:crypto transport AEAD', () =>
    runAll('chacha20_poly1305_test.json', aeadCase(nodeCrypto.transportSeal, nodeCrypto.transportOpen)));
  it('should seal and open xchacha20_poly1305_test (end-to-end AEAD)', () =>
    runAll('xchacha20_poly1305_test.json', aeadCase(c.aeadSeal, c.aeadOpen)));
});

wycheproof('REQ-CRY-006 HKDF-SHA-256 against Wycheproof', () => {
  it('should derive hkdf_sha256_test outputs and refuse oversize requests', () =>
    runAll('hkdf_sha256_test.json', (t) => {
      const derive = (): Bytes => c.hkdfExpand(c.hkdfExtract(hex(t.salt), hex(t.ikm)), hex(t.info), t.size as number);
      if (t.result === 'valid') expect(toHex(derive())).toBe(t.okm);
      else expect(throws(derive)).toBe(true);
    }));
});

/** HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2), written independently of noble for the cross-check. */
function hchacha20(key: Bytes, nonce16: Bytes): Bytes {
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  const dv = (b: Bytes, i: number): number => new DataView(b.buffer, b.byteOffset).getUint32(i * 4, true);
  for (let i = 0; i < 8; i++) s[4 + i] = dv(key, i);
  for (let i = 0; i < 4; i++) s[12 + i] = dv(nonce16, i);
  const rotl = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;
  const qr = (a: number, b: number, cc: number, d: number): void => {
    s[a] = (s[a]! + s[b]!) >>> 0; s[d] = rotl(s[d]! ^ s[a]!, 16);
    s[cc] = (s[cc]! + s[d]!) >>> 0; s[b] = rotl(s[b]! ^ s[cc]!, 12);
    s[a] = (s[a]! + s[b]!) >>> 0; s[d] = rotl(s[d]! ^ s[a]!, 8);
    s[cc] = (s[cc]! + s[d]!) >>> 0; s[b] = rotl(s[b]! ^ s[cc]!, 7);
  };
  for (let r = 0; r < 10; r++) {
    qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15);
    qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14);
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  [0, 1, 2, 3, 12, 13, 14, 15].forEach((w, i) => ov.setUint32(i * 4, s[w]!, true));
  return out;
}

function nodeChachaSeal(key: Bytes, nonce12: Bytes, ad: Bytes, pt: Bytes): Bytes {
  const ci = createCipheriv('chacha20-poly1305', key, nonce12, { authTagLength: 16 });
  ci.setAAD(ad, { plaintextLength: pt.length });
  return concat(ci.update(pt), ci.final(), ci.getAuthTag());
}

function nodeChachaOpen(key: Bytes, nonce12: Bytes, ad: Bytes, ct: Bytes): Bytes | undefined {
  const de = createDecipheriv('chacha20-poly1305', key, nonce12, { authTagLength: 16 });
  de.setAAD(ad, { plaintextLength: ct.length - 16 });
  de.setAuthTag(ct.subarray(ct.length - 16));
  try {
    return concat(de.update(ct.subarray(0, ct.length - 16)), de.final());
  } catch {
    return undefined;
  }
}

describe('primitives agree with node:crypto (a second implementation)', () => {
  const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max, size: 'max' }); // 'max': up to max, not fast-check's default of about 10
  const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it('should compute SHA-256 and HMAC-SHA-256 as node:crypto does', () =>
    fc.assert(
      fc.property(bytes(300), bytes(100), (data, key) => {
        expect(toHex(c.sha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
        expect(toHex(c.hmacSha256(key, data))).toBe(createHmac('sha256', key).update(data).digest('hex'));
      }),
      { numRuns: 200 },
    ));

  it('should hash, MAC and derive in the node provider exactly as in noble', () =>
    fc.assert(
      fc.property(bytes(300), bytes(80), bytes(64), fc.integer({ min: 1, max: 255 * 32 }), (data, key, info, len) => {
        expect(toHex(nodeCrypto.sha256(data))).toBe(toHex(c.sha256(data)));
        expect(toHex(nodeCrypto.hmacSha256(key, data))).toBe(toHex(c.hmacSha256(key, data)));
        const prk = c.hkdfExtract(key, data);
        expect(toHex(nodeCrypto.hkdfExtract(key, data))).toBe(toHex(prk));
        expect(toHex(nodeCrypto.hkdfExpand(prk, info, len))).toBe(toHex(c.hkdfExpand(prk, info, len)));
      }),
      { numRuns: 200 },
    ));

  it('should compute HKDF-SHA-256 as node:crypto hkdfSync does', () =>
    fc.assert(
      fc.property(bytes(80), bytes(64), bytes(64), fc.integer({ min: 1, max: 255 * 32 }), (ikm, salt, info, len) => {
        const ours = c.hkdfExpand(c.hkdfExtract(salt, ikm), info, len);
        expect(toHex(ours)).toBe(Buffer.from(hkdfSync('sha256', ikm, salt, info, len)).toString('hex'));
      }),
      { numRuns: 200 },
    ));

  it('should seal and open ChaCha20-Poly1305 (transport) as node:crypto does, and the node provider as noble does', () =>
    fc.assert(
      fc.property(key32, fc.uint8Array({ minLength: 12, maxLength: 12 }), bytes(64), bytes(300), (key, nonce, ad, pt) => {
        const sealed = c.transportSeal(key, nonce, ad, pt);
        expect(equalBytes(sealed, nodeChachaSeal(key, nonce, ad, pt))).toBe(true);
        expect(equalBytes(nodeChachaOpen(key, nonce, ad, sealed)!, pt)).toBe(true);
        expect(equalBytes(nodeCrypto.transportSeal(key, nonce, ad, pt), sealed)).toBe(true);
        expect(equalBytes(nodeCrypto.transportOpen(key, nonce, ad, sealed)!, pt)).toBe(true);
        const bad = sealed.slice();
        bad[0]! ^= 1;
        expect(nodeCrypto.transportOpen(key, nonce, ad, bad)).toBeUndefined();
      }),
      { numRuns: 200 },
    ));

  it('should seal XChaCha20-Poly1305 as HChaCha20 plus node:crypto ChaCha20-Poly1305 does', () =>
    fc.assert(
      fc.property(key32, fc.uint8Array({ minLength: 24, maxLength: 24 }), bytes(64), bytes(300), (key, nonce, ad, pt) => {
        const subkey = hchacha20(key, nonce.subarray(0, 16));
        const n12 = concat(new Uint8Array(4), nonce.subarray(16));
        expect(equalBytes(c.aeadSeal(key, nonce, ad, pt), nodeChachaSeal(subkey, n12, ad, pt))).toBe(true);
      }),
      { numRuns: 200 },
    ));
});

describe('REQ-CRY-013 Argon2id (RFC 9106)', () => {
  it('should reproduce the Argon2id test vector of RFC 9106 §5.3', () => {
    const tag = argon2id(new Uint8Array(32).fill(1), new Uint8Array(16).fill(2), {
      t: 3,
      m: 32,
      p: 4,
      dkLen: 32,
      key: new Uint8Array(8).fill(3),
      personalization: new Uint8Array(12).fill(4),
    });
    expect(toHex(tag)).toBe('0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
  });
  it('should compute the provider Argon2id as the library does without secret or associated data', () => {
    const pw = new TextEncoder().encode('password');
    const salt = new Uint8Array(16).fill(7);
    expect(toHex(c.argon2id(pw, salt, { m: 64, t: 1, p: 1 }, 32))).toBe(toHex(argon2id(pw, salt, { m: 64, t: 1, p: 1, dkLen: 32 })));
  });
});
