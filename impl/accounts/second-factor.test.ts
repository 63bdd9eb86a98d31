/**
 * The relay's checks of a second factor (spec 9.7), on responses built by a software
 * authenticator and RFC 6238 codes at injected times.
 */
import { describe, expect, it } from 'vitest';
import { utf8, type Bytes } from '../bytes.ts';
import { decode, encode } from '../codec.ts';
import { FactorChallenge, FactorResponse, type FactorMethod, type FactorPurpose } from '../messages/index.ts';
import { deterministicRng } from '../rng.ts';
import { checkFactorResponse, FACTOR_CHALLENGE_MS, factorChallenge, factorsFromJson, factorsToJson, hasFactor, NO_FACTORS, type AccountFactors, type PendingFactor } from './second-factor.ts';
import { totp } from './totp.ts';
import { assertion, attestation, badSelfAttestation, softCredential } from './webauthn-authenticator.fixture.ts';

const ORIGIN = 'http://localhost:8080';
const RP = 'localhost';
const T0 = 1_700_000_000_000;
const empty = new Uint8Array(0);

function response(purpose: FactorPurpose, method: FactorMethod, challenge: Bytes, o: { code?: string; secret?: Bytes; webauthn?: Bytes } = {}): Bytes {
  return encode(FactorResponse, { purpose, method, challenge, totp_secret: o.secret ?? empty, code: o.code ?? '', webauthn: o.webauthn ?? empty });
}

let seed = 0;
const challengeFor = (purpose: FactorPurpose, factors: AccountFactors | undefined, now = T0): PendingFactor => factorChallenge(deterministicRng(utf8(`test ${++seed}`)), purpose, factors, now).pending;

/** An account with one WebAuthn credential enrolled from ORIGIN. */
async function enrolled() {
  const cred = softCredential(utf8('credential-one'));
  const p = challengeFor('enroll', NO_FACTORS);
  const v = await checkFactorResponse(response('enroll', 'webauthn', p.challenge, { webauthn: attestation(cred, p.challenge, ORIGIN, RP) }), { pending: p, factors: NO_FACTORS, now: T0 + 1000, origin: ORIGIN });
  if (!v.ok) throw new Error(`${v.reqId} ${v.detail}`);
  return { cred, factors: v.factors };
}

describe('REQ-LOG-032 factor challenges', () => {
  it('REQ-LOG-032 a challenge is 32 bytes from the injected generator: the same seed gives the same FactorChallenge, another seed another one', () => {
    const a = factorChallenge(deterministicRng(utf8('s')), 'login', { webauthn: [], totp: { secret: new Uint8Array(20), state: { used: [] } } }, T0);
    const b = factorChallenge(deterministicRng(utf8('s')), 'login', { webauthn: [], totp: { secret: new Uint8Array(20), state: { used: [] } } }, T0);
    const c = factorChallenge(deterministicRng(utf8('t')), 'login', NO_FACTORS, T0);
    expect(a.bytes).toEqual(b.bytes);
    expect(c.pending.challenge).not.toEqual(a.pending.challenge);
    const d = decode(FactorChallenge, a.bytes);
    expect(d).toMatchObject({ purpose: 'login', totp: true, webauthn: false, issued_at: T0 });
    expect(d.challenge).toHaveLength(32);
    expect(decode(FactorChallenge, c.bytes)).toMatchObject({ totp: false, webauthn: false });
  });

  it('REQ-LOG-032 a response with no open challenge (a replay after the first answer consumed it), to another challenge, for another purpose or after two minutes is refused', async () => {
    const { cred, factors } = await enrolled();
    const p = challengeFor('login', factors);
    const good = response('login', 'webauthn', p.challenge, { webauthn: assertion(cred, p.challenge, ORIGIN, RP) });
    const replay = await checkFactorResponse(good, { pending: undefined, factors, now: T0 + 2000 });
    expect(replay).toMatchObject({ ok: false, reqId: 'REQ-LOG-032' });
    const other = challengeFor('login', factors);
    expect(await checkFactorResponse(good, { pending: other, factors, now: T0 + 2000 })).toMatchObject({ ok: false, reqId: 'REQ-LOG-032' });
    expect(await checkFactorResponse(good, { pending: { ...p, purpose: 'enroll' }, factors, now: T0 + 2000 })).toMatchObject({ ok: false, reqId: 'REQ-LOG-032' });
    expect(await checkFactorResponse(good, { pending: p, factors, now: T0 + FACTOR_CHALLENGE_MS + 1 })).toMatchObject({ ok: false, reqId: 'REQ-LOG-032', detail: expect.stringContaining('expired') });
    // the same bytes, on the challenge they answer and in time, pass: what failed above was the challenge
    expect(await checkFactorResponse(good, { pending: p, factors, now: T0 + FACTOR_CHALLENGE_MS })).toMatchObject({ ok: true, method: 'webauthn' });
  });
});

describe('REQ-LOG-030 enrolling a factor', () => {
  it('REQ-LOG-030 a WebAuthn attestation over the challenge from the connection origin enrolls the credential with that origin and RP id', async () => {
    const { factors } = await enrolled();
    expect(factors.webauthn).toHaveLength(1);
    expect(factors.webauthn[0]).toMatchObject({ origin: ORIGIN, rpId: RP, counter: 0 });
    expect(hasFactor(factors)).toBe(true);
    expect(hasFactor(NO_FACTORS)).toBe(false);
    expect(factorsFromJson(factorsToJson(factors))).toEqual(factors);
  });

  it('REQ-LOG-030 an attestation made for another origin, one on a connection without origin, or one over another challenge is refused', async () => {
    const cred = softCredential(utf8('credential-two'));
    const p = challengeFor('enroll', NO_FACTORS);
    const evil = await checkFactorResponse(response('enroll', 'webauthn', p.challenge, { webauthn: attestation(cred, p.challenge, 'http://evil.example', 'evil.example') }), { pending: p, factors: NO_FACTORS, now: T0, origin: ORIGIN });
    expect(evil).toMatchObject({ ok: false, reqId: 'REQ-LOG-030' });
    const noOrigin = await checkFactorResponse(response('enroll', 'webauthn', p.challenge, { webauthn: attestation(cred, p.challenge, ORIGIN, RP) }), { pending: p, factors: NO_FACTORS, now: T0 });
    expect(noOrigin).toMatchObject({ ok: false, reqId: 'REQ-LOG-030' });
    const q = challengeFor('enroll', NO_FACTORS);
    const otherChallenge = await checkFactorResponse(response('enroll', 'webauthn', p.challenge, { webauthn: attestation(cred, q.challenge, ORIGIN, RP) }), { pending: p, factors: NO_FACTORS, now: T0, origin: ORIGIN });
    expect(otherChallenge).toMatchObject({ ok: false, reqId: 'REQ-LOG-030' });
    // the library's own message is the detail, as it is (not the Error's toString)
    expect(evil.ok ? '' : evil.detail).toMatch(/origin/i);
    expect(evil.ok ? '' : evil.detail).not.toMatch(/^Error/);
  });

  it('REQ-LOG-030 an enrollment whose attestation is not a JSON object (not JSON, null, a number, a string) is refused naming REQ-LOG-030, the requirement it fails (REQ-LOG-035)', async () => {
    for (const body of ['{not json', 'null', '5', '"attestation"', '']) {
      const p = challengeFor('enroll', NO_FACTORS);
      const v = await checkFactorResponse(response('enroll', 'webauthn', p.challenge, { webauthn: utf8(body) }), { pending: p, factors: NO_FACTORS, now: T0, origin: ORIGIN });
      expect(v).toMatchObject({ ok: false, reqId: 'REQ-LOG-030' });
    }
  });

  it('REQ-LOG-030 a TOTP secret is enrolled only with its current code, and only with 20 to 64 bytes', async () => {
    const secret = utf8('12345678901234567890');
    const p = challengeFor('enroll', NO_FACTORS);
    const ok = await checkFactorResponse(response('enroll', 'totp', p.challenge, { secret, code: totp(secret, T0) }), { pending: p, factors: NO_FACTORS, now: T0 });
    expect(ok).toMatchObject({ ok: true, method: 'totp', purpose: 'enroll' });
    expect(ok.ok && ok.factors.totp?.secret).toEqual(secret);
    const wrong = await checkFactorResponse(response('enroll', 'totp', p.challenge, { secret, code: totp(secret, T0 + 10 * 60_000) }), { pending: p, factors: NO_FACTORS, now: T0 });
    expect(wrong).toMatchObject({ ok: false, reqId: 'REQ-LOG-030' });
    const short = utf8('0123456789012345678');
    const tooShort = await checkFactorResponse(response('enroll', 'totp', p.challenge, { secret: short, code: totp(short, T0) }), { pending: p, factors: NO_FACTORS, now: T0 });
    expect(tooShort).toMatchObject({ ok: false, reqId: 'REQ-LOG-030' });
    const longest = new Uint8Array(64).map((_, i) => i * 7);
    const q = challengeFor('enroll', NO_FACTORS);
    expect(await checkFactorResponse(response('enroll', 'totp', q.challenge, { secret: longest, code: totp(longest, T0) }), { pending: q, factors: NO_FACTORS, now: T0 })).toMatchObject({ ok: true, method: 'totp' });
  });

  it('REQ-LOG-030 each WebAuthn enrollment check refuses by itself: no origin, an attestation the library finds not verified, a credential already enrolled', async () => {
    const cred = softCredential(utf8('credential-three'));
    const p = challengeFor('enroll', NO_FACTORS);
    const noOrigin = await checkFactorResponse(response('enroll', 'webauthn', p.challenge, { webauthn: attestation(cred, p.challenge, ORIGIN, RP) }), { pending: p, factors: NO_FACTORS, now: T0 });
    expect(noOrigin).toMatchObject({ ok: false, reqId: 'REQ-LOG-030', detail: 'a WebAuthn credential is enrolled from a page: this connection has no origin' });
    const bad = await checkFactorResponse(response('enroll', 'webauthn', p.challenge, { webauthn: badSelfAttestation(cred, p.challenge, ORIGIN, RP) }), { pending: p, factors: NO_FACTORS, now: T0, origin: ORIGIN });
    expect(bad).toMatchObject({ ok: false, reqId: 'REQ-LOG-030', detail: 'the attestation does not verify' });
    const { cred: one, factors } = await enrolled();
    const q = challengeFor('enroll', factors);
    const again = await checkFactorResponse(response('enroll', 'webauthn', q.challenge, { webauthn: attestation(one, q.challenge, ORIGIN, RP) }), { pending: q, factors, now: T0, origin: ORIGIN });
    expect(again).toMatchObject({ ok: false, reqId: 'REQ-LOG-030', detail: 'this credential is already enrolled' });
  });
});

describe('REQ-LOG-033 a WebAuthn assertion as second factor', () => {
  it('REQ-LOG-033 the enrolled credential signing the challenge from its origin passes, and the new counter is kept', async () => {
    const { cred, factors } = await enrolled();
    const p = challengeFor('login', factors);
    const v = await checkFactorResponse(response('login', 'webauthn', p.challenge, { webauthn: assertion(cred, p.challenge, ORIGIN, RP, 7) }), { pending: p, factors, now: T0 + 5000 });
    expect(v).toMatchObject({ ok: true, purpose: 'login', method: 'webauthn' });
    expect(v.ok && v.factors.webauthn[0]!.counter).toBe(7);
  });

  it('REQ-LOG-033 a wrong signature (another key under the same credential id) is refused', async () => {
    const { factors } = await enrolled();
    const impostor = softCredential(utf8('credential-one'));
    const p = challengeFor('login', factors);
    const v = await checkFactorResponse(response('login', 'webauthn', p.challenge, { webauthn: assertion(impostor, p.challenge, ORIGIN, RP) }), { pending: p, factors, now: T0 + 5000 });
    expect(v).toMatchObject({ ok: false, reqId: 'REQ-LOG-033' });
  });

  it('REQ-LOG-033 an assertion made for another origin or RP id (a phishing page relaying the challenge) is refused', async () => {
    const { cred, factors } = await enrolled();
    const p = challengeFor('login', factors);
    const evilOrigin = await checkFactorResponse(response('login', 'webauthn', p.challenge, { webauthn: assertion(cred, p.challenge, 'http://localhost.evil.example', RP) }), { pending: p, factors, now: T0 + 5000 });
    expect(evilOrigin).toMatchObject({ ok: false, reqId: 'REQ-LOG-033' });
    expect(evilOrigin.ok ? '' : evilOrigin.detail).toMatch(/origin/i);
    const evilRp = await checkFactorResponse(response('login', 'webauthn', p.challenge, { webauthn: assertion(cred, p.challenge, ORIGIN, 'evil.example') }), { pending: p, factors, now: T0 + 5000 });
    expect(evilRp).toMatchObject({ ok: false, reqId: 'REQ-LOG-033' });
  });

  it('REQ-LOG-033 a counter that did not move on (a cloned authenticator or a replayed assertion), an unknown credential and a malformed body are refused', async () => {
    const { cred, factors } = await enrolled();
    const p1 = challengeFor('login', factors);
    const first = await checkFactorResponse(response('login', 'webauthn', p1.challenge, { webauthn: assertion(cred, p1.challenge, ORIGIN, RP, 5) }), { pending: p1, factors, now: T0 });
    if (!first.ok) throw new Error(first.detail);
    const p2 = challengeFor('login', first.factors);
    const stale = await checkFactorResponse(response('login', 'webauthn', p2.challenge, { webauthn: assertion(cred, p2.challenge, ORIGIN, RP, 5) }), { pending: p2, factors: first.factors, now: T0 });
    expect(stale).toMatchObject({ ok: false, reqId: 'REQ-LOG-033' });
    const stranger = softCredential(utf8('not enrolled'));
    const unknown = await checkFactorResponse(response('login', 'webauthn', p2.challenge, { webauthn: assertion(stranger, p2.challenge, ORIGIN, RP) }), { pending: p2, factors: first.factors, now: T0 });
    expect(unknown).toMatchObject({ ok: false, reqId: 'REQ-LOG-033', detail: 'the assertion names no credential of this account' });
    const broken = { ...first.factors, webauthn: first.factors.webauthn.map((x) => ({ ...x, publicKey: '!not base64url!' })) };
    const p3 = challengeFor('login', broken);
    const undecodable = await checkFactorResponse(response('login', 'webauthn', p3.challenge, { webauthn: assertion(cred, p3.challenge, ORIGIN, RP) }), { pending: p3, factors: broken, now: T0 });
    expect(undecodable).toMatchObject({ ok: false, reqId: 'REQ-LOG-033', detail: 'the stored credential key does not decode' });
    const junk = await checkFactorResponse(response('login', 'webauthn', p2.challenge, { webauthn: utf8('{not json') }), { pending: p2, factors: first.factors, now: T0 });
    expect(junk).toMatchObject({ ok: false, reqId: 'REQ-LOG-033' });
    for (const body of ['null', '5', '"assertion"']) {
      const p = challengeFor('login', first.factors);
      const v = await checkFactorResponse(response('login', 'webauthn', p.challenge, { webauthn: utf8(body) }), { pending: p, factors: first.factors, now: T0 });
      expect(v).toMatchObject({ ok: false, reqId: 'REQ-LOG-033', detail: expect.stringContaining('the assertion is not a JSON object') });
    }
  });
});

describe('REQ-LOG-034 a TOTP code as second factor', () => {
  const secret = utf8('12345678901234567890');
  const factors: AccountFactors = { webauthn: [], totp: { secret, state: { used: [] } } };

  it('REQ-LOG-034 the code of the relay time (injected) passes once; the same code again, a wrong code and a code of another time are refused', async () => {
    const now = T0 + 45_000;
    const p = challengeFor('login', factors, now);
    const ok = await checkFactorResponse(response('login', 'totp', p.challenge, { code: totp(secret, now) }), { pending: p, factors, now });
    expect(ok).toMatchObject({ ok: true, method: 'totp' });
    if (!ok.ok) return;
    const q = challengeFor('login', ok.factors, now + 1000);
    const replay = await checkFactorResponse(response('login', 'totp', q.challenge, { code: totp(secret, now) }), { pending: q, factors: ok.factors, now: now + 1000 });
    expect(replay).toMatchObject({ ok: false, reqId: 'REQ-LOG-034', detail: expect.stringContaining('replayed') });
    const wrongDigit = String((Number(totp(secret, now)) + 1) % 1_000_000).padStart(6, '0');
    expect(await checkFactorResponse(response('login', 'totp', q.challenge, { code: wrongDigit }), { pending: q, factors, now: now + 1000 })).toMatchObject({ ok: false, reqId: 'REQ-LOG-034' });
    expect(await checkFactorResponse(response('login', 'totp', q.challenge, { code: totp(secret, now - 5 * 60_000) }), { pending: q, factors, now: now + 1000 })).toMatchObject({ ok: false, reqId: 'REQ-LOG-034' });
  });

  it('REQ-LOG-034 an account without a TOTP secret has no TOTP code to give', async () => {
    const p = challengeFor('login', NO_FACTORS);
    expect(await checkFactorResponse(response('login', 'totp', p.challenge, { code: totp(secret, T0) }), { pending: p, factors: NO_FACTORS, now: T0 })).toMatchObject({ ok: false, reqId: 'REQ-LOG-034', detail: 'this account enrolled no TOTP secret' });
  });
});
