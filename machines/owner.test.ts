/**
 * The owner machine (spec 6) on its own, through the pure driver: creating the room, and input
 * before the room exists. (Admission, confirmation, timeouts, refused commits, rotation and
 * removal start from a joined room: simulator/world-owner.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { decode } from '../impl/codec.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { Commit, CreateRoom, FetchMailbox } from '../impl/messages/index.ts';
import { requireSigned } from '../impl/protocol/identity.ts';
import type { Pending } from './client-core.ts';
import { expectOwnerRejected as expectRejected, feedMember, feedOwner as feed, freshMember, freshOwner, rejectionsOf as rejections } from './testkit.ts';

describe('REQ-OWN-001..003 REQ-OWN-007 creating the room', () => {
  it('REQ-OWN-002 should send CreateRoom with its genesis commit and wait for the relay', () => {
    const fresh = freshOwner();
    const r = feed(fresh, { type: 'user.create', now: 1 });
    expect(r.snapshot.value).toBe('creating');
    expect(r.snapshot.context.roomId).toBeUndefined();
    expect(r.snapshot.context.outbox.map((p) => p.kind)).toEqual(['create']);
    // the genesis: epoch 0, zero prev_epoch_hash and invite_id, the owner's own record alone, signed for "commit"
    const genesis = decode(Commit, decode(CreateRoom, r.snapshot.context.outbox[0]!.bytes).payload);
    const me = fresh.context.identity;
    expect([genesis.epoch, genesis.reason]).toEqual([0, 'create']);
    expect(genesis.prev_epoch_hash).toEqual(new Uint8Array(32));
    expect(genesis.invite_id).toEqual(new Uint8Array(32));
    expect(genesis.adds.map((a) => [a.member_id, a.role, a.added_epoch])).toEqual([[me.fp, 'owner', 0]]);
    expect([genesis.removes.length, genesis.heads.length, genesis.entries.length]).toEqual([0, 0, 0]);
    expect(() => requireSigned(c, Commit, genesis, 'commit', me.publicKey, 'REQ-OWN-002', 'genesis')).not.toThrow();
  });
  it('REQ-OWN-003 should keep no room when the relay refuses', () => {
    const creating = feed(freshOwner(), { type: 'user.create', now: 1 }).snapshot;
    const reqId = creating.context.outbox[0]!.reqId;
    const r = feed(creating, { type: 'net.reject', reqId, requirement: 'REQ-REL-010', detail: 'room id in use', now: 2 });
    expect(r.snapshot.value).toBe('idle');
    expect(r.snapshot.context.group).toBeUndefined();
  });
  it('REQ-OWN-007 should refuse invites and messages before the room exists', () => {
    expectRejected(freshOwner(), { type: 'user.invite', now: 1 }, 'REQ-OWN-007');
    expectRejected(freshOwner(), { type: 'user.send', text: 'x', now: 1 }, 'REQ-OWN-007');
  });
  it('REQ-OWN-007 should refuse mail before the room exists, one rejection per entry', () => {
    const entry = (index: number) => ({ index, room_id: new Uint8Array(16), invite_id: new Uint8Array(32), payload: new Uint8Array(40) });
    const r = expectRejected(freshOwner(), { type: 'net.mailboxChunk', reqId: 999, entries: [entry(1), entry(2)], nextIndex: 3, complete: true, now: 1 }, 'REQ-OWN-007');
    expect(rejections(r.effects)).toEqual(['REQ-OWN-007', 'REQ-OWN-007']);
  });
  it('REQ-MEM-010 should refuse a room entry before it has a room, while creating it too', () => {
    const entry = { type: 'net.room' as const, roomId: new Uint8Array(16), index: 1, payload: new Uint8Array(40), now: 2 };
    expectRejected(freshOwner(), entry, 'REQ-MEM-010');
    expectRejected(feed(freshOwner(), { type: 'user.create', now: 1 }).snapshot, entry, 'REQ-MEM-010');
  });
});

describe('REQ-REL-036 a mailbox chunk that is not complete', () => {
  // the mailbox fetches the step asked for (sent at once when connected, else when the connection comes up)
  const fetches = (r: { snapshot: { context: { outbox: readonly Pending[] } } }): number[] =>
    r.snapshot.context.outbox.filter((p) => p.kind === 'mailbox').map((p) => decode(FetchMailbox, p.bytes).from_index);
  // the chunk answers the mailbox fetch in flight, if there is one
  const chunk = (complete: boolean, outbox: readonly Pending[] = []) => ({ type: 'net.mailboxChunk' as const, reqId: outbox.find((p) => p.kind === 'mailbox')?.reqId ?? 999, entries: [], nextIndex: 257, complete, now: 3 });
  it('REQ-REL-036 should make the owner fetch on from next_index at once, and ask nothing after a complete chunk', () => {
    const creating = feed(freshOwner(), { type: 'user.create', now: 1 }).snapshot;
    const open = feed(creating, { type: 'net.ack', reqId: creating.context.outbox[0]!.reqId, index: 1, now: 2 }).snapshot;
    expect(fetches(feed(open, chunk(false, open.context.outbox)))).toEqual([257]);
    expect(fetches(feed(open, chunk(true, open.context.outbox)))).toEqual([]);
    // before the room exists too
    expect(fetches(feed(freshOwner(), chunk(false)))).toEqual([257]);
  });
  it('REQ-REL-036 should make a member fetch on from next_index at once', () => {
    const m = freshMember('mailbox paging');
    expect(fetches(feedMember(m, chunk(false)))).toEqual([257]);
    expect(fetches(feedMember(m, chunk(true)))).toEqual([]);
  });
});

describe('REQ-MEM-025 polling', () => {
  it('REQ-MEM-025 should poll every syncMs: not one millisecond before, and at syncMs exactly', () => {
    const up = feed(freshOwner(), { type: 'net.up', now: 0 }).snapshot;
    const creating = feed(up, { type: 'user.create', now: 1 }).snapshot;
    const open = feed(creating, { type: 'net.ack', reqId: creating.context.outbox.find((p) => p.kind === 'create')!.reqId, index: 1, now: 2 }).snapshot;
    const last = open.context.sync.lastSyncAt;
    const due = last + open.context.config.syncMs;
    expect(due).toBeGreaterThan(2);
    expect(feed(open, { type: 'timer.tick', now: due - 1 }).snapshot.context.sync.lastSyncAt).toBe(last);
    expect(feed(open, { type: 'timer.tick', now: due }).snapshot.context.sync.lastSyncAt).toBe(due);
  });
});
