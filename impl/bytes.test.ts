/** Byte helpers (spec 2.1): hex and strict base64url. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, equalBytes, fromBase64Url, fromHex, isZero, toBase64Url, toHex, u32be, u64be } from './bytes.ts';

describe('hex', () => {
  it('should round-trip and match Buffer, short and long (two code paths)', () =>
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300, size: 'max' }), (b) => {
      expect(toHex(b)).toBe(Buffer.from(b).toString('hex'));
      expect(fromHex(toHex(b))).toEqual(b);
    })));
  it('should reject odd lengths and non-hex characters', () => {
    expect(() => fromHex('abc')).toThrow(TypeError);
    expect(() => fromHex('zz')).toThrow(TypeError);
  });
});

describe('REQ-ENC-018 base64url without padding', () => {
  it('should match Buffer base64url and round-trip', () =>
    fc.assert(fc.property(fc.uint8Array(), (b) => {
      expect(toBase64Url(b)).toBe(Buffer.from(b).toString('base64url'));
      expect(fromBase64Url(toBase64Url(b))).toEqual(b);
    })));
  it('should reject non-canonical trailing bits, bad lengths and foreign characters', () => {
    expect(fromBase64Url('AB')).toBeUndefined(); // 'B' leaves non-zero unused bits
    expect(fromBase64Url('AA')).toEqual(new Uint8Array([0]));
    expect(fromBase64Url('A')).toBeUndefined();
    expect(fromBase64Url('AA==')).toBeUndefined();
    expect(fromBase64Url('A+')).toBeUndefined();
  });
});

describe('compareBytes', () => {
  it('should order like Buffer.compare', () =>
    fc.assert(fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
      expect(Math.sign(compareBytes(a, b))).toBe(Buffer.compare(a, b));
    })));
});

describe('equalBytes and isZero (a byte loop below 256 bytes, 8-byte steps above)', () => {
  // views at any offset into a larger buffer, sizes on both sides of 256, one byte changed anywhere
  const view = fc.tuple(fc.nat({ max: 7 }), fc.uint8Array({ maxLength: 700, size: 'max' })).map(([off, b]) => {
    const buf = new Uint8Array(off + b.length + 3);
    buf.set(b, off);
    return buf.subarray(off, off + b.length);
  });
  it('should agree with Buffer.equals, equal or one byte apart', () =>
    fc.assert(
      fc.property(view, fc.nat(), fc.integer({ min: 1, max: 255 }), (a, at, delta) => {
        const b = new Uint8Array(a.length + 5).subarray(5);
        b.set(a);
        expect(equalBytes(a, b)).toBe(true);
        if (a.length === 0) return;
        const i = at % a.length;
        b[i] = (b[i]! + delta) & 0xff;
        expect(equalBytes(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)));
        expect(equalBytes(a, b)).toBe(false);
        expect(equalBytes(a, b.subarray(1))).toBe(false);
      }),
    ));
  it('should find a single non-zero byte anywhere at or after start', () =>
    fc.assert(
      fc.property(fc.nat({ max: 700 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (n, s, at, v) => {
        const z = new Uint8Array(n + 2).subarray(1, n + 1);
        const start = n === 0 ? 0 : s % (n + 1);
        expect(isZero(z, start)).toBe(true);
        if (n === 0) return;
        const i = at % n;
        z[i] = v;
        expect(isZero(z, start)).toBe(i < start);
        expect(isZero(z)).toBe(false);
      }),
    ));
});

describe('u32be and u64be', () => {
  it('should encode big-endian as Buffer does, over the whole range (2^53 - 1 for u64)', () =>
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER)), (n) => {
        const b = Buffer.alloc(8);
        b.writeBigUInt64BE(BigInt(n));
        expect(toHex(u64be(n))).toBe(b.toString('hex'));
        const m = n % 2 ** 32;
        const c = Buffer.alloc(4);
        c.writeUInt32BE(m);
        expect(toHex(u32be(m))).toBe(c.toString('hex'));
      }),
    ));
});
