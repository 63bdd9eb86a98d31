/**
 * fast-check generators for every wire structure of spec section 4, derived from the codecs
 * themselves: valid values only (built with `map`, not `filter`), used by the codec property
 * tests and by the adversary's message generation.
 */
import fc from 'fast-check';
import { compareBytes, utf8, type Bytes } from '../impl/bytes.ts';
import { encode, type Codec, type StructDesc } from '../impl/codec.ts';
import { NO_EPOCH } from '../impl/suite.ts';

/** Caps on generated sizes, so that generated messages stay small enough to test quickly. */
export interface ArbitraryLimits {
  /** Extra bytes above a variable field's minimum. */
  readonly maxExtraBytes: number;
  /** Extra elements above a list's minimum. */
  readonly maxExtraElements: number;
}

const DEFAULT_LIMITS: ArbitraryLimits = { maxExtraBytes: 48, maxExtraElements: 2 };

/**
 * Repairs that make a generated struct satisfy its validity rule (REQ-ENC-017), by struct name.
 * Each maps an arbitrary value to a valid one without discarding it.
 */
const REPAIRS: Readonly<Record<string, (v: Record<string, unknown>) => Record<string, unknown>>> = {
  KdfParams: (v) => {
    if (v.algorithm === 'compat_sha256') return { ...v, memory_kib: 0, iterations: 0, parallelism: 0 };
    const p = Math.max(1, (v.parallelism as number) % 16);
    const t = Math.max(1, (v.iterations as number) % 8);
    const m = 8 * p + ((v.memory_kib as number) % 4096);
    return { ...v, parallelism: p, iterations: t, memory_kib: m };
  },
  KemCert: (v) => ({ ...v, version: Math.max(1, v.version as number) }),
  AppMessage: (v) => {
    const epoch = v.epoch as number;
    if (v.seq === 0) return { ...v, prev_epoch: NO_EPOCH };
    return { ...v, prev_epoch: Math.min(v.prev_epoch as number, epoch) };
  },
  ClientAuth: (v) => {
    const s = v.signature as Bytes;
    return { ...v, signature: s.length >= 1 ? new Uint8Array(3309).fill(s[0] as number) : s };
  },
  KeyUpdate: (v) => ({ ...v, urgent: (v.urgent as number) % 2, kem_cert: { ...(v.kem_cert as Record<string, unknown>), member_id: v.member_id } }),
  FetchHistory: (v) => ({ ...v, limit: 1 + ((v.limit as number) % 256) }),
  Reject: (v) => ({ ...v, requirement: `REQ-ENC-${String((v.requirement as string).length % 1000).padStart(3, '0')}` }),
};

function utf8Arbitrary(min: number, max: number, limits: ArbitraryLimits): fc.Arbitrary<string> {
  const cap = Math.min(max, min + limits.maxExtraBytes);
  return fc
    .string({ unit: 'grapheme', minLength: 0, maxLength: cap })
    .map((s) => {
      let out = s;
      while (utf8(out).length > cap) out = Array.from(out).slice(0, -1).join('');
      while (utf8(out).length < min) out += 'x';
      return out;
    });
}

/**
 * Byte strings of `min..max` bytes. Long ones (keys, signatures, ciphertexts) are expanded from
 * a 32-bit seed: generating thousands of independent bytes through fast-check is slow and
 * shrinking them is useless.
 */
function bytesArbitrary(min: number, max: number): fc.Arbitrary<Bytes> {
  if (max <= 64) return fc.uint8Array({ minLength: min, maxLength: max });
  return fc.tuple(fc.integer({ min, max }), fc.integer()).map(([n, seed]) => {
    const out = new Uint8Array(n);
    let x = seed | 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  });
}

/** A generator of valid values of `codec`. */
export function arbitraryOf<T>(codec: Codec<T>, limits: ArbitraryLimits = DEFAULT_LIMITS): fc.Arbitrary<T> {
  return arb(codec as Codec<unknown>, limits) as fc.Arbitrary<T>;
}

function arb(codec: Codec<unknown>, limits: ArbitraryLimits): fc.Arbitrary<unknown> {
  const d = codec.desc;
  switch (d.k) {
    case 'uint':
      if (d.bits === 64) return fc.oneof(fc.constantFrom(0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
      return fc.oneof(fc.constantFrom(0, 2 ** d.bits - 1), fc.integer({ min: 0, max: 2 ** d.bits - 1 }));
    case 'bool':
      return fc.boolean();
    case 'fixed':
      return bytesArbitrary(d.n, d.n);
    case 'opaque':
      return bytesArbitrary(d.min, Math.min(d.max, d.min + limits.maxExtraBytes));
    case 'utf8':
      return utf8Arbitrary(d.min, d.max, limits);
    case 'enum':
      return fc.constantFrom(...Object.keys(d.values));
    case 'list': {
      const elem = arb(d.of, limits);
      const maxLength = Math.min(d.max, d.min + limits.maxExtraElements);
      const listArb = fc.array(elem, { minLength: d.min, maxLength });
      if (d.sortedBy === undefined) return listArb;
      return sortedList(d.of.desc as StructDesc, d.sortedBy, listArb);
    }
    case 'struct': {
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      for (const field of d.fields) rec[field.name] = arb(field.codec, limits);
      const repair = REPAIRS[d.name];
      const base = fc.record(rec);
      return repair ? base.map((v) => repair(v as Record<string, unknown>)) : base;
    }
  }
}

/** Sorts by the key field and makes keys strictly ascending by rewriting duplicates (REQ-ENC-014). */
function sortedList(elemDesc: StructDesc, key: string, base: fc.Arbitrary<unknown[]>): fc.Arbitrary<unknown[]> {
  const keyField = elemDesc.fields.find((x) => x.name === key)!;
  return base.map((items) => {
    const withKeys = items.map((it, i) => {
      let v = (it as Record<string, unknown>)[key];
      // make keys distinct deterministically: fixed bytes get their last byte set, numbers are offset
      if (v instanceof Uint8Array) {
        const b = v.slice();
        b[b.length - 1] = i;
        v = b;
      } else if (typeof v === 'number') {
        v = v - (v % 256) + i;
      }
      return { ...(it as Record<string, unknown>), [key]: v };
    });
    withKeys.sort((a, b) => compareBytes(encode(keyField.codec, a[key]), encode(keyField.codec, b[key])));
    return withKeys;
  });
}
