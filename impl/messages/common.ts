/** Enumerations and small shared structs of spec sections 4.2 and 4.3. */
import { enumOf, f, fixed, opaque, struct, u32, u64, u8, type ValueOf } from '../codec.ts';
import { HASH_BYTES, KEM_CT_BYTES, ROOM_ID_BYTES } from '../suite.ts';

/** `enum Profile : uint8 { hardened(1), compat(2) }`. */
export const ProfileCodec = enumOf('Profile', { hardened: 1, compat: 2 });
/** `enum Role : uint8 { owner(1), member(2) }`. */
export const Role = enumOf('Role', { owner: 1, member: 2 });
/** A role value. */
export type Role = ValueOf<typeof Role>;
/** `enum CommitReason : uint8 { create(0), add(1), remove(2), rotate(3) }`. */
export const CommitReason = enumOf('CommitReason', { create: 0, add: 1, remove: 2, rotate: 3 });
/** A commit reason. */
export type CommitReason = ValueOf<typeof CommitReason>;
/** `enum KdfAlgorithm : uint8 { compat_sha256(0), argon2id(1) }`. */
export const KdfAlgorithm = enumOf('KdfAlgorithm', { compat_sha256: 0, argon2id: 1 });
/** A password KDF algorithm. */
export type KdfAlgorithm = ValueOf<typeof KdfAlgorithm>;
/** `enum TrustMethod : uint8 { suffix5(1), prefix128(2) }`. */
export const TrustMethod = enumOf('TrustMethod', { suffix5: 1, prefix128: 2 });
/** A peer verification method. */
export type TrustMethod = ValueOf<typeof TrustMethod>;

/** `KdfParams` (spec 4.3), with its validity rule (REQ-ENC-017). */
export const KdfParams = struct(
  'KdfParams',
  [f('algorithm', KdfAlgorithm), f('memory_kib', u32), f('iterations', u32), f('parallelism', u8)],
  (v) => {
    if (v.algorithm === 'compat_sha256')
      return v.memory_kib === 0 && v.iterations === 0 && v.parallelism === 0 ? undefined : 'compat_sha256 takes no parameters';
    if (v.iterations < 1) return 'argon2id needs iterations >= 1';
    if (v.parallelism < 1) return 'argon2id needs parallelism >= 1';
    if (v.memory_kib < 8 * v.parallelism || v.memory_kib > 4_194_304) return 'argon2id memory_kib outside 8*p..4194304';
    return undefined;
  },
);
/** Password KDF parameters. */
export type KdfParams = ValueOf<typeof KdfParams>;

/** `MemberRef` (spec 4.3). */
export const MemberRef = struct('MemberRef', [f('member_id', fixed(HASH_BYTES))]);
/** A reference to a member by id. */
export type MemberRef = ValueOf<typeof MemberRef>;

/** `EpochHead` (spec 4.3): the owner's signed view of a sender's next sequence number. */
export const EpochHead = struct('EpochHead', [f('member_id', fixed(HASH_BYTES)), f('next_seq', u64), f('last_epoch', u32)]);
/** A history head entry. */
export type EpochHead = ValueOf<typeof EpochHead>;

/** `SecretEntry` (spec 4.3, 5.5): a commit secret sealed to one member. */
export const SecretEntry = struct('SecretEntry', [
  f('member_id', fixed(HASH_BYTES)),
  f('kem_version', u32),
  f('kem_ct', fixed(KEM_CT_BYTES)),
  f('sealed', fixed(48)),
]);
/** A per-member commit secret entry. */
export type SecretEntry = ValueOf<typeof SecretEntry>;

/** `LogEntry` (spec 4.3): one entry of a room log. */
export const LogEntry = struct('LogEntry', [f('index', u64), f('payload', opaque(1, 16777216))]);
/** A room log entry. */
export type LogEntry = ValueOf<typeof LogEntry>;

/** `MailboxEntry` (spec 4.3): one entry of a principal's mailbox. */
export const MailboxEntry = struct('MailboxEntry', [
  f('index', u64),
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('invite_id', fixed(HASH_BYTES)),
  f('payload', opaque(1, 16777216)),
]);
/** A mailbox entry. */
export type MailboxEntry = ValueOf<typeof MailboxEntry>;

