/**
 * Differential testing of the real backends (spec 3.1): the same seeds, messages and malformed
 * inputs fed to every backend present, and every answer compared (key pairs from seeds,
 * encapsulations, decapsulations with implicit rejection, signatures, verification across
 * backends, refusals of malformed keys, ciphertexts and signatures, Argon2id at small memory and
 * its refusal of a short salt); then the Wycheproof files of
 * `../shared/vectors-external/` on each backend. Used by the tests and by `pqroom audit`, which
 * reports how many cases the backends agreed on.
 */
import { concat, toHex, utf8, type Bytes } from '../bytes.ts';
import { DSA_PK_BYTES, DSA_SIG_BYTES, KEM_CT_BYTES } from '../suite.ts';
import { haveExternalVectors, loadWycheproof, type WycheproofCase } from './external-vectors.ts';
import { nodeCrypto } from './node.ts';
import type { CryptoProvider, Encapsulation, KeyPair } from './provider.ts';

/** The inputs of one differential case. */
export interface DifferentialInput {
  readonly kemSeed: Bytes;
  readonly m: Bytes;
  readonly dsaSeed: Bytes;
  readonly msg: Bytes;
  readonly context: Bytes;
  readonly rnd: Bytes;
  /** Which byte to flip in ciphertexts, signatures and keys (taken modulo their length). */
  readonly flip: number;
}

/** One comparison where the backends did not all answer the same, or not as expected. */
export interface Disagreement {
  readonly check: string;
  /** Each backend's answer (a hash of its output, `true`/`false`, or `throws`). */
  readonly answers: Readonly<Record<string, string>>;
}

/** What a differential campaign found. */
export interface DifferentialResult {
  readonly backends: readonly string[];
  /** Comparisons made. */
  readonly checks: number;
  /** Comparisons on which every backend agreed (and, where there is one, with the expected answer). */
  readonly agreed: number;
  readonly disagreements: readonly Disagreement[];
}

const digest = (b: Bytes): string => toHex(nodeCrypto.sha256(b)).slice(0, 16);

type Answer = Bytes | boolean | KeyPair | Encapsulation;

function answer(f: () => Answer): string {
  try {
    const r = f();
    if (typeof r === 'boolean') return String(r);
    if (r instanceof Uint8Array) return digest(r);
    return 'publicKey' in r ? digest(concat(r.publicKey, r.secretKey)) : digest(concat(r.ct, r.ss));
  } catch {
    return 'throws';
  }
}

function flipped(b: Bytes, at: number): Bytes {
  const c = b.slice();
  c[at % c.length]! ^= 0x01;
  return c;
}

/** Compares every backend on one input; returns the number of checks and the disagreements. */
export function compareBackends(backends: Readonly<Record<string, CryptoProvider>>, x: DifferentialInput): { checks: number; disagreements: Disagreement[] } {
  const names = Object.keys(backends);
  const ref = backends[names[0]!]!;
  const out: Disagreement[] = [];
  let checks = 0;
  /** Every backend answers `f`; they must agree, and equal `expected` when given. */
  const same = (check: string, f: (c: CryptoProvider) => Answer, expected?: string): void => {
    checks++;
    const answers: Record<string, string> = {};
    for (const n of names) answers[n] = answer(() => f(backends[n]!));
    const vals = new Set(Object.values(answers));
    if (vals.size !== 1 || (expected !== undefined && !vals.has(expected))) out.push({ check, answers });
  };
  // ML-KEM-768 (FIPS 203): keys from the seed, encapsulation with m, decapsulation, implicit rejection
  const kem = ref.kemKeygen(x.kemSeed);
  same('ML-KEM KeyGen(d || z)', (c) => c.kemKeygen(x.kemSeed));
  same('ML-KEM Encaps(ek, m)', (c) => c.kemEncapsulate(kem.publicKey, x.m));
  const enc = ref.kemEncapsulate(kem.publicKey, x.m);
  same('ML-KEM Decaps(dk, c)', (c) => c.kemDecapsulate(enc.ct, kem.secretKey), digest(enc.ss));
  same('ML-KEM Decaps of a changed ciphertext (implicit rejection)', (c) => c.kemDecapsulate(flipped(enc.ct, x.flip), kem.secretKey));
  same('ML-KEM Decaps of a truncated ciphertext is refused', (c) => c.kemDecapsulate(enc.ct.subarray(0, KEM_CT_BYTES - 1), kem.secretKey), 'throws');
  const badEk = kem.publicKey.slice();
  badEk[(3 * x.flip) % 1152] = 0xff; // a 12-bit coefficient >= q: fails the FIPS 203 §7.2 modulus check
  badEk[((3 * x.flip) % 1152) + 1]! |= 0x0f;
  same('ML-KEM encapsulation key check (REQ-CRY-002)', (c) => c.kemCheckPublicKey(badEk), 'false');
  same('ML-KEM Encaps to a key failing the check is refused', (c) => c.kemEncapsulate(badEk, x.m), 'throws');
  same('ML-KEM Decaps with a changed hash of ek in dk is refused', (c) => c.kemDecapsulate(enc.ct, flipped(kem.secretKey, 2336 + (x.flip % 32))), 'throws');
  same('ML-KEM KeyGen of a 63-byte seed is refused', (c) => c.kemKeygen(x.kemSeed.subarray(0, 63)), 'throws');
  // ML-DSA-65 (FIPS 204): keys from ξ, hedged signatures with rnd and a context, verification across backends
  const dsa = ref.sigKeygen(x.dsaSeed);
  same('ML-DSA KeyGen(ξ)', (c) => c.sigKeygen(x.dsaSeed));
  same('ML-DSA Sign(sk, M, ctx, rnd)', (c) => c.sign(dsa.secretKey, x.msg, x.context, x.rnd));
  const sig = ref.sign(dsa.secretKey, x.msg, x.context, x.rnd);
  for (const n of names) {
    const theirs = answer(() => backends[n]!.sign(dsa.secretKey, x.msg, x.context, x.rnd));
    if (theirs !== 'throws') same(`ML-DSA Verify of ${n}'s signature`, (c) => c.verify(dsa.publicKey, x.msg, x.context, backends[n]!.sign(dsa.secretKey, x.msg, x.context, x.rnd)), 'true');
  }
  same('ML-DSA Verify of a changed signature', (c) => c.verify(dsa.publicKey, x.msg, x.context, flipped(sig, x.flip)), 'false');
  same('ML-DSA Verify under another context (REQ-CRY-009)', (c) => c.verify(dsa.publicKey, x.msg, concat(x.context, utf8('x')), sig), 'false');
  same('ML-DSA Verify of another message', (c) => c.verify(dsa.publicKey, concat(x.msg, utf8('x')), x.context, sig), 'false');
  same('ML-DSA Verify under a changed public key', (c) => c.verify(flipped(dsa.publicKey, x.flip), x.msg, x.context, sig), 'false');
  same('ML-DSA Verify of a truncated signature', (c) => c.verify(dsa.publicKey, x.msg, x.context, sig.subarray(0, DSA_SIG_BYTES - 1)), 'false');
  same('ML-DSA Verify under a truncated public key', (c) => c.verify(dsa.publicKey.subarray(0, DSA_PK_BYTES - 1), x.msg, x.context, sig), 'false');
  same('ML-DSA Sign with a 256-byte context is refused', (c) => c.sign(dsa.secretKey, x.msg, new Uint8Array(256), x.rnd), 'throws');
  same('ML-DSA Verify with a 256-byte context is false', (c) => c.verify(dsa.publicKey, x.msg, new Uint8Array(256), sig), 'false');
  same('ML-DSA KeyGen of a 31-byte seed is refused', (c) => c.sigKeygen(x.dsaSeed.subarray(0, 31)), 'throws');
  // Argon2id (RFC 9106, REQ-CRY-013; node:crypto's on the native backend where the runtime has it), at small memory
  const lanes = 1 + (x.flip % 2);
  const kdf = { t: 1 + ((x.flip >> 1) % 2), m: 8 * lanes + (x.flip % 57), p: lanes };
  same('Argon2id(password, salt) at small memory', (c) => c.argon2id(x.msg, x.rnd.subarray(0, 16), kdf, 32));
  same('Argon2id with a 7-byte salt is refused', (c) => c.argon2id(x.msg, x.rnd.subarray(0, 7), kdf, 32), 'throws');
  return { checks, disagreements: out };
}

/** The i-th input of a campaign with this seed (derived with HKDF-SHA-256, so that a seed names its cases). */
export function differentialInput(seed: number, i: number): DifferentialInput {
  const prk = nodeCrypto.hkdfExtract(utf8('pqroom differential'), utf8(`${seed}`));
  const take = (label: string, n: number): Bytes => nodeCrypto.hkdfExpand(prk, utf8(`${label} ${i}`), n);
  const lens = take('lengths', 3);
  return { kemSeed: take('kem', 64), m: take('m', 32), dsaSeed: take('dsa', 32), msg: take('msg', 1 + lens[0]! * 2), context: take('ctx', lens[1]! % 64), rnd: take('rnd', 32), flip: lens[2]! };
}

/** `cases` inputs of `seed` through every backend. */
export function differential(backends: Readonly<Record<string, CryptoProvider>>, seed: number, cases: number): DifferentialResult {
  let checks = 0;
  const disagreements: Disagreement[] = [];
  for (let i = 0; i < cases; i++) {
    const r = compareBackends(backends, differentialInput(seed, i));
    checks += r.checks;
    disagreements.push(...r.disagreements);
  }
  return { backends: Object.keys(backends), checks, agreed: checks - disagreements.length, disagreements };
}

const hex = (v: unknown): Bytes => {
  const s = (v as string | undefined) ?? '';
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
};

function refused(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch {
    return true;
  }
}

/** One Wycheproof case on one backend: whether it answered as the file says; undefined when the provider has no such call (external μ). */
type WycheproofCheck = (c: CryptoProvider, t: WycheproofCase) => boolean | undefined;

function signCase(c: CryptoProvider, t: WycheproofCase, sk: Bytes, pk: Bytes): boolean | undefined {
  const ctx = hex(t.ctx);
  const rnd = t.rnd === undefined ? new Uint8Array(32) : hex(t.rnd);
  if (t.result !== 'valid') return refused(() => c.sign(sk, t.msg === undefined ? new Uint8Array(0) : hex(t.msg), ctx, rnd));
  if (t.msg === undefined) return undefined; // signing an external μ: not a call of the provider
  const sig = c.sign(sk, hex(t.msg), ctx, rnd);
  return toHex(sig) === t.sig && c.verify(pk, hex(t.msg), ctx, sig);
}

/** The Wycheproof files of ML-KEM-768 and ML-DSA-65 and how each case is checked on a backend (as impl/crypto/noble.test.ts does for noble). */
export const WYCHEPROOF_PQ: Readonly<Record<string, WycheproofCheck>> = {
  'mlkem_768_keygen_seed_test.json': (c, t) => {
    const kp = c.kemKeygen(hex(t.seed));
    return toHex(kp.publicKey) === t.ek && toHex(kp.secretKey) === t.dk;
  },
  'mlkem_768_encaps_test.json': (c, t) => {
    const ek = hex(t.ek);
    if (t.result !== 'valid') return !c.kemCheckPublicKey(ek) && refused(() => c.kemEncapsulate(ek, hex(t.m)));
    const e = c.kemEncapsulate(ek, hex(t.m));
    return c.kemCheckPublicKey(ek) && toHex(e.ct) === t.c && toHex(e.ss) === t.K;
  },
  'mlkem_768_test.json': (c, t) => {
    if (t.result !== 'valid') return refused(() => c.kemDecapsulate(hex(t.c), c.kemKeygen(hex(t.seed)).secretKey));
    const kp = c.kemKeygen(hex(t.seed));
    return (t.ek === undefined || toHex(kp.publicKey) === t.ek) && toHex(c.kemDecapsulate(hex(t.c), kp.secretKey)) === t.K;
  },
  'mlkem_768_semi_expanded_decaps_test.json': (c, t) =>
    t.result === 'valid' ? toHex(c.kemDecapsulate(hex(t.c), hex(t.dk))) === t.K : refused(() => c.kemDecapsulate(hex(t.c), hex(t.dk))),
  'mldsa_65_sign_seed_test.json': (c, t) => {
    const seed = hex(t.group.privateSeed);
    if (seed.length !== 32) return refused(() => c.sigKeygen(seed));
    const kp = c.sigKeygen(seed);
    if (toHex(kp.publicKey) !== t.group.publicKey) return false;
    return signCase(c, t, kp.secretKey, kp.publicKey);
  },
  'mldsa_65_sign_noseed_test.json': (c, t) => signCase(c, t, hex(t.group.privateKey), hex(t.group.publicKey)),
  'mldsa_65_verify_test.json': (c, t) => c.verify(hex(t.group.publicKey), hex(t.msg), hex(t.ctx), hex(t.sig)) === (t.result === 'valid'),
};

/** Wycheproof results of one backend: cases run, cases answered as the file says, cases not applicable, failures by name. */
export interface WycheproofResult {
  readonly cases: number;
  readonly passed: number;
  readonly notApplicable: number;
  readonly failures: readonly string[];
}

/** Runs every ML-KEM-768 and ML-DSA-65 Wycheproof case on `c`; undefined when the external vectors are absent. */
export function wycheproof(c: CryptoProvider): WycheproofResult | undefined {
  if (!haveExternalVectors()) return undefined;
  let cases = 0;
  let passed = 0;
  let notApplicable = 0;
  const failures: string[] = [];
  for (const [file, check] of Object.entries(WYCHEPROOF_PQ)) {
    for (const t of loadWycheproof(file)) {
      cases++;
      let ok: boolean | undefined;
      try {
        ok = check(c, t);
      } catch {
        ok = false;
      }
      if (ok === undefined) notApplicable++;
      else if (ok) passed++;
      else failures.push(`${file} tcId ${t.tcId}`);
    }
  }
  return { cases, passed, notApplicable, failures };
}
