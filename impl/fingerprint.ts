/** Fingerprint display, the 8-emoji self-check and peer verification strings (spec 10.4, 10.5). */
import { toHex, type Bytes } from './bytes.ts';
import { HASH_BYTES } from './suite.ts';

/** `EMOJI[b]` = U+1F400 + b (spec 10.4), the table shown in the spec. */
export const EMOJI: readonly string[] = Array.from({ length: 256 }, (_, b) => String.fromCodePoint(0x1f400 + b));

function assertFingerprint(fp: Bytes): void {
  if (fp.length !== HASH_BYTES) throw new TypeError(`a fingerprint is ${HASH_BYTES} bytes, got ${fp.length}`);
}

/** 64 lower-case hex characters in 16 groups of 4 separated by spaces (REQ-KEY-020). */
export function fingerprintHexGroups(fp: Bytes): string {
  assertFingerprint(fp);
  return toHex(fp).match(/.{4}/g)!.join(' ');
}

/** The 8 emoji of the first 8 fingerprint bytes, separated by single spaces (REQ-KEY-021, decision D4). */
export function fingerprintEmoji(fp: Bytes): string {
  assertFingerprint(fp);
  return Array.from(fp.subarray(0, 8), (b) => EMOJI[b]!).join(' ');
}

/**
 * A relay key's one rendering (spec 10.4 as for people, REQ-KEY-020, REQ-KEY-021): the fingerprint
 * in hex groups, then its 8 emoji. `pqroom relay` prints and logs it, `pqroom demo` and the web
 * page show it when they pin the key, so the same string can be compared everywhere.
 */
export function relayKeyFingerprint(fp: Bytes): string {
  return `${fingerprintHexGroups(fp)}  ${fingerprintEmoji(fp)}`;
}

/** compat: what the user is shown (the fingerprint without its last 5 hex characters) (REQ-KEY-030). */
export function compatVerificationPrompt(fp: Bytes): string {
  assertFingerprint(fp);
  return toHex(fp).slice(0, 59);
}

/** The number of hex characters the compat check compares (REQ-KEY-030): 5, 20 bits. */
export const COMPAT_SUFFIX_CHARS = 5;

/**
 * compat: the peer is verified if `typed` equals the last 5 hex characters (20 bits; T1).
 * `chars` is for the harness, which grinds shorter suffixes to stay fast (ATK-22).
 */
export function compatVerifySuffix(fp: Bytes, typed: string, chars: number = COMPAT_SUFFIX_CHARS): boolean {
  assertFingerprint(fp);
  return typed.trim().toLowerCase() === toHex(fp).slice(64 - chars);
}

/** hardened: the 128-bit comparison string, the first 32 hex characters in 8 groups of 4 (REQ-KEY-031). */
export function safetyString(fp: Bytes): string {
  assertFingerprint(fp);
  return toHex(fp).slice(0, 32).match(/.{4}/g)!.join(' ');
}

/** hardened: verified only if all 32 hex characters match (spaces and case ignored) (REQ-KEY-031, decision D15). */
export function verifySafetyString(fp: Bytes, compared: string): boolean {
  assertFingerprint(fp);
  const norm = compared.replace(/\s+/g, '').toLowerCase();
  return norm.length === 32 && norm === toHex(fp).slice(0, 32);
}
