/**
 * fast-check generators for every wire structure of spec section 4, derived from the codecs
 * themselves: valid values only (built with `map`, not `filter`), used by the codec property
 * tests and by the adversary's message generation.
 */
import fc from 'fast-check';
import { compareBytes, utf8, type Bytes } from '../impl/bytes.ts';
import { encode, prefixWidth, type Codec, type StructDesc } from '../impl/codec.ts';
import { NO_EPOCH } from '../impl/suite.ts';

/**
 * Caps on generated sizes, so that generated messages stay small enough to test quickly. A
 * variable field is drawn at its minimum, a little above it, or (issue 30) exactly at its maximum
 * when that maximum is cheap: at most `maxBoundBytes` bytes, or elements times their smallest
 * encoding. Dearer maxima (16 MiB payloads, rosters of 1,000) are reached by targeted cases
 * instead (`impl/messages/bounds.test.ts`).
 */
export interface ArbitraryLimits {
  /** Extra bytes above a variable field's minimum. */
  readonly maxExtraBytes: number;
  /** Extra elements above a list's minimum. */
  readonly maxExtraElements: number;
  /** A field whose maximum costs at most this many bytes is sometimes drawn at it (0: never). */
  readonly maxBoundBytes?: number;
}

const DEFAULT_LIMITS: ArbitraryLimits = { maxExtraBytes: 48, maxExtraElements: 2, maxBoundBytes: 65_536 };

/** A length or count of `min..max`: the minimum, a little above it, or the maximum when it costs at most the bound. */
function sizeArbitrary(min: number, max: number, extra: number, unitBytes: number, limits: ArbitraryLimits): fc.Arbitrary<number> {
  const near = fc.integer({ min, max: Math.min(max, min + extra) });
  const atMax = max > min + extra && max * unitBytes <= (limits.maxBoundBytes ?? 0);
  return atMax ? fc.oneof({ weight: 3, arbitrary: near }, { weight: 1, arbitrary: fc.constant(max) }) : near;
}

/** The fewest bytes a value of `d` encodes in (a lower bound, for the cost of a list at its maximum). */
function minBytes(d: Codec<unknown>['desc']): number {
  switch (d.k) {
    case 'uint':
      return d.bits / 8;
    case 'bool':
    case 'enum':
      return 1;
    case 'fixed':
      return d.n;
    case 'opaque':
    case 'utf8':
    case 'list':
      return prefixWidth(d.max) + (d.k === 'list' ? d.min * minBytes(d.of.desc) : d.min);
    case 'struct':
      return d.fields.reduce((n, f) => n + minBytes(f.codec.desc), 0);
  }
}

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
  const small = Math.min(max, min + limits.maxExtraBytes);
  // a short generated text, cut or padded with 'x' to the drawn length (up to the maximum)
  return fc.tuple(fc.string({ unit: 'grapheme', minLength: 0, maxLength: small }), sizeArbitrary(min, max, limits.maxExtraBytes, 1, limits)).map(([s, n]) => {
    let out = s;
    while (utf8(out).length > n) out = Array.from(out).slice(0, -1).join('');
    const have = utf8(out).length;
    if (have < n) out += 'x'.repeat(n - have);
    return out;
  });
}

/**
 * Byte strings of `min..max` bytes. Long ones (keys, signatures, ciphertexts) are expanded from
 * a 32-bit seed: generating thousands of independent bytes through fast-check is slow and
 * shrinking them is useless.
 */
function bytesArbitrary(min: number, max: number, size: fc.Arbitrary<number> = fc.integer({ min, max })): fc.Arbitrary<Bytes> {
  if (max <= 64) return size.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
  return fc.tuple(size, fc.integer()).map(([n, seed]) => {
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
      return bytesArbitrary(d.min, d.max, sizeArbitrary(d.min, d.max, limits.maxExtraBytes, 1, limits));
    case 'utf8':
      return utf8Arbitrary(d.min, d.max, limits);
    case 'enum':
      return fc.constantFrom(...Object.keys(d.values));
    case 'list': {
      const elem = arb(d.of, limits);
      const count = sizeArbitrary(d.min, d.max, limits.maxExtraElements, minBytes(d.of.desc), limits);
      const listArb = count.chain((n) => fc.array(elem, { minLength: n, maxLength: n }));
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
      // make keys distinct deterministically (up to 65,536 elements): fixed bytes get their last
      // two bytes set to the position, numbers are offset by it
      if (v instanceof Uint8Array) {
        const b = v.slice();
        b[b.length - 2] = i >> 8;
        b[b.length - 1] = i & 0xff;
        v = b;
      } else if (typeof v === 'number') {
        v = v - (v % 65_536) + i;
      }
      return { ...(it as Record<string, unknown>), [key]: v };
    });
    withKeys.sort((a, b) => compareBytes(encode(keyField.codec, a[key]), encode(keyField.codec, b[key])));
    return withKeys;
  });
}
