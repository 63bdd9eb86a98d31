/**
 * The symbolic crypto backend (spec 11.1): ML-KEM and ML-DSA replaced by opaque handles of the
 * real sizes that only the right key opens or verifies, kept in a per-run table; hashing, key
 * derivation and both AEADs stay real. Every party of a run shares one instance, so that a value
 * made by one is recognised by another, and the instance records what it issued, which is what
 * the Dolev-Yao knowledge closure of the adversary is computed from.
 *
 * Symbolic runs are for breadth and exact secrecy checks; real runs prove the findings hold on
 * the actual bytes. Never use this backend to protect anything.
 */
import { concat, toHex, utf8, type Bytes } from '../impl/bytes.ts';
import { nodeCrypto } from '../impl/crypto/node.ts';
import type { CryptoProvider, Encapsulation, KeyPair } from '../impl/crypto/provider.ts';
import { CryptoError } from '../impl/errors.ts';
import { DSA_PK_BYTES, DSA_SIG_BYTES, KEM_CT_BYTES, KEM_PK_BYTES, KEM_SK_BYTES } from '../impl/suite.ts';

const real = nodeCrypto;
const DSA_SK_BYTES = 4032;
const MAGIC_DSA_SK = utf8('SYMDSA-SK');
const MAGIC_KEM_SK = utf8('SYMKEM-SK');

function pad(prefix: Bytes, n: number): Bytes {
  const out = new Uint8Array(n);
  out.set(prefix.subarray(0, n));
  return out;
}

function h(label: string, ...parts: Bytes[]): Bytes {
  return real.sha256(concat(utf8(`pqroom symbolic ${label}`), ...parts));
}

/** One encapsulation the backend issued: who it is for, and the secret it carries. */
export interface KemRecord {
  /** The recipient's public key (hex). */
  readonly pk: string;
  /** The shared secret. */
  readonly ss: Bytes;
}

/** A symbolic backend instance and its tables. */
export interface SymbolicCrypto extends CryptoProvider {
  /** ML-KEM public key (hex) → the seed it was made from. */
  readonly kemKeys: ReadonlyMap<string, Bytes>;
  /** ML-DSA public key (hex) → the seed it was made from. */
  readonly dsaKeys: ReadonlyMap<string, Bytes>;
  /** Ciphertext (hex) → the encapsulation it carries. */
  readonly encapsulations: ReadonlyMap<string, KemRecord>;
  /** Number of symbolic operations performed, for benchmarks. */
  readonly operations: () => number;
}

/** A fresh symbolic backend (one per run). */
export function symbolicCrypto(): SymbolicCrypto {
  const kemKeys = new Map<string, Bytes>();
  const dsaKeys = new Map<string, Bytes>();
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
  const dsaPk = (seed: Bytes): Bytes => pad(concat(utf8('SYMDSA-PK'), h('dsa pk', seed)), DSA_PK_BYTES);
  const kemPk = (seed: Bytes): Bytes => pad(concat(utf8('SYMKEM-PK'), h('kem pk', seed)), KEM_PK_BYTES);

  return {
    ...real,
    name: 'symbolic',
    kemKeys,
    dsaKeys,
    encapsulations,
    operations: () => ops,
    sigKeygen(seed: Bytes): KeyPair {
      ops++;
      if (seed.length !== 32) throw new CryptoError('REQ-CRY-003', 'ML-DSA seed must be 32 bytes');
      const publicKey = dsaPk(seed);
      dsaKeys.set(toHex(publicKey), seed.slice());
      return { publicKey, secretKey: pad(concat(MAGIC_DSA_SK, seed), DSA_SK_BYTES) };
    },
    sign(sk: Bytes, msg: Bytes, context: Bytes): Bytes {
      ops++;
      const seed = dsaSeedOfSk(sk);
      if (!seed) throw new CryptoError('REQ-CRY-003', 'not a symbolic ML-DSA secret key');
      if (context.length > 255) throw new CryptoError('REQ-CRY-009', 'context longer than 255 bytes');
      return pad(concat(utf8('SYMSIG'), real.hmacSha256(h('dsa sign key', seed), concat(new Uint8Array([context.length]), context, msg))), DSA_SIG_BYTES);
    },
    verify(pk: Bytes, msg: Bytes, context: Bytes, sig: Bytes): boolean {
      ops++;
      const seed = dsaKeys.get(toHex(pk));
      if (!seed || sig.length !== DSA_SIG_BYTES || context.length > 255) return false;
      const expected = pad(concat(utf8('SYMSIG'), real.hmacSha256(h('dsa sign key', seed), concat(new Uint8Array([context.length]), context, msg))), DSA_SIG_BYTES);
      let d = 0;
      for (let i = 0; i < expected.length; i++) d |= expected[i]! ^ sig[i]!;
      return d === 0;
    },
    kemKeygen(seed: Bytes): KeyPair {
      ops++;
      if (seed.length !== 64) throw new CryptoError('REQ-CRY-001', 'ML-KEM seed must be 64 bytes');
      const publicKey = kemPk(seed);
      kemKeys.set(toHex(publicKey), seed.slice());
      return { publicKey, secretKey: pad(concat(MAGIC_KEM_SK, seed), KEM_SK_BYTES) };
    },
    kemCheckPublicKey(pk: Bytes): boolean {
      return pk.length === KEM_PK_BYTES && kemKeys.has(toHex(pk));
    },
    kemEncapsulate(pk: Bytes, m: Bytes): Encapsulation {
      ops++;
      const seed = kemKeys.get(toHex(pk));
      if (!seed) throw new CryptoError('REQ-CRY-002', 'not a known symbolic ML-KEM public key');
      const ct = pad(concat(utf8('SYMCT'), h('kem ct', pk, m)), KEM_CT_BYTES);
      const ss = h('kem ss', seed, m);
      encapsulations.set(toHex(ct), { pk: toHex(pk), ss });
      return { ct, ss };
    },
    kemDecapsulate(ct: Bytes, sk: Bytes): Bytes {
      ops++;
      if (ct.length !== KEM_CT_BYTES) throw new CryptoError('REQ-CRY-001', 'ML-KEM ciphertext of wrong length');
      const seed = kemSeedOfSk(sk);
      if (!seed) throw new CryptoError('REQ-CRY-001', 'not a symbolic ML-KEM secret key');
      const rec = encapsulations.get(toHex(ct));
      if (rec && rec.pk === toHex(kemPk(seed))) return rec.ss;
      return h('kem implicit rejection', seed, ct); // like ML-KEM: never fails, yields an unrelated secret
    },
  };
}
