/**
 * Time-based one-time passwords (RFC 6238, spec 10.6 REQ-KEY-040): HOTP (RFC 4226) over the
 * number of time steps since T0, and a verifier that accepts the current step and one either
 * side and refuses a step it has already accepted (a replayed code). Time is always passed in
 * (milliseconds since the Unix epoch), never read from a clock.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { Bytes } from '../bytes.ts';
import { ProtocolError } from '../errors.ts';

/** TOTP parameters (RFC 6238 section 4; defaults: SHA-1, 30 s, 6 digits, T0 = 0). */
export interface TotpOptions {
  readonly hash?: 'sha1' | 'sha256' | 'sha512';
  readonly stepSeconds?: number;
  readonly digits?: number;
  readonly t0Seconds?: number;
}

const HASHES = { sha1, sha256, sha512 } as const;

/** The time step of `nowMs` (RFC 6238: T = floor((unix time - T0) / X)). */
export function totpStep(nowMs: number, o: TotpOptions = {}): number {
  return Math.floor((Math.floor(nowMs / 1000) - (o.t0Seconds ?? 0)) / (o.stepSeconds ?? 30));
}

/** HOTP (RFC 4226 section 5.3) of `counter`: dynamic truncation of the HMAC, `digits` decimal digits. */
export function hotp(key: Bytes, counter: number, o: TotpOptions = {}): string {
  const digits = o.digits ?? 6;
  if (!Number.isSafeInteger(counter) || counter < 0) throw new ProtocolError('REQ-KEY-040', `invalid TOTP counter ${counter}`);
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new ProtocolError('REQ-KEY-040', `a code has 6 to 10 digits, not ${digits}`);
  const msg = new Uint8Array(8);
  const view = new DataView(msg.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  const mac = hmac(HASHES[o.hash ?? 'sha1'], key, msg);
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = ((mac[offset]! & 0x7f) * 2 ** 24) + (mac[offset + 1]! << 16) + (mac[offset + 2]! << 8) + mac[offset + 3]!;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

/** The TOTP code at `nowMs`. */
export function totp(key: Bytes, nowMs: number, o: TotpOptions = {}): string {
  return hotp(key, totpStep(nowMs, o), o);
}

/** What a verifier remembers: the steps it has accepted that are still inside the window. */
export interface TotpState {
  readonly used: readonly number[];
}

/** A verifier that has accepted nothing. */
export const NO_TOTP_USE: TotpState = { used: [] };

/** The outcome of checking one code. */
export type TotpCheck =
  | { readonly ok: true; readonly step: number; readonly state: TotpState }
  | { readonly ok: false; readonly reason: 'wrong code' | 'replayed code'; readonly state: TotpState };

function equalCode(a: string, b: string): boolean {
  // compares every character whatever the first difference (the code is a secret until used)
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/**
 * REQ-KEY-040: accepts `code` if it is the code of the current step or one step either side
 * and that step has not been accepted before; the returned state remembers it. Steps that
 * have left the window are forgotten (they can no longer be accepted anyway).
 */
export function verifyTotp(state: TotpState, key: Bytes, code: string, nowMs: number, o: TotpOptions = {}): TotpCheck {
  const now = totpStep(nowMs, o);
  const used = state.used.filter((s) => s >= now - 1);
  for (const step of [now - 1, now, now + 1]) {
    if (step < 0 || !equalCode(hotp(key, step, o), code)) continue;
    if (used.includes(step)) return { ok: false, reason: 'replayed code', state: { used } };
    return { ok: true, step, state: { used: [...used, step] } };
  }
  return { ok: false, reason: 'wrong code', state: { used } };
}
