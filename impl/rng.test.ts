/** The deterministic generator of spec 3.7 against an independent HMAC_DRBG written on node:crypto. */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, toHex, utf8, type Bytes } from './bytes.ts';
import { nodeCrypto } from './crypto/node.ts';
import { deterministicRng, drbgGenerate, drbgInstantiate, rngFromState, systemRng } from './rng.ts';

/** SP 800-90A §10.1.2 HMAC_DRBG, straight from the standard's pseudocode, on node:crypto's HMAC. */
function referenceDrbg(seed: Bytes): (n: number) => Bytes {
  const h = (k: Bytes, d: Bytes): Bytes => new Uint8Array(createHmac('sha256', k).update(d).digest());
  let K: Bytes = new Uint8Array(32);
  let V: Bytes = new Uint8Array(32).fill(1);
  const update = (provided: Bytes): void => {
    K = h(K, concat(V, new Uint8Array([0]), provided));
    V = h(K, V);
    if (provided.length === 0) return;
    K = h(K, concat(V, new Uint8Array([1]), provided));
    V = h(K, V);
  };
  update(concat(seed, utf8('pqroom/v1 drbg')));
  return (n) => {
    let temp: Bytes = new Uint8Array(0);
    while (temp.length < n) {
      V = h(K, V);
      temp = concat(temp, V);
    }
    update(new Uint8Array(0));
    return temp.slice(0, n);
  };
}

describe('REQ-CRY-011 the deterministic generator is HMAC_DRBG of SP 800-90A', () => {
  it('should produce the same bytes as an independent implementation for any seed and request sizes', () =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64, size: 'max' }), fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 8 }), (seed, sizes) => {
        const ours = deterministicRng(seed);
        const ref = referenceDrbg(seed);
        for (const n of sizes) expect(toHex(ours.bytes(n))).toBe(toHex(ref(n)));
      }),
      { numRuns: 200 },
    ));

  it('should be pure: generating from a state twice gives the same bytes and state', () => {
    const s = drbgInstantiate(utf8('seed'));
    const [a, s1] = drbgGenerate(s, 40);
    const [b, s2] = drbgGenerate(s, 40);
    expect(toHex(a)).toBe(toHex(b));
    expect(toHex(s1.k) + toHex(s1.v)).toBe(toHex(s2.k) + toHex(s2.v));
  });

  it('should continue from a stored state exactly where it left off', () => {
    const r = deterministicRng(utf8('x'));
    r.bytes(17);
    const resumed = rngFromState(r.state());
    expect(toHex(resumed.bytes(33))).toBe(toHex(r.bytes(33)));
  });

  it('should give the same stream with a provider HMAC (node:crypto) as with the default (noble)', () =>
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 48, size: 'max' }), fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 6 }), (seed, draws) => {
        const a = rngFromState(drbgInstantiate(seed));
        const b = rngFromState(drbgInstantiate(seed), nodeCrypto.hmacSha256);
        for (const n of draws) expect(toHex(b.bytes(n))).toBe(toHex(a.bytes(n)));
        expect(toHex(b.state().k) + toHex(b.state().v)).toBe(toHex(a.state().k) + toHex(a.state().v));
      }),
      { numRuns: 100 },
    ));

  it('should give different streams for different seeds', () => {
    expect(toHex(deterministicRng(utf8('a')).bytes(32))).not.toBe(toHex(deterministicRng(utf8('b')).bytes(32)));
  });

  it('should draw fresh bytes from the platform generator', () => {
    expect(toHex(systemRng.bytes(32))).not.toBe(toHex(systemRng.bytes(32)));
    expect(systemRng.bytes(70000).length).toBe(70000);
  });
});
