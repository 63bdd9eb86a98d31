/**
 * Requirements of the key schedule (spec 5) and of the primitives' use (spec 3) that no other
 * test names: each checked against an independent computation (node:crypto) or by flipping
 * every input the requirement says a value depends on.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, equalConstantTime, toHex } from './bytes.ts';
import { encode } from './codec.ts';
import { CryptoError, PqroomError } from './errors.ts';
import { createInvite } from './invite.ts';
import { fingerprint, inviteId, openCommitEntry, sealCommitEntry, welcomeKey } from './keyschedule.ts';
import { sigContext, SIG_LABELS } from './labels.ts';
import { PostInvite } from './messages/index.ts';
import { createIdentity, newestKem, rotateKem } from './protocol/identity.ts';
import { c, testRng } from './protocol/testkit.ts';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('spec 5: key schedule', () => {
  it('REQ-KS-001 a member id is SHA-256 of the identity key (checked against node:crypto)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 2000, size: 'max' }), (pk) => {
      expect(toHex(fingerprint(c, pk))).toBe(sha256(pk));
    }), { numRuns: 100 });
    const id = createIdentity(c, testRng('ks-001'));
    expect(toHex(id.fp)).toBe(sha256(id.publicKey));
  });

  it("REQ-KS-002 the token is 32 bytes of the owner's RNG and the relay only sees its invite id", () => {
    const rng = testRng('ks-002');
    const expected = testRng('ks-002').bytes(32); // the same generator, one step behind
    const { invite, inviteId: id } = createInvite(c, rng, { profile: 'hardened', roomId: new Uint8Array(16), ownerFp: new Uint8Array(32), now: 0, lifetimeMs: 1000 });
    expect(invite.token).toEqual(expected);
    expect(id).toEqual(inviteId(c, invite.token));
    const posted = encode(PostInvite, { req_id: 1, room_id: invite.room_id, invite_id: id, expires_at: invite.expires_at });
    expect(toHex(posted).includes(toHex(invite.token))).toBe(false);
  });

  it('REQ-KS-005 every commit entry comes from a fresh encapsulation: the same secret to the same key never repeats a ciphertext', () => {
    const rng = testRng('ks-005');
    const member = createIdentity(c, rng);
    const kem = newestKem(member);
    const ctx = new Uint8Array(32).fill(3);
    const secret = new Uint8Array(32).fill(9);
    const entries = Array.from({ length: 8 }, () => sealCommitEntry(c, rng, ctx, member.fp, kem.version, kem.publicKey, secret));
    expect(new Set(entries.map((e) => toHex(e.kem_ct))).size).toBe(8);
    expect(new Set(entries.map((e) => toHex(e.sealed))).size).toBe(8);
    for (const e of entries) expect(openCommitEntry(c, ctx, e, kem.secretKey)).toEqual(secret);
  });

  it("REQ-KS-006 the welcome key changes with the token, the encapsulated secret and the join request's hash", () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), bytes(32), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 }), (token, ss, jh, which, bit) => {
        const k = welcomeKey(c, token, ss, jh);
        const args = [token.slice(), ss.slice(), jh.slice()] as const;
        args[which]![bit % 32]! ^= 1 << (bit % 8);
        expect(equalBytes(welcomeKey(c, ...args), k)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});

describe('spec 3: primitives as pqroom uses them', () => {
  it('REQ-CRY-009 a signature made for one purpose never verifies for another', () => {
    const rng = testRng('cry-009');
    const id = createIdentity(c, rng);
    const msg = new Uint8Array([1, 2, 3]);
    for (const made of SIG_LABELS) {
      const sig = c.sign(id.secretKey, msg, sigContext(made), rng.bytes(32));
      for (const checked of SIG_LABELS) expect(c.verify(id.publicKey, msg, sigContext(checked), sig), `${made} checked as ${checked}`).toBe(made === checked);
    }
  });

  it('REQ-CRY-010 an AEAD open that fails releases nothing and is reported as a typed error', () => {
    const rng = testRng('cry-010');
    const member = createIdentity(c, rng);
    const kem = newestKem(member);
    const ctx = new Uint8Array(32);
    const entry = sealCommitEntry(c, rng, ctx, member.fp, kem.version, kem.publicKey, new Uint8Array(32).fill(5));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: entry.sealed.length * 8 - 1 }), (bit) => {
        const sealed = entry.sealed.slice();
        sealed[bit >> 3]! ^= 1 << (bit & 7);
        let thrown: unknown;
        try {
          openCommitEntry(c, ctx, { ...entry, sealed }, kem.secretKey);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(CryptoError);
        expect((thrown as PqroomError).reqId).toBe('REQ-MEM-046');
      }),
      { numRuns: 100 },
    );
    // the provider itself hands back no plaintext at all
    const key = new Uint8Array(32).fill(1);
    const nonce = new Uint8Array(24);
    const ct = c.aeadSeal(key, nonce, new Uint8Array(0), new Uint8Array(40));
    ct[0]! ^= 1;
    expect(c.aeadOpen(key, nonce, new Uint8Array(0), ct)).toBeUndefined();
  });

  it('REQ-CRY-014 MAC comparison reads every byte whatever the first difference, and answers as equality does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), (a, at) => {
        const b = a.slice();
        const i = at % a.length;
        b[i]! ^= 0xff;
        let reads = 0;
        const counted = new Proxy(b, {
          get(t, p) {
            if (typeof p === 'string' && /^\d+$/.test(p)) reads++;
            return Reflect.get(t, p) as unknown;
          },
        });
        expect(equalConstantTime(a, counted)).toBe(false);
        expect(reads).toBe(a.length); // no early exit at byte i
        expect(equalConstantTime(a, a.slice())).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('spec 10.1: keys of a person', () => {
  it('REQ-KEY-001 one ML-DSA-65 identity key from a 32-byte seed for life, ML-KEM-768 keys with versions 1, 2, 3', () => {
    const rng = testRng('key-001');
    let id = createIdentity(c, rng);
    expect(id.seed.length).toBe(32);
    expect(c.sigKeygen(id.seed).publicKey).toEqual(id.publicKey);
    expect(id.publicKey.length).toBe(1952);
    id = rotateKem(c, rng, rotateKem(c, rng, id));
    expect(id.kemKeys.map((k) => k.version)).toEqual([1, 2, 3]);
    expect(id.kemKeys.every((k) => k.publicKey.length === 1184)).toBe(true);
    expect(new Set(id.kemKeys.map((k) => toHex(k.publicKey))).size).toBe(3);
  });
});
