/** Property tests of every codec of spec section 4 against the canonical encoding rules of spec 2.3. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryOf } from '../../adversary/arbitrary.ts';
import { concat } from '../bytes.ts';
import { decode, encode, valuesEqual, type StructCodec } from '../codec.ts';
import { equalBytes } from '../bytes.ts';
import { DecodeError } from '../errors.ts';
import { MESSAGES, SUB_STRUCTS } from './index.ts';

const ALL: readonly [string, StructCodec<unknown>][] = [
  ...Object.entries(MESSAGES),
  ...SUB_STRUCTS.map((s) => [s.desc.name, s] as [string, StructCodec<unknown>]),
];

function expectDecodeError(f: () => unknown, reqId: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    expect((e as DecodeError).reqId).toBe(reqId);
    return;
  }
  throw new Error(`expected ${reqId}, but decoding succeeded`);
}

describe('REQ-ENC-015 decode(encode(x)) = x and encode(decode(b)) = b', () => {
  for (const [name, codec] of ALL) {
    it(`should round-trip generated ${name} values`, () => {
      fc.assert(
        fc.property(arbitraryOf(codec), (x) => {
          const b = encode(codec, x);
          const y = decode(codec, b);
          expect(valuesEqual(y, x)).toBe(true);
          expect(equalBytes(encode(codec, y), b)).toBe(true);
        }),
        { numRuns: 20 },
      );
    });
  }
});

describe('REQ-ENC-006 every truncation is rejected', () => {
  for (const [name, codec] of ALL) {
    it(`should reject every strict prefix of a ${name} encoding`, () => {
      fc.assert(
        fc.property(arbitraryOf(codec, { maxExtraBytes: 4, maxExtraElements: 1 }), (x) => {
          const b = encode(codec, x);
          for (let n = 0; n < b.length; n++) expectDecodeError(() => decode(codec, b.subarray(0, n)), 'REQ-ENC-006');
        }),
        { numRuns: 1 },
      );
    });
    it(`should reject random truncations of many generated ${name} encodings`, () => {
      fc.assert(
        fc.property(arbitraryOf(codec), fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 1, maxLength: 4 }), (x, cuts) => {
          const b = encode(codec, x);
          for (const cut of cuts) expectDecodeError(() => decode(codec, b.subarray(0, Math.floor(cut * b.length))), 'REQ-ENC-006');
        }),
        { numRuns: 15 },
      );
    });
  }
});

describe('REQ-ENC-007 every one-byte extension is rejected', () => {
  for (const [name, codec] of ALL) {
    it(`should reject a ${name} encoding with one trailing byte`, () => {
      fc.assert(
        fc.property(arbitraryOf(codec), fc.integer({ min: 0, max: 255 }), (x, extra) => {
          expectDecodeError(() => decode(codec, concat(encode(codec, x), new Uint8Array([extra]))), 'REQ-ENC-007');
        }),
        { numRuns: 10 },
      );
    });
  }
});

describe('REQ-ENC-016 codecs do not mutate their inputs and decoded values do not alias them', () => {
  for (const [name, codec] of ALL) {
    it(`should leave ${name} inputs untouched and own its decoded bytes`, () => {
      fc.assert(
        fc.property(arbitraryOf(codec), (x) => {
          const before = structuredClone(x);
          const b = encode(codec, x);
          expect(valuesEqual(x, before)).toBe(true);
          const copy = b.slice();
          const y = decode(codec, b);
          expect(equalBytes(b, copy)).toBe(true);
          b.fill(0xa5);
          expect(valuesEqual(y, x)).toBe(true);
        }),
        { numRuns: 3 },
      );
    });
  }
});

describe('REQ-ENC-002 REQ-ENC-003 REQ-ENC-004 REQ-ENC-005 the header is checked before anything else', () => {
  for (const [name, codec] of Object.entries(MESSAGES)) {
    it(`should reject a ${name} with a wrong version, suite or type`, () => {
      fc.assert(
        // every version but 1 and every suite but 0x0001, their zeros and their maxima always among them (issue 30)
        fc.property(arbitraryOf(codec), fc.oneof(fc.constantFrom(0, 2, 255), fc.integer({ min: 0, max: 255 }).filter((v) => v !== 1)), fc.oneof(fc.constantFrom(0, 2, 0xffff), fc.integer({ min: 0, max: 0xffff }).filter((s) => s !== 1)), (x, v, s) => {
          const b = encode(codec, x);
          const withVersion = b.slice();
          withVersion[0] = v;
          expectDecodeError(() => decode(codec, withVersion), 'REQ-ENC-002');
          const withSuite = b.slice();
          withSuite[1] = s >> 8;
          withSuite[2] = s & 0xff;
          expectDecodeError(() => decode(codec, withSuite), 'REQ-ENC-003');
          const unknownType = b.slice();
          unknownType[3] = 0xff;
          expectDecodeError(() => decode(codec, unknownType), 'REQ-ENC-004');
          const otherType = b.slice();
          otherType[3] = codec.desc.type === 0x01 ? 0x02 : 0x01;
          expectDecodeError(() => decode(codec, otherType), 'REQ-ENC-005');
        }),
        { numRuns: 12, examples: [[fc.sample(arbitraryOf(codec), { seed: 1, numRuns: 1 })[0]!, 0, 0]] },
      );
    });
  }
});
