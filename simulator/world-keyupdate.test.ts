/**
 * Member key updates in a simulated room (spec 6.11, 7.12, hardened): the member's policy sends
 * them (REQ-MEM-051, REQ-MEM-052), the owner holds and commits them (REQ-OWN-050..053), members
 * check what a rotation installs (REQ-MEM-053, REQ-MEM-054) and the updated member erases its old
 * key. compat makes none.
 */
import { describe, expect, it } from 'vitest';
import { equalBytes, toHex, utf8 } from '../impl/bytes.ts';
import { decode, encode } from '../impl/codec.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { Commit, KeyUpdate, PostCommit } from '../impl/messages/index.ts';
import { buildCommit, ZERO_HASH } from '../impl/protocol/commit.ts';
import { currentEpoch, headsOf } from '../impl/protocol/group.ts';
import { makeKeyUpdate } from '../impl/protocol/key-update.ts';
import { deterministicRng } from '../impl/rng.ts';
import type { MemberContext } from '../machines/member.ts';
import type { OwnerContext } from '../machines/owner.ts';
import { feedMember, feedOwner, rejectionsOf, type MemberSnap, type OwnerSnap } from '../machines/testkit.ts';
import { joinedWorld } from './testkit.ts';
import type { World } from './world.ts';

const rng = deterministicRng(utf8('key update tests'));

function chat(w: World, n: number, who: readonly string[]): void {
  for (let i = 0; i < n; i++) {
    w.user(who[i % who.length]!, { type: 'user.send', text: `message ${i}` });
    w.runUntil(w.now() + 300);
  }
  w.runUntil(w.now() + 3_000);
}

const statusesOf = (w: World, name: string, kind: string) => w.clients.get(name)!.statuses.filter((s) => s.status.kind === kind).map((s) => s.status);
const memberCtx = (w: World, name: string) => w.clients.get(name)!.snapshot.context as MemberContext;
const ownerCtx = (w: World) => w.clients.get('owner')!.snapshot.context as OwnerContext;

describe('REQ-MEM-051 REQ-MEM-052 REQ-OWN-053 REQ-MEM-054 the policy, the owner\'s commit, the erasure', () => {
  it('REQ-MEM-052 should update every K epochs; REQ-OWN-053 the next rotation commits it; REQ-MEM-054 the old key is erased', () => {
    const w = joinedWorld('hardened', ['alice', 'bob'], 7, { rotateEvery: 3, keyUpdateEpochs: 2 });
    const joinedAt = memberCtx(w, 'alice').group!.joinEpoch; // her key was committed by her add
    const before = memberCtx(w, 'alice').identity.kemKeys.map((k) => k.version);
    expect(before).toEqual([1]);
    chat(w, 24, ['alice', 'bob', 'owner']);
    const sent = statusesOf(w, 'alice', 'key-update');
    expect(sent.length).toBeGreaterThan(0);
    const first = sent[0]!;
    if (first.kind !== 'key-update') throw new Error('unreachable');
    // made once its key was committed K epochs ago, routine
    expect(first.epoch).toBe(joinedAt + 2);
    expect([first.version, first.urgent]).toEqual([2, false]);
    const committed = statusesOf(w, 'owner', 'key-committed').filter((s) => s.kind === 'key-committed' && equalBytes(s.memberId, w.clients.get('alice')!.identity.fp));
    expect(committed.length).toBeGreaterThan(0);
    const installed = statusesOf(w, 'alice', 'key-updated');
    expect(installed.length).toBeGreaterThan(0);
    const at = installed[0]!;
    if (at.kind !== 'key-updated' || committed[0]!.kind !== 'key-committed') throw new Error('unreachable');
    expect([at.epoch, at.version]).toEqual([committed[0]!.epoch, 2]);
    // the commit that installed it is a rotation whose roster carries alice's new key
    const record = ownerCtx(w).group!.epochs[at.epoch]!;
    expect(decode(Commit, record.commitBytes).reason).toBe('rotate');
    const alice = memberCtx(w, 'alice');
    expect(record.roster.find((r) => equalBytes(r.member_id, alice.identity.fp))!.kem_cert.version).toBe(2);
    // REQ-MEM-054: the older private key is gone; the room goes on (bob reads alice after the update)
    expect(alice.identity.kemKeys.every((k) => k.version >= at.version)).toBe(true);
    expect(w.clients.get('bob')!.deliveries.some((d) => d.sender === toHex(alice.identity.fp) && d.epoch >= at.epoch)).toBe(true);
    // the owner holds no pending update of a key it committed
    expect(Object.values(ownerCtx(w).updates).every((p) => p.record.kem_cert.version > 2 || !equalBytes(p.record.member_id, alice.identity.fp))).toBe(true);
  }, 120_000);

  it('REQ-MEM-052 should send an urgent update when the user asks, and the owner commit it at once', () => {
    const w = joinedWorld('hardened', ['alice'], 8);
    const epoch = ownerCtx(w).group!.epoch;
    w.user('alice', { type: 'user.update' });
    w.runUntil(w.now() + 5_000);
    const sent = statusesOf(w, 'alice', 'key-update');
    expect(sent).toEqual([{ kind: 'key-update', epoch, version: 2, urgent: true }]);
    // no message was sent: the rotation is the update's own (REQ-OWN-053: urgent, at once)
    expect(ownerCtx(w).group!.epoch).toBe(epoch + 1);
    expect(statusesOf(w, 'alice', 'key-updated')).toEqual([{ kind: 'key-updated', epoch: epoch + 1, version: 2 }]);
  }, 60_000);

  it('REQ-MEM-052 compat should make no key update', () => {
    const w = joinedWorld('compat', ['alice'], 8);
    w.user('alice', { type: 'user.update' });
    w.runUntil(w.now() + 2_000);
    expect(statusesOf(w, 'alice', 'key-update')).toEqual([]);
    expect(w.raised.some((r) => r.party === 'alice' && r.reqId === 'REQ-MEM-052')).toBe(true);
  }, 60_000);
});

describe('REQ-OWN-050..053 the owner checks and holds updates', () => {
  const setup = () => {
    const w = joinedWorld('hardened', ['alice', 'bob'], 9);
    const owner = w.clients.get('owner')!.snapshot as OwnerSnap;
    const alice = memberCtx(w, 'alice');
    const roomId = alice.roomId!;
    const mail = (payload: Uint8Array, index = 1000) => ({ type: 'net.mailbox' as const, entry: { index, room_id: roomId, invite_id: new Uint8Array(32), payload }, now: w.now() });
    return { w, owner, alice, roomId, mail };
  };

  it('REQ-OWN-053 should hold a routine update until the next rotation, which carries it', () => {
    const { owner, alice, roomId, mail } = setup();
    const made = makeKeyUpdate(c, rng, alice.identity, roomId, alice.group!.epoch, false);
    const held = feedOwner(owner, mail(made.update.bytes));
    expect(rejectionsOf(held.effects)).toEqual([]);
    expect(Object.keys(held.snapshot.context.updates)).toHaveLength(1);
    // not urgent: no commit yet
    expect(held.snapshot.context.outbox.some((p) => p.kind === 'commit')).toBe(false);
    const rotated = feedOwner(held.snapshot, { type: 'user.rotate', now: held.snapshot.context.sync.lastSyncAt + 1 });
    const posted = rotated.snapshot.context.outbox.find((p) => p.kind === 'commit');
    expect(posted).toBeDefined();
    const commit = decode(Commit, decode(PostCommit, posted!.bytes).payload);
    expect(commit.reason).toBe('rotate');
    expect(commit.adds.map((a) => [a.member_id, a.kem_cert.version])).toEqual([[alice.identity.fp, made.kem.version]]);
    // REQ-KS-007: alice's entry is sealed to the new key
    expect(commit.entries.find((e) => equalBytes(e.member_id, alice.identity.fp))!.kem_version).toBe(made.kem.version);
  });

  it('REQ-OWN-053 should commit an urgent update at once, and drop a pending one when the member\'s removal begins', () => {
    const { owner, alice, roomId, mail } = setup();
    const urgent = makeKeyUpdate(c, rng, alice.identity, roomId, alice.group!.epoch, true);
    const r = feedOwner(owner, mail(urgent.update.bytes));
    expect(r.snapshot.value).toEqual({ active: 'publishing' });
    const routine = makeKeyUpdate(c, rng, alice.identity, roomId, alice.group!.epoch, false);
    const held = feedOwner(owner, mail(routine.update.bytes));
    const removing = feedOwner(held.snapshot, { type: 'user.remove', memberId: alice.identity.fp, now: held.snapshot.context.sync.lastSyncAt + 1 });
    expect(removing.snapshot.context.updates).toEqual({});
    // REQ-OWN-051: and a later update of that member is refused
    const later = makeKeyUpdate(c, rng, routine.identity, roomId, alice.group!.epoch, false);
    expect(rejectionsOf(feedOwner(removing.snapshot, mail(later.update.bytes, 1001)).effects)).toContain('REQ-OWN-051');
  });

  it('REQ-OWN-050 REQ-OWN-051 REQ-OWN-052 should refuse an update of another room, a forged one, and a stale one', () => {
    const { owner, alice, roomId, mail } = setup();
    const made = makeKeyUpdate(c, rng, alice.identity, roomId, alice.group!.epoch, false);
    const other = makeKeyUpdate(c, rng, alice.identity, new Uint8Array(16).fill(7), alice.group!.epoch, false);
    expect(rejectionsOf(feedOwner(owner, mail(other.update.bytes)).effects)).toContain('REQ-OWN-050');
    const forged = encode(KeyUpdate, { ...made.update.value, urgent: 1 }); // the signature covers urgent
    expect(rejectionsOf(feedOwner(owner, mail(forged)).effects)).toContain('REQ-OWN-051');
    const held = feedOwner(owner, mail(made.update.bytes)).snapshot;
    const r = feedOwner(held, mail(made.update.bytes, 1001));
    expect(rejectionsOf(r.effects)).toContain('REQ-OWN-052');
    expect(r.snapshot.context.updates).toEqual(held.context.updates);
  });
});

describe('REQ-MEM-054 a member accepts only its own update for its record', () => {
  it('REQ-MEM-054 should accept a commit of an update of its own that a later one replaced, the later staying outstanding', () => {
    const w = joinedWorld('hardened', ['alice'], 11);
    const start = w.clients.get('alice')!.snapshot as MemberSnap;
    const now = w.now();
    // a routine update (its key committed long ago), then the user asks for one: the urgent one replaces it
    const aged = { ...start, context: { ...start.context, keyAge: { committedEpoch: -10, committedAt: 0, alarm: false } } } as MemberSnap;
    const routine = feedMember(aged, { type: 'timer.tick', now });
    const first = routine.snapshot.context.group!.outstandingUpdate!;
    expect(first.urgent).toBe(0);
    const urgent = feedMember(routine.snapshot, { type: 'user.update', now: now + 1 });
    const second = urgent.snapshot.context.group!.outstandingUpdate!;
    expect([second.urgent, second.kem_cert.version]).toEqual([1, first.kem_cert.version + 1]);
    // the owner committed the first before the second reached it
    const owner = ownerCtx(w);
    const g = owner.group!;
    const cur = currentEpoch(g);
    const a = urgent.snapshot.context;
    const me = cur.roster.find((r) => equalBytes(r.member_id, a.identity.fp))!;
    const built = buildCommit(c, rng, { roomId: a.roomId!, epoch: g.epoch + 1, prevEpochHash: cur.epochHash, reason: 'rotate', inviteId: ZERO_HASH, adds: [{ ...me, kem_cert: first.kem_cert }], removes: [], roster: cur.roster, heads: headsOf(g, cur.roster), owner: owner.identity });
    const r = feedMember(urgent.snapshot, { type: 'net.room', roomId: a.roomId!, index: 999, payload: built.commit.bytes, now: now + 2 });
    expect(rejectionsOf(r.effects)).toEqual([]);
    expect(r.snapshot.context.group!.epoch).toBe(g.epoch + 1);
    expect(r.effects).toContainEqual({ type: 'effect.status', status: { kind: 'key-updated', epoch: g.epoch + 1, version: first.kem_cert.version } });
    // the urgent one stays outstanding, its key kept; the key its add committed is erased
    expect(r.snapshot.context.group!.outstandingUpdate).toEqual(second);
    expect(r.snapshot.context.identity.kemKeys.map((k) => k.version)).toEqual([first.kem_cert.version, second.kem_cert.version]);
  });

  it('REQ-MEM-054 should reject an owner-signed rotation that installs a key it did not make', () => {
    const w = joinedWorld('hardened', ['alice'], 10);
    const alice = w.clients.get('alice')!.snapshot as MemberSnap;
    const a = alice.context;
    const owner = ownerCtx(w);
    const g = owner.group!;
    const cur = currentEpoch(g);
    const stray = makeKeyUpdate(c, rng, a.identity, a.roomId!, g.epoch, false); // alice's key, but not her outstanding update
    const me = cur.roster.find((r) => equalBytes(r.member_id, a.identity.fp))!;
    const built = buildCommit(c, rng, { roomId: a.roomId!, epoch: g.epoch + 1, prevEpochHash: cur.epochHash, reason: 'rotate', inviteId: ZERO_HASH, adds: [{ ...me, kem_cert: stray.kem.cert }], removes: [], roster: cur.roster, heads: headsOf(g, cur.roster), owner: owner.identity });
    const r = feedMember({ ...alice, context: { ...a, identity: stray.identity } } as MemberSnap, { type: 'net.room', roomId: a.roomId!, index: 999, payload: built.commit.bytes, now: w.now() });
    expect(rejectionsOf(r.effects)).toContain('REQ-MEM-054');
    expect(r.snapshot.context.group!.epoch).toBe(g.epoch);
  });
});
