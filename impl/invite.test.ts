/** Invites and their text form (spec 6.3, REQ-ENC-018). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryOf } from '../adversary/arbitrary.ts';
import { valuesEqual } from './codec.ts';
import { nobleCrypto as c } from './crypto/noble.ts';
import { DecodeError } from './errors.ts';
import { createInvite, INVITE_TEXT_PREFIX, inviteFromText, inviteToText } from './invite.ts';
import { inviteId } from './keyschedule.ts';
import { Invite } from './messages/index.ts';
import { deterministicRng } from './rng.ts';
import { utf8 } from './bytes.ts';

const rejects = (s: string): void => {
  expect(() => inviteFromText(c, s)).toThrow(DecodeError);
  try {
    inviteFromText(c, s);
  } catch (e) {
    expect(['REQ-ENC-018', 'REQ-ENC-006', 'REQ-ENC-007']).toContain((e as DecodeError).reqId);
  }
};

describe('REQ-ENC-018 the invite text form', () => {
  it('should round-trip every invite', () =>
    fc.assert(
      fc.property(arbitraryOf(Invite), (inv) => {
        expect(valuesEqual(inviteFromText(c, inviteToText(c, inv)), inv)).toBe(true);
      }),
      { numRuns: 100 },
    ));

  it('should reject a wrong prefix, bad characters, padding and any changed character', () => {
    const rng = deterministicRng(utf8('invite text'));
    const t = inviteToText(c, createInvite(c, rng, { profile: 'hardened', roomId: rng.bytes(16), ownerFp: rng.bytes(32), now: 1, lifetimeMs: 2 }).invite);
    rejects(t.replace('pqroom-invite:1:', 'pqroom-invite:2:'));
    rejects(t + '=');
    rejects(t.slice(0, -1) + '*');
    const body = t.slice(INVITE_TEXT_PREFIX.length);
    for (let i = 0; i < body.length; i++) {
      const ch = body[i] === 'A' ? 'B' : 'A';
      rejects(INVITE_TEXT_PREFIX + body.slice(0, i) + ch + body.slice(i + 1));
    }
    rejects(t.slice(0, -1));
  });
});

describe('REQ-OWN-004 REQ-OWN-005 invites', () => {
  const rng = deterministicRng(utf8('invites'));
  it('should draw a 256-bit token and reveal only its id', () => {
    const a = createInvite(c, rng, { profile: 'hardened', roomId: rng.bytes(16), ownerFp: rng.bytes(32), now: 10, lifetimeMs: 5 });
    expect(a.invite.token).toHaveLength(32);
    expect(a.inviteId).toEqual(inviteId(c, a.invite.token));
    expect(a.invite.expires_at).toBe(15);
  });
  it('should give compat invites no expiry (W11)', () => {
    expect(createInvite(c, rng, { profile: 'compat', roomId: rng.bytes(16), ownerFp: rng.bytes(32), now: 10, lifetimeMs: 5 }).invite.expires_at).toBe(0);
  });
});
