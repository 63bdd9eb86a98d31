/**
 * The hardened join handshake (spec 5.6, 6.4, 6.5, 7.2, 7.3): JoinRequest, Welcome with its
 * sealed GroupInfo, and JoinConfirm. Pure functions: inputs in, messages or typed errors out.
 */
import { equalBytes, equalConstantTime, type Bytes } from '../bytes.ts';
import { decode, encode, encodePrefix } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { check } from '../errors.ts';
import {
  confirmKey,
  fingerprint,
  joinHash,
  joinMacKey,
  rosterHash,
  welcomeHash,
  welcomeKey,
} from '../keyschedule.ts';
import { Commit, GroupInfo, JoinConfirm, JoinRequest, KemCert, Welcome, type Invite } from '../messages/index.ts';
import type { Rng } from '../rng.ts';
import { AEAD_NONCE_BYTES, DSA_SIG_BYTES } from '../suite.ts';
import { newestKem, requireSigned, signStruct, verifyKemCert, verifyMemberRecord, type Identity } from './identity.ts';
import { enforced } from '../mutants.ts';

/** A message together with its canonical encoding. */
export interface Encoded<T> {
  /** The decoded value. */
  readonly value: T;
  /** Its encoding. */
  readonly bytes: Bytes;
}

/** Builds a JoinRequest for an invite (REQ-INV-003): token MAC, then the identity signature. */
export function buildJoinRequest(c: CryptoProvider, rng: Rng, invite: Invite, identity: Identity, inviteIdValue: Bytes): Encoded<JoinRequest> {
  const base = {
    room_id: invite.room_id,
    invite_id: inviteIdValue,
    identity_pk: identity.publicKey,
    kem_cert: newestKem(identity).cert,
    nonce: rng.bytes(32),
    token_mac: new Uint8Array(32),
    signature: new Uint8Array(DSA_SIG_BYTES),
  };
  const mac = c.hmacSha256(joinMacKey(c, invite.token, invite.room_id), encodePrefix(JoinRequest, base, 'token_mac'));
  const { signature: _s, ...unsigned } = { ...base, token_mac: mac };
  const value = signStruct(c, rng, JoinRequest, unsigned, 'join request', identity.secretKey);
  return { value, bytes: encode(JoinRequest, value) };
}

/**
 * The owner's cryptographic checks of a JoinRequest (REQ-OWN-014 to REQ-OWN-016): the MAC
 * under the token, the identity signature, the KEM certificate. State checks (known,
 * unconsumed, unexpired invite; not a member) are the owner's (REQ-OWN-010..013, 017, 018).
 */
export function verifyJoinRequest(c: CryptoProvider, req: JoinRequest, token: Bytes): void {
  const mac = c.hmacSha256(joinMacKey(c, token, req.room_id), encodePrefix(JoinRequest, req, 'token_mac'));
  check(equalConstantTime(mac, req.token_mac) || !enforced('REQ-OWN-014'), 'REQ-OWN-014', 'token_mac does not verify: the requester does not hold the token');
  requireSigned(c, JoinRequest, req, 'join request', req.identity_pk, 'REQ-OWN-015', 'JoinRequest');
  verifyKemCert(c, req.kem_cert, req.identity_pk, 'REQ-OWN-016');
}

/** Inputs of {@link buildWelcome}. */
export interface WelcomeParams {
  /** The join request being answered, as received. */
  readonly joinRequest: Encoded<JoinRequest>;
  /** The invite's token. */
  readonly token: Bytes;
  /** The group state for the invitee: epoch secret of the new epoch, the pending commit, the new roster. */
  readonly groupInfo: GroupInfo;
  /** The owner's identity. */
  readonly owner: Identity;
}

/** Builds the Welcome (REQ-OWN-020; spec 5.6): encapsulate to the invitee, seal the GroupInfo, sign. */
export function buildWelcome(c: CryptoProvider, rng: Rng, p: WelcomeParams): Encoded<Welcome> {
  const req = p.joinRequest.value;
  const jh = joinHash(c, p.joinRequest.bytes);
  const { ct, ss } = c.kemEncapsulate(req.kem_cert.kem_pk, rng.bytes(32));
  const key = welcomeKey(c, p.token, ss, jh);
  const draft = {
    room_id: req.room_id,
    invite_id: req.invite_id,
    join_hash: jh,
    epoch: p.groupInfo.commit.epoch,
    kem_ct: ct,
    nonce: rng.bytes(AEAD_NONCE_BYTES),
    sealed: new Uint8Array(16),
    signature: new Uint8Array(DSA_SIG_BYTES),
  };
  const sealed = c.aeadSeal(key, draft.nonce, encodePrefix(Welcome, draft, 'sealed'), encode(GroupInfo, p.groupInfo));
  const { signature: _s, ...unsigned } = { ...draft, sealed };
  const value = signStruct(c, rng, Welcome, unsigned, 'welcome', p.owner.secretKey);
  return { value, bytes: encode(Welcome, value) };
}

/** What an invitee learns from a valid Welcome. */
export interface OpenedWelcome {
  /** The sealed group state. */
  readonly groupInfo: GroupInfo;
  /** `welcome_hash`, bound into the confirmation. */
  readonly welcomeHash: Bytes;
  /** The encoding of the pending commit (to recognise it in the room log, REQ-INV-016). */
  readonly commitBytes: Bytes;
}

/**
 * The invitee's checks of a Welcome, in spec order (REQ-INV-010 to REQ-INV-014). `kemSecretKey`
 * is the secret key of the KEM certificate the join request carried.
 */
export function openWelcome(
  c: CryptoProvider,
  welcome: Encoded<Welcome>,
  invite: Invite,
  joinRequest: Encoded<JoinRequest>,
  kemSecretKey: Bytes,
): OpenedWelcome {
  const w = welcome.value;
  const req = joinRequest.value;
  const jh = joinHash(c, joinRequest.bytes);
  check(equalBytes(w.room_id, invite.room_id), 'REQ-INV-010', 'Welcome is for another room');
  check(equalBytes(w.invite_id, req.invite_id), 'REQ-INV-010', 'Welcome is for another invite');
  check(equalBytes(w.join_hash, jh), 'REQ-INV-010', 'Welcome answers another join request');
  const ss = c.kemDecapsulate(w.kem_ct, kemSecretKey);
  const plain = c.aeadOpen(welcomeKey(c, invite.token, ss, jh), w.nonce, encodePrefix(Welcome, w, 'sealed'), w.sealed);
  check(plain !== undefined, 'REQ-INV-011', 'Welcome does not open with the token and the join request KEM key');
  const gi = decode(GroupInfo, plain);
  const owners = gi.roster.filter((r) => r.role === 'owner');
  check(owners.length === 1, 'REQ-INV-012', 'roster must have exactly one owner');
  const owner = owners[0]!;
  check(equalBytes(owner.member_id, invite.owner_fp), 'REQ-INV-012', "the roster's owner is not the one the invite names");
  check(equalBytes(fingerprint(c, owner.identity_pk), invite.owner_fp), 'REQ-INV-012', 'owner key does not match the invite fingerprint');
  requireSigned(c, Welcome, w, 'welcome', owner.identity_pk, 'REQ-INV-012', 'Welcome');
  const commit = gi.commit;
  requireSigned(c, Commit, commit, 'commit', owner.identity_pk, 'REQ-INV-013', 'GroupInfo.commit');
  check(equalBytes(commit.room_id, invite.room_id), 'REQ-INV-013', 'commit is for another room');
  check(commit.epoch === w.epoch, 'REQ-INV-013', 'commit epoch differs from the welcome epoch');
  check(commit.reason === 'add', 'REQ-INV-013', 'commit is not an add');
  check(equalBytes(commit.invite_id, req.invite_id), 'REQ-INV-013', 'commit consumes another invite');
  check(commit.adds.length === 1, 'REQ-INV-013', 'commit must add exactly one member');
  const added = commit.adds[0]!;
  check(equalBytes(added.identity_pk, req.identity_pk), 'REQ-INV-013', 'commit adds another identity key');
  check(equalBytes(encode(KemCert, added.kem_cert), encode(KemCert, req.kem_cert)), 'REQ-INV-013', 'commit adds another KEM certificate');
  check(equalBytes(rosterHash(c, gi.roster), commit.roster_hash), 'REQ-INV-013', 'roster does not match the commit roster hash');
  check(gi.roster.some((r) => equalBytes(r.member_id, added.member_id) && r.role === 'member'), 'REQ-INV-013', 'roster lacks the added member');
  for (const r of gi.roster) verifyMemberRecord(c, r, 'REQ-INV-014');
  return { groupInfo: gi, welcomeHash: welcomeHash(c, welcome.bytes), commitBytes: encode(Commit, commit) };
}

/** Builds the JoinConfirm (REQ-INV-015): MAC under the confirm key of the new epoch, then the signature. */
export function buildJoinConfirm(
  c: CryptoProvider,
  rng: Rng,
  p: { roomId: Bytes; inviteId: Bytes; epoch: number; epochSecret: Bytes; welcomeHash: Bytes; identity: Identity },
): Encoded<JoinConfirm> {
  const base = {
    room_id: p.roomId,
    invite_id: p.inviteId,
    epoch: p.epoch,
    welcome_hash: p.welcomeHash,
    confirm_mac: new Uint8Array(32),
    signature: new Uint8Array(DSA_SIG_BYTES),
  };
  const mac = c.hmacSha256(confirmKey(c, p.epochSecret, p.welcomeHash), encodePrefix(JoinConfirm, base, 'confirm_mac'));
  const { signature: _s, ...unsigned } = { ...base, confirm_mac: mac };
  const value = signStruct(c, rng, JoinConfirm, unsigned, 'join confirm', p.identity.secretKey);
  return { value, bytes: encode(JoinConfirm, value) };
}

/** The owner's checks of a JoinConfirm against its pending join (REQ-OWN-022). */
export function verifyJoinConfirm(
  c: CryptoProvider,
  confirm: JoinConfirm,
  pending: { roomId: Bytes; inviteId: Bytes; epoch: number; epochSecret: Bytes; welcomeHash: Bytes; inviteeIdentityPk: Bytes },
): void {
  check(equalBytes(confirm.room_id, pending.roomId), 'REQ-OWN-022', 'confirmation for another room');
  check(equalBytes(confirm.invite_id, pending.inviteId), 'REQ-OWN-022', 'confirmation for another invite');
  check(confirm.epoch === pending.epoch, 'REQ-OWN-022', 'confirmation for another epoch');
  check(equalBytes(confirm.welcome_hash, pending.welcomeHash), 'REQ-OWN-022', 'confirmation of another welcome');
  const mac = c.hmacSha256(confirmKey(c, pending.epochSecret, pending.welcomeHash), encodePrefix(JoinConfirm, confirm, 'confirm_mac'));
  check(equalConstantTime(mac, confirm.confirm_mac), 'REQ-OWN-022', 'confirm_mac does not verify');
  requireSigned(c, JoinConfirm, confirm, 'join confirm', pending.inviteeIdentityPk, 'REQ-OWN-022', 'JoinConfirm');
}
