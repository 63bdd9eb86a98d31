/**
 * The compat profile's room protocol (spec 5.7, 6.9, 7.9): 0FC as written, with ML-KEM and
 * ML-DSA in place of the originals. Its weaknesses (W1, W2, W5, W6, W13) are kept on purpose.
 */
import { concat, equalBytes, type Bytes } from '../bytes.ts';
import { decode, encode } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { check } from '../errors.ts';
import { compatConnectionKey, compatWelcomeKey } from '../keyschedule.ts';
import {
  CompatChat,
  CompatConfirm,
  CompatJoinRequest,
  CompatMemberAdd,
  CompatRotation,
  CompatWelcome,
  CompatWelcomeContent,
  type CompatMember,
  type Invite,
} from '../messages/index.ts';
import type { Rng } from '../rng.ts';
import { AEAD_NONCE_BYTES } from '../suite.ts';
import { newestKem, requireSigned, signStruct, type Identity } from './identity.ts';
import type { Encoded } from './join.ts';

/** Builds a compat join request (REQ-INV-030): encapsulate a connection key to the owner's ML-KEM key. */
export function buildCompatJoinRequest(
  c: CryptoProvider,
  rng: Rng,
  p: { invite: Invite; inviteId: Bytes; identity: Identity; ownerKemPk: Bytes },
): { request: Encoded<CompatJoinRequest>; connectionKey: Bytes } {
  const { ct, ss } = c.kemEncapsulate(p.ownerKemPk, rng.bytes(32));
  const value: CompatJoinRequest = {
    room_id: p.invite.room_id,
    invite_id: p.inviteId,
    identity_pk: p.identity.publicKey,
    kem_pk: newestKem(p.identity).publicKey,
    kem_ct: ct,
  };
  return { request: { value, bytes: encode(CompatJoinRequest, value) }, connectionKey: compatConnectionKey(c, ss) };
}

/**
 * The compat owner's automatic answer (REQ-OWN-040): whatever the invite id, derive the welcome
 * key from the connection key and the token, which is empty for an unknown or used invite (W1).
 */
export function compatAnswerJoin(
  c: CryptoProvider,
  rng: Rng,
  p: { request: CompatJoinRequest; ownerKemSk: Bytes; token: Bytes; roomKey: Bytes; generation: number },
): { welcome: Encoded<CompatWelcome>; connectionKey: Bytes } {
  const ck = compatConnectionKey(c, c.kemDecapsulate(p.request.kem_ct, p.ownerKemSk));
  const nonce = rng.bytes(AEAD_NONCE_BYTES);
  const content = encode(CompatWelcomeContent, { room_key: p.roomKey, generation: p.generation });
  const sealed = c.aeadSeal(compatWelcomeKey(c, ck, p.token), nonce, concat(p.request.room_id, p.request.invite_id), content);
  const value: CompatWelcome = { room_id: p.request.room_id, invite_id: p.request.invite_id, nonce, sealed };
  return { welcome: { value, bytes: encode(CompatWelcome, value) }, connectionKey: ck };
}

/** The compat invitee opens the welcome with its connection key and token (REQ-INV-031). */
export function compatOpenWelcome(c: CryptoProvider, w: CompatWelcome, connectionKey: Bytes, token: Bytes): CompatWelcomeContent {
  const plain = c.aeadOpen(compatWelcomeKey(c, connectionKey, token), w.nonce, concat(w.room_id, w.invite_id), w.sealed);
  check(plain !== undefined, 'REQ-INV-031', 'compat welcome does not open');
  return decode(CompatWelcomeContent, plain);
}

/** The compat confirmation: `invite_id || member_id` sealed under the room key (spec 5.7). */
export function buildCompatConfirm(
  c: CryptoProvider,
  rng: Rng,
  p: { roomId: Bytes; inviteId: Bytes; memberId: Bytes; roomKey: Bytes },
): Encoded<CompatConfirm> {
  const nonce = rng.bytes(AEAD_NONCE_BYTES);
  const sealed = c.aeadSeal(p.roomKey, nonce, concat(p.roomId, p.inviteId), concat(p.inviteId, p.memberId));
  const value: CompatConfirm = { room_id: p.roomId, invite_id: p.inviteId, nonce, sealed };
  return { value, bytes: encode(CompatConfirm, value) };
}

/** The compat owner's check of a confirmation (REQ-OWN-041): it opens and names the joiner. */
export function verifyCompatConfirm(c: CryptoProvider, conf: CompatConfirm, roomKey: Bytes, memberId: Bytes): void {
  const plain = c.aeadOpen(roomKey, conf.nonce, concat(conf.room_id, conf.invite_id), conf.sealed);
  check(plain !== undefined, 'REQ-OWN-041', 'compat confirmation does not open under the room key');
  check(equalBytes(plain, concat(conf.invite_id, memberId)), 'REQ-OWN-041', 'compat confirmation names another joiner');
}

/** The owner signs the joiner's keys (REQ-OWN-041). */
export function buildCompatMemberAdd(
  c: CryptoProvider,
  rng: Rng,
  p: { roomId: Bytes; member: CompatMember; owner: Identity },
): Encoded<CompatMemberAdd> {
  const value = signStruct(c, rng, CompatMemberAdd, { room_id: p.roomId, member: p.member }, 'compat member add', p.owner.secretKey);
  return { value, bytes: encode(CompatMemberAdd, value) };
}

/** The relay's one compat check: the owner's signature over the member add (REQ-REL-015). */
export function verifyCompatMemberAdd(c: CryptoProvider, add: CompatMemberAdd, ownerIdentityPk: Bytes): void {
  requireSigned(c, CompatMemberAdd, add, 'compat member add', ownerIdentityPk, 'REQ-REL-015', 'CompatMemberAdd');
}

/** Seals a compat chat message: associated data is the room id only (W2, W5, W6). */
export function sealCompatChat(
  c: CryptoProvider,
  rng: Rng,
  p: { roomId: Bytes; sender: Bytes; roomKey: Bytes; text: Bytes },
): Encoded<CompatChat> {
  const nonce = rng.bytes(AEAD_NONCE_BYTES);
  const value: CompatChat = { room_id: p.roomId, sender: p.sender, nonce, ciphertext: c.aeadSeal(p.roomKey, nonce, p.roomId, p.text) };
  return { value, bytes: encode(CompatChat, value) };
}

/** Seals a compat rotation: the next room key under the current one (REQ-OWN-042; W4). */
export function sealCompatRotation(
  c: CryptoProvider,
  rng: Rng,
  p: { roomId: Bytes; sender: Bytes; roomKey: Bytes; nextRoomKey: Bytes },
): Encoded<CompatRotation> {
  const nonce = rng.bytes(AEAD_NONCE_BYTES);
  const value: CompatRotation = {
    room_id: p.roomId,
    sender: p.sender,
    nonce,
    ciphertext: c.aeadSeal(p.roomKey, nonce, p.roomId, p.nextRoomKey),
  };
  return { value, bytes: encode(CompatRotation, value) };
}

/**
 * Opens a compat chat or rotation body with the current key, then older ones newest first
 * (REQ-MEM-070). Returns the plaintext and the generation that opened it, or undefined.
 */
export function openCompatSealed(
  c: CryptoProvider,
  msg: CompatChat,
  keysNewestFirst: readonly { generation: number; key: Bytes }[],
): { plaintext: Bytes; generation: number } | undefined {
  for (const k of keysNewestFirst) {
    const plaintext = c.aeadOpen(k.key, msg.nonce, msg.room_id, msg.ciphertext);
    if (plaintext !== undefined) return { plaintext, generation: k.generation };
  }
  return undefined;
}
