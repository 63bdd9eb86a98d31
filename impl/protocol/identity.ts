/** Identities, ML-KEM key certificates and signed structs (spec 5.1, 10.1, 10.2). */
import { equalBytes, zeros, type Bytes } from '../bytes.ts';
import { encodePrefix, type StructCodec } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { check, type ReqId } from '../errors.ts';
import { fingerprint } from '../keyschedule.ts';
import { sigContext, type SigLabel } from '../labels.ts';
import { KemCert, MemberRecord, type Role } from '../messages/index.ts';
import type { Rng } from '../rng.ts';
import { DSA_SEED_BYTES, DSA_SIG_BYTES, KEM_SEED_BYTES } from '../suite.ts';

/** One ML-KEM key pair of an identity, with its certificate. */
export interface KemKey {
  /** Version, 1, 2, 3, ... (REQ-KEY-002). */
  readonly version: number;
  /** The 64-byte seed it was generated from. */
  readonly seed: Bytes;
  /** ML-KEM public key. */
  readonly publicKey: Bytes;
  /** ML-KEM secret key. */
  readonly secretKey: Bytes;
  /** The certificate signed by the identity key. */
  readonly cert: KemCert;
}

/** A person's keys (REQ-KEY-001): an ML-DSA identity and ML-KEM keys, newest last. */
export interface Identity {
  /** The 32-byte ML-DSA seed. */
  readonly seed: Bytes;
  /** ML-DSA-65 public key. */
  readonly publicKey: Bytes;
  /** ML-DSA-65 secret key. */
  readonly secretKey: Bytes;
  /** `SHA-256(publicKey)`: fingerprint and member id (REQ-KS-001). */
  readonly fp: Bytes;
  /** ML-KEM keys by increasing version; the archive of old ones included (REQ-KEY-002). */
  readonly kemKeys: readonly KemKey[];
}

/** A struct type that ends with a `signature` field. */
export type Signed = { readonly signature: Bytes };

/**
 * Signs a struct: `signature = ML-DSA.Sign(sk, TBS(x), ctx = full label)` over the encoding of
 * every field before `signature` (spec 2.2, REQ-CRY-009).
 */
export function signStruct<T extends Signed>(
  c: CryptoProvider,
  rng: Rng,
  codec: StructCodec<T>,
  unsigned: Omit<T, 'signature'>,
  label: SigLabel,
  secretKey: Bytes,
): T {
  const draft = { ...unsigned, signature: zeros(DSA_SIG_BYTES) } as unknown as T;
  const tbs = encodePrefix(codec, draft, 'signature');
  return { ...draft, signature: c.sign(secretKey, tbs, sigContext(label), rng.bytes(32)) };
}

/** Verifies a struct's signature under `publicKey` with the context of `label` (REQ-CRY-009). */
export function verifyStruct<T extends Signed>(
  c: CryptoProvider,
  codec: StructCodec<T>,
  value: T,
  label: SigLabel,
  publicKey: Bytes,
): boolean {
  return c.verify(publicKey, encodePrefix(codec, value, 'signature'), sigContext(label), value.signature);
}

/** Throws a ProtocolError for `reqId` unless the struct's signature verifies. */
export function requireSigned<T extends Signed>(
  c: CryptoProvider,
  codec: StructCodec<T>,
  value: T,
  label: SigLabel,
  publicKey: Bytes,
  reqId: ReqId,
  what: string,
): void {
  check(verifyStruct(c, codec, value, label, publicKey), reqId, `${what}: signature does not verify`);
}

/** Builds the ML-KEM key of `version` from a seed and certifies it (REQ-KEY-002). */
export function makeKemKey(c: CryptoProvider, rng: Rng, identity: Pick<Identity, 'fp' | 'secretKey'>, version: number, seed: Bytes): KemKey {
  const kp = c.kemKeygen(seed);
  const cert = signStruct(c, rng, KemCert, { member_id: identity.fp, version, kem_pk: kp.publicKey }, 'kem cert', identity.secretKey);
  return { version, seed, publicKey: kp.publicKey, secretKey: kp.secretKey, cert };
}

/** Creates an identity with ML-KEM key version 1, all randomness from `rng` (REQ-KEY-001). */
export function createIdentity(c: CryptoProvider, rng: Rng): Identity {
  const seed = rng.bytes(DSA_SEED_BYTES);
  const kp = c.sigKeygen(seed);
  const fp = fingerprint(c, kp.publicKey);
  const kem = makeKemKey(c, rng, { fp, secretKey: kp.secretKey }, 1, rng.bytes(KEM_SEED_BYTES));
  // one literal, the fields in the order the spread of a base gave them: its hidden class is kept by the literal and does not die between runs (issue 24)
  return { seed, publicKey: kp.publicKey, secretKey: kp.secretKey, fp, kemKeys: [kem] };
}

/** Re-creates an identity from stored seeds (the vault keeps seeds and certificates, spec 10.3). */
export function identityFromSeeds(
  c: CryptoProvider,
  seed: Bytes,
  kem: readonly { version: number; seed: Bytes; cert: KemCert }[],
): Identity {
  const kp = c.sigKeygen(seed);
  const kemKeys = kem.map((k) => {
    const pair = c.kemKeygen(k.seed);
    return { version: k.version, seed: k.seed, publicKey: pair.publicKey, secretKey: pair.secretKey, cert: k.cert };
  });
  return { seed, publicKey: kp.publicKey, secretKey: kp.secretKey, fp: fingerprint(c, kp.publicKey), kemKeys };
}

/** The newest ML-KEM key of an identity. */
export function newestKem(identity: Identity): KemKey {
  const k = identity.kemKeys[identity.kemKeys.length - 1];
  if (k === undefined) throw new TypeError('identity has no ML-KEM key');
  return k;
}

/** The ML-KEM key of a given version, if the identity still has it. */
export function kemByVersion(identity: Identity, version: number): KemKey | undefined {
  return identity.kemKeys.find((k) => k.version === version);
}

/** Rotates the ML-KEM key: version + 1, certified, old keys kept (REQ-KEY-002). */
export function rotateKem(c: CryptoProvider, rng: Rng, identity: Identity): Identity {
  const next = makeKemKey(c, rng, identity, newestKem(identity).version + 1, rng.bytes(KEM_SEED_BYTES));
  return { ...identity, kemKeys: [...identity.kemKeys, next] };
}

/**
 * Checks a certificate against the identity key it is served with (REQ-KEY-004, REQ-KS-001):
 * `member_id = SHA-256(identity_pk)`, a valid signature with context `kem cert`, and a public key
 * that passes the FIPS 203 check (REQ-CRY-002).
 */
export function verifyKemCert(c: CryptoProvider, cert: KemCert, identityPk: Bytes, reqId: ReqId): void {
  check(equalBytes(cert.member_id, fingerprint(c, identityPk)), reqId, 'KemCert.member_id is not SHA-256(identity_pk)');
  requireSigned(c, KemCert, cert, 'kem cert', identityPk, reqId, 'KemCert');
  check(c.kemCheckPublicKey(cert.kem_pk), reqId, 'KemCert.kem_pk fails the ML-KEM encapsulation key check');
}

/** The roster record of an identity (spec 6.5). */
export function memberRecordOf(identity: Identity, role: Role, addedEpoch: number): MemberRecord {
  const kem = newestKem(identity);
  return { member_id: identity.fp, identity_pk: identity.publicKey, kem_cert: kem.cert, role, added_epoch: addedEpoch };
}

/** Checks a roster record is well formed (REQ-INV-014, REQ-MEM-047). */
export function verifyMemberRecord(c: CryptoProvider, record: MemberRecord, reqId: ReqId): void {
  check(equalBytes(record.member_id, fingerprint(c, record.identity_pk)), reqId, 'MemberRecord.member_id is not SHA-256(identity_pk)');
  check(equalBytes(record.kem_cert.member_id, record.member_id), reqId, 'MemberRecord.kem_cert is for another member');
  verifyKemCert(c, record.kem_cert, record.identity_pk, reqId);
}
