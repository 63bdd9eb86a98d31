/** The key schedule of spec section 5: every derived hash, secret and key, one function each. */
import { concat, putU64, u32be, u64be, utf8, zeros, type Bytes } from './bytes.ts';
import { encode, f, fixed, list, struct, u16, u32, type ValueOf } from './codec.ts';
import type { CryptoProvider } from './crypto/provider.ts';
import { CryptoError } from './errors.ts';
import { expandLabel, labeledExtract, labeledHash } from './labels.ts';
import { MemberRecord, type Commit, type SecretEntry } from './messages/index.ts';
import { SUITE_ID } from './messages/types.ts';
import type { Rng } from './rng.ts';
import { HASH_BYTES, MAX_MEMBERS, ROOM_ID_BYTES } from './suite.ts';

/** `fingerprint(identity_pk) = SHA-256(identity_pk)`, also the member id (spec 5.1, decision D3). */
export function fingerprint(c: CryptoProvider, identityPk: Bytes): Bytes {
  return c.sha256(identityPk);
}

/** `invite_id = LabeledHash("invite id", token)` (spec 5.3). */
export function inviteId(c: CryptoProvider, token: Bytes): Bytes {
  return labeledHash(c, 'invite id', token);
}

/** `GroupContext` (spec 5.2). */
export const GroupContext = struct('GroupContext', [
  f('suite', u16),
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('epoch', u32),
  f('epoch_hash', fixed(HASH_BYTES)),
  f('roster_hash', fixed(HASH_BYTES)),
]);
/** The context every epoch key is bound to. */
export type GroupContext = ValueOf<typeof GroupContext>;

/** `CommitContext` (spec 5.5). */
export const CommitContext = struct('CommitContext', [
  f('suite', u16),
  f('room_id', fixed(ROOM_ID_BYTES)),
  f('epoch', u32),
  f('prev_epoch_hash', fixed(HASH_BYTES)),
  f('roster_hash', fixed(HASH_BYTES)),
]);

/** The roster as the list field `MemberRecord roster<1..1000>`, sorted by member id. */
export const RosterList = list(MemberRecord, 1, MAX_MEMBERS, 'member_id');

/** `roster_hash = LabeledHash("roster", encode(roster))` (spec 5.4). */
export function rosterHash(c: CryptoProvider, roster: readonly MemberRecord[]): Bytes {
  return labeledHash(c, 'roster', encode(RosterList, roster));
}

/** `epoch_hash = LabeledHash("epoch", encode(Commit))`, signature included (spec 5.4). */
export function epochHash(c: CryptoProvider, commitBytes: Bytes): Bytes {
  return labeledHash(c, 'epoch', commitBytes);
}

/** The keys of one epoch (spec 5.4). */
export interface EpochKeys {
  /** `epoch_secret_e`. */
  readonly epochSecret: Bytes;
  /** `init_secret_e`, the salt of the next epoch's extraction. */
  readonly initSecret: Bytes;
  /** `app_key_e`, the application message key. */
  readonly appKey: Bytes;
}

/** The `init_secret` before epoch 0: 32 zero bytes (spec 5.4). */
export const INITIAL_INIT_SECRET: Bytes = zeros(32);

/** `epoch_secret_e = LabeledExtract(init_secret_{e-1}, "epoch", commit_secret_e)` (spec 5.4; REQ-KS-004). */
export function epochSecret(c: CryptoProvider, prevInitSecret: Bytes, commitSecret: Bytes): Bytes {
  return labeledExtract(c, prevInitSecret, 'epoch', commitSecret);
}

/** `init_secret_e` and `app_key_e` from `epoch_secret_e` and the group context (spec 5.4). */
export function epochKeys(c: CryptoProvider, epochSecretE: Bytes, ctx: GroupContext): EpochKeys {
  const gc = encode(GroupContext, ctx);
  return {
    epochSecret: epochSecretE,
    initSecret: expandLabel(c, epochSecretE, 'init', gc, 32),
    appKey: expandLabel(c, epochSecretE, 'app key', gc, 32),
  };
}

/** The group context of a commit, once its epoch hash is known. */
export function groupContextOf(c: CryptoProvider, commit: Commit, commitBytes: Bytes): GroupContext {
  return {
    suite: SUITE_ID,
    room_id: commit.room_id,
    epoch: commit.epoch,
    epoch_hash: epochHash(c, commitBytes),
    roster_hash: commit.roster_hash,
  };
}

/** `commit_ctx = LabeledHash("commit context", encode(CommitContext))` (spec 5.5). */
export function commitContextHash(
  c: CryptoProvider,
  roomId: Bytes,
  epoch: number,
  prevEpochHash: Bytes,
  rosterHashValue: Bytes,
): Bytes {
  return labeledHash(
    c,
    'commit context',
    encode(CommitContext, { suite: SUITE_ID, room_id: roomId, epoch, prev_epoch_hash: prevEpochHash, roster_hash: rosterHashValue }),
  );
}

function entryKey(c: CryptoProvider, ctx: Bytes, ss: Bytes, memberId: Bytes, kemVersion: number): Bytes {
  const secret = labeledExtract(c, ctx, 'commit entry', ss);
  return expandLabel(c, secret, 'commit entry key', concat(memberId, u32be(kemVersion)), 32);
}

/**
 * Seals `commit_secret` to one member under its ML-KEM key (spec 5.5). The zero nonce is sound
 * because the key comes from a fresh encapsulation and is used once (REQ-KS-005).
 */
export function sealCommitEntry(
  c: CryptoProvider,
  rng: Rng,
  ctx: Bytes,
  memberId: Bytes,
  kemVersion: number,
  kemPk: Bytes,
  commitSecret: Bytes,
): SecretEntry {
  const { ct, ss } = c.kemEncapsulate(kemPk, rng.bytes(32));
  const key = entryKey(c, ctx, ss, memberId, kemVersion);
  const sealed = c.aeadSeal(key, zeros(24), concat(memberId, u32be(kemVersion)), commitSecret);
  return { member_id: memberId, kem_version: kemVersion, kem_ct: ct, sealed };
}

/** Opens a commit secret entry with the member's ML-KEM secret key (REQ-MEM-046). */
export function openCommitEntry(c: CryptoProvider, ctx: Bytes, entry: SecretEntry, kemSk: Bytes): Bytes {
  const ss = c.kemDecapsulate(entry.kem_ct, kemSk);
  const key = entryKey(c, ctx, ss, entry.member_id, entry.kem_version);
  const secret = c.aeadOpen(key, zeros(24), concat(entry.member_id, u32be(entry.kem_version)), entry.sealed);
  if (secret === undefined) throw new CryptoError('REQ-MEM-046', 'commit secret entry does not open');
  return secret;
}

/** `join_mac_key = ExpandLabel(token, "join mac", room_id, 32)` (spec 5.6). */
export function joinMacKey(c: CryptoProvider, token: Bytes, roomId: Bytes): Bytes {
  return expandLabel(c, token, 'join mac', roomId, 32);
}

/** `join_hash = LabeledHash("join request", encode(JoinRequest))` (spec 5.6). */
export function joinHash(c: CryptoProvider, joinRequestBytes: Bytes): Bytes {
  return labeledHash(c, 'join request', joinRequestBytes);
}

/** `welcome_key` from the token, the encapsulated secret and the join hash (spec 5.6; REQ-KS-006). */
export function welcomeKey(c: CryptoProvider, token: Bytes, ss: Bytes, joinHashValue: Bytes): Bytes {
  const secret = labeledExtract(c, token, 'welcome', ss);
  return expandLabel(c, secret, 'welcome key', joinHashValue, 32);
}

/** `welcome_hash = LabeledHash("welcome", encode(Welcome))` (spec 5.6). */
export function welcomeHash(c: CryptoProvider, welcomeBytes: Bytes): Bytes {
  return labeledHash(c, 'welcome', welcomeBytes);
}

/** `confirm_key = ExpandLabel(epoch_secret, "join confirm", welcome_hash, 32)` (spec 5.6). */
export function confirmKey(c: CryptoProvider, epochSecretE: Bytes, welcomeHashValue: Bytes): Bytes {
  return expandLabel(c, epochSecretE, 'join confirm', welcomeHashValue, 32);
}

/** compat `connection_key` from the invitee's encapsulation to the owner (spec 5.7). */
export function compatConnectionKey(c: CryptoProvider, ss: Bytes): Bytes {
  return expandLabel(c, labeledExtract(c, zeros(32), 'compat connection', ss), 'compat connection key', new Uint8Array(0), 32);
}

/** compat welcome key; `token` is empty for an unknown or used invite id (spec 5.7, D12, W1). */
export function compatWelcomeKey(c: CryptoProvider, connectionKey: Bytes, token: Bytes): Bytes {
  return expandLabel(c, connectionKey, 'compat welcome', token, 32);
}

/** The transport keys of a connection (spec 5.8). */
export interface TransportKeys {
  /** `transport_secret`. */
  readonly secret: Bytes;
  /** Client-to-relay key. */
  readonly c2r: Bytes;
  /** Relay-to-client key. */
  readonly r2c: Bytes;
}

/** Transport keys from the handshake transcript hash `th` and the encapsulated secret (spec 5.8). */
export function transportKeys(c: CryptoProvider, th: Bytes, ss: Bytes): TransportKeys {
  return transportKeysFromSecret(c, labeledExtract(c, th, 'transport', ss), th);
}

function transportKeysFromSecret(c: CryptoProvider, secret: Bytes, th: Bytes): TransportKeys {
  return { secret, c2r: expandLabel(c, secret, 'c2r key', th, 32), r2c: expandLabel(c, secret, 'r2c key', th, 32) };
}

/** The transport keys after a login: `transport_secret' = LabeledExtract(transport_secret, "login rekey", session_key)`. */
export function transportRekey(c: CryptoProvider, keys: TransportKeys, th: Bytes, sessionKey: Bytes): TransportKeys {
  return transportKeysFromSecret(c, labeledExtract(c, keys.secret, 'login rekey', sessionKey), th);
}

/** Transport frame nonce `zeros(4) || uint64(seq)` (spec 5.8). */
export function frameNonce(seq: number): Bytes {
  const out = new Uint8Array(12); // zeros(4) || u64be(seq)
  putU64(out, 4, seq);
  return out;
}

/** hardened vault key (spec 5.10; REQ-KEY-010). */
export function vaultKey(c: CryptoProvider, passwordHash: Bytes, userId: string): Bytes {
  return expandLabel(c, passwordHash, 'vault key', utf8(userId), 32);
}

/** compat vault key `LabeledHash("compat vault", password)` (spec 5.10; W13). */
export function compatVaultKey(c: CryptoProvider, password: Bytes): Bytes {
  return labeledHash(c, 'compat vault', password);
}

/** The simulator's per-party generator seed (spec 5.11; REQ-CRY-015). */
export function simSeed(c: CryptoProvider, runSeed: number, party: string, restart: number): Bytes {
  const name = utf8(party);
  return labeledHash(c, 'sim seed', concat(u64be(runSeed), new Uint8Array([name.length]), name, u32be(restart)));
}

/** compat login key `K = SHA-256(ss1 || ss2)`, unlabelled as in the seed (spec 5.9). */
export function compatLoginKey(c: CryptoProvider, ss1: Bytes, ss2: Bytes): Bytes {
  return c.sha256(concat(ss1, ss2));
}

/** hardened login transcript hash `LabeledHash("login transcript", transcript)` (spec 5.9). */
export function loginTranscriptHash(c: CryptoProvider, transcript: Bytes): Bytes {
  return labeledHash(c, 'login transcript', transcript);
}

/** hardened login key `K = LabeledExtract(h2, "login", ss1 || ss2)` (spec 5.9). */
export function loginKey(c: CryptoProvider, h2: Bytes, ss1: Bytes, ss2: Bytes): Bytes {
  return labeledExtract(c, h2, 'login', concat(ss1, ss2));
}

/** `client_confirm = HMAC(ExpandLabel(K, "client confirm", h2, 32), "client" || h2)` (spec 5.9; REQ-LOG-013). */
export function loginClientConfirm(c: CryptoProvider, k: Bytes, h2: Bytes): Bytes {
  return c.hmacSha256(expandLabel(c, k, 'client confirm', h2, 32), concat(utf8('client'), h2));
}

/**
 * `server_confirm = HMAC(ExpandLabel(K, "server confirm", h3, 32), "server" || h3 || uint64(expires_at))`
 * (spec 5.9; REQ-LOG-013): it covers the session's expiry too, which `LoginFinish` carries.
 */
export function loginServerConfirm(c: CryptoProvider, k: Bytes, h3: Bytes, expiresAt: number): Bytes {
  return c.hmacSha256(expandLabel(c, k, 'server confirm', h3, 32), concat(utf8('server'), h3, u64be(expiresAt)));
}

/** `session_key = ExpandLabel(K, "session", h3, 32)` (spec 5.9). */
export function loginSessionKey(c: CryptoProvider, k: Bytes, h3: Bytes): Bytes {
  return expandLabel(c, k, 'session', h3, 32);
}

/** Salt and key seed answered for an unknown username (spec 5.9; REQ-LOG-015). */
export function fakeLoginVerifier(c: CryptoProvider, serverSecret: Bytes, username: string): { salt: Bytes; seed: Bytes } {
  const u = utf8(username);
  return { salt: expandLabel(c, serverSecret, 'fake salt', u, 16), seed: expandLabel(c, serverSecret, 'fake key', u, 64) };
}
