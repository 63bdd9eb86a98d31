/**
 * The relay's side of the second login factor (spec 9.7): what an account enrolled (a TOTP
 * secret, WebAuthn credentials), the challenges the relay issues, and the checks of a
 * `FactorResponse`. WebAuthn attestations and assertions are verified with
 * `@simplewebauthn/server`; the relay pins, per credential, the origin and RP id it was enrolled
 * from and checks every assertion against those (REQ-LOG-033). Randomness and time are passed in:
 * the same inputs give the same challenge and the same verdict.
 *
 * This module runs on the relay only: the page imports the messages, never this file (the
 * library would otherwise be bundled into the page).
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { decodeUtf8, equalConstantTime, fromBase64Url, toBase64Url, type Bytes } from '../bytes.ts';
import { decode, encode } from '../codec.ts';
import { attempt, ProtocolError, type ReqId } from '../errors.ts';
import { FactorChallenge, FactorResponse, type FactorMethod, type FactorPurpose } from '../messages/index.ts';
import type { Rng } from '../rng.ts';
import { NO_TOTP_USE, verifyTotp, type TotpState } from './totp.ts';

/** How long a factor challenge may be answered (REQ-LOG-032): two minutes. */
export const FACTOR_CHALLENGE_MS = 2 * 60 * 1000;
/** Refused factor responses per account before further ones are refused unchecked (REQ-LOG-035). */
export const MAX_FACTOR_FAILURES = 5;
/** The window those refusals are counted in (REQ-LOG-035): 15 minutes. */
export const FACTOR_FAILURE_WINDOW_MS = 15 * 60 * 1000;
/** Bytes of an enrolled TOTP secret: at least 160 bits (RFC 4226 section 4), at most 512. */
export const TOTP_SECRET_BYTES = { min: 20, max: 64 } as const;

/** A WebAuthn credential enrolled for an account, and where it was enrolled from (REQ-LOG-030). */
export interface WebauthnCredential {
  /** The credential id, base64url. */
  readonly id: string;
  /** Its COSE public key, base64url. */
  readonly publicKey: string;
  /** The signature counter last accepted (REQ-LOG-033). */
  readonly counter: number;
  /** The page origin it was enrolled from; every assertion must come from it. */
  readonly origin: string;
  /** The RP id it was enrolled under (the origin's host). */
  readonly rpId: string;
}

/** An account's second factors (REQ-LOG-030). */
export interface AccountFactors {
  readonly totp?: { readonly secret: Bytes; readonly state: TotpState };
  readonly webauthn: readonly WebauthnCredential[];
}

/** An account that enrolled nothing. */
export const NO_FACTORS: AccountFactors = { webauthn: [] };

/** Whether an account enrolled any factor (then a login is admitted only with one, REQ-LOG-031). */
export function hasFactor(f: AccountFactors | undefined): boolean {
  return f !== undefined && (f.totp !== undefined || f.webauthn.length > 0);
}

/** A challenge the relay issued on one connection and not yet consumed (REQ-LOG-032). */
export interface PendingFactor {
  readonly purpose: FactorPurpose;
  readonly challenge: Bytes;
  readonly issuedAt: number;
}

/** REQ-LOG-032: a fresh challenge from the relay's generator, and the `FactorChallenge` that carries it. */
export function factorChallenge(rng: Rng, purpose: FactorPurpose, factors: AccountFactors | undefined, now: number): { readonly pending: PendingFactor; readonly bytes: Bytes } {
  const challenge = rng.bytes(32);
  const f = factors ?? NO_FACTORS;
  return {
    pending: { purpose, challenge, issuedAt: now },
    bytes: encode(FactorChallenge, { purpose, totp: f.totp !== undefined, webauthn: f.webauthn.length > 0, challenge, issued_at: now }),
  };
}

/** What a checked `FactorResponse` gives: the account's factors to keep (counter, used steps, a new factor), or why it was refused. */
export type FactorVerdict =
  | { readonly ok: true; readonly purpose: FactorPurpose; readonly method: FactorMethod; readonly factors: AccountFactors }
  | { readonly ok: false; readonly reqId: ReqId; readonly detail: string };

/** Where a response arrived: the challenge issued on its connection (already consumed by the caller) and the connection's page origin. */
export interface FactorContext {
  readonly pending: PendingFactor | undefined;
  readonly factors: AccountFactors | undefined;
  readonly now: number;
  /** The `Origin` of the connection's upgrade request, when a browser opened it (REQ-WEB-002 admitted it). */
  readonly origin?: string;
}

const refuse = (reqId: ReqId, detail: string): FactorVerdict => ({ ok: false, reqId, detail });

/** The JSON object of a WebAuthn response body; anything else is refused with `reqId`. */
function json<T>(bytes: Bytes, what: string, reqId: 'REQ-LOG-030' | 'REQ-LOG-033'): T {
  const text = decodeUtf8(bytes);
  let v: unknown;
  try {
    v = text === undefined ? undefined : JSON.parse(text);
  } catch {
    v = undefined;
  }
  // REQ-LOG-030 (an enrollment's attestation) or REQ-LOG-033 (a login's assertion): the body is a JSON object, refused under the requirement of what it answers (REQ-LOG-035)
  if (v === null || typeof v !== 'object') throw new ProtocolError(reqId, `the ${what} is not a JSON object`);
  return v as T;
}

/** The RP id of a page origin: its host name (WebAuthn's default RP id). */
export function rpIdOf(origin: string): string | undefined {
  try {
    const u = new URL(origin);
    return u.origin === origin ? u.hostname : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks one `FactorResponse` against the challenge of its connection (REQ-LOG-032) and the
 * account's factors: a login answer with an enrolled factor (REQ-LOG-033 WebAuthn, REQ-LOG-034
 * TOTP), or an enrollment (REQ-LOG-030). Never throws on bad input: a refusal names its requirement.
 */
export async function checkFactorResponse(bytes: Bytes, ctx: FactorContext): Promise<FactorVerdict> {
  const d = attempt(() => decode(FactorResponse, bytes));
  if (!d.ok) return refuse(d.reqId, d.error);
  const r = d.value;
  const p = ctx.pending;
  // REQ-LOG-032: the challenge this connection was issued, for this purpose, once, while fresh
  if (p === undefined) return refuse('REQ-LOG-032', 'no factor challenge is open on this connection');
  if (p.purpose !== r.purpose || !equalConstantTime(p.challenge, r.challenge)) return refuse('REQ-LOG-032', 'the response does not answer the challenge issued on this connection');
  if (ctx.now - p.issuedAt > FACTOR_CHALLENGE_MS || ctx.now < p.issuedAt) return refuse('REQ-LOG-032', 'the factor challenge has expired');
  const factors = ctx.factors ?? NO_FACTORS;
  try {
    if (r.purpose === 'login') return r.method === 'totp' ? loginTotp(factors, r, ctx.now) : await loginWebauthn(factors, r);
    return r.method === 'totp' ? enrollTotp(factors, r, ctx.now) : await enrollWebauthn(factors, r, ctx.origin);
  } catch (e) {
    if (e instanceof ProtocolError) return refuse(e.reqId, e.message);
    // the library throws plain errors for every failed check (signature, origin, RP id, counter, challenge)
    return refuse(r.method === 'totp' ? 'REQ-LOG-034' : r.purpose === 'login' ? 'REQ-LOG-033' : 'REQ-LOG-030', e instanceof Error ? e.message : String(e));
  }
}

/** REQ-LOG-034: the code of the account's secret at the relay's time, a step accepted once (REQ-KEY-040). */
function loginTotp(factors: AccountFactors, r: FactorResponse, now: number): FactorVerdict {
  const t = factors.totp;
  if (t === undefined) return refuse('REQ-LOG-034', 'this account enrolled no TOTP secret');
  const v = verifyTotp(t.state, t.secret, r.code, now);
  if (!v.ok) return refuse('REQ-LOG-034', `TOTP: ${v.reason}`);
  return { ok: true, purpose: 'login', method: 'totp', factors: { ...factors, totp: { secret: t.secret, state: v.state } } };
}

/**
 * `@simplewebauthn/server`, loaded at the first WebAuthn check: with its ASN.1 and X.509
 * dependencies it is about 80 modules and 0.2 s of start-up, which a process that never checks a
 * WebAuthn factor (a simulation, an audit and its workers, a command-line mistake, most test
 * files: everything that imports the relay host) does not pay.
 */
const webauthnServer = (): Promise<typeof import('@simplewebauthn/server')> => import('@simplewebauthn/server');

/** REQ-LOG-033: an assertion by an enrolled credential, over this challenge, from the origin and RP id it was enrolled from, with a counter that moved on. */
async function loginWebauthn(factors: AccountFactors, r: FactorResponse): Promise<FactorVerdict> {
  const response = json<AuthenticationResponseJSON>(r.webauthn, 'assertion', 'REQ-LOG-033');
  const cred = factors.webauthn.find((c) => c.id === response.id);
  if (cred === undefined) return refuse('REQ-LOG-033', 'the assertion names no credential of this account');
  const publicKey = fromBase64Url(cred.publicKey);
  if (publicKey === undefined) return refuse('REQ-LOG-033', 'the stored credential key does not decode');
  const { verifyAuthenticationResponse } = await webauthnServer();
  const v = await verifyAuthenticationResponse({
    response,
    expectedChallenge: toBase64Url(r.challenge),
    expectedOrigin: cred.origin,
    expectedRPID: cred.rpId,
    expectedType: 'webauthn.get',
    credential: { id: cred.id, publicKey: new Uint8Array(publicKey), counter: cred.counter },
    requireUserVerification: false, // the password is the first factor; presence is required (the library checks the UP flag)
  });
  if (!v.verified) return refuse('REQ-LOG-033', 'the assertion does not verify');
  const counter = v.authenticationInfo.newCounter;
  const webauthn = factors.webauthn.map((c) => (c.id === cred.id ? { ...c, counter } : c));
  return { ok: true, purpose: 'login', method: 'webauthn', factors: { ...factors, webauthn } };
}

/** REQ-LOG-030: a TOTP secret of 20 to 64 bytes, proved by its current code. */
function enrollTotp(factors: AccountFactors, r: FactorResponse, now: number): FactorVerdict {
  const n = r.totp_secret.length;
  if (n < TOTP_SECRET_BYTES.min || n > TOTP_SECRET_BYTES.max) return refuse('REQ-LOG-030', `a TOTP secret has ${TOTP_SECRET_BYTES.min} to ${TOTP_SECRET_BYTES.max} bytes, not ${n}`);
  const v = verifyTotp(NO_TOTP_USE, r.totp_secret, r.code, now);
  if (!v.ok) return refuse('REQ-LOG-030', 'the code does not match the secret: the authenticator app does not hold it');
  return { ok: true, purpose: 'enroll', method: 'totp', factors: { ...factors, totp: { secret: r.totp_secret, state: v.state } } };
}

/** REQ-LOG-030: an attestation over this challenge from the connection's page origin; the credential is kept with that origin and its RP id. */
async function enrollWebauthn(factors: AccountFactors, r: FactorResponse, origin: string | undefined): Promise<FactorVerdict> {
  const rpId = origin === undefined ? undefined : rpIdOf(origin);
  if (origin === undefined || rpId === undefined) return refuse('REQ-LOG-030', 'a WebAuthn credential is enrolled from a page: this connection has no origin');
  const response = json<RegistrationResponseJSON>(r.webauthn, 'attestation', 'REQ-LOG-030');
  const { verifyRegistrationResponse } = await webauthnServer();
  const v = await verifyRegistrationResponse({ response, expectedChallenge: toBase64Url(r.challenge), expectedOrigin: origin, expectedRPID: rpId, expectedType: 'webauthn.create', requireUserVerification: false });
  if (!v.verified) return refuse('REQ-LOG-030', 'the attestation does not verify');
  const c = v.registrationInfo.credential;
  if (factors.webauthn.some((x) => x.id === c.id)) return refuse('REQ-LOG-030', 'this credential is already enrolled');
  const cred: WebauthnCredential = { id: c.id, publicKey: toBase64Url(c.publicKey), counter: c.counter, origin, rpId };
  return { ok: true, purpose: 'enroll', method: 'webauthn', factors: { ...factors, webauthn: [...factors.webauthn, cred] } };
}

/** The factors as JSON, for a relay's database. */
export function factorsToJson(f: AccountFactors): string {
  return JSON.stringify({ ...(f.totp === undefined ? {} : { totp: { secret: toBase64Url(f.totp.secret), used: f.totp.state.used } }), webauthn: f.webauthn });
}

/** The factors from a relay's database (what {@link factorsToJson} wrote). */
export function factorsFromJson(s: string): AccountFactors {
  const v = JSON.parse(s) as { totp?: { secret: string; used: number[] }; webauthn: WebauthnCredential[] };
  const secret = v.totp === undefined ? undefined : fromBase64Url(v.totp.secret);
  return { ...(v.totp === undefined || secret === undefined ? {} : { totp: { secret, state: { used: v.totp.used } } }), webauthn: v.webauthn };
}
