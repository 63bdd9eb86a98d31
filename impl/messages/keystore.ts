/** Keystore structures of spec sections 4.3 and 4.10: trust statements and the vault. */
import { f, fixed, list, message, opaque, struct, text, u16, u32, u64, type ValueOf } from '../codec.ts';
import { AEAD_NONCE_BYTES, DSA_SIG_BYTES, HASH_BYTES } from '../suite.ts';
import { KdfParams, TrustMethod } from './common.ts';
import { KemCert } from './keys.ts';
import { MsgType } from './types.ts';

/** `KemKeyEntry` (spec 4.3): an ML-KEM seed and its certificate. */
export const KemKeyEntry = struct('KemKeyEntry', [f('version', u32), f('seed', fixed(64)), f('cert', KemCert)]);
/** A vault's ML-KEM key. */
export type KemKeyEntry = ValueOf<typeof KemKeyEntry>;

/** `PeerRecord` (spec 4.3): the newest ML-KEM certificate seen for a peer (REQ-KEY-003). */
export const PeerRecord = struct('PeerRecord', [
  f('member_id', fixed(HASH_BYTES)),
  f('newest_kem_version', u32),
  f('newest_kem_cert_hash', fixed(HASH_BYTES)),
]);
/** A per-peer key continuity record. */
export type PeerRecord = ValueOf<typeof PeerRecord>;

/** `TrustStatement` (type 0x62, spec 10.5). */
export const TrustStatement = message('TrustStatement', MsgType.TrustStatement, [
  f('verifier_fp', fixed(HASH_BYTES)),
  f('peer_fp', fixed(HASH_BYTES)),
  f('method', TrustMethod),
  f('verified_at', u64),
  f('signature', fixed(DSA_SIG_BYTES)),
]);
/** A signed record that the verifier verified a peer's key. */
export type TrustStatement = ValueOf<typeof TrustStatement>;

/** `Vault` (type 0x80, spec 10.3). */
export const Vault = message('Vault', MsgType.Vault, [
  f('format', u16),
  f('user_id', text(1, 64)),
  f('kdf', KdfParams),
  f('salt', fixed(16)),
  f('nonce', fixed(AEAD_NONCE_BYTES)),
  f('sealed', opaque(16, 16777216)),
]);
/** A sealed vault file. */
export type Vault = ValueOf<typeof Vault>;

/** `LoginPin` (spec 4.10): the salt and KDF parameters an account registered with at the relay whose key has fingerprint `relay_fp` (REQ-LOG-017). */
export const LoginPin = struct('LoginPin', [f('relay_fp', fixed(HASH_BYTES)), f('username', text(1, 64)), f('salt', fixed(16)), f('kdf', KdfParams)]);
/** A login pin kept in the vault. */
export type LoginPin = ValueOf<typeof LoginPin>;

const CONTENTS_FORMAT_1 = [
  f('identity_seed', fixed(32)),
  f('kem_keys', list(KemKeyEntry, 1, 1024, 'version')),
  f('trusted', list(TrustStatement, 0, 65535, 'peer_fp')),
  f('peers', list(PeerRecord, 0, 65535, 'member_id')),
] as const;

/** `VaultContents` (type 0x81), vault format 2. */
export const VaultContents = message('VaultContents', MsgType.VaultContents, [...CONTENTS_FORMAT_1, f('login_pins', list(LoginPin, 0, 1024, 'relay_fp'))]);
/** What a vault seals. */
export type VaultContents = ValueOf<typeof VaultContents>;

/** `VaultContents` as vault format 1 sealed it, before login pins (spec 4.10): read, never written. */
export const VaultContentsFormat1 = message('VaultContents', MsgType.VaultContents, CONTENTS_FORMAT_1);

/** `UnlockedSession` (type 0x82, spec 4.10, 9.5): vault contents sealed under a non-extractable session wrap key (REQ-LOG-021). */
export const UnlockedSession = message('UnlockedSession', MsgType.UnlockedSession, [
  f('user_id', text(1, 64)),
  f('expires_at', u64),
  f('nonce', fixed(12)),
  f('sealed', opaque(16, 16777216)),
]);
/** A stored unlocked session. */
export type UnlockedSession = ValueOf<typeof UnlockedSession>;
