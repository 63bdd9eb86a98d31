/**
 * The generic encoder and decoder (spec 2.3, 2.4) on small codecs of every kind, at and past each
 * bound: each check of impl/codec/wire.ts has an input that only it rejects, with its requirement
 * id, its reason and its error class, and the inputs on its bound are accepted. The properties
 * range over every kind at once: a round trip, every truncation rejected as truncated, every
 * trailing byte rejected as trailing (issue 30: the generated mutants of wire.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, utf8 } from '../bytes.ts';
import { DecodeError, EncodeError } from '../errors.ts';
import { forEachSeed } from '../fc-seeds.ts';
import { MsgType, REGISTERED_TYPES } from '../messages/types.ts';
import { bool, enumOf, f, fixed, list, message, opaque, struct, text, u16, u32, u64, u8, type Codec } from './schema.ts';
import { decode, encode, encodePrefix, encodeUnchecked, peekType } from './wire.ts';

/** What `fn` threw: the error class, requirement id and reason; undefined when it returned. */
function thrown(fn: () => unknown): { cls: string; reqId?: string; reason?: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof DecodeError) return { cls: 'DecodeError', reqId: e.reqId, reason: e.reason };
    if (e instanceof EncodeError) return { cls: 'EncodeError', reqId: e.reqId };
    return { cls: e instanceof Error ? e.constructor.name : typeof e };
  }
}
const encErr = (reqId: string) => ({ cls: 'EncodeError', reqId });
const decErr = (reqId: string, reason: string) => ({ cls: 'DecodeError', reqId, reason });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const anyValue = (v: unknown): any => v;

const Inner = struct('Inner', [f('id', fixed(2)), f('n', u16)]);
const Kind = enumOf('Kind', { x: 1, y: 2 });
/** A message with a field of every kind, each with a lower bound above 0 where it has one. */
const Probe = message(
  'Probe',
  MsgType.ClientHello,
  [f('a', u8), f('b', u64), f('flag', bool), f('data', opaque(2, 5)), f('name', text(1, 6)), f('kind', Kind), f('items', list(Inner, 1, 3, 'id')), f('small', u32)],
  (v) => (v.small > 1000 ? 'small must be at most 1000' : undefined),
);
const Other = message('Other', MsgType.ServerHello, [f('a', u8)]);
const one = <T>(name: string, codec: Codec<T>) => struct(name, [f('v', codec)]);

const probe = {
  a: 7,
  b: 2 ** 40 + 3,
  flag: true,
  data: new Uint8Array([1, 2, 3]),
  name: 'hé',
  kind: 'y' as const,
  items: [
    { id: new Uint8Array([0, 1]), n: 5 },
    { id: new Uint8Array([0, 2]), n: 6 },
  ],
  small: 1000,
};

const probeArb = fc.record({
  a: fc.integer({ min: 0, max: 255 }),
  b: fc.oneof(fc.constantFrom(0, Number.MAX_SAFE_INTEGER), fc.maxSafeNat()),
  flag: fc.boolean(),
  data: fc.uint8Array({ minLength: 2, maxLength: 5 }),
  name: fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('a', 'z', '0', '~') }),
  kind: fc.constantFrom('x' as const, 'y' as const),
  items: fc
    .uniqueArray(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 3 })
    .chain((ids) => fc.tuple(...[...ids].sort((x, y) => x - y).map((id) => fc.record({ id: fc.constant(new Uint8Array([id >> 8, id & 0xff])), n: fc.integer({ min: 0, max: 0xffff }) })))),
  small: fc.integer({ min: 0, max: 1000 }),
});

describe('impl/codec/wire.ts: every check at and past its bound (spec 2.3, 2.4)', () => {
  it('REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)', () => {
    forEachSeed(import.meta.url, 30, 200, ({ seed, numRuns }) => {
      fc.assert(
        fc.property(probeArb, (v) => {
          const b = encode(Probe, v);
          expect(decode(Probe, b)).toEqual(v);
          expect(encode(Probe, decode(Probe, b))).toEqual(b);
        }),
        { seed, numRuns },
      );
    });
  });

  it('REQ-ENC-006 should reject every proper prefix of a valid encoding as truncated (property)', () => {
    forEachSeed(import.meta.url, 31, 40, ({ seed, numRuns }) => {
      fc.assert(
        fc.property(probeArb, (v) => {
          const b = encode(Probe, v);
          for (let n = 0; n < b.length; n++) expect(thrown(() => decode(Probe, b.subarray(0, n)))).toEqual(decErr('REQ-ENC-006', 'truncated'));
        }),
        { seed, numRuns },
      );
    });
  });

  it('REQ-ENC-007 should reject a valid encoding followed by any bytes as trailing (property)', () => {
    forEachSeed(import.meta.url, 32, 100, ({ seed, numRuns }) => {
      fc.assert(
        fc.property(probeArb, fc.uint8Array({ minLength: 1, maxLength: 8 }), (v, extra) => {
          expect(thrown(() => decode(Probe, concat(encode(Probe, v), extra)))).toEqual(decErr('REQ-ENC-007', 'trailing'));
        }),
        { seed, numRuns },
      );
    });
  });

  it('REQ-ENC-001 should encode 0 and the maximum of each integer width, and refuse -1, the maximum + 1, fractions and non-numbers', () => {
    for (const [codec, max] of [[u8, 0xff], [u16, 0xffff], [u32, 0xffffffff]] as const) {
      const S = one('S', codec);
      for (const v of [0, max]) expect(decode(S, encode(S, { v }))).toEqual({ v });
      for (const v of [-1, -2, max + 1, 1.5, '1', undefined]) expect(thrown(() => encode(S, { v: anyValue(v) }))).toEqual(encErr('REQ-ENC-001'));
    }
  });

  it('REQ-ENC-012 should encode a uint64 up to 2^53 - 1 and refuse -1 and 2^53; decode a high word of 2^21 - 1 and reject 2^21', () => {
    const S = one('S', u64);
    for (const v of [0, Number.MAX_SAFE_INTEGER]) expect(decode(S, encode(S, { v }))).toEqual({ v });
    for (const v of [-1, 2 ** 53, 2 ** 60]) expect(thrown(() => encode(S, { v }))).toEqual(encErr('REQ-ENC-012'));
    const word = (hi: number, lo: number): Uint8Array => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setUint32(0, hi);
      new DataView(b.buffer).setUint32(4, lo);
      return b;
    };
    expect(decode(S, word(2 ** 21 - 1, 0xffffffff))).toEqual({ v: Number.MAX_SAFE_INTEGER });
    for (const hi of [2 ** 21, 2 ** 21 + 1, 0xffffffff]) expect(thrown(() => decode(S, word(hi, 0)))).toEqual(decErr('REQ-ENC-012', 'uint64'));
  });

  it('REQ-ENC-011 should encode only booleans, and decode the byte 0 as false, 1 as true and reject every other byte', () => {
    const S = one('S', bool);
    for (const v of [1, 0, 'true', null]) expect(thrown(() => encode(S, { v: anyValue(v) }))).toEqual(encErr('REQ-ENC-011'));
    for (let b = 0; b < 256; b++) {
      const got = thrown(() => decode(S, new Uint8Array([b])));
      if (b <= 1) {
        expect(got).toBeUndefined();
        expect(decode(S, new Uint8Array([b]))).toEqual({ v: b === 1 });
      } else expect(got).toEqual(decErr('REQ-ENC-011', 'bool'));
    }
  });

  it('REQ-ENC-008 should encode a fixed field of exactly its size only, and only a byte string', () => {
    const S = one('S', fixed(4));
    expect(decode(S, encode(S, { v: new Uint8Array([1, 2, 3, 4]) }))).toEqual({ v: new Uint8Array([1, 2, 3, 4]) });
    for (const v of [new Uint8Array(3), new Uint8Array(5), 'abcd', [1, 2, 3, 4]]) expect(thrown(() => encode(S, { v: anyValue(v) }))).toEqual(encErr('REQ-ENC-008'));
  });

  it('REQ-ENC-008 should encode and decode an opaque field of min and max bytes, and refuse one byte fewer or more both ways', () => {
    const S = one('S', opaque(2, 5));
    for (let n = 0; n <= 8; n++) {
      const body = new Uint8Array(n).fill(0xa0 + n);
      const wire = concat(new Uint8Array([n]), body);
      if (n >= 2 && n <= 5) {
        expect(encode(S, { v: body })).toEqual(wire);
        expect(decode(S, wire)).toEqual({ v: body });
      } else {
        expect(thrown(() => encode(S, { v: body }))).toEqual(encErr('REQ-ENC-008'));
        expect(thrown(() => decode(S, wire))).toEqual(decErr('REQ-ENC-008', 'length'));
      }
    }
    for (const v of ['abc', [1, 2, 3], 3]) expect(thrown(() => encode(S, { v: anyValue(v) }))).toEqual(encErr('REQ-ENC-008'));
  });

  it('REQ-ENC-013 should encode only strings in a utf8 field, bounded in bytes (REQ-ENC-008), and reject invalid UTF-8', () => {
    const S = one('S', text(1, 6));
    for (const v of ['a', 'abcdef', 'ééé', '€€']) expect(decode(S, encode(S, { v }))).toEqual({ v });
    for (const v of ['', 'abcdefg', 'éééa€']) expect(thrown(() => encode(S, { v }))).toEqual(encErr('REQ-ENC-008'));
    for (const v of [5, utf8('abc'), null]) expect(thrown(() => encode(S, { v: anyValue(v) }))).toEqual(encErr('REQ-ENC-013'));
    for (const bad of [[0xff], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80]]) expect(thrown(() => decode(S, new Uint8Array([bad.length, ...bad])))).toEqual(decErr('REQ-ENC-013', 'utf8'));
    expect(thrown(() => decode(S, new Uint8Array([0])))).toEqual(decErr('REQ-ENC-008', 'length'));
    expect(thrown(() => decode(S, new Uint8Array([7, 97, 97, 97, 97, 97, 97, 97])))).toEqual(decErr('REQ-ENC-008', 'length'));
  });

  it('REQ-ENC-010 should encode only the listed enum names, and decode only the listed values', () => {
    const S = one('S', Kind);
    expect(encode(S, { v: 'x' })).toEqual(new Uint8Array([1]));
    for (const v of ['z', 1, undefined]) expect(thrown(() => encode(S, { v: anyValue(v) }))).toEqual(encErr('REQ-ENC-010'));
    for (const b of [0, 3, 255]) expect(thrown(() => decode(S, new Uint8Array([b])))).toEqual(decErr('REQ-ENC-010', 'enum'));
  });

  it('REQ-ENC-009 should encode and decode a list of min and max elements, and refuse one fewer or more both ways, and a non-list', () => {
    const S = one('S', list(u8, 1, 3));
    for (let n = 0; n <= 5; n++) {
      const items = Array.from({ length: n }, (_, i) => i + 10);
      const wire = new Uint8Array([n, ...items]);
      if (n >= 1 && n <= 3) {
        expect(encode(S, { v: items })).toEqual(wire);
        expect(decode(S, wire)).toEqual({ v: items });
      } else {
        expect(thrown(() => encode(S, { v: items }))).toEqual(encErr('REQ-ENC-009'));
        expect(thrown(() => decode(S, wire))).toEqual(decErr('REQ-ENC-009', 'count'));
      }
    }
    for (const v of [5, 'abc', { length: 2 }, new Uint8Array([1])]) expect(thrown(() => encode(S, { v: anyValue(v) }))).toEqual(encErr('REQ-ENC-009'));
  });

  it('REQ-ENC-014 should refuse a sorted list out of order with an EncodeError when encoding and a DecodeError when decoding', () => {
    const S = one('S', list(Inner, 1, 3, 'id'));
    const v = [
      { id: new Uint8Array([0, 2]), n: 1 },
      { id: new Uint8Array([0, 1]), n: 2 },
    ];
    expect(thrown(() => encode(S, { v }))).toEqual(encErr('REQ-ENC-014'));
    expect(thrown(() => decode(S, encodeUnchecked(S, { v })))).toEqual(decErr('REQ-ENC-014', 'order'));
  });

  it('REQ-ENC-017 should encode only an object as a struct, and refuse a value outside its validity rule both ways', () => {
    for (const v of [null, 5, 'x', undefined]) expect(thrown(() => encode(Probe, anyValue(v)))).toEqual(encErr('REQ-ENC-017'));
    const Empty = struct('Empty', []);
    for (const v of [null, 5]) expect(thrown(() => encode(Empty, anyValue(v)))).toEqual(encErr('REQ-ENC-017'));
    expect(thrown(() => encode(Probe, { ...probe, small: 1001 }))).toEqual(encErr('REQ-ENC-017'));
    expect(thrown(() => decode(Probe, encodeUnchecked(Probe, { ...probe, small: 1001 })))).toEqual(decErr('REQ-ENC-017', 'value'));
    expect(decode(Probe, encode(Probe, probe))).toEqual(probe);
  });

  it('REQ-ENC-002 REQ-ENC-003 REQ-ENC-004 REQ-ENC-005 should reject another version, suite or type in the header, each with its own id (and peekType as decode)', () => {
    const good = encode(Probe, probe);
    expect(peekType(good)).toBe(MsgType.ClientHello);
    const withByte = (i: number, b: number): Uint8Array => {
      const x = good.slice();
      x[i] = b;
      return x;
    };
    for (const v of [0, 2, 255]) {
      expect(thrown(() => decode(Probe, withByte(0, v)))).toEqual(decErr('REQ-ENC-002', 'version'));
      expect(thrown(() => peekType(withByte(0, v)))).toEqual(decErr('REQ-ENC-002', 'version'));
    }
    for (const [hi, lo] of [[0, 0], [0, 2], [1, 1]] as const) {
      const x = withByte(1, hi);
      x[2] = lo;
      expect(thrown(() => decode(Probe, x))).toEqual(decErr('REQ-ENC-003', 'suite'));
      expect(thrown(() => peekType(x))).toEqual(decErr('REQ-ENC-003', 'suite'));
    }
    const unregistered = [0, 0xff, 0xfe].filter((t) => !REGISTERED_TYPES.has(t));
    expect(unregistered.length).toBeGreaterThan(0);
    for (const t of unregistered) {
      expect(thrown(() => decode(Probe, withByte(3, t)))).toEqual(decErr('REQ-ENC-004', 'type'));
      expect(thrown(() => peekType(withByte(3, t)))).toEqual(decErr('REQ-ENC-004', 'type'));
    }
    const other = encode(Other, { a: 1 });
    expect(thrown(() => decode(Probe, other))).toEqual(decErr('REQ-ENC-005', 'unexpected-type'));
    expect(thrown(() => decode(Other, withByte(3, MsgType.ServerHello).subarray(0, 5)))).toBeUndefined();
    expect(thrown(() => decode(Other, good))).toEqual(decErr('REQ-ENC-005', 'unexpected-type'));
  });

  it('REQ-ENC-015 should encode the prefix of a message before a named field, the header alone before the first, and refuse a field it does not have', () => {
    const whole = encode(Probe, probe);
    expect(encodePrefix(Probe, probe, 'a')).toEqual(whole.subarray(0, 4));
    expect(encodePrefix(Probe, probe, 'b')).toEqual(whole.subarray(0, 5));
    expect(encodePrefix(Probe, probe, 'small')).toEqual(whole.subarray(0, whole.length - 4));
    expect(thrown(() => encodePrefix(Probe, probe, anyValue('nope')))).toEqual(encErr('REQ-ENC-015'));
  });

  it('REQ-ENC-019 should decode an input of exactly maxBytes and reject one byte more before decoding', () => {
    const S = one('S', u64);
    const b = encode(S, { v: 9 });
    expect(decode(S, b, { maxBytes: 8 })).toEqual({ v: 9 });
    expect(thrown(() => decode(S, b, { maxBytes: 7 }))).toEqual(decErr('REQ-ENC-019', 'size'));
    // rejected before decoding: the same answer for bytes that would not decode either
    expect(thrown(() => decode(S, new Uint8Array(9).fill(0xff), { maxBytes: 8 }))).toEqual(decErr('REQ-ENC-019', 'size'));
  });

  it('REQ-ENC-016 should decode byte fields into a private copy unless told the input is handed over (inPlace)', () => {
    const S = one('S', opaque(2, 5));
    const input = new Uint8Array([3, 1, 2, 3]);
    const copied = decode(S, input);
    const inPlace = decode(S, input, { inPlace: true });
    expect(copied.v.buffer).not.toBe(input.buffer);
    expect(inPlace.v.buffer).toBe(input.buffer);
    input[1] = 99;
    expect(copied.v).toEqual(new Uint8Array([1, 2, 3]));
    expect(inPlace.v[0]).toBe(99);
  });
});
