/**
 * Injected randomness (spec 3.7, REQ-CRY-011): the generator interface, the platform CSPRNG,
 * and the deterministic HMAC_DRBG of NIST SP 800-90A Rev. 1 §10.1.2 (SHA-256) used for
 * reproducible runs and vectors. The DRBG's state is a plain value; generation is pure.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, utf8, type Bytes } from './bytes.ts';

/** A source of random bytes, given to a party (never read from a global). */
export interface Rng {
  /** Returns `n` fresh random bytes. */
  bytes(n: number): Bytes;
}

/** HMAC_DRBG working state `(K, V)` (SP 800-90A §10.1.2.1). */
export interface DrbgState {
  /** The key K (32 bytes). */
  readonly k: Bytes;
  /** The value V (32 bytes). */
  readonly v: Bytes;
}

/** HMAC-SHA-256 as the DRBG uses it; a crypto provider's `hmacSha256` may stand in (same function, maybe faster). */
export type HmacSha256 = (key: Bytes, data: Bytes) => Bytes;
const nobleHmac: HmacSha256 = (key, data) => hmac(sha256, key, data);

const ZERO = new Uint8Array([0]);
const ONE = new Uint8Array([1]);

/** HMAC_DRBG_Update (SP 800-90A §10.1.2.2). */
function update(provided: Bytes, s: DrbgState, mac: HmacSha256 = nobleHmac): DrbgState {
  let k = mac(s.k, concat(s.v, ZERO, provided));
  let v = mac(k, s.v);
  if (provided.length === 0) return { k, v };
  k = mac(k, concat(v, ONE, provided));
  v = mac(k, v);
  return { k, v };
}

/** Personalisation string: the full label of `drbg` (spec 3.6). */
export const DRBG_PERSONALIZATION = utf8('pqroom/v1 drbg');

/**
 * HMAC_DRBG_Instantiate (SP 800-90A §10.1.2.3) with `entropy_input = seed`, an empty nonce and
 * the personalisation string `pqroom/v1 drbg` (spec 3.7). `mac` (HMAC-SHA-256, noble by default)
 * only changes the speed: a provider's HMAC gives the same state.
 */
export function drbgInstantiate(seed: Bytes, mac?: HmacSha256): DrbgState {
  const init: DrbgState = { k: new Uint8Array(32), v: new Uint8Array(32).fill(1) };
  return update(concat(seed, DRBG_PERSONALIZATION), init, mac);
}

/** HMAC_DRBG_Generate (SP 800-90A §10.1.2.5) without additional input: `n` bytes and the next state. */
export function drbgGenerate(state: DrbgState, n: number, mac: HmacSha256 = nobleHmac): readonly [Bytes, DrbgState] {
  const out = new Uint8Array(n);
  let v = state.v;
  let o = 0;
  while (o < n) {
    v = mac(state.k, v);
    out.set(v.subarray(0, Math.min(32, n - o)), o);
    o += 32;
  }
  return [out, update(new Uint8Array(0), { k: state.k, v }, mac)];
}

/** A generator whose current state can be read back, for pure state machines. */
export interface StatefulRng extends Rng {
  /** The state after every byte drawn so far. */
  state(): DrbgState;
}

/**
 * A generator continuing from `state`; reading `state()` afterwards gives the state to store.
 * `mac` must compute HMAC-SHA-256 (a provider's native one is faster than the default, noble's).
 */
export function rngFromState(state: DrbgState, mac?: HmacSha256): StatefulRng {
  let s = state;
  return {
    bytes(n: number): Bytes {
      const [b, next] = drbgGenerate(s, n, mac);
      s = next;
      return b;
    },
    state: () => s,
  };
}

/**
 * A deterministic generator for tests, simulations and vectors: the same seed always gives
 * the same bytes. Never use it to protect anything real. `mac` (HMAC-SHA-256, noble by default) only
 * changes the speed: a provider's HMAC gives the same bytes.
 */
export function deterministicRng(seed: Bytes, mac?: HmacSha256): StatefulRng {
  return rngFromState(drbgInstantiate(seed, mac), mac);
}

/** The platform CSPRNG (`crypto.getRandomValues`), for real deployments. */
export const systemRng: Rng = {
  bytes(n: number): Bytes {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 65536) globalThis.crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
    return out;
  },
};
