/**
 * The native backend (spec 3.1): ML-KEM-768 and ML-DSA-65 from node:crypto where the runtime has
 * them (Node 24 and later, OpenSSL 3.5), found by feature detection and never required.
 *
 * Natively: ML-DSA verification with a context string (REQ-CRY-009), ML-KEM decapsulation, and key
 * generation of both from their seeds (REQ-CRY-001, REQ-CRY-003: a private key imported in the
 * PKCS#8 seed form, then exported with its expanded form, is KeyGen_internal of that seed).
 * node:crypto cannot take the randomness of an encapsulation (`m`) or of a hedged signature
 * (`rnd`), so those two calls go to a deterministic backend, liboqs when it loaded, else noble:
 * a run stays a function of its seed, and its trace is the one noble gives byte for byte.
 * Keys arrive as raw bytes; their KeyObjects are cached by value (a bounded table), so a key is
 * imported once, not at every call. A key generated from a seed is imported once in its seed form
 * and exported once (its expanded private key; its public key from the JWK export where the
 * runtime has one, checked against the SubjectPublicKeyInfo at load).
 * Argon2id (REQ-CRY-013, the login's KDF of REQ-LOG-001, which machines call synchronously) below
 * 1 MiB is node:crypto's `argon2Sync` where the runtime has it (Node 24.7 and later:
 * impl/crypto/argon2-node.ts), so that the differential compares an implementation other than
 * noble's; from 1 MiB on (the login's profiles) it is the deterministic backend's, hash-wasm on a
 * helper thread, measured 1.2 to 1.7 times faster than node's (reports/results.md, session 41). An
 * input node refuses gets that backend's answer or error.
 */
import * as nc from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { concat, equalBytes, type Bytes } from '../bytes.ts';
import { CryptoError } from '../errors.ts';
import { DSA_PK_BYTES, DSA_SEED_BYTES, DSA_SIG_BYTES, KEM_CT_BYTES, KEM_PK_BYTES, KEM_SEED_BYTES, KEM_SK_BYTES } from '../suite.ts';
import { nodeArgon2id, type NodeArgon2id } from './argon2-node.ts';
import type { Loaded } from './liboqs.ts';
import { ARGON2_WASM_FROM_KIB, nodeCrypto } from './node.ts';
import type { CryptoProvider, KeyPair } from './provider.ts';

const DSA_SK_BYTES = 4032;
const CACHE_LIMIT = 1024;

/** node:crypto's post-quantum calls, which @types/node 20 does not describe. */
interface NodePq {
  decapsulate?: (key: KeyObject, ciphertext: Uint8Array) => Buffer;
  sign(alg: null, data: Uint8Array, key: { key: KeyObject; context: Uint8Array }): Buffer;
  verify(alg: null, data: Uint8Array, key: { key: KeyObject; context: Uint8Array }, signature: Uint8Array): boolean;
}
const pq = nc as unknown as NodePq;

/** DER TLV with a definite length (X.690 8.1.3). */
function der(tag: number, body: Bytes): Bytes {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concat(Uint8Array.of(tag, ...len), body);
}

/** AlgorithmIdentifier of id-ML-KEM-768 and id-ML-DSA-65 (NIST CSOR 2.16.840.1.101.3.4.4.2 and .3.18). */
const ALG_KEM = der(0x30, Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02));
const ALG_DSA = der(0x30, Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12));

/** PKCS#8 (RFC 5958) with a private key CHOICE: `seed [0]` or `expandedKey OCTET STRING`. */
function pkcs8(alg: Bytes, choice: Bytes): Bytes {
  return der(0x30, concat(Uint8Array.of(0x02, 0x01, 0x00), alg, der(0x04, choice)));
}

/** SubjectPublicKeyInfo (RFC 5280) of a raw public key. */
function spki(alg: Bytes, pk: Bytes): Bytes {
  return der(0x30, concat(alg, der(0x03, concat(Uint8Array.of(0), pk))));
}

/** The expanded key at the end of an exported PKCS#8 in the `both` form (seed, then expandedKey). */
function expandedOf(exported: Bytes, n: number): Bytes {
  const head = [0x04, 0x82, n >> 8, n & 0xff]; // OCTET STRING of n bytes, 256 <= n < 65536 (X.690 8.1.3.5)
  const at = exported.length - n;
  for (let i = 0; i < 4; i++) if (exported[at - 4 + i] !== head[i]) throw new Error('node:crypto exported no expanded private key');
  return exported.slice(at);
}

/** The PKCS#8 seed form of a key, up to the seed: `pkcs8(alg, [0] seed)` is this prefix, then the seed. */
function seedPrefix(alg: Bytes, seedBytes: number): Buffer {
  const whole = pkcs8(alg, der(0x80, new Uint8Array(seedBytes)));
  return Buffer.from(whole.subarray(0, whole.length - seedBytes));
}
const KEM_SEED_PREFIX = seedPrefix(ALG_KEM, KEM_SEED_BYTES);
const DSA_SEED_PREFIX = seedPrefix(ALG_DSA, DSA_SEED_BYTES);

/** The DER of a private key in the PKCS#8 seed form, in one buffer. */
function seedForm(prefix: Buffer, seed: Bytes): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + seed.length);
  prefix.copy(out, 0);
  out.set(seed, prefix.length);
  return out;
}

/**
 * Whether this runtime exports ML-DSA keys as JWK (kty "AKP", `pub` the raw public key): about ten
 * times cheaper than encoding a SubjectPublicKeyInfo and cutting the key out of it (Node 24.9);
 * cleared at the first export that fails, and then the SPKI is used.
 */
let jwkPublic = true;

/** The raw ML-DSA-65 public key of a key pair (FIPS 204 pkEncode: ρ || t1). */
function dsaPublicBytes(priv: KeyObject, pub: KeyObject): Bytes {
  if (jwkPublic) {
    try {
      const j = priv.export({ format: 'jwk' }) as { kty?: string; pub?: unknown };
      if (j.kty === 'AKP' && typeof j.pub === 'string') {
        const raw = Buffer.from(j.pub, 'base64url');
        if (raw.length === DSA_PK_BYTES) return new Uint8Array(raw); // a copy: `raw` may be a view of Buffer's shared pool
      }
    } catch {
      // no JWK for ML-DSA in this runtime
    }
    jwkPublic = false;
  }
  return u8(pub.export({ format: 'der', type: 'spki' })).slice(-DSA_PK_BYTES);
}

function u8(b: Buffer): Bytes {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * KeyObjects by the raw key they were made from (a bounded table: the oldest entry goes first).
 * An entry is found by the key's last 32 bytes (z of an ML-KEM decapsulation key, the end of t1 of
 * an ML-DSA public key: a string of 32 characters to hash, not one of thousands), and used only
 * when the whole key equals the copy it holds; two keys with the same last bytes take turns in
 * one entry.
 */
export class KeyCache {
  private readonly m = new Map<string, { readonly raw: Buffer; readonly key: KeyObject }>();
  constructor(private readonly limit: number = CACHE_LIMIT) {}
  /** Entries held (at most the limit). */
  get size(): number {
    return this.m.size;
  }
  get(raw: Bytes, make: () => KeyObject): KeyObject {
    const whole = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const id = idOf(whole);
    const e = this.m.get(id);
    if (e !== undefined && e.raw.equals(whole)) return e.key;
    const key = make();
    this.put(id, whole, key);
    return key;
  }
  set(raw: Bytes, key: KeyObject): void {
    const whole = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    this.put(idOf(whole), whole, key);
  }
  private put(id: string, whole: Buffer, key: KeyObject): void {
    this.m.delete(id); // a replaced entry becomes the newest
    if (this.m.size >= this.limit) this.m.delete(this.m.keys().next().value!);
    this.m.set(id, { raw: Buffer.from(whole), key }); // a copy: the caller may overwrite its bytes
  }
}

function idOf(whole: Buffer): string {
  return whole.toString('latin1', Math.max(0, whole.length - 32));
}

/** The native primitives over raw keys. */
function nativePrimitives(): Pick<CryptoProvider, 'kemKeygen' | 'kemDecapsulate' | 'sigKeygen' | 'verify'> {
  const kemKeys = new KeyCache();
  const dsaPublic = new KeyCache();
  return {
    kemKeygen(seed: Bytes): KeyPair {
      if (seed.length !== KEM_SEED_BYTES) throw new CryptoError('REQ-CRY-001', 'ML-KEM seed must be 64 bytes');
      const key = nc.createPrivateKey({ key: seedForm(KEM_SEED_PREFIX, seed), format: 'der', type: 'pkcs8' });
      const secretKey = expandedOf(u8(key.export({ format: 'der', type: 'pkcs8' })), KEM_SK_BYTES);
      kemKeys.set(secretKey, key);
      // dk = dk_PKE || ek || H(ek) || z (FIPS 203 Algorithm 16)
      return { publicKey: secretKey.slice(1152, 1152 + KEM_PK_BYTES), secretKey };
    },
    kemDecapsulate(ct: Bytes, sk: Bytes): Bytes {
      if (ct.length !== KEM_CT_BYTES) throw new CryptoError('REQ-CRY-001', 'ML-KEM ciphertext of wrong length');
      if (sk.length !== KEM_SK_BYTES) throw new CryptoError('REQ-CRY-001', 'ML-KEM decapsulation key of wrong length');
      let key: KeyObject;
      try {
        key = kemKeys.get(sk, () => nc.createPrivateKey({ key: Buffer.from(pkcs8(ALG_KEM, der(0x04, sk))), format: 'der', type: 'pkcs8' }));
      } catch {
        // OpenSSL checks H(ek) inside dk on import: FIPS 203 §7.3 decapsulation key check
        throw new CryptoError('REQ-CRY-001', 'ML-KEM decapsulation key check failed');
      }
      return u8(pq.decapsulate!(key, ct));
    },
    sigKeygen(seed: Bytes): KeyPair {
      if (seed.length !== DSA_SEED_BYTES) throw new CryptoError('REQ-CRY-003', 'ML-DSA seed must be 32 bytes');
      const key = nc.createPrivateKey({ key: seedForm(DSA_SEED_PREFIX, seed), format: 'der', type: 'pkcs8' });
      const secretKey = expandedOf(u8(key.export({ format: 'der', type: 'pkcs8' })), DSA_SK_BYTES);
      const pub = nc.createPublicKey(key);
      const publicKey = dsaPublicBytes(key, pub);
      dsaPublic.set(publicKey, pub);
      return { publicKey, secretKey };
    },
    verify(pk: Bytes, msg: Bytes, context: Bytes, sig: Bytes): boolean {
      if (pk.length !== DSA_PK_BYTES || sig.length !== DSA_SIG_BYTES || context.length > 255) return false;
      try {
        const key = dsaPublic.get(pk, () => nc.createPublicKey({ key: Buffer.from(spki(ALG_DSA, pk)), format: 'der', type: 'spki' }));
        return pq.verify(null, msg, { key, context }, sig);
      } catch {
        return false;
      }
    },
  };
}

/** Feature detection and a self-test: a key from a seed signs with a context and verifies only with it. */
function detect(p: ReturnType<typeof nativePrimitives>): string | undefined {
  if (typeof pq.decapsulate !== 'function') return `node ${process.version} has no ML-KEM in node:crypto (Node 24 or later has)`;
  try {
    const priv = nc.createPrivateKey({ key: seedForm(DSA_SEED_PREFIX, new Uint8Array(DSA_SEED_BYTES)), format: 'der', type: 'pkcs8' });
    // the public key from the JWK export must be the one in the SubjectPublicKeyInfo, else the SPKI is used
    const pub = nc.createPublicKey(priv);
    if (!equalBytes(dsaPublicBytes(priv, pub), u8(pub.export({ format: 'der', type: 'spki' })).slice(-DSA_PK_BYTES))) jwkPublic = false;
    const k = p.sigKeygen(new Uint8Array(DSA_SEED_BYTES));
    const m = Uint8Array.of(1);
    const sig = pq.sign(null, m, { key: priv, context: m });
    if (!p.verify(k.publicKey, m, m, sig) || p.verify(k.publicKey, m, Uint8Array.of(2), sig)) return 'node:crypto ML-DSA ignores the context string';
    const kem = p.kemKeygen(new Uint8Array(KEM_SEED_BYTES));
    if (kem.secretKey.length !== KEM_SK_BYTES) return 'node:crypto ML-KEM keys of unexpected size';
    return undefined;
  } catch (e) {
    return `node ${process.version} (OpenSSL ${process.versions.openssl}) has no usable ML-KEM-768 or ML-DSA-65: ${(e as Error).message}`;
  }
}

/**
 * node:crypto's Argon2id below {@link ARGON2_WASM_FROM_KIB}, computed by the calling thread; from
 * there on `base`'s (hash-wasm on a helper thread, the faster here); what node refuses (its ranges
 * are RFC 9106's, as noble's) goes to `base`, for `base`'s errors.
 */
function nativeArgon2id(node: NodeArgon2id, base: CryptoProvider): CryptoProvider['argon2id'] {
  return (password, salt, params, length) => {
    if (params.m >= ARGON2_WASM_FROM_KIB) return base.argon2id(password, salt, params, length);
    let out: Bytes | undefined;
    try {
      out = node.sync(password, salt, params, length);
    } catch {
      // out of node's ranges: base refuses it too, in its own words (or answers, when only node is stricter)
    }
    return out ?? base.argon2id(password, salt, params, length);
  };
}

/** Loads the native backend on top of a deterministic one (liboqs when it loaded, else noble). */
export function loadNative(deterministic: Loaded): Loaded {
  const p = nativePrimitives();
  const why = detect(p);
  if (why) return { unavailable: why };
  const base = deterministic.provider ?? nodeCrypto;
  const native = `node:crypto (OpenSSL ${process.versions.openssl})`;
  // node:crypto takes neither m nor rnd, it would draw them itself: those two calls go to the
  // deterministic backend, which takes them from the party's injected generator (REQ-CRY-011)
  const origins: Record<string, string> = {
    kemKeygen: native,
    kemEncapsulate: base.origins?.kemEncapsulate ?? 'noble',
    kemDecapsulate: native,
    sigKeygen: native,
    sign: base.origins?.sign ?? 'noble',
    verify: native,
    ...(nodeArgon2id ? { argon2id: `${native} below ${ARGON2_WASM_FROM_KIB} KiB, ${base.origins?.argon2id ?? 'hash-wasm (a helper thread)'} from there` } : {}),
  };
  const argon2id = nodeArgon2id ? nativeArgon2id(nodeArgon2id, base) : base.argon2id;
  return { provider: { ...base, name: 'native', origins, ...p, argon2id } };
}
