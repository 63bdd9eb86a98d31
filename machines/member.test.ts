/**
 * The member machine (spec 7) on its own, through the pure driver: accepting an invite, and each
 * invalid invite giving its typed rejection with the member's security state unchanged. (Joining,
 * room entries, rosters: simulator/world-member.test.ts, from a world advanced to a joined room.)
 */
import { describe, expect, it } from 'vitest';
import type { Invite } from '../impl/messages/index.ts';
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
  it('REQ-INV-001 should refuse an invite of another profile', () => {
    expectRejected(freshMember('e'), { type: 'user.join', invite: invite({ profile: 'compat' }), now: 1 }, 'REQ-INV-001');
  });
});
