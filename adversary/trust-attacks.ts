/**
 * Trust attacks (spec 11.4 ATK-21, ATK-22, ATK-23) and their oracles (spec 12 PROP-23, PROP-24,
 * PROP-25). The relay serves alice the keys of her peer bob (its directory: identity key and
 * ML-KEM certificate); alice's trust decisions are the steps of impl/accounts/trust.ts, and
 * the user's comparison is modelled as what she reads from bob's own display (his real
 * fingerprint). The oracles compare what alice accepted with bob's real keys.
 */
import { equalBytes, toHex, type Bytes } from '../impl/bytes.ts';
import { attempt, type ReqId } from '../impl/errors.ts';
import { COMPAT_SUFFIX_CHARS, safetyString } from '../impl/fingerprint.ts';
import { fingerprint, simSeed } from '../impl/keyschedule.ts';
import type { KemCert } from '../impl/messages/index.ts';
import { acceptIdentity, acceptKemCert, EMPTY_TRUST, verifyPeer, type TrustState } from '../impl/accounts/trust.ts';
import { createIdentity, makeKemKey, rotateKem, type Identity } from '../impl/protocol/identity.ts';
import { deterministicRng, type StatefulRng } from '../impl/rng.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { Profile } from '../impl/suite.ts';
import { backendCrypto, type Backend } from '../simulator/run.ts';
import { traceRecorder, type TraceRecorder } from '../simulator/trace.ts';
import type { NamedAttack, RunVerdict } from './attacks.ts';
import type { PropId, Violation } from './oracles/index.ts';

/** Hex characters ATK-22 grinds: 3 (12 bits) keeps a real-key run to seconds; the seed's 5 take 256 times as many key generations. */
export const GRIND_HEX_CHARS = 3;
/** The most key pairs ATK-22 tries (16 times the expected count). */
export const GRIND_LIMIT = 16 * 16 ** GRIND_HEX_CHARS;

/** The properties the trust oracles check. */
export const TRUST_PROPERTIES: readonly PropId[] = ['PROP-23', 'PROP-24', 'PROP-25'];

/** A run's world: alice, bob and the adversary's directory. */
export interface TrustWorld {
  readonly profile: Profile;
  readonly crypto: CryptoProvider;
  readonly rng: StatefulRng;
  readonly alice: Identity;
  bob: Identity;
  trust: TrustState;
  /** The identity key alice uses for bob, if she has accepted one. */
  bobKeyInUse: Bytes | undefined;
  /** The ML-KEM certificates of bob alice has accepted, in order. */
  readonly kemAccepted: KemCert[];
  readonly trace: TraceRecorder;
  readonly violations: Violation[];
  readonly detected: ReqId[];
  t: number;
}

/** A trust attack. */
export interface TrustAttack extends NamedAttack {
  /** Runs the attack; returns how often each step fired. */
  readonly run: (w: TrustWorld) => number[];
}

function note(w: TrustWorld, actor: string, what: string, detail?: string): void {
  w.t += 1;
  w.trace.add({ t: w.t, kind: 'event', actor, what, ...(detail === undefined ? {} : { detail }) });
}

/** alice refused what was served: the requirement is recorded as detected and traced. */
function refused(w: TrustWorld, kind: 'reject' | 'alarm', r: { readonly reqId: ReqId; readonly error: string }): void {
  w.detected.push(r.reqId);
  w.trace.add({ t: ++w.t, kind, actor: 'alice', reqId: r.reqId, detail: r.error });
}

/** alice verifies the identity key served for bob, comparing with bob's own display (REQ-KEY-030, 031). */
function verifyServed(w: TrustWorld, served: Bytes, suffixChars?: number): boolean {
  const real = toHex(w.bob.fp);
  const entered = w.profile === 'compat' ? real.slice(64 - (suffixChars ?? COMPAT_SUFFIX_CHARS)) : safetyString(w.bob.fp);
  const r = attempt(() => verifyPeer(w.crypto, w.rng, w.profile, w.alice, w.trust, 'bob', served, { entered, ...(suffixChars === undefined ? {} : { suffixChars }) }, w.t));
  if (!r.ok) {
    refused(w, 'reject', r);
    return false;
  }
  w.trust = r.value;
  w.bobKeyInUse = served;
  note(w, 'alice', 'verified bob', toHex(fingerprint(w.crypto, served)).slice(0, 16));
  // PROP-23: a key marked verified is bob's (only a 128-bit comparison makes that hold)
  if (!equalBytes(served, w.bob.publicKey)) w.violations.push({ prop: 'PROP-23', party: 'alice', t: w.t, detail: `alice marked a key verified for bob that is not bob's (it matched ${w.profile === 'compat' ? `the last ${suffixChars ?? COMPAT_SUFFIX_CHARS} hex characters` : 'the comparison'})` });
  return true;
}

/** The relay serves bob's identity key again (the directory, CAP-08); alice uses it unless it is a key change (REQ-KEY-033). */
function serveIdentity(w: TrustWorld, served: Bytes): void {
  const r = attempt(() => acceptIdentity(w.crypto, w.trust, 'bob', served));
  if (!r.ok) return refused(w, 'alarm', r);
  const before = w.bobKeyInUse;
  w.bobKeyInUse = served;
  note(w, 'alice', 'uses key for bob', toHex(fingerprint(w.crypto, served)).slice(0, 16));
  // PROP-24: after verification, a different key is never used without an alarm
  if (w.trust.trusted.has('bob') && before && !equalBytes(before, served)) w.violations.push({ prop: 'PROP-24', party: 'alice', t: w.t, detail: "alice uses a new identity key for bob, after verifying another, without a key-change alarm" });
}

/** The relay serves a certificate of bob's ML-KEM key (REQ-KEY-003, 004). */
function serveKem(w: TrustWorld, cert: KemCert): void {
  const r = attempt(() => acceptKemCert(w.crypto, w.profile, w.trust, w.bob.publicKey, cert));
  if (!r.ok) return refused(w, 'reject', r);
  w.trust = r.value;
  // PROP-25: never an older version than the newest seen, never two keys with one version
  const newest = Math.max(0, ...w.kemAccepted.map((k) => k.version));
  const twin = w.kemAccepted.find((k) => k.version === cert.version && !equalBytes(k.kem_pk, cert.kem_pk));
  w.kemAccepted.push(cert);
  note(w, 'alice', 'accepted ML-KEM key of bob', `version ${cert.version}`);
  if (cert.version < newest) w.violations.push({ prop: 'PROP-25', party: 'alice', t: w.t, detail: `alice accepted bob's ML-KEM key version ${cert.version} after version ${newest}: rollback` });
  if (twin) w.violations.push({ prop: 'PROP-25', party: 'alice', t: w.t, detail: `alice accepted a second ML-KEM key of bob with version ${cert.version}: equivocation` });
}

/** The trust attacks of spec 11.4. */
export const TRUST_ATTACKS: readonly TrustAttack[] = [
  {
    id: 'ATK-21',
    title: "the relay substitutes bob's identity key after alice verified it",
    weakness: '-',
    props: ['PROP-24'],
    compat: 'blocked',
    run(w) {
      verifyServed(w, w.bob.publicKey);
      serveIdentity(w, w.bob.publicKey); // the same key again: used
      const mallory = createIdentity(w.crypto, w.rng);
      note(w, 'adversary', 'CAP-08 substitute', "serves mallory's identity key for bob");
      serveIdentity(w, mallory.publicKey);
      return [1];
    },
  },
  {
    id: 'ATK-22',
    title: `short-suffix fingerprint forgery: the relay grinds key pairs until ${GRIND_HEX_CHARS} hex characters match bob's`,
    weakness: 'T1',
    props: ['PROP-23'],
    run(w) {
      const want = toHex(w.bob.fp).slice(64 - GRIND_HEX_CHARS);
      const seedRng = deterministicRng(w.rng.bytes(32), w.crypto.hmacSha256);
      for (let i = 1; i <= GRIND_LIMIT; i++) {
        const kp = w.crypto.sigKeygen(seedRng.bytes(32));
        if (toHex(fingerprint(w.crypto, kp.publicKey)).endsWith(want)) {
          note(w, 'adversary', 'CAP-20 grind', `a key pair whose fingerprint ends in ${want} after ${i} key generations`);
          note(w, 'adversary', 'CAP-08 substitute', "serves the ground key as bob's");
          verifyServed(w, kp.publicKey, GRIND_HEX_CHARS);
          return [1];
        }
      }
      return [0];
    },
  },
  {
    id: 'ATK-23',
    title: "ML-KEM key rollback and equivocation: the relay serves bob's old key, then a second key with one version",
    weakness: '-',
    props: ['PROP-25'],
    run(w) {
      const fired = [0, 0];
      const v1 = w.bob.kemKeys[0]!.cert;
      w.bob = rotateKem(w.crypto, w.rng, w.bob);
      const v2 = w.bob.kemKeys[1]!.cert;
      serveKem(w, v1);
      serveKem(w, v2);
      note(w, 'adversary', 'CAP-09 roll back', "serves bob's ML-KEM key version 1 again");
      serveKem(w, v1);
      fired[0]!++;
      // equivocation needs bob's signature on a second key: his identity key leaked (CAP-17)
      const twin = makeKemKey(w.crypto, w.rng, w.bob, 2, w.rng.bytes(64)).cert;
      note(w, 'adversary', 'CAP-17 equivocate', "signs a second version-2 ML-KEM key with bob's leaked identity key");
      serveKem(w, twin);
      fired[1]!++;
      return fired;
    },
  },
];

/** What a trust attack run showed. */
export interface TrustAttackResult extends RunVerdict {
  readonly world: TrustWorld;
}

/** Runs a trust attack. */
export function runTrustAttack(attack: TrustAttack, o: { profile: Profile; seed: number; backend: Backend; trace?: boolean }): TrustAttackResult {
  const crypto = backendCrypto(o.backend);
  // the provider's HMAC: the same bytes as the default (noble's), faster
  const rng = deterministicRng(simSeed(crypto, o.seed, 'trust world', 0), crypto.hmacSha256);
  const w: TrustWorld = {
    profile: o.profile,
    crypto,
    rng,
    alice: createIdentity(crypto, deterministicRng(simSeed(crypto, o.seed, 'alice', 0), crypto.hmacSha256)),
    bob: createIdentity(crypto, deterministicRng(simSeed(crypto, o.seed, 'bob', 0), crypto.hmacSha256)),
    trust: EMPTY_TRUST,
    bobKeyInUse: undefined,
    kemAccepted: [],
    trace: traceRecorder(o.trace ?? false),
    violations: [],
    detected: [],
    t: 0,
  };
  const fired = attack.run(w);
  return { violations: w.violations, blocked: w.violations.length === 0, detected: [...new Set(w.detected)].sort(), fired, world: w };
}

/** The trust attack named `id`. */
export function findTrustAttack(id: string): TrustAttack | undefined {
  return TRUST_ATTACKS.find((a) => a.id === id);
}
