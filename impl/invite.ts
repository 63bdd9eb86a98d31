/** The invite and its text form (spec 6.3, REQ-ENC-018). */
import { concat, fromBase64Url, toBase64Url, equalBytes, type Bytes } from './bytes.ts';
import { decode, encode } from './codec.ts';
import type { CryptoProvider } from './crypto/provider.ts';
import { DecodeError } from './errors.ts';
import { inviteId } from './keyschedule.ts';
import { Invite } from './messages/index.ts';
import type { Rng } from './rng.ts';
import { TOKEN_BYTES, type Profile } from './suite.ts';

/** Prefix of an invite's text form (REQ-ENC-018). */
export const INVITE_TEXT_PREFIX = 'pqroom-invite:1:';

/** The text form: `pqroom-invite:1:` + base64url(encode(Invite) || SHA-256(encode(Invite))[0..4]). */
export function inviteToText(c: CryptoProvider, invite: Invite): string {
  const bytes = encode(Invite, invite);
  return INVITE_TEXT_PREFIX + toBase64Url(concat(bytes, c.sha256(bytes).subarray(0, 4)));
}

/** Parses an invite's text form, rejecting a wrong prefix, bad base64url or a checksum mismatch (REQ-ENC-018). */
export function inviteFromText(c: CryptoProvider, textForm: string): Invite {
  const bad = (why: string): never => {
    throw new DecodeError('REQ-ENC-018', 'text-form', 'Invite', why);
  };
  if (!textForm.startsWith(INVITE_TEXT_PREFIX)) bad('wrong prefix');
  const raw = fromBase64Url(textForm.slice(INVITE_TEXT_PREFIX.length));
  if (raw === undefined) bad('not canonical base64url');
  const body = raw!.subarray(0, Math.max(0, raw!.length - 4));
  if (raw!.length < 4 || !equalBytes(c.sha256(body).subarray(0, 4), raw!.subarray(raw!.length - 4))) bad('checksum mismatch');
  return decode(Invite, body);
}

/** What the owner keeps about an issued invite. */
export interface IssuedInvite {
  /** The invite to hand out of band. */
  readonly invite: Invite;
  /** `invite_id`, the only thing the relay learns. */
  readonly inviteId: Bytes;
}

/**
 * Creates an invite (REQ-OWN-004..006): a 32-byte token from the owner's RNG and its id.
 * hardened invites expire; compat invites carry `expires_at = 0` (W11).
 */
export function createInvite(
  c: CryptoProvider,
  rng: Rng,
  params: { profile: Profile; roomId: Bytes; ownerFp: Bytes; now: number; lifetimeMs: number; relay?: string },
): IssuedInvite {
  const token = rng.bytes(TOKEN_BYTES);
  // REQ-OWN-006: profile, room, owner fingerprint, token, expiry and an optional relay address
  const invite: Invite = {
    profile: params.profile,
    room_id: params.roomId,
    owner_fp: params.ownerFp,
    token,
    expires_at: params.profile === 'hardened' ? params.now + params.lifetimeMs : 0,
    relay: params.relay ?? '',
  };
  return { invite, inviteId: inviteId(c, token) };
}
