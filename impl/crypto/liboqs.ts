/**
 * The liboqs backend (spec 3.1): ML-KEM-768 (FIPS 203) and ML-DSA-65 (FIPS 204) from liboqs 0.15
 * compiled to WebAssembly (@oqs/liboqs-js); hashing and both AEADs as in `nodeCrypto`.
 *
 * The package's JavaScript wrapper offers only randomised key generation and encapsulation and
 * signatures with an empty context, so this module drives the WebAssembly module itself, through
 * liboqs's public structs (`OQS_KEM`, `OQS_SIG` of liboqs 0.15, wasm32 layout):
 * - ML-KEM: `keypair_derand(pk, sk, d || z)`, the de-randomised key generation (REQ-CRY-001);
 *   `decaps`; and `encaps`, which draws its 32 random bytes `m` from the module's entropy import.
 *   (`encaps_derand` exists in the struct, but in this build it is a stub that traps.)
 * - ML-DSA: `keypair`, and signing and verification with a context string (REQ-CRY-009). liboqs has
 *   no de-randomised ML-DSA key generation or signing: both draw their 32 random bytes (ξ, rnd) from
 *   the entropy import. The builds on npm (0.15.1, and @openforge-sh/liboqs 0.14.3 alike) have no
 *   working `sign_with_ctx_str` and `verify_with_ctx_str`: nothing in them calls those, and the
 *   optimiser replaced their bodies with a trap. But their context-free `sign` and `verify` are each
 *   one call to mldsa-native's `signature` and `verify` with ctx = NULL, ctxlen = 0, and those take
 *   a context: a load-time self-test finds the trap, the code of `sign` and `verify` names the
 *   functions they call, and a fresh instance is made with those two exported and called with the
 *   caller's context. A known answer (noble's signature) is checked at load; without it, signing
 *   and verification stay with noble (`origins` says which).
 * The entropy import is fed from a tape holding exactly the seed, `m` or `rnd` the caller passed,
 * and a call that draws any other number of bytes is an error: so every output is a function of
 * the inputs, as noble's is (tested against noble and against Wycheproof).
 * Those entry points are reachable only through the structs' function pointers, that is through
 * the module's function table, which the build does not export: the module is instantiated with
 * one export added for it (impl/crypto/wasm-table.ts). Loading fails, and the backend reports
 * itself unavailable with the reason, if the struct layout or the entropy import is not what this
 * module expects.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bytes } from '../bytes.ts';
import { CryptoError } from '../errors.ts';
import { DSA_PK_BYTES, DSA_SEED_BYTES, DSA_SIG_BYTES, KEM_CT_BYTES, KEM_PK_BYTES, KEM_SEED_BYTES, KEM_SK_BYTES } from '../suite.ts';
import { mlKemPublicKeyIsValid } from './noble.ts';
import { nodeCrypto } from './node.ts';
import type { CryptoProvider, Encapsulation, KeyPair } from './provider.ts';
import { exportFunctionTable, forwardedCall, tableFunction, type Forwarded } from './wasm-table.ts';

/** ML-DSA-65 secret key size (FIPS 204 Table 2). */
const DSA_SK_BYTES = 4032;
const SS_BYTES = 32;
const RND_BYTES = 32;
const MAX_CONTEXT = 255;
const TABLE_EXPORT = 'pqroom_function_table';
const SIGN_EXPORT = 'pqroom_ml_dsa_sign';
const VERIFY_EXPORT = 'pqroom_ml_dsa_verify';
/**
 * SHA-256 of the ML-DSA-65 signature of the message 01 with the context 01 and rnd = 32 zero bytes,
 * under the key of the all-zero seed, as noble computes it (the load-time known answer; the test
 * of this module recomputes it with noble).
 */
export const SIGN_KNOWN_ANSWER = '8b14cd6e4d1498b0ab022a1697f26688218d6d73c461df11d8f28b150c4ff498';

/** What an Emscripten module of @oqs/liboqs-js exposes that this backend uses. */
interface Emscripten {
  _malloc(n: number): number;
  _free(p: number): void;
  _OQS_init(): void;
  _OQS_KEM_new?(name: number): number;
  _OQS_SIG_new?(name: number): number;
  lengthBytesUTF8(s: string): number;
  stringToUTF8(s: string, p: number, max: number): void;
}

type WasmFn = (...args: number[]) => number;

/** The random bytes one call may draw, and how many it drew: liboqs reads no random source of its own (REQ-CRY-011). */
class Tape {
  private bytes: Bytes = new Uint8Array(0);
  private drawn = 0;
  private over = false;
  memory: WebAssembly.Memory | undefined;

  /** The module's entropy import: copies the next `len` bytes of the tape to `ptr` (zeros past its end, remembered). */
  fill(ptr: number, len: number): void {
    const out = new Uint8Array(this.memory!.buffer, ptr, len);
    if (this.drawn + len > this.bytes.length) {
      this.over = true;
      out.fill(0);
    } else out.set(this.bytes.subarray(this.drawn, this.drawn + len));
    this.drawn += len;
  }

  /** Runs `f` with `bytes` on the tape; throws unless `f` drew exactly all of them. */
  with<T>(bytes: Bytes, what: string, f: () => T): T {
    this.bytes = bytes;
    this.drawn = 0;
    this.over = false;
    try {
      const r = f();
      if (this.over || this.drawn !== bytes.length) throw new CryptoError('REQ-CRY-011', `liboqs ${what} drew ${this.drawn} random bytes, expected ${bytes.length}`);
      return r;
    } finally {
      this.bytes = new Uint8Array(0);
    }
  }
}

/** One instantiated module: its exports, its memory, its function table and its tape. */
interface Instance {
  readonly m: Emscripten;
  readonly memory: WebAssembly.Memory;
  readonly table: WebAssembly.Table;
  readonly tape: Tape;
  /** The module as published (before the rewrite), for reading its code. */
  readonly bytes: Uint8Array;
  readonly exports: WebAssembly.Exports;
}

function packageDir(): string | undefined {
  for (const p of createRequire(import.meta.url).resolve.paths('@oqs/liboqs-js') ?? []) {
    const dir = join(p, '@oqs', 'liboqs-js');
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

/**
 * Instantiates one algorithm's module with its function table exported and its entropy import
 * replaced by a tape. The Emscripten loader calls `WebAssembly.instantiate(bytes, imports)`
 * itself, so that call is intercepted for the duration of the load (and only a call whose imports
 * have the entropy function, a two-argument function filling `HEAPU8.subarray(ptr, ptr + len)`).
 */
async function instantiate(file: string, functions: Readonly<Record<string, number>> = {}): Promise<Instance> {
  const factory = ((await import(pathToFileURL(file).href)) as { default: () => Promise<Emscripten> }).default;
  const tape = new Tape();
  let exports: WebAssembly.Exports | undefined;
  let bytes: Uint8Array | undefined;
  const original = WebAssembly.instantiate;
  const hooked = async (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    const entropy = imports
      ? Object.entries(imports).flatMap(([ns, fns]) =>
          Object.entries(fns).filter(([, f]) => typeof f === 'function' && f.length === 2 && /\.subarray\(/.test(String(f))).map(([name]) => [ns, name] as const),
        )
      : [];
    if (!(source instanceof Uint8Array || source instanceof ArrayBuffer) || entropy.length !== 1) return (original as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>)(source, imports);
    const [ns, name] = entropy[0]!;
    const patched: WebAssembly.Imports = { ...imports, [ns]: { ...imports![ns], [name]: (ptr: number, len: number) => (tape.fill(ptr, len), 0) } };
    bytes = new Uint8Array(source as ArrayBuffer);
    const r = (await original(exportFunctionTable(bytes, TABLE_EXPORT, functions), patched)) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
    exports = r.instance.exports;
    return r;
  };
  WebAssembly.instantiate = hooked as typeof WebAssembly.instantiate;
  let m: Emscripten;
  try {
    m = await factory();
  } finally {
    WebAssembly.instantiate = original;
  }
  if (!exports || !bytes) throw new Error(`${file}: no entropy import found to feed`);
  const table = exports[TABLE_EXPORT];
  const memory = Object.values(exports).find((e) => e instanceof WebAssembly.Memory);
  if (!(table instanceof WebAssembly.Table) || !(memory instanceof WebAssembly.Memory)) throw new Error(`${file}: no table or memory exported`);
  tape.memory = memory;
  m._OQS_init();
  return { m, memory, table, tape, bytes, exports };
}

/** Memory access and scratch buffers of one instance. */
class Heap {
  private view: Uint8Array;
  constructor(private readonly i: Instance) {
    this.view = new Uint8Array(i.memory.buffer);
  }
  /** A current view of the whole memory (a grown memory detaches the old one). */
  u8(): Uint8Array {
    if (this.view.buffer !== this.i.memory.buffer) this.view = new Uint8Array(this.i.memory.buffer);
    return this.view;
  }
  u32(ptr: number): number {
    return new DataView(this.i.memory.buffer).getUint32(ptr, true);
  }
  alloc(n: number): number {
    const p = this.i.m._malloc(Math.max(1, n));
    if (p === 0) throw new Error('liboqs: out of memory');
    return p;
  }
  put(ptr: number, b: Bytes): void {
    this.u8().set(b, ptr);
  }
  take(ptr: number, n: number): Bytes {
    return this.u8().slice(ptr, ptr + n);
  }
  wipe(ptr: number, n: number): void {
    this.u8().fill(0, ptr, ptr + n);
  }
  /** The function a struct field points to (a function table index). */
  fn(ptr: number): WasmFn {
    const f = this.i.table.get(this.u32(ptr)) as WasmFn | null;
    if (typeof f !== 'function') throw new Error('liboqs: null function pointer');
    return f;
  }
  /** The struct `new(name)` returns, after checking its `size_t` fields (wasm32: 4 bytes) from `at`. */
  struct(make: ((name: number) => number) | undefined, name: string, at: number, sizes: readonly number[]): number {
    if (!make) throw new Error(`liboqs: no constructor for ${name}`);
    const n = this.i.m.lengthBytesUTF8(name) + 1;
    const np = this.alloc(n);
    this.i.m.stringToUTF8(name, np, n);
    const s = make(np);
    this.i.m._free(np);
    if (s === 0) throw new Error(`liboqs: ${name} is not enabled in this build`);
    const got = sizes.map((_, i) => this.u32(s + at + 4 * i));
    if (got.join() !== sizes.join()) throw new Error(`liboqs: ${name} struct layout not as expected (sizes ${got.join(', ')}, expected ${sizes.join(', ')})`);
    return s;
  }
}

/** ML-KEM-768 through `OQS_KEM`: method_name, alg_version, level, ind_cca, six size_t, then the functions. */
function mlKem768(i: Instance): Pick<CryptoProvider, 'kemKeygen' | 'kemEncapsulate' | 'kemDecapsulate'> {
  const h = new Heap(i);
  const s = h.struct(i.m._OQS_KEM_new?.bind(i.m), 'ML-KEM-768', 12, [KEM_PK_BYTES, KEM_SK_BYTES, KEM_CT_BYTES, SS_BYTES, KEM_SEED_BYTES, 32]);
  const keypairDerand = h.fn(s + 36);
  const encaps = h.fn(s + 48);
  const decaps = h.fn(s + 52);
  const pk = h.alloc(KEM_PK_BYTES);
  const sk = h.alloc(KEM_SK_BYTES);
  const ct = h.alloc(KEM_CT_BYTES);
  const ss = h.alloc(SS_BYTES);
  const seed = h.alloc(KEM_SEED_BYTES);
  const none = new Uint8Array(0);
  return {
    kemKeygen(d: Bytes): KeyPair {
      if (d.length !== KEM_SEED_BYTES) throw new CryptoError('REQ-CRY-001', 'ML-KEM seed must be 64 bytes');
      h.put(seed, d);
      const rc = i.tape.with(none, 'ML-KEM keypair_derand', () => keypairDerand(pk, sk, seed));
      if (rc !== 0) throw new CryptoError('REQ-CRY-001', 'ML-KEM key generation failed');
      const out = { publicKey: h.take(pk, KEM_PK_BYTES), secretKey: h.take(sk, KEM_SK_BYTES) };
      h.wipe(sk, KEM_SK_BYTES);
      h.wipe(seed, KEM_SEED_BYTES);
      return out;
    },
    kemEncapsulate(publicKey: Bytes, m: Bytes): Encapsulation {
      if (!mlKemPublicKeyIsValid(publicKey)) throw new CryptoError('REQ-CRY-002', 'ML-KEM encapsulation key check failed');
      if (m.length !== 32) throw new CryptoError('REQ-CRY-001', 'ML-KEM encapsulation randomness must be 32 bytes');
      h.put(pk, publicKey);
      const rc = i.tape.with(m, 'ML-KEM encaps', () => encaps(ct, ss, pk));
      if (rc !== 0) throw new CryptoError('REQ-CRY-002', 'ML-KEM encapsulation failed');
      const out = { ct: h.take(ct, KEM_CT_BYTES), ss: h.take(ss, SS_BYTES) };
      h.wipe(ss, SS_BYTES);
      return out;
    },
    kemDecapsulate(ciphertext: Bytes, secretKey: Bytes): Bytes {
      if (ciphertext.length !== KEM_CT_BYTES) throw new CryptoError('REQ-CRY-001', 'ML-KEM ciphertext of wrong length');
      if (secretKey.length !== KEM_SK_BYTES) throw new CryptoError('REQ-CRY-001', 'ML-KEM decapsulation key of wrong length');
      h.put(ct, ciphertext);
      h.put(sk, secretKey);
      const rc = i.tape.with(none, 'ML-KEM decaps', () => decaps(ss, ct, sk));
      h.wipe(sk, KEM_SK_BYTES);
      // FIPS 203 §7.3 decapsulation key check (the hash of ek inside dk) failed
      if (rc !== 0) throw new CryptoError('REQ-CRY-001', 'ML-KEM decapsulation key check failed');
      const out = h.take(ss, SS_BYTES);
      h.wipe(ss, SS_BYTES);
      return out;
    },
  };
}

/** Where s1 and s2 lie in an ML-DSA-65 secret key: after ρ, K and tr; l + k = 11 polynomials of 256 4-bit coefficients (FIPS 204 Algorithm 24). */
const S1S2 = { start: 128, end: 128 + 11 * 128 } as const;

/**
 * Whether every coefficient of s1 and s2 in a secret key is in [-η, η] (η = 4: encoded as η - x,
 * a nibble of at most 8), as skDecode must find them; noble refuses a key outside it, and
 * mldsa-native would sign with it (Wycheproof's "s1 vector out of range" cases).
 */
function mlDsaSecretKeyInRange(sk: Bytes): boolean {
  for (let i = S1S2.start; i < S1S2.end; i++) {
    const b = sk[i]!;
    if ((b & 0x0f) > 8 || b >> 4 > 8) return false;
  }
  return true;
}

/**
 * The ML-DSA-65 functions of one instance; `sign` and `verify` are absent when its context-string
 * entry points failed the self-test, and then `forwarded` names the functions to export from a
 * fresh instance to try instead (when they were found).
 */
type MlDsa = Pick<CryptoProvider, 'sigKeygen'> & Partial<Pick<CryptoProvider, 'sign' | 'verify'>> & { readonly forwarded?: Readonly<Record<string, number>> };

/** What liboqs's `sign(sig, siglen, m, mlen, sk)` and `verify(m, mlen, sig, siglen, pk)` pass on: FIPS 204 with an empty context (ctx = NULL, ctxlen = 0). */
const SIGN_FORWARDS: readonly Forwarded[] = [{ param: 0 }, { param: 1 }, { param: 2 }, { param: 3 }, { constant: 0 }, { constant: 0 }, { param: 4 }];
const VERIFY_FORWARDS: readonly Forwarded[] = [{ param: 2 }, { param: 3 }, { param: 0 }, { param: 1 }, { constant: 0 }, { constant: 0 }, { param: 4 }];

/** The function the one in table slot `slot` forwards to, when it passes exactly `args`. */
function forwardsTo(bytes: Uint8Array, slot: number, args: readonly Forwarded[]): number | undefined {
  const f = tableFunction(bytes, slot);
  const call = f === undefined ? undefined : forwardedCall(bytes, f);
  return call && JSON.stringify(call.args) === JSON.stringify(args) ? call.callee : undefined;
}

/**
 * The signing and verification functions that take a context string, as the context-free entry
 * points call them: in the published builds, `sign_with_ctx_str` and `verify_with_ctx_str` trap,
 * but `sign` and `verify` are one call each to mldsa-native's `signature(sig, siglen, m, mlen,
 * ctx, ctxlen, sk)` and `verify(sig, siglen, m, mlen, ctx, ctxlen, pk)` with an empty context,
 * which build M' = 0 || len(ctx) || ctx || M themselves (FIPS 204 Algorithms 2 and 3, REQ-CRY-009).
 */
function contextEntryPoints(i: Instance, signSlot: number, verifySlot: number): Record<string, number> | undefined {
  const sign = forwardsTo(i.bytes, signSlot, SIGN_FORWARDS);
  const verify = forwardsTo(i.bytes, verifySlot, VERIFY_FORWARDS);
  return sign === undefined || verify === undefined ? undefined : { [SIGN_EXPORT]: sign, [VERIFY_EXPORT]: verify };
}

/** ML-DSA-65 through `OQS_SIG`: method_name, alg_version, four flags, three size_t, then the functions. */
function mlDsa65(i: Instance): MlDsa {
  const h = new Heap(i);
  const s = h.struct(i.m._OQS_SIG_new?.bind(i.m), 'ML-DSA-65', 12, [DSA_PK_BYTES, DSA_SK_BYTES, DSA_SIG_BYTES]);
  if (h.u8()[s + 11] !== 1) throw new Error('liboqs: ML-DSA-65 without context-string support');
  const keypair = h.fn(s + 24);
  // the context-string entry points: the ones the rewrite exported when this instance has them, else the struct's
  const exportedSign = i.exports[SIGN_EXPORT];
  const exportedVerify = i.exports[VERIFY_EXPORT];
  const signCtx: WasmFn = typeof exportedSign === 'function' ? (exportedSign as WasmFn) : h.fn(s + 32);
  const verifyCtx: WasmFn =
    typeof exportedVerify === 'function' ? (m, ml, sg, sl, c, cl, pk) => (exportedVerify as WasmFn)(sg!, sl!, m!, ml!, c!, cl!, pk!) : h.fn(s + 40);
  const pk = h.alloc(DSA_PK_BYTES);
  const sk = h.alloc(DSA_SK_BYTES);
  const sig = h.alloc(DSA_SIG_BYTES);
  const sigLen = h.alloc(4);
  const ctx = h.alloc(MAX_CONTEXT);
  let msg = h.alloc(4096);
  let msgCap = 4096;
  const putMessage = (b: Bytes): void => {
    if (b.length > msgCap) {
      i.m._free(msg);
      msgCap = Math.max(b.length, 2 * msgCap);
      msg = h.alloc(msgCap);
    }
    h.put(msg, b);
  };
  const sigKeygen = (seed: Bytes): KeyPair => {
    if (seed.length !== DSA_SEED_BYTES) throw new CryptoError('REQ-CRY-003', 'ML-DSA seed must be 32 bytes');
    const rc = i.tape.with(seed, 'ML-DSA keypair', () => keypair(pk, sk));
    if (rc !== 0) throw new CryptoError('REQ-CRY-003', 'ML-DSA key generation failed');
    const out = { publicKey: h.take(pk, DSA_PK_BYTES), secretKey: h.take(sk, DSA_SK_BYTES) };
    h.wipe(sk, DSA_SK_BYTES);
    return out;
  };
  const sign = (secretKey: Bytes, message: Bytes, context: Bytes, rnd: Bytes): Bytes => {
    if (secretKey.length !== DSA_SK_BYTES) throw new CryptoError('REQ-CRY-003', 'ML-DSA secret key of wrong length');
    if (!mlDsaSecretKeyInRange(secretKey)) throw new CryptoError('REQ-CRY-003', 'ML-DSA secret key with s1 or s2 out of range');
    if (context.length > MAX_CONTEXT) throw new CryptoError('REQ-CRY-009', 'context longer than 255 bytes');
    if (rnd.length !== RND_BYTES) throw new CryptoError('REQ-CRY-003', 'ML-DSA signing randomness must be 32 bytes');
    h.put(sk, secretKey);
    h.put(ctx, context);
    putMessage(message);
    new DataView(i.memory.buffer).setUint32(sigLen, DSA_SIG_BYTES, true);
    // rnd is the 32 bytes the hedged signing draws (FIPS 204 Algorithm 2 line 5): the party's, from its injected generator (REQ-CRY-011)
    const rc = i.tape.with(rnd, 'ML-DSA sign', () => signCtx(sig, sigLen, msg, message.length, ctx, context.length, sk));
    h.wipe(sk, DSA_SK_BYTES);
    if (rc !== 0 || h.u32(sigLen) !== DSA_SIG_BYTES) throw new CryptoError('REQ-CRY-003', 'ML-DSA signing failed');
    return h.take(sig, DSA_SIG_BYTES);
  };
  const verify = (publicKey: Bytes, message: Bytes, context: Bytes, signature: Bytes): boolean => {
    if (publicKey.length !== DSA_PK_BYTES || signature.length !== DSA_SIG_BYTES || context.length > MAX_CONTEXT) return false;
    h.put(pk, publicKey);
    h.put(sig, signature);
    h.put(ctx, context);
    putMessage(message);
    return i.tape.with(new Uint8Array(0), 'ML-DSA verify', () => verifyCtx(msg, message.length, sig, DSA_SIG_BYTES, ctx, context.length, pk)) === 0;
  };
  // self-test: a known answer (noble's signature), verified with its context and refused with another
  try {
    const k = sigKeygen(new Uint8Array(DSA_SEED_BYTES));
    const one = new Uint8Array([1]);
    const known = sign(k.secretKey, one, one, new Uint8Array(RND_BYTES));
    const hex = Buffer.from(nodeCrypto.sha256(known)).toString('hex');
    if (hex === SIGN_KNOWN_ANSWER && verify(k.publicKey, one, one, known) && !verify(k.publicKey, one, Uint8Array.of(2), known)) return { sigKeygen, sign, verify };
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
  }
  const forwarded = typeof exportedSign === 'function' ? undefined : contextEntryPoints(i, h.u32(s + 28), h.u32(s + 36));
  return forwarded ? { sigKeygen, forwarded } : { sigKeygen };
}

/** A backend that loaded, or why it did not. */
export type Loaded = { readonly provider: CryptoProvider; readonly unavailable?: undefined } | { readonly provider?: undefined; readonly unavailable: string };

/** Where each public-key primitive of the liboqs backend comes from. */
function origins(dsa: MlDsa): Record<string, string> {
  const oqs = 'liboqs 0.15 (wasm)';
  const noble = 'noble'; // this liboqs build has no ML-DSA with a context string
  return { kemKeygen: oqs, kemEncapsulate: oqs, kemDecapsulate: oqs, sigKeygen: oqs, sign: dsa.sign ? oqs : noble, verify: dsa.verify ? oqs : noble };
}

/** Loads both modules; never throws (a failure is reported as the backend being unavailable). */
export async function loadLiboqs(): Promise<Loaded> {
  try {
    const dir = packageDir();
    if (!dir) return { unavailable: '@oqs/liboqs-js is not installed' };
    // one after the other: each load intercepts WebAssembly.instantiate while it runs
    const kem = mlKem768(await instantiate(join(dir, 'dist', 'ml-kem-768.min.js')));
    const file = join(dir, 'dist', 'ml-dsa-65.min.js');
    let dsa = mlDsa65(await instantiate(file));
    // a fresh instance (the probe may have trapped in the first), with the functions the
    // context-free entry points forward to exported when they were found, else noble signs
    if (!dsa.sign && dsa.forwarded) dsa = mlDsa65(await instantiate(file, dsa.forwarded));
    if (!dsa.sign) dsa = { sigKeygen: mlDsa65(await instantiate(file)).sigKeygen };
    const provider: CryptoProvider = { ...nodeCrypto, name: 'liboqs', origins: origins(dsa), kemCheckPublicKey: mlKemPublicKeyIsValid, ...kem, ...dsa };
    return { provider };
  } catch (e) {
    return { unavailable: `liboqs could not be loaded: ${(e as Error).message}` };
  }
}
