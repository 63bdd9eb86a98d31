/**
 * Argon2id implementations for the vault (spec 5.10, REQ-KEY-010). The vault KDF runs once per
 * unlock with large memory, so it may be asynchronous and it is worth the fastest code that runs
 * both in Node and in browsers: hash-wasm (WebAssembly), about 4 times noble's speed here
 * (`npm run bench:argon2`). noble stays the synchronous implementation of the crypto provider
 * (the login's KDF runs inside machines, which do not wait). Where the runtime has node:crypto's
 * Argon2id (Node 24.7 and later, impl/crypto/argon2-node.ts) it is tried too, as `node`.
 *
 * RFC 9106's test vector (section 5.3) uses a secret and associated data; hash-wasm takes no
 * associated data, so the vector is checked on noble and node, and hash-wasm and node are checked
 * against noble on the inputs pqroom uses (no secret, no associated data), in
 * impl/crypto/argon2.test.ts and impl/crypto/argon2-node.test.ts.
 */
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { argon2id as wasmArgon2id } from 'hash-wasm';
import { concat, toHex, u32be, type Bytes } from '../bytes.ts';
import { nodeArgon2id } from './argon2-node.ts';
import type { Argon2Params, CryptoProvider } from './provider.ts';

/** An Argon2id (version 0x13) without secret or associated data. */
export type Argon2idAsync = (password: Bytes, salt: Bytes, params: Argon2Params, length: number) => Promise<Bytes>;

/** The implementations tried, by name: `node` only where the runtime has it. */
export const ARGON2ID: { readonly 'hash-wasm': Argon2idAsync; readonly noble: Argon2idAsync; readonly node?: Argon2idAsync } = {
  'hash-wasm': (password, salt, p, length) =>
    wasmArgon2id({ password, salt, iterations: p.t, parallelism: p.p, memorySize: p.m, hashLength: length, outputType: 'binary' }),
  noble: async (password, salt, p, length) => nobleArgon2id(password, salt, { t: p.t, m: p.m, p: p.p, dkLen: length, version: 0x13 }),
  ...(nodeArgon2id ? { node: nodeArgon2id.async } : {}),
};

/** The fastest of them, the vault's default: hash-wasm (node's, where present, is 1.2 to 1.7 times slower here: reports/results.md, session 41). */
export const fastestArgon2id: Argon2idAsync = ARGON2ID['hash-wasm'];

/** A crypto provider whose synchronous Argon2id answers from derivations made beforehand, asynchronously (see {@link precomputedArgon2id}). */
export interface PrecomputedArgon2id {
  /** The provider: `base` with an Argon2id that returns a precomputed result when it has one, else `base`'s. */
  readonly provider: CryptoProvider;
  /** Derives with `derive` (default: the fastest, WebAssembly) and keeps the result for `provider`. */
  precompute(password: Bytes, salt: Bytes, params: Argon2Params, length: number): Promise<Bytes>;
  /** How many calls the kept results answered, and how many fell back to `base`. */
  readonly counts: { readonly hits: number; readonly misses: number };
}

/**
 * The login's Argon2id (REQ-LOG-001) runs inside the login machine, which does not wait; a page
 * that knows the salt and parameters beforehand (its pin, REQ-LOG-017, or the salt it registers
 * with) derives the seed asynchronously in WebAssembly first, and the machine's synchronous call
 * finds it. The result is the same function of the same inputs (RFC 9106); an input not derived
 * beforehand (a salt the relay serves to a device without pin) falls back to `base`.
 */
export function precomputedArgon2id(base: CryptoProvider, derive: Argon2idAsync = fastestArgon2id): PrecomputedArgon2id {
  const kept = new Map<string, Bytes>();
  const counts = { hits: 0, misses: 0 };
  // kept under a digest of the inputs (the password is not copied into the keys)
  const key = (password: Bytes, salt: Bytes, p: Argon2Params, length: number): string => `${toHex(base.sha256(concat(u32be(password.length), password, salt)))}|${p.m}|${p.t}|${p.p}|${length}`;
  return {
    provider: {
      ...base,
      argon2id(password, salt, params, length) {
        const hit = kept.get(key(password, salt, params, length));
        if (hit) counts.hits++;
        else counts.misses++;
        return hit ? hit.slice() : base.argon2id(password, salt, params, length);
      },
    },
    async precompute(password, salt, params, length) {
      const out = await derive(password, salt, params, length);
      kept.set(key(password, salt, params, length), out);
      return out;
    },
    counts,
  };
}
