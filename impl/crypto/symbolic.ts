/**
 * The symbolic crypto backend (spec 11.1): ML-KEM, ML-DSA and both AEADs replaced by opaque
 * handles of the real sizes that only the right key opens or verifies, kept in per-run tables;
 * hashing and key derivation stay real, except Argon2id, whose stand-in is a hash of all its
 * inputs, its parameters included: the same function of them to the protocol, at a cost that does
 * not grow with the parameters (spec 9.6: logins run at the interactive profile). Every party of a run shares one instance, so that a value
 * made by one is recognised by another, and the instance records what it issued, which is what
 * the Dolev-Yao knowledge closure of the adversary is computed from.
 *
 * Symbolic runs are for breadth and exact secrecy checks; real runs prove the findings hold on
 * the actual bytes. Never use this backend to protect anything. It is a crypto provider like
 * noble.ts and node.ts; its tables are read through the `SymbolicCrypto` interface.
 */
import { concat, equalBytes, isZero, toHex, u32be, utf8, type Bytes } from '../bytes.ts';
import { nodeCrypto } from './node.ts';
import type { Argon2Params, CryptoProvider, Encapsulation, KeyPair } from './provider.ts';
import { CryptoError } from '../errors.ts';
import { DSA_PK_BYTES, DSA_SIG_BYTES, KEM_CT_BYTES, KEM_PK_BYTES, KEM_SK_BYTES } from '../suite.ts';

const real = nodeCrypto;
const DSA_SK_BYTES = 4032;
const MAGIC_DSA_SK = utf8('SYMDSA-SK');
const MAGIC_KEM_SK = utf8('SYMKEM-SK');
const MAGIC_DSA_PK = utf8('SYMDSA-PK');
const MAGIC_KEM_PK = utf8('SYMKEM-PK');
const MAGIC_CT = utf8('SYMCT');
const MAGIC_SIG = utf8('SYMSIG');
const MAGIC_AEAD = utf8('SYMAE');
const AEAD_TAG_BYTES = 16;

function pad(prefix: Bytes, n: number): Bytes {
  const out = new Uint8Array(n);
  out.set(prefix.subarray(0, n));
  return out;
}

/** The encoded prefixes of h's labels (the few literals of this file), encoded once. */
const hLabels = new Map<string, Bytes>();

function h(label: string, ...parts: Bytes[]): Bytes {
  let prefix = hLabels.get(label);
  if (prefix === undefined) hLabels.set(label, (prefix = utf8(`pqroom symbolic ${label}`)));
  return real.sha256(concat(prefix, ...parts));
}

const isU32 = (n: number): boolean => Number.isSafeInteger(n) && n >= 0 && n < 2 ** 32;
/** Inputs the real Argon2id takes (noble's rules); for any other the stand-in gives the real error. */
const argon2Takes = (salt: Bytes, a: Argon2Params, length: number): boolean =>
  isU32(a.m) && isU32(a.t) && isU32(a.p) && a.t >= 1 && a.p >= 1 && a.p < 2 ** 24 && a.m >= 8 * a.p && salt.length >= 8 && Number.isSafeInteger(length) && length >= 4 && length <= 255 * 32;

/**
 * The Argon2id stand-in: `HKDF-Expand(SHA-256(label || m || t || p || len(salt) || salt || password), label, length)`,
 * a different output for any change of password, salt, parameters or length, as the real function gives.
 */
function argon2idStandIn(password: Bytes, salt: Bytes, a: Argon2Params, length: number): Bytes {
  if (!argon2Takes(salt, a, length)) return real.argon2id(password, salt, a, length);
  return real.hkdfExpand(h('argon2id', u32be(a.m), u32be(a.t), u32be(a.p), u32be(salt.length), salt, password), utf8('pqroom symbolic argon2id'), length);
}

/** One encapsulation the backend issued: who it is for, and the secret it carries. */
export interface KemRecord {
  /** The ciphertext. */
  readonly ct: Bytes;
  /** The recipient's public key. */
  readonly pk: Bytes;
  /** The shared secret. */
  readonly ss: Bytes;
}

/** A key the backend made: the public key and the seed it was made from. */
export interface SymbolicKey {
  readonly publicKey: Bytes;
  readonly seed: Bytes;
}

/** A symbolic backend instance and its tables, keyed by handle (spec 11.1). */
export interface SymbolicCrypto extends CryptoProvider {
  /** ML-KEM keys by handle. */
  readonly kemKeys: ReadonlyMap<string, SymbolicKey>;
  /** ML-DSA keys by handle. */
  readonly dsaKeys: ReadonlyMap<string, SymbolicKey & { readonly signKey: Bytes }>;
  /** Encapsulations by the handle of their ciphertext. */
  readonly encapsulations: ReadonlyMap<string, KemRecord>;
  /** Number of symbolic operations performed, for benchmarks. */
  readonly operations: () => number;
}

/**
 * The handle of a symbolic value: the 32 bytes after its magic prefix. Values are looked up by
 * handle and then compared in full, so a value that differs anywhere (padding included) is unknown.
 */
function handle(b: Bytes, magic: Bytes, size: number): string | undefined {
  if (b.length !== size) return undefined;
  for (let i = 0; i < magic.length; i++) if (b[i] !== magic[i]) return undefined;
  return toHex(b.subarray(magic.length, magic.length + 32));
}

/** A fresh symbolic backend (one per run). */
export function symbolicCrypto(): SymbolicCrypto {
  const kemKeys = new Map<string, SymbolicKey>();
  const dsaKeys = new Map<string, SymbolicKey & { signKey: Bytes }>();
  const encapsulations = new Map<string, KemRecord>();
  let ops = 0;

  const dsaSeedOfSk = (sk: Bytes): Bytes | undefined => {
    if (sk.length !== DSA_SK_BYTES) return undefined;
    for (let i = 0; i < MAGIC_DSA_SK.length; i++) if (sk[i] !== MAGIC_DSA_SK[i]) return undefined;
    return sk.slice(MAGIC_DSA_SK.length, MAGIC_DSA_SK.length + 32);
  };
  const kemSeedOfSk = (sk: Bytes): Bytes | undefined => {
    if (sk.length !== KEM_SK_BYTES) return undefined;
    for (let i = 0; i < MAGIC_KEM_SK.length; i++) if (sk[i] !== MAGIC_KEM_SK[i]) return undefined;
    return sk.slice(MAGIC_KEM_SK.length, MAGIC_KEM_SK.length + 64);
  };
  const dsaPk = (seed: Bytes): Bytes => pad(concat(MAGIC_DSA_PK, h('dsa pk', seed)), DSA_PK_BYTES);
  const kemPk = (seed: Bytes): Bytes => pad(concat(MAGIC_KEM_PK, h('kem pk', seed)), KEM_PK_BYTES);
  // AEADs (both suites): a ciphertext is a handle (magic, serial number, zero padding) of the real
  // length that opens only with the key, nonce and associated data it was sealed with
  const sealed: { key: Bytes; nonce: Bytes; ad: Bytes; pt: Bytes }[] = [];
  const HEADER = MAGIC_AEAD.length + 4;
  /** Seals into a handle; with `prefix`, returns `prefix || handle` in one buffer (a transport frame). */
  const aeadSeal =
    (nonceLength: number, realSeal: CryptoProvider['aeadSeal']) =>
    (key: Bytes, nonce: Bytes, ad: Bytes, pt: Bytes, prefix?: Bytes): Bytes => {
      ops++;
      if (key.length !== 32 || nonce.length !== nonceLength) return prefix ? concat(prefix, realSeal(key, nonce, ad, pt)) : realSeal(key, nonce, ad, pt); // the real errors
      const p = prefix?.length ?? 0;
      const out = new Uint8Array(p + pt.length + AEAD_TAG_BYTES);
      if (prefix) out.set(prefix);
      out.set(MAGIC_AEAD, p);
      new DataView(out.buffer).setUint32(p + MAGIC_AEAD.length, sealed.length);
      sealed.push({ key: key.slice(), nonce: nonce.slice(), ad: ad.slice(), pt: pt.slice() });
      return out;
    };
  const aeadOpen = (key: Bytes, nonce: Bytes, ad: Bytes, ct: Bytes): Bytes | undefined => {
    ops++;
    if (ct.length < AEAD_TAG_BYTES) return undefined;
    for (let i = 0; i < MAGIC_AEAD.length; i++) if (ct[i] !== MAGIC_AEAD[i]) return undefined;
    const rec = sealed[new DataView(ct.buffer, ct.byteOffset, ct.byteLength).getUint32(MAGIC_AEAD.length)];
    // the ciphertext is exactly the handle it was sealed as: magic, serial number, zeros, its length
    if (!rec || ct.length !== rec.pt.length + AEAD_TAG_BYTES || !equalBytes(rec.key, key) || !equalBytes(rec.nonce, nonce) || !equalBytes(rec.ad, ad)) return undefined;
    if (!isZero(ct, HEADER)) return undefined;
    return rec.pt.slice();
  };
  const symSig = (signKey: Bytes, msg: Bytes, context: Bytes): Bytes =>
    pad(concat(MAGIC_SIG, real.hmacSha256(signKey, concat(new Uint8Array([context.length]), context, msg))), DSA_SIG_BYTES);
  const transportSeal = aeadSeal(12, real.transportSeal);

  return {
    ...real,
    name: 'symbolic',
    kemKeys,
    dsaKeys,
    encapsulations,
    operations: () => ops,
    aeadSeal: aeadSeal(24, real.aeadSeal),
    aeadOpen,
    argon2id: (password, salt, params, length) => {
      ops++;
      return argon2idStandIn(password, salt, params, length);
    },
    transportSeal,
    // never the real backend's: its frames would carry real ciphertexts
    transportSealAfter: (prefix, key, nonce, ad, pt) => transportSeal(key, nonce, ad, pt, prefix),
    transportOpen: aeadOpen,
    sigKeygen(seed: Bytes): KeyPair {
      ops++;
      if (seed.length !== 32) throw new CryptoError('REQ-CRY-003', 'ML-DSA seed must be 32 bytes');
      const publicKey = dsaPk(seed);
      dsaKeys.set(handle(publicKey, MAGIC_DSA_PK, DSA_PK_BYTES)!, { publicKey, seed: seed.slice(), signKey: h('dsa sign key', seed) });
      return { publicKey, secretKey: pad(concat(MAGIC_DSA_SK, seed), DSA_SK_BYTES) };
    },
    sign(sk: Bytes, msg: Bytes, context: Bytes): Bytes {
      ops++;
      const seed = dsaSeedOfSk(sk);
      if (!seed) throw new CryptoError('REQ-CRY-003', 'not a symbolic ML-DSA secret key');
      if (context.length > 255) throw new CryptoError('REQ-CRY-009', 'context longer than 255 bytes');
      return symSig(h('dsa sign key', seed), msg, context);
    },
    verify(pk: Bytes, msg: Bytes, context: Bytes, sig: Bytes): boolean {
      ops++;
      const id = handle(pk, MAGIC_DSA_PK, DSA_PK_BYTES);
      const key = id === undefined ? undefined : dsaKeys.get(id);
      if (!key || !equalBytes(key.publicKey, pk) || sig.length !== DSA_SIG_BYTES || context.length > 255) return false;
      // the signature is MAGIC_SIG || mac, zero-padded: compare without building the padded copy
      const mac = real.hmacSha256(key.signKey, concat(new Uint8Array([context.length]), context, msg));
      let d = 0;
      for (let i = 0; i < MAGIC_SIG.length; i++) d |= MAGIC_SIG[i]! ^ sig[i]!;
      for (let i = 0; i < mac.length; i++) d |= mac[i]! ^ sig[MAGIC_SIG.length + i]!;
      return d === 0 && isZero(sig, MAGIC_SIG.length + mac.length);
    },
    kemKeygen(seed: Bytes): KeyPair {
      ops++;
      if (seed.length !== 64) throw new CryptoError('REQ-CRY-001', 'ML-KEM seed must be 64 bytes');
      const publicKey = kemPk(seed);
      kemKeys.set(handle(publicKey, MAGIC_KEM_PK, KEM_PK_BYTES)!, { publicKey, seed: seed.slice() });
      return { publicKey, secretKey: pad(concat(MAGIC_KEM_SK, seed), KEM_SK_BYTES) };
    },
    kemCheckPublicKey: (pk: Bytes): boolean => kemKeyOf(pk) !== undefined,
    kemEncapsulate(pk: Bytes, m: Bytes): Encapsulation {
      ops++;
      const key = kemKeyOf(pk);
      if (!key) throw new CryptoError('REQ-CRY-002', 'not a known symbolic ML-KEM public key');
      const ct = pad(concat(MAGIC_CT, h('kem ct', pk, m)), KEM_CT_BYTES);
      const ss = h('kem ss', key.seed, m);
      encapsulations.set(handle(ct, MAGIC_CT, KEM_CT_BYTES)!, { ct, pk: key.publicKey, ss });
      return { ct, ss };
    },
    kemDecapsulate(ct: Bytes, sk: Bytes): Bytes {
      ops++;
      if (ct.length !== KEM_CT_BYTES) throw new CryptoError('REQ-CRY-001', 'ML-KEM ciphertext of wrong length');
      const seed = kemSeedOfSk(sk);
      if (!seed) throw new CryptoError('REQ-CRY-001', 'not a symbolic ML-KEM secret key');
      const id = handle(ct, MAGIC_CT, KEM_CT_BYTES);
      const rec = id === undefined ? undefined : encapsulations.get(id);
      if (rec && equalBytes(rec.ct, ct) && equalBytes(rec.pk, kemPk(seed))) return rec.ss;
      return h('kem implicit rejection', seed, ct); // like ML-KEM: never fails, yields an unrelated secret
    },
  };

  function kemKeyOf(pk: Bytes): SymbolicKey | undefined {
    const id = handle(pk, MAGIC_KEM_PK, KEM_PK_BYTES);
    const key = id === undefined ? undefined : kemKeys.get(id);
    return key && equalBytes(key.publicKey, pk) ? key : undefined;
  }
}
