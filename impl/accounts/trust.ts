/**
 * Peer trust (spec 10.2, 10.5): verifying a peer's fingerprint, the signed trust statement, the
 * key-change alarm, and the per-peer record of ML-KEM certificates that refuses rollback and
 * equivocation. Pure functions over an immutable {@link TrustState}; the client keeps the state
 * in its vault (`VaultContents.trusted`, `VaultContents.peers`).
 */
import { equalBytes, toHex, type Bytes } from '../bytes.ts';
import { encode } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { check } from '../errors.ts';
import { compatVerifySuffix, COMPAT_SUFFIX_CHARS, verifySafetyString } from '../fingerprint.ts';
import { fingerprint } from '../keyschedule.ts';
import { KemCert, TrustStatement, type PeerRecord } from '../messages/index.ts';
import { requireSigned, signStruct, verifyKemCert, type Identity } from '../protocol/identity.ts';
import type { Rng } from '../rng.ts';
import type { Profile } from '../suite.ts';

/** What a client knows about its peers. */
export interface TrustState {
  /** Trust statements by peer name (REQ-KEY-032). */
  readonly trusted: ReadonlyMap<string, TrustStatement>;
  /** The newest ML-KEM certificate seen per member id (hex) (REQ-KEY-003). */
  readonly peers: ReadonlyMap<string, PeerRecord>;
}

/** Nothing trusted, nothing seen. */
export const EMPTY_TRUST: TrustState = { trusted: new Map(), peers: new Map() };

/** How the user compared: what they read from the peer's own display. */
export interface Comparison {
  /** compat: the last characters typed from the peer's display; hardened: the 32 characters compared. */
  readonly entered: string;
  /** compat only: how many characters the check compares (default 5; the harness grinds fewer). */
  readonly suffixChars?: number;
}

/**
 * Verifies the identity key served for `name` by the user's comparison (REQ-KEY-030 compat: the
 * last 5 hex characters; REQ-KEY-031 hardened: the first 32, 128 bits), then signs a trust
 * statement over its fingerprint (REQ-KEY-032).
 */
export function verifyPeer(c: CryptoProvider, rng: Rng, profile: Profile, self: Identity, state: TrustState, name: string, servedPk: Bytes, cmp: Comparison, now: number): TrustState {
  const fp = fingerprint(c, servedPk);
  if (profile === 'compat') check(compatVerifySuffix(fp, cmp.entered, cmp.suffixChars ?? COMPAT_SUFFIX_CHARS), 'REQ-KEY-030', 'the typed characters do not match');
  else check(verifySafetyString(fp, cmp.entered), 'REQ-KEY-031', 'the 128-bit comparison string does not match');
  const statement = signStruct(c, rng, TrustStatement, { verifier_fp: self.fp, peer_fp: fp, method: profile === 'compat' ? 'suffix5' : 'prefix128', verified_at: now }, 'trust', self.secretKey);
  return { ...state, trusted: new Map(state.trusted).set(name, statement) };
}

/** Checks a trust statement's signature by its verifier (REQ-KEY-032). */
export function checkStatement(c: CryptoProvider, st: TrustStatement, verifierPk: Bytes): void {
  check(equalBytes(fingerprint(c, verifierPk), st.verifier_fp), 'REQ-KEY-032', 'the statement names another verifier');
  requireSigned(c, TrustStatement, st, 'trust', verifierPk, 'REQ-KEY-032', 'trust statement');
}

/**
 * The identity key served for `name` may be used only if it is the trusted one, when there is
 * one; a different key raises the key-change alarm (REQ-KEY-033) and is refused until the user
 * verifies it. Returns whether the peer is verified.
 */
export function acceptIdentity(c: CryptoProvider, state: TrustState, name: string, servedPk: Bytes): { verified: boolean } {
  const st = state.trusted.get(name);
  if (!st) return { verified: false };
  const same = equalBytes(st.peer_fp, fingerprint(c, servedPk));
  check(same, 'REQ-KEY-033', `the key served for ${name} is not the one you verified: key change`);
  return { verified: same };
}

/**
 * A served ML-KEM certificate for the peer with identity `identityPk` (REQ-KEY-004: its member id
 * and signature; REQ-KEY-003 hardened: no older version than the newest seen, no second
 * certificate for one version). compat keeps no record and takes the certificate served.
 */
export function acceptKemCert(c: CryptoProvider, profile: Profile, state: TrustState, identityPk: Bytes, cert: KemCert): TrustState {
  verifyKemCert(c, cert, identityPk, 'REQ-KEY-004');
  if (profile === 'compat') return state;
  const id = toHex(cert.member_id);
  const hash = c.sha256(encode(KemCert, cert));
  const seen = state.peers.get(id);
  if (seen) {
    check(cert.version >= seen.newest_kem_version, 'REQ-KEY-003', `ML-KEM key version ${cert.version} is older than version ${seen.newest_kem_version} already seen: rollback`);
    if (cert.version === seen.newest_kem_version) {
      check(equalBytes(hash, seen.newest_kem_cert_hash), 'REQ-KEY-003', `two different ML-KEM keys with version ${cert.version}: equivocation`);
      return state;
    }
  }
  return { ...state, peers: new Map(state.peers).set(id, { member_id: cert.member_id, newest_kem_version: cert.version, newest_kem_cert_hash: hash }) };
}
