/** Fingerprint display, emoji and verification strings (spec 10.4, 10.5). */
import { describe, expect, it } from 'vitest';
import { fromHex } from './bytes.ts';
import {
  compatVerificationPrompt,
  compatVerifySuffix,
  EMOJI,
  fingerprintEmoji,
  fingerprintHexGroups,
  safetyString,
  verifySafetyString,
} from './fingerprint.ts';

const fp = fromHex('00ff10a3' + '11'.repeat(24) + 'abcdef12');

describe('REQ-KEY-020 fingerprint hex groups', () => {
  it('should show 16 groups of 4 lower-case hex characters', () => {
    const s = fingerprintHexGroups(fp);
    expect(s.split(' ')).toHaveLength(16);
    expect(s.startsWith('00ff 10a3 1111')).toBe(true);
    expect(s.endsWith('abcd ef12')).toBe(true);
  });
  it('should refuse anything but 32 bytes', () => expect(() => fingerprintHexGroups(new Uint8Array(31))).toThrow(TypeError));
});

describe('REQ-KEY-021 the 8-emoji self-check', () => {
  it('should render the first 8 bytes through the table', () => {
    expect(fingerprintEmoji(fp)).toBe(['🐀', '📿', '🐐', '💣', '🐑', '🐑', '🐑', '🐑'].join(' '));
  });
  it('should have 256 distinct single code points', () => {
    expect(new Set(EMOJI).size).toBe(256);
    expect(EMOJI.every((e) => [...e].length === 1)).toBe(true);
  });
});

describe('REQ-KEY-030 compat peer verification checks 20 bits', () => {
  it('should hide the last 5 characters and accept exactly them', () => {
    expect(compatVerificationPrompt(fp)).toHaveLength(59);
    expect(compatVerifySuffix(fp, 'def12')).toBe(true);
    expect(compatVerifySuffix(fp, 'DEF12 ')).toBe(true);
    expect(compatVerifySuffix(fp, 'def13')).toBe(false);
  });
});

describe('REQ-KEY-031 hardened peer verification compares 128 bits', () => {
  it('should show 8 groups of 4 and accept only all 32 characters', () => {
    const s = safetyString(fp);
    expect(s.split(' ')).toHaveLength(8);
    expect(verifySafetyString(fp, s)).toBe(true);
    expect(verifySafetyString(fp, s.replace(/ /g, '').toUpperCase())).toBe(true);
    expect(verifySafetyString(fp, s.slice(0, -1))).toBe(false);
    expect(verifySafetyString(fp, s.slice(0, -1) + '0')).toBe(false);
  });
});
