/** Byte helpers (spec 2.1): hex and strict base64url. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, fromBase64Url, fromHex, toBase64Url, toHex } from './bytes.ts';

describe('hex', () => {
  it('should round-trip and match Buffer, short and long (two code paths)', () =>
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
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
