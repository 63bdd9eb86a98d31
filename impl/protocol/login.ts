/**
 * Registration and login (spec 5.9, 9): the seed's compat protocol and the hardened one, as pure
 * steps. Each step takes the state the previous one returned and the bytes received, and
 * returns the bytes to send and the next state; the machines keep the state and the clock.
 *
 * What the login does not protect (spec 9.1): the relay holds the verifier `(salt, kdf, pk_pw)`
 * and can run an offline dictionary attack on it (L2); in compat anyone who answers the client's
 * login can (L1).
 */
import { concat, equalBytes, equalConstantTime, utf8, type Bytes } from '../bytes.ts';
import { decode, encode, encodePrefix } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { check, ProtocolError } from '../errors.ts';
import {
  compatLoginKey,
  fakeLoginVerifier,
  loginClientConfirm,
  loginKey,
  loginServerConfirm,
  loginSessionKey,
  loginTranscriptHash,
} from '../keyschedule.ts';
import { sigContext } from '../labels.ts';
import {
  CompatLoginChallenge,
  CompatLoginFinish,
  CompatLoginResponse,
  CompatLoginStart,
  LoginChallenge,
  LoginFinish,
  LoginResponse,
  LoginStart,
  Register,
  type KdfParams,
} from '../messages/index.ts';
import type { Rng } from '../rng.ts';
import { DSA_SIG_BYTES, KEM_SEED_BYTES } from '../suite.ts';

/** Argon2id parameters of the profiles of spec 10.3. */
export const KDF_PROFILES: Readonly<Record<'seed' | 'interactive' | 'test', KdfParams>> = {
  seed: { algorithm: 'argon2id', memory_kib: 512_000, iterations: 3, parallelism: 2 },
  interactive: { algorithm: 'argon2id', memory_kib: 65_536, iterations: 3, parallelism: 1 },
  test: { algorithm: 'argon2id', memory_kib: 64, iterations: 1, parallelism: 1 },
};

/** The hardened client's minimum KDF parameters by default (REQ-LOG-012): the interactive profile. */
export const DEFAULT_MIN_KDF: KdfParams = KDF_PROFILES.interactive;

/**
 * The KDF parameters of a client's or a relay's own configuration (REQ-LOG-019): the interactive
 * profile, or the test profile of spec 10.3 when the configuration says `insecureTestKdf` (tests
 * and the demo's throwaway accounts, never a real client). For a client they are its floor
 * (REQ-LOG-012) and what it registers with; for a relay, what it registers accounts with and
 * announces for a username it does not hold (REQ-LOG-018). Nothing received ever sets them.
 */
export function configuredKdf(insecureTestKdf: boolean | undefined): KdfParams {
  return insecureTestKdf === true ? KDF_PROFILES.test : DEFAULT_MIN_KDF;
}

/** Default session lifetime (REQ-LOG-020): 4 hours. */
export const SESSION_LIFETIME_MS = 4 * 3600 * 1000;

/** A password as bytes: UTF-8 of its NFC form (REQ-LOG-001). */
export function passwordBytes(password: string): Bytes {
  return utf8(password.normalize('NFC'));
}

/** `seed_pw = Argon2id(password, salt, kdf, 64)` (REQ-LOG-001). */
export function passwordSeed(c: CryptoProvider, password: string, salt: Bytes, kdf: KdfParams): Bytes {
  if (kdf.algorithm !== 'argon2id') throw new ProtocolError('REQ-LOG-001', 'the login KDF is Argon2id');
  return c.argon2id(passwordBytes(password), salt, { m: kdf.memory_kib, t: kdf.iterations, p: kdf.parallelism }, KEM_SEED_BYTES);
}

/** The ML-KEM key pair a password gives under `salt` and `kdf` (REQ-LOG-001). */
export function passwordKey(c: CryptoProvider, password: string, salt: Bytes, kdf: KdfParams): { publicKey: Bytes; secretKey: Bytes } {
  return c.kemKeygen(passwordSeed(c, password, salt, kdf));
}

/** Whether `kdf` is at least `min` in every cost parameter (REQ-LOG-012). */
export function kdfAtLeast(kdf: KdfParams, min: KdfParams): boolean {
  return kdf.algorithm === 'argon2id' && kdf.memory_kib >= min.memory_kib && kdf.iterations >= min.iterations && kdf.parallelism >= min.parallelism;
}

/** Whether two KDF parameter sets are the same (REQ-LOG-017, REQ-LOG-018). */
export function sameKdf(a: KdfParams, b: KdfParams): boolean {
  return a.algorithm === b.algorithm && a.memory_kib === b.memory_kib && a.iterations === b.iterations && a.parallelism === b.parallelism;
}

/** The salt and KDF parameters of an account, as the hardened client pins them (REQ-LOG-017). */
export interface LoginPin {
  readonly salt: Bytes;
  readonly kdf: KdfParams;
}

/** Whether a challenge's salt and KDF parameters are the pinned ones (REQ-LOG-017). */
export function matchesPin(served: LoginPin, pin: LoginPin): boolean {
  return equalBytes(served.salt, pin.salt) && sameKdf(served.kdf, pin.kdf);
}

/** What the relay stores for an account (REQ-LOG-001): the verifier and the identity key. */
export interface Verifier {
  readonly username: string;
  readonly salt: Bytes;
  readonly kdf: KdfParams;
  readonly pk_pw: Bytes;
  readonly identity_pk: Bytes;
}

/** The client's registration (REQ-LOG-001, REQ-LOG-002). */
export function register(c: CryptoProvider, rng: Rng, username: string, password: string, kdf: KdfParams, identityPk: Bytes, minKdf?: KdfParams): Bytes {
  if (minKdf) check(kdfAtLeast(kdf, minKdf), 'REQ-LOG-002', 'registration KDF parameters below the minimum');
  const salt = rng.bytes(16);
  const { publicKey } = passwordKey(c, password, salt, kdf);
  return encode(Register, { username, salt, kdf, pk_pw: publicKey, identity_pk: identityPk });
}

/** The pin a registration gives its client: the salt and KDF parameters it registered with (REQ-LOG-017). */
export function registrationPin(registerBytes: Bytes): LoginPin {
  const r = decode(Register, registerBytes);
  return { salt: r.salt, kdf: r.kdf };
}

/**
 * The relay's reading of a registration (REQ-LOG-001): a username is registered once; a hardened
 * relay passes its KDF parameters as `kdf` and takes no others (REQ-LOG-018).
 */
export function acceptRegister(bytes: Bytes, exists: (username: string) => boolean, kdf?: KdfParams): Verifier {
  const r = decode(Register, bytes);
  check(!exists(r.username), 'REQ-LOG-001', `username ${r.username} is already registered`);
  if (kdf) check(sameKdf(r.kdf, kdf), 'REQ-LOG-018', `this relay registers accounts with Argon2id m=${kdf.memory_kib} KiB, t=${kdf.iterations}, p=${kdf.parallelism} only`);
  return { username: r.username, salt: r.salt, kdf: r.kdf, pk_pw: r.pk_pw, identity_pk: r.identity_pk };
}

/** REQ-LOG-001: a `Register` identical to the account held is its retransmission (it has no answer). */
export function isRegisterRetransmission(bytes: Bytes, held: Verifier | undefined): boolean {
  // a Verifier holds exactly Register's fields, and the encoding is canonical
  return held !== undefined && equalBytes(bytes, encode(Register, held));
}

// ---------------------------------------------------------------------------------------------
// compat (spec 9.3): the seed's protocol

/** compat client, step 1. */
export function compatStart(username: string): Bytes {
  return encode(CompatLoginStart, { username });
}

/** What a compat server keeps between its challenge and the response. */
export interface CompatServerState {
  readonly username: string;
  readonly ephSk: Bytes;
  readonly ss1: Bytes;
  readonly challengeC: Bytes;
}

/** compat server, step 2: fresh `pk_e`, `c1` and challenge for every login (REQ-LOG-003). */
export function compatChallenge(c: CryptoProvider, rng: Rng, v: Verifier): { bytes: Bytes; state: CompatServerState } {
  const eph = c.kemKeygen(rng.bytes(KEM_SEED_BYTES));
  const { ct, ss } = c.kemEncapsulate(v.pk_pw, rng.bytes(32));
  const challengeC = rng.bytes(32);
  const bytes = encode(CompatLoginChallenge, { pk_e: eph.publicKey, c1: ct, salt: v.salt, kdf: v.kdf, challenge: challengeC });
  return { bytes, state: { username: v.username, ephSk: eph.secretKey, ss1: ss, challengeC } };
}

/** What a compat client keeps between its response and the server's finish. */
export interface CompatClientState {
  readonly k: Bytes;
  readonly challengeS: Bytes;
}

/**
 * compat client, step 3: uses the salt and KDF parameters the server sent, unchecked
 * (REQ-LOG-004, L3), and answers anyone (L1: the response is a password test for whoever reads it).
 */
export function compatRespond(c: CryptoProvider, rng: Rng, password: string, challengeBytes: Bytes): { bytes: Bytes; state: CompatClientState } {
  const ch = decode(CompatLoginChallenge, challengeBytes);
  const sk = passwordKey(c, password, ch.salt, ch.kdf).secretKey;
  const ss1 = c.kemDecapsulate(ch.c1, sk);
  const { ct: c2, ss: ss2 } = c.kemEncapsulate(ch.pk_e, rng.bytes(32));
  const k = compatLoginKey(c, ss1, ss2);
  const challengeS = rng.bytes(32);
  const bytes = encode(CompatLoginResponse, { response: c.hmacSha256(k, ch.challenge), c2, challenge: challengeS });
  return { bytes, state: { k, challengeS } };
}

/** compat server, step 4: checks `response_C` (REQ-LOG-005) and answers `response_S`; `K` is the session key. */
export function compatFinish(c: CryptoProvider, s: CompatServerState, responseBytes: Bytes): { bytes: Bytes; sessionKey: Bytes } {
  const r = decode(CompatLoginResponse, responseBytes);
  const ss2 = c.kemDecapsulate(r.c2, s.ephSk);
  const k = compatLoginKey(c, s.ss1, ss2);
  check(equalConstantTime(r.response, c.hmacSha256(k, s.challengeC)), 'REQ-LOG-005', 'response_C does not verify');
  return { bytes: encode(CompatLoginFinish, { response: c.hmacSha256(k, r.challenge) }), sessionKey: k };
}

/** compat client, step 5: checks `response_S` (REQ-LOG-005); `K` is the session key. */
export function compatComplete(c: CryptoProvider, s: CompatClientState, finishBytes: Bytes): Bytes {
  const f = decode(CompatLoginFinish, finishBytes);
  check(equalConstantTime(f.response, c.hmacSha256(s.k, s.challengeS)), 'REQ-LOG-005', 'response_S does not verify');
  return s.k;
}

// ---------------------------------------------------------------------------------------------
// hardened (spec 9.4)

/** What a hardened client keeps between LoginStart and the challenge. */
export interface ClientStartState {
  readonly username: string;
  readonly startBytes: Bytes;
  readonly clientNonce: Bytes;
}

/** hardened client, step 1. */
export function loginStart(rng: Rng, username: string): ClientStartState {
  const clientNonce = rng.bytes(32);
  return { username, clientNonce, startBytes: encode(LoginStart, { username, client_nonce: clientNonce }) };
}

/** What a hardened server keeps for one login session (REQ-LOG-014). */
export interface ServerSession {
  readonly sessionId: Bytes;
  readonly username: string;
  /** Whether the account exists (an unknown user's login runs to REQ-LOG-013 and fails there). */
  readonly known: boolean;
  readonly ephSk: Bytes;
  readonly ss1: Bytes;
  /** `encode(LoginStart) || encode(LoginChallenge)`. */
  readonly t1: Bytes;
}

/** What the relay brings to a hardened challenge. */
export interface ChallengeInput {
  /** The relay's ML-DSA key pair (the key clients pin). */
  readonly relayKeys: { readonly publicKey: Bytes; readonly secretKey: Bytes };
  /** The secret the fake verifiers are derived from (REQ-LOG-015). */
  readonly serverSecret: Bytes;
  /** The relay's KDF parameters, announced for a username it does not hold (REQ-LOG-018). */
  readonly kdf: KdfParams;
  /** The account's verifier, or undefined for an unknown username. */
  readonly verifier: Verifier | undefined;
  /** The `th` of the connection the login runs in (REQ-LOG-011). */
  readonly channelBinding: Bytes;
  readonly now: number;
}

/**
 * hardened server, step 2: a fresh session id (REQ-LOG-014); for an unknown user the fake salt,
 * the relay's KDF parameters and a `c1` under the fake key (REQ-LOG-015, REQ-LOG-018); the whole
 * message signed with the relay key (REQ-LOG-010).
 */
export function loginChallenge(c: CryptoProvider, rng: Rng, startBytes: Bytes, i: ChallengeInput): { bytes: Bytes; session: ServerSession } {
  const start = decode(LoginStart, startBytes);
  let salt: Bytes;
  let kdf: KdfParams;
  let pkPw: Bytes;
  if (i.verifier && i.verifier.username === start.username) {
    ({ salt, kdf, pk_pw: pkPw } = i.verifier);
  } else {
    const fake = fakeLoginVerifier(c, i.serverSecret, start.username);
    salt = fake.salt;
    kdf = i.kdf; // REQ-LOG-018: what every account of this relay shows
    pkPw = c.kemKeygen(fake.seed).publicKey;
  }
  const sessionId = rng.bytes(32);
  const eph = c.kemKeygen(rng.bytes(KEM_SEED_BYTES));
  const { ct, ss } = c.kemEncapsulate(pkPw, rng.bytes(32));
  const draft: LoginChallenge = {
    session_id: sessionId,
    username: start.username,
    client_nonce: start.client_nonce,
    channel_binding: i.channelBinding,
    salt,
    kdf,
    pk_e: eph.publicKey,
    c1: ct,
    issued_at: i.now,
    signature: new Uint8Array(DSA_SIG_BYTES),
  };
  const tbs = encodePrefix(LoginChallenge, draft, 'signature');
  const signed: LoginChallenge = { ...draft, signature: c.sign(i.relayKeys.secretKey, tbs, sigContext('login challenge'), rng.bytes(32)) };
  const bytes = encode(LoginChallenge, signed);
  return { bytes, session: { sessionId, username: start.username, known: i.verifier !== undefined, ephSk: eph.secretKey, ss1: ss, t1: concat(startBytes, bytes) } };
}

/** What the hardened client checks a challenge against. */
export interface ClientCheck {
  /** The pinned relay key (REQ-LOG-010). */
  readonly pinnedRelayPk: Bytes;
  /** The `th` of the client's relay connection (REQ-LOG-011). */
  readonly channelBinding: Bytes;
  /** The minimum KDF parameters (REQ-LOG-012). */
  readonly minKdf: KdfParams;
  /** The account's pinned salt and KDF parameters, if the client holds a pin (REQ-LOG-017). */
  readonly pin: LoginPin | undefined;
}

/**
 * hardened client, the checks of step 3 (REQ-LOG-010, 011, 012, 017), which touch no password:
 * the signature first, then the echo of this login and connection, then the KDF minimum, then the
 * pin.
 */
export function checkChallenge(c: CryptoProvider, s: ClientStartState, challengeBytes: Bytes, k: ClientCheck): LoginChallenge {
  const ch = decode(LoginChallenge, challengeBytes);
  check(c.verify(k.pinnedRelayPk, encodePrefix(LoginChallenge, ch, 'signature'), sigContext('login challenge'), ch.signature), 'REQ-LOG-010', 'LoginChallenge is not signed by the pinned relay key');
  check(ch.username === s.username && equalBytes(ch.client_nonce, s.clientNonce), 'REQ-LOG-011', 'LoginChallenge answers another login');
  check(equalBytes(ch.channel_binding, k.channelBinding), 'REQ-LOG-011', 'LoginChallenge is bound to another connection');
  check(kdfAtLeast(ch.kdf, k.minKdf), 'REQ-LOG-012', 'KDF parameters below the minimum');
  if (k.pin) check(matchesPin(ch, k.pin), 'REQ-LOG-017', 'salt or KDF parameters other than the ones this account registered with');
  return ch;
}

/** What a hardened client keeps between its response and the server's finish. */
export interface ClientResponseState {
  readonly sessionId: Bytes;
  readonly k: Bytes;
  readonly h3: Bytes;
}

/** hardened client, step 3, after {@link checkChallenge}: only now is the password used. */
export function loginRespond(c: CryptoProvider, rng: Rng, s: ClientStartState, challengeBytes: Bytes, ch: LoginChallenge, password: string): { bytes: Bytes; state: ClientResponseState } {
  const sk = passwordKey(c, password, ch.salt, ch.kdf).secretKey;
  const ss1 = c.kemDecapsulate(ch.c1, sk);
  const { ct: c2, ss: ss2 } = c.kemEncapsulate(ch.pk_e, rng.bytes(32));
  const t1 = concat(s.startBytes, challengeBytes);
  const h2 = loginTranscriptHash(c, concat(t1, c2));
  const k = loginKey(c, h2, ss1, ss2);
  const confirm = loginClientConfirm(c, k, h2);
  const h3 = loginTranscriptHash(c, concat(t1, c2, confirm));
  return { bytes: encode(LoginResponse, { session_id: ch.session_id, c2, confirm }), state: { sessionId: ch.session_id, k, h3 } };
}

/** hardened server, step 4: checks `client_confirm` over the transcript (REQ-LOG-013). */
export function loginFinish(c: CryptoProvider, s: ServerSession, responseBytes: Bytes, expiresAt: number): { bytes: Bytes; sessionKey: Bytes } {
  const r = decode(LoginResponse, responseBytes);
  check(equalBytes(r.session_id, s.sessionId), 'REQ-LOG-014', 'LoginResponse for another session');
  const ss2 = c.kemDecapsulate(r.c2, s.ephSk);
  const h2 = loginTranscriptHash(c, concat(s.t1, r.c2));
  const k = loginKey(c, h2, s.ss1, ss2);
  check(s.known && equalConstantTime(r.confirm, loginClientConfirm(c, k, h2)), 'REQ-LOG-013', 'client_confirm does not verify');
  const h3 = loginTranscriptHash(c, concat(s.t1, r.c2, r.confirm));
  return { bytes: encode(LoginFinish, { session_id: s.sessionId, confirm: loginServerConfirm(c, k, h3, expiresAt), expires_at: expiresAt }), sessionKey: loginSessionKey(c, k, h3) };
}

/** hardened client, step 5: checks `server_confirm` over the transcript extended by `client_confirm`, and the expiry (REQ-LOG-013). */
export function loginComplete(c: CryptoProvider, s: ClientResponseState, finishBytes: Bytes): { sessionKey: Bytes; expiresAt: number } {
  const f = decode(LoginFinish, finishBytes);
  check(equalBytes(f.session_id, s.sessionId), 'REQ-LOG-014', 'LoginFinish for another session');
  check(equalConstantTime(f.confirm, loginServerConfirm(c, s.k, s.h3, f.expires_at)), 'REQ-LOG-013', 'server_confirm does not verify');
  return { sessionKey: loginSessionKey(c, s.k, s.h3), expiresAt: f.expires_at };
}
