/** Registration and login steps (spec 5.9, 9.2 to 9.4), both profiles, on the real backend. */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../bytes.ts';
import { decode, encode } from '../codec.ts';
import { CompatLoginChallenge, CompatLoginFinish, LoginChallenge, LoginFinish, LoginResponse, Register, type KdfParams } from '../messages/index.ts';
import {
  acceptRegister,
  isRegisterRetransmission,
  checkChallenge,
  compatChallenge,
  compatComplete,
  compatFinish,
  compatRespond,
  configuredKdf,
  DEFAULT_MIN_KDF,
  KDF_PROFILES,
  kdfAtLeast,
  loginChallenge,
  loginComplete,
  loginFinish,
  loginRespond,
  loginStart,
  passwordKey,
  register,
  registrationPin,
  type Verifier,
} from './login.ts';
import { c, testRng } from './testkit.ts';
import { rejectsWith } from '../expect-reject.ts';

const TEST = KDF_PROFILES.test;
const rng = testRng('login');
let relay: { publicKey: Uint8Array; secretKey: Uint8Array };
let other: { publicKey: Uint8Array; secretKey: Uint8Array };
let verifier: Verifier;
const th = new Uint8Array(32).fill(7);
const serverSecret = new Uint8Array(32).fill(9);

beforeAll(() => {
  relay = c.sigKeygen(rng.bytes(32));
  other = c.sigKeygen(rng.bytes(32));
  const reg = register(c, rng, 'alice', 'correct horse', TEST, new Uint8Array(1952).fill(1));
  verifier = acceptRegister(reg, () => false);
});

/** A whole hardened login; returns both session keys. */
function hardenedLogin(password: string, v: Verifier | undefined = verifier) {
  const start = loginStart(rng, 'alice');
  const ch = loginChallenge(c, rng, start.startBytes, { relayKeys: relay, serverSecret, kdf: TEST, verifier: v, channelBinding: th, now: 1000 });
  const checked = checkChallenge(c, start, ch.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: TEST, pin: undefined });
  const resp = loginRespond(c, rng, start, ch.bytes, checked, password);
  const fin = loginFinish(c, ch.session, resp.bytes, 5000);
  return { start, ch, resp, fin, client: loginComplete(c, resp.state, fin.bytes) };
}

describe('REQ-LOG-001 registration', () => {
  it('stores the salt, the KDF and the ML-KEM key the password gives, and registers a username once', () => {
    expect(verifier.username).toBe('alice');
    expect(toHex(passwordKey(c, 'correct horse', verifier.salt, TEST).publicKey)).toBe(toHex(verifier.pk_pw));
    expect(toHex(passwordKey(c, 'correct horsf', verifier.salt, TEST).publicKey)).not.toBe(toHex(verifier.pk_pw));
    rejectsWith('REQ-LOG-001', () => acceptRegister(register(c, rng, 'alice', 'x', TEST, new Uint8Array(1952)), (u) => u === 'alice'));
  });
  it('REQ-LOG-001 takes the same Register again as its retransmission, and no other Register for the username', () => {
    const reg = register(c, rng, 'dave', 'pw', TEST, new Uint8Array(1952).fill(3));
    const held = acceptRegister(reg, () => false);
    expect(isRegisterRetransmission(reg, held)).toBe(true);
    expect(isRegisterRetransmission(reg, undefined)).toBe(false);
    expect(isRegisterRetransmission(register(c, rng, 'dave', 'pw', TEST, new Uint8Array(1952).fill(3)), held)).toBe(false); // a fresh salt
    expect(isRegisterRetransmission(register(c, rng, 'dave', 'pw', TEST, new Uint8Array(1952).fill(4)), held)).toBe(false);
  });
  it('uses the NFC form of the password: the composed and decomposed spellings give one key', () => {
    const salt = new Uint8Array(16);
    expect(toHex(passwordKey(c, 'caf\u00e9', salt, TEST).publicKey)).toBe(toHex(passwordKey(c, 'cafe\u0301', salt, TEST).publicKey));
  });
  it('refuses a login KDF other than Argon2id', () => {
    rejectsWith('REQ-LOG-001', () => passwordKey(c, 'pw', new Uint8Array(16), { algorithm: 'compat_sha256', memory_kib: 0, iterations: 0, parallelism: 0 }));
  });
});

describe('REQ-LOG-002 REQ-LOG-012 KDF minimum', () => {
  it('orders KDF parameters by each cost and refuses a weaker registration', () => {
    expect(kdfAtLeast(KDF_PROFILES.seed, DEFAULT_MIN_KDF)).toBe(true);
    expect(kdfAtLeast(KDF_PROFILES.test, DEFAULT_MIN_KDF)).toBe(false);
    expect(kdfAtLeast({ ...DEFAULT_MIN_KDF, iterations: 2 }, DEFAULT_MIN_KDF)).toBe(false);
    rejectsWith('REQ-LOG-002', () => register(c, rng, 'bob', 'pw', TEST, new Uint8Array(1952), DEFAULT_MIN_KDF));
  });
});

describe('REQ-LOG-019 the KDF parameters come from the configuration', () => {
  it('are the interactive profile unless the configuration says insecureTestKdf, and then the test profile', () => {
    expect(configuredKdf(undefined)).toEqual(KDF_PROFILES.interactive);
    expect(configuredKdf(false)).toEqual(DEFAULT_MIN_KDF);
    expect(configuredKdf(true)).toEqual(KDF_PROFILES.test);
  });
});

describe('REQ-LOG-018 the relay registers accounts with its own KDF parameters only', () => {
  it('takes a Register with exactly its parameters and refuses any other, stronger ones included', () => {
    const good = decode(Register, register(c, rng, 'erin', 'pw', TEST, new Uint8Array(1952)));
    expect(acceptRegister(encode(Register, good), () => false, TEST).username).toBe('erin');
    // (the relay reads the parameters, it derives nothing: the Register is edited, not made with them)
    for (const other of [KDF_PROFILES.interactive, KDF_PROFILES.seed, { ...TEST, iterations: 2 }, { ...TEST, memory_kib: 128 }]) {
      rejectsWith('REQ-LOG-018', () => acceptRegister(encode(Register, { ...good, kdf: other }), () => false, TEST));
    }
    rejectsWith('REQ-LOG-018', () => acceptRegister(encode(Register, good), () => false, DEFAULT_MIN_KDF));
  });
});

describe('REQ-LOG-003 REQ-LOG-004 REQ-LOG-005 compat login (the seed protocol)', () => {
  it('gives both ends K = SHA-256(ss1 || ss2) as the session key with the right password', () => {
    const ch = compatChallenge(c, rng, verifier);
    const r = compatRespond(c, rng, 'correct horse', ch.bytes);
    const fin = compatFinish(c, ch.state, r.bytes);
    expect(toHex(compatComplete(c, r.state, fin.bytes))).toBe(toHex(fin.sessionKey));
  });
  it('uses fresh pk_e, c1 and challenge for every login (REQ-LOG-003)', () => {
    const a = decode(CompatLoginChallenge, compatChallenge(c, rng, verifier).bytes);
    const b = decode(CompatLoginChallenge, compatChallenge(c, rng, verifier).bytes);
    expect(equalBytes(a.pk_e, b.pk_e) || equalBytes(a.c1, b.c1) || equalBytes(a.challenge, b.challenge)).toBe(false);
  });
  it('refuses a wrong password at the server (REQ-LOG-005)', () => {
    const ch = compatChallenge(c, rng, verifier);
    rejectsWith('REQ-LOG-005', () => compatFinish(c, ch.state, compatRespond(c, rng, 'wrong', ch.bytes).bytes));
  });
  it('REQ-LOG-005 refuses at the client a response_S that is not the MAC of its challenge under K (a relay without the verifier)', () => {
    const ch = compatChallenge(c, rng, verifier);
    const r = compatRespond(c, rng, 'correct horse', ch.bytes);
    const fin = decode(CompatLoginFinish, compatFinish(c, ch.state, r.bytes).bytes);
    for (const response of [new Uint8Array(32), fin.response.map((b, i) => (i === 0 ? b ^ 1 : b))]) {
      rejectsWith('REQ-LOG-005', () => compatComplete(c, r.state, encode(CompatLoginFinish, { response })));
    }
  });
  it('answers a challenge with any salt and KDF parameters, unchecked (REQ-LOG-004, L3)', () => {
    const fake = encode(CompatLoginChallenge, { ...decode(CompatLoginChallenge, compatChallenge(c, rng, verifier).bytes), kdf: { algorithm: 'argon2id', memory_kib: 8, iterations: 1, parallelism: 1 }, salt: new Uint8Array(16) });
    expect(compatRespond(c, rng, 'correct horse', fake).bytes.length).toBeGreaterThan(1000);
  });
});

describe('hardened login (spec 9.4)', () => {
  it('gives both ends one session key and the announced expiry (REQ-LOG-013, REQ-LOG-020)', () => {
    const l = hardenedLogin('correct horse');
    expect(toHex(l.client.sessionKey)).toBe(toHex(l.fin.sessionKey));
    expect(l.client.expiresAt).toBe(5000);
  });
  it('REQ-LOG-010: refuses a challenge signed by another key, before using the password', () => {
    const start = loginStart(rng, 'alice');
    const ch = loginChallenge(c, rng, start.startBytes, { relayKeys: other, serverSecret, kdf: TEST, verifier, channelBinding: th, now: 1 });
    rejectsWith('REQ-LOG-010', () => checkChallenge(c, start, ch.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: TEST, pin: undefined }));
  });
  it('REQ-LOG-010: refuses a challenge with any signed field changed', () => {
    const start = loginStart(rng, 'alice');
    const ch = loginChallenge(c, rng, start.startBytes, { relayKeys: relay, serverSecret, kdf: TEST, verifier, channelBinding: th, now: 1 });
    const v = decode(LoginChallenge, ch.bytes);
    for (const edited of [{ ...v, salt: new Uint8Array(16) }, { ...v, kdf: { ...v.kdf, iterations: 2 } }, { ...v, issued_at: 2 }, { ...v, pk_e: v.pk_e.map((x, i) => (i === 0 ? x ^ 1 : x)) }]) {
      rejectsWith('REQ-LOG-010', () => checkChallenge(c, start, encode(LoginChallenge, edited), { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: TEST, pin: undefined }));
    }
  });
  it('REQ-LOG-011: refuses a genuine challenge for another login or another connection', () => {
    const start = loginStart(rng, 'alice');
    const ch = loginChallenge(c, rng, start.startBytes, { relayKeys: relay, serverSecret, kdf: TEST, verifier, channelBinding: th, now: 1 });
    const later = loginStart(rng, 'alice');
    rejectsWith('REQ-LOG-011', () => checkChallenge(c, later, ch.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: TEST, pin: undefined }));
    rejectsWith('REQ-LOG-011', () => checkChallenge(c, start, ch.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: new Uint8Array(32), minKdf: TEST, pin: undefined }));
  });
  it('REQ-LOG-012: refuses KDF parameters below the minimum', () => {
    const start = loginStart(rng, 'alice');
    const ch = loginChallenge(c, rng, start.startBytes, { relayKeys: relay, serverSecret, kdf: TEST, verifier, channelBinding: th, now: 1 });
    rejectsWith('REQ-LOG-012', () => checkChallenge(c, start, ch.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: DEFAULT_MIN_KDF, pin: undefined }));
  });
  it('REQ-LOG-017: refuses a genuine challenge whose salt or KDF parameters are not the pinned ones, and takes the pinned ones', () => {
    const pin = { salt: verifier.salt, kdf: verifier.kdf };
    const start = loginStart(rng, 'alice');
    const ch = loginChallenge(c, rng, start.startBytes, { relayKeys: relay, serverSecret, kdf: TEST, verifier, channelBinding: th, now: 1 });
    expect(checkChallenge(c, start, ch.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: TEST, pin }).session_id.length).toBe(32);
    // the relay (it holds its key) answers with another salt, or the same salt at other parameters: both signed, both refused
    for (const other of [{ ...verifier, salt: new Uint8Array(16).fill(0x5a) }, { ...verifier, kdf: { ...TEST, iterations: 2 } }]) {
      const forged = loginChallenge(c, rng, start.startBytes, { relayKeys: relay, serverSecret, kdf: TEST, verifier: other, channelBinding: th, now: 1 });
      rejectsWith('REQ-LOG-017', () => checkChallenge(c, start, forged.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: TEST, pin }));
      // a client that holds no pin takes it (trust on first use)
      expect(checkChallenge(c, start, forged.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: TEST, pin: undefined }).username).toBe('alice');
    }
  });
  it('REQ-LOG-017: a registration pins the salt and KDF parameters it sent', () => {
    const reg = register(c, rng, 'frank', 'pw', TEST, new Uint8Array(1952));
    const v = acceptRegister(reg, () => false);
    expect(registrationPin(reg)).toEqual({ salt: v.salt, kdf: v.kdf });
  });
  it('REQ-LOG-013: a wrong password fails at the server; a reflected client confirmation fails at the client', () => {
    rejectsWith('REQ-LOG-013', () => hardenedLogin('wrong'));
    const start = loginStart(rng, 'alice');
    const ch = loginChallenge(c, rng, start.startBytes, { relayKeys: relay, serverSecret, kdf: TEST, verifier, channelBinding: th, now: 1 });
    const resp = loginRespond(c, rng, start, ch.bytes, checkChallenge(c, start, ch.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: TEST, pin: undefined }), 'correct horse');
    const r = decode(LoginResponse, resp.bytes);
    rejectsWith('REQ-LOG-013', () => loginComplete(c, resp.state, encode(LoginFinish, { session_id: r.session_id, confirm: r.confirm, expires_at: 9 })));
  });
  it('REQ-LOG-013: a LoginFinish whose expiry was changed on the way is refused (PROP-22: the audit found it accepted)', () => {
    const a = hardenedLogin('correct horse');
    expect(a.client.expiresAt).toBe(5000);
    const f = decode(LoginFinish, a.fin.bytes);
    for (const expires_at of [5001, 4999, 0, Number.MAX_SAFE_INTEGER]) {
      rejectsWith('REQ-LOG-013', () => loginComplete(c, a.resp.state, encode(LoginFinish, { ...f, expires_at })));
    }
  });
  it('REQ-LOG-014: a response for another session is refused', () => {
    const a = hardenedLogin('correct horse');
    const start = loginStart(rng, 'alice');
    const ch = loginChallenge(c, rng, start.startBytes, { relayKeys: relay, serverSecret, kdf: TEST, verifier, channelBinding: th, now: 1 });
    rejectsWith('REQ-LOG-014', () => loginFinish(c, ch.session, a.resp.bytes, 9));
  });
  it('REQ-LOG-014: a LoginFinish naming another session is refused at the client, its confirmation valid (server_confirm does not cover the session id)', () => {
    const a = hardenedLogin('correct horse');
    const f = decode(LoginFinish, a.fin.bytes);
    const other = f.session_id.map((b, i) => (i === 0 ? b ^ 1 : b));
    rejectsWith('REQ-LOG-014', () => loginComplete(c, a.resp.state, encode(LoginFinish, { ...f, session_id: other })));
    expect(loginComplete(c, a.resp.state, encode(LoginFinish, f)).expiresAt).toBe(5000);
  });
  it('REQ-LOG-015: an unknown username gets a deterministic fake salt, a challenge of the same shape, and fails at REQ-LOG-013', () => {
    const challengeFor = (name: string) => {
      const start = loginStart(rng, name);
      return { start, ch: loginChallenge(c, rng, start.startBytes, { relayKeys: relay, serverSecret, kdf: TEST, verifier: undefined, channelBinding: th, now: 1 }) };
    };
    const a = challengeFor('bobby'); // as long as 'alice', so the sizes compare
    const b = challengeFor('bobby');
    expect(toHex(decode(LoginChallenge, a.ch.bytes).salt)).toBe(toHex(decode(LoginChallenge, b.ch.bytes).salt));
    expect(toHex(decode(LoginChallenge, a.ch.bytes).salt)).not.toBe(toHex(decode(LoginChallenge, challengeFor('somebody').ch.bytes).salt));
    expect(a.ch.bytes.length).toBe(hardenedLogin('correct horse').ch.bytes.length);
    expect(decode(LoginChallenge, a.ch.bytes).kdf).toEqual(TEST); // REQ-LOG-018: the relay's parameters, which its accounts have
    const checked = checkChallenge(c, a.start, a.ch.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: TEST, pin: undefined });
    rejectsWith('REQ-LOG-013', () => loginFinish(c, a.ch.session, loginRespond(c, rng, a.start, a.ch.bytes, checked, 'any').bytes, 9));
  });
  it('binds confirmations and the session key to the transcript: any changed byte of c2 or confirm fails (REQ-LOG-013)', () => {
    const start = loginStart(rng, 'alice');
    const ch = loginChallenge(c, rng, start.startBytes, { relayKeys: relay, serverSecret, kdf: TEST, verifier, channelBinding: th, now: 1 });
    const resp = loginRespond(c, rng, start, ch.bytes, checkChallenge(c, start, ch.bytes, { pinnedRelayPk: relay.publicKey, channelBinding: th, minKdf: TEST, pin: undefined }), 'correct horse');
    const r = decode(LoginResponse, resp.bytes);
    fc.assert(
      fc.property(fc.constantFrom('c2' as const, 'confirm' as const), fc.nat(), fc.integer({ min: 1, max: 255 }), (field, at, x) => {
        const v = r[field].slice();
        v[at % v.length]! ^= x;
        rejectsWith('REQ-LOG-013', () => loginFinish(c, ch.session, encode(LoginResponse, { ...r, [field]: v }), 9));
      }),
      { numRuns: 25 },
    );
  });
});

describe('Register is decoded strictly', () => {
  it('refuses a registration with KDF parameters the codec rejects', () => {
    const good = decode(Register, register(c, rng, 'carol', 'pw', TEST, new Uint8Array(1952)));
    const bad: KdfParams = { algorithm: 'argon2id', memory_kib: 4, iterations: 1, parallelism: 1 };
    expect(() => acceptRegister(encode(Register, { ...good, kdf: bad }), () => false)).toThrow();
  });
});
