/** RFC 6238 (REQ-KEY-040): the RFC's Appendix B vectors, the window, and the used-code cache. */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.ts';
import { rejectsWith } from '../expect-reject.ts';
import { hotp, NO_TOTP_USE, totp, totpStep, verifyTotp } from './totp.ts';

// RFC 6238 Appendix B: the seeds are ASCII digits, 20, 32 and 64 bytes long; 8-digit codes
const SEEDS = {
  sha1: utf8('12345678901234567890'),
  sha256: utf8('12345678901234567890123456789012'),
  sha512: utf8('1234567890123456789012345678901234567890123456789012345678901234'),
} as const;
const VECTORS: readonly [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('REQ-KEY-040 TOTP (RFC 6238)', () => {
  it('should match every test vector of RFC 6238 Appendix B, for SHA-1, SHA-256 and SHA-512', () => {
    for (const [t, s1, s256, s512] of VECTORS) {
      expect(totp(SEEDS.sha1, t * 1000, { digits: 8 }), `SHA-1 at ${t}`).toBe(s1);
      expect(totp(SEEDS.sha256, t * 1000, { digits: 8, hash: 'sha256' }), `SHA-256 at ${t}`).toBe(s256);
      expect(totp(SEEDS.sha512, t * 1000, { digits: 8, hash: 'sha512' }), `SHA-512 at ${t}`).toBe(s512);
    }
  });
  it('should match RFC 4226 Appendix D (HOTP, 6 digits)', () => {
    const rfc4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    rfc4226.forEach((code, i) => expect(hotp(SEEDS.sha1, i)).toBe(code));
  });
  it('should accept the current step and one either side, and nothing further', () => {
    const now = 1_790_000_000_000;
    const step = totpStep(now);
    for (const d of [-1, 0, 1]) expect(verifyTotp(NO_TOTP_USE, SEEDS.sha1, hotp(SEEDS.sha1, step + d), now).ok, `step ${d}`).toBe(true);
    for (const d of [-3, -2, 2, 3]) expect(verifyTotp(NO_TOTP_USE, SEEDS.sha1, hotp(SEEDS.sha1, step + d), now), `step ${d}`).toMatchObject({ ok: false, reason: 'wrong code' });
  });
  it('should refuse a code already used in its window, and forget steps that left it', () => {
    const now = 1_790_000_000_000;
    const code = totp(SEEDS.sha1, now);
    const first = verifyTotp(NO_TOTP_USE, SEEDS.sha1, code, now);
    expect(first.ok).toBe(true);
    expect(verifyTotp(first.state, SEEDS.sha1, code, now + 10_000)).toMatchObject({ ok: false, reason: 'replayed code' });
    // the next step's code is still good once
    const next = verifyTotp(first.state, SEEDS.sha1, totp(SEEDS.sha1, now + 30_000), now + 30_000);
    expect(next.ok).toBe(true);
    // two minutes later the old step is out of the window: the cache no longer holds it, and the code is wrong anyway
    const later = verifyTotp(next.state, SEEDS.sha1, code, now + 120_000);
    expect(later).toMatchObject({ ok: false, reason: 'wrong code' });
    expect(later.state.used.every((s) => s >= totpStep(now + 120_000) - 1)).toBe(true);
  });
  it('should refuse digit counts outside 6..10 with a typed error', () => {
    expect(() => totp(SEEDS.sha1, 0, { digits: 5 })).toThrow(/REQ-KEY-040|6 to 10/);
  });
  it('REQ-KEY-040 should give codes of 6 and of 10 digits, and refuse 5, 11 and fractional digit counts and a negative, fractional or unsafe counter with a typed error', () => {
    expect(hotp(SEEDS.sha1, 0, { digits: 6 })).toBe('755224');
    expect(hotp(SEEDS.sha1, 0, { digits: 10 })).toMatch(/^\d{10}$/);
    expect(hotp(SEEDS.sha1, 0, { digits: 10 }).endsWith('755224')).toBe(true);
    for (const digits of [5, 11, 12, 6.5]) rejectsWith('REQ-KEY-040', () => hotp(SEEDS.sha1, 0, { digits }));
    expect(hotp(SEEDS.sha1, 0)).toBe('755224');
    for (const counter of [-1, -2, 0.5, 2 ** 53, Number.NaN]) rejectsWith('REQ-KEY-040', () => hotp(SEEDS.sha1, counter));
    expect(hotp(SEEDS.sha1, Number.MAX_SAFE_INTEGER)).toMatch(/^\d{6}$/);
  });
});
