/** Identity-bound key structures: KemCert (spec 10.2), MemberRecord (6.5) and CompatMember (6.9). */
import { f, fixed, message, u32, type ValueOf } from '../codec.ts';
import { DSA_PK_BYTES, DSA_SIG_BYTES, HASH_BYTES, KEM_PK_BYTES } from '../suite.ts';
import { Role } from './common.ts';
import { MsgType } from './types.ts';

/** `KemCert` (type 0x60): an ML-KEM public key and its version, signed by the identity key. */
export const KemCert = message(
  'KemCert',
  MsgType.KemCert,
  [
    f('member_id', fixed(HASH_BYTES)),
    f('version', u32),
    f('kem_pk', fixed(KEM_PK_BYTES)),
    f('signature', fixed(DSA_SIG_BYTES)),
  ],
  (v) => (v.version >= 1 ? undefined : 'KemCert.version must be >= 1'),
);
/** An ML-KEM key certificate. */
export type KemCert = ValueOf<typeof KemCert>;

/** `MemberRecord` (type 0x61): a roster entry (hardened). */
export const MemberRecord = message('MemberRecord', MsgType.MemberRecord, [
  f('member_id', fixed(HASH_BYTES)),
  f('identity_pk', fixed(DSA_PK_BYTES)),
  f('kem_cert', KemCert),
  f('role', Role),
  f('added_epoch', u32),
]);
/** A hardened roster entry. */
export type MemberRecord = ValueOf<typeof MemberRecord>;

/** `CompatMember` (type 0x63): a compat roster entry, as the relay keeps it. */
export const CompatMember = message('CompatMember', MsgType.CompatMember, [
  f('identity_pk', fixed(DSA_PK_BYTES)),
  f('kem_pk', fixed(KEM_PK_BYTES)),
  f('role', Role),
]);
/** A compat roster entry. */
export type CompatMember = ValueOf<typeof CompatMember>;
