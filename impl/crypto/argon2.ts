/**
 * Argon2id implementations for the vault (spec 5.10, REQ-KEY-010). The vault KDF runs once per
 * unlock with large memory, so it may be asynchronous and it is worth the fastest code that runs
 * both in Node and in browsers: hash-wasm (WebAssembly), about 4 times noble's speed here
 * (`npm run bench:argon2`). noble stays the synchronous implementation of the crypto provider
 * (the login's KDF runs inside machines, which do not wait).
 *
 * RFC 9106's test vector (section 5.3) uses a secret and associated data; hash-wasm takes no
 * associated data, so the vector is checked on noble and hash-wasm is checked against noble on
 * the inputs pqroom uses (no secret, no associated data), in impl/crypto/argon2.test.ts.
 */
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { argon2id as wasmArgon2id } from 'hash-wasm';
import type { Bytes } from '../bytes.ts';
import type { Argon2Params } from './provider.ts';

/** An Argon2id (version 0x13) without secret or associated data. */
export type Argon2idAsync = (password: Bytes, salt: Bytes, params: Argon2Params, length: number) => Promise<Bytes>;

/** The implementations tried, by name. */
export const ARGON2ID: Readonly<Record<'hash-wasm' | 'noble', Argon2idAsync>> = {
  'hash-wasm': (password, salt, p, length) =>
    wasmArgon2id({ password, salt, iterations: p.t, parallelism: p.p, memorySize: p.m, hashLength: length, outputType: 'binary' }),
  noble: async (password, salt, p, length) => nobleArgon2id(password, salt, { t: p.t, m: p.m, p: p.p, dkLen: length, version: 0x13 }),
};

/** The fastest of them, the vault's default. */
export const fastestArgon2id: Argon2idAsync = ARGON2ID['hash-wasm'];
