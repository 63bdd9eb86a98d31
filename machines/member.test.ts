/**
 * The member machine (spec 7) on its own, through the pure driver: accepting an invite, and each
 * invalid invite giving its typed rejection with the member's security state unchanged. (Joining,
 * room entries, rosters: simulator/world-member.test.ts, from a world advanced to a joined room.)
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../impl/bytes.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import type { Invite, KemCert } from '../impl/messages/index.ts';
import { createIdentity, newestKem } from '../impl/protocol/identity.ts';
import { deterministicRng } from '../impl/rng.ts';
import { expectMemberRejected as expectRejected, feedMember as feed, freshMember } from './testkit.ts';

describe('REQ-INV-001 REQ-INV-002 accepting an invite', () => {
  const invite = (over: Partial<Invite> = {}): Invite => ({ profile: 'hardened', room_id: new Uint8Array(16), owner_fp: new Uint8Array(32), token: new Uint8Array(32).fill(1), expires_at: 5_000, relay: '', ...over });
  it('should start joining with a usable invite', () => {
    const r = feed(freshMember('a'), { type: 'user.join', invite: invite(), now: 1_000 });
    expect(r.snapshot.value).toBe('joining');
    expect(r.effects.some((e) => e.type === 'effect.send')).toBe(false); // offline: queued for when the connection is up
    expect(r.snapshot.context.outbox.map((p) => p.kind)).toEqual(['join']);
  });
  it('REQ-INV-002 should refuse an expired hardened invite, and one that never expires', () => {
    expectRejected(freshMember('b'), { type: 'user.join', invite: invite(), now: 6_000 }, 'REQ-INV-002');
    expectRejected(freshMember('c'), { type: 'user.join', invite: invite({ expires_at: 0 }), now: 1 }, 'REQ-INV-002');
  });
  it('REQ-INV-002 should take a hardened invite at expires_at itself (the clock at most expires_at)', () => {
    expect(feed(freshMember('b2'), { type: 'user.join', invite: invite(), now: 5_000 }).snapshot.value).toBe('joining');
  });
  it('REQ-INV-002 should tell an invite that never expires from an expired one', () => {
    const [never] = expectRejected(freshMember('b3'), { type: 'user.join', invite: invite({ expires_at: 0 }), now: 1 }, 'REQ-INV-002').effects.filter((e) => e.type === 'effect.reject');
    const [late] = expectRejected(freshMember('b4'), { type: 'user.join', invite: invite(), now: 6_000 }, 'REQ-INV-002').effects.filter((e) => e.type === 'effect.reject');
    expect((never as { detail: string }).detail).toMatch(/must expire/);
    expect((late as { detail: string }).detail).toMatch(/expired/);
    expect((late as { detail: string }).detail).not.toMatch(/must expire/);
  });
  it('REQ-INV-002 compat should not check expiry (W11)', () => {
    expect(feed(freshMember('d', 'compat'), { type: 'user.join', invite: invite({ profile: 'compat', expires_at: 1 }), now: 9_999 }).snapshot.value).toBe('joining');
  });
  it('REQ-INV-030 compat should ask again for owner keys the directory does not hold yet, until the join times out', () => {
    const joining = feed(freshMember('k', 'compat'), { type: 'user.join', invite: invite({ profile: 'compat', expires_at: 0 }), now: 1_000 }).snapshot;
    const first = joining.context.outbox.find((p) => p.kind === 'keys')!;
    const again = feed(joining, { type: 'net.reject', reqId: first.reqId, requirement: 'REQ-REL-023', detail: 'unknown member', now: 1_100 });
    expect(again.snapshot.value).toBe('joining');
    const second = again.snapshot.context.outbox.find((p) => p.kind === 'keys')!;
    expect(second.reqId).not.toBe(first.reqId); // a new request: the relay remembers its answer to the old one (REQ-REL-004)
    const late = feed(again.snapshot, { type: 'net.reject', reqId: second.reqId, requirement: 'REQ-REL-023', detail: 'unknown member', now: 1_000 + again.snapshot.context.config.joinTimeoutMs });
    expect(late.snapshot.value).toBe('failed');
    expect(late.effects.some((e) => e.type === 'effect.status' && e.status.kind === 'join-failed')).toBe(true);
  });
  describe('REQ-INV-030 compat: the owner keys the directory serves', () => {
    const owner = createIdentity(c, deterministicRng(utf8('compat owner')));
    const stranger = createIdentity(c, deterministicRng(utf8('compat stranger')));
    const joining = () => feed(freshMember('k2', 'compat'), { type: 'user.join', invite: invite({ profile: 'compat', expires_at: 0, owner_fp: owner.fp }), now: 1_000 }).snapshot;
    const keys = (snap: ReturnType<typeof joining>, identityPk: Uint8Array, kemCert: KemCert) => ({ type: 'net.keys' as const, reqId: snap.context.outbox.find((p) => p.kind === 'keys')!.reqId, identityPk, kemCert, now: 1_100 });
    it("REQ-INV-030 should send the join request once the served keys are the invite's owner's", () => {
      const snap = joining();
      const r = feed(snap, keys(snap, owner.publicKey, newestKem(owner).cert));
      expect(r.effects.filter((e) => e.type === 'effect.reject')).toEqual([]);
      expect(r.snapshot.context.outbox.map((p) => p.kind)).toEqual(['join']);
    });
    it("REQ-INV-030 should refuse an identity key that is not the invite's owner fingerprint, and send nothing", () => {
      const snap = joining();
      const r = expectRejected(snap, keys(snap, stranger.publicKey, newestKem(stranger).cert), 'REQ-INV-030');
      expect(r.snapshot.context.outbox.some((p) => p.kind === 'join')).toBe(false);
    });
    it("REQ-INV-030 should refuse the owner's identity key served with another identity's KEM certificate, and send nothing", () => {
      const snap = joining();
      const r = expectRejected(snap, keys(snap, owner.publicKey, newestKem(stranger).cert), 'REQ-INV-030');
      expect(r.snapshot.context.outbox.some((p) => p.kind === 'join')).toBe(false);
    });
  });
  it('REQ-INV-001 should refuse an invite of another profile', () => {
    expectRejected(freshMember('e'), { type: 'user.join', invite: invite({ profile: 'compat' }), now: 1 }, 'REQ-INV-001');
  });
});

describe('before it is a member', () => {
  const invite: Invite = { profile: 'hardened', room_id: new Uint8Array(16), owner_fp: new Uint8Array(32), token: new Uint8Array(32).fill(1), expires_at: 5_000, relay: '' };
  const joining = () => feed(freshMember('pre'), { type: 'user.join', invite, now: 1_000 }).snapshot;
  it('REQ-MEM-003 should refuse to send, before and while joining, and send nothing', () => {
    for (const snap of [freshMember('pre0'), joining()]) {
      const r = expectRejected(snap, { type: 'user.send', text: 'hi', now: 1_100 }, 'REQ-MEM-003');
      expect(r.snapshot.context.outbox.some((p) => p.kind === 'send')).toBe(false);
    }
  });
  it('REQ-MEM-052 should refuse a key update before it is a member, and send nothing', () => {
    for (const snap of [freshMember('pre1'), joining()]) {
      const r = expectRejected(snap, { type: 'user.update', now: 1_100 }, 'REQ-MEM-052');
      expect(r.snapshot.context.outbox.map((p) => p.kind)).toEqual(snap.context.outbox.map((p) => p.kind));
    }
  });
  it('REQ-MEM-062 should refuse a roster request before it is a member, and ask the relay nothing', () => {
    const snap = joining();
    const r = expectRejected(snap, { type: 'user.roster', now: 1_100 }, 'REQ-MEM-062');
    expect(r.snapshot.context.outbox.some((p) => p.kind === 'roster')).toBe(false);
  });
  it('REQ-INV-004 should refuse a second join while joining, keeping the first invite', () => {
    const snap = joining();
    const r = expectRejected(snap, { type: 'user.join', invite: { ...invite, token: new Uint8Array(32).fill(2) }, now: 1_100 }, 'REQ-INV-004');
    expect(r.snapshot.context.invite?.token).toEqual(invite.token);
  });
  it('REQ-INV-004 should reject a room entry that arrives while joining, not drop it silently', () => {
    expectRejected(joining(), { type: 'net.room', roomId: invite.room_id, index: 1, payload: new Uint8Array(10), now: 1_100 }, 'REQ-INV-004');
  });
});
