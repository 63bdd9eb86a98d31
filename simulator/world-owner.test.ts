/**
 * The owner machine (spec 6) in a room of a simulated world: confirmation, timeouts, refused
 * commits, rotation and removal, and each invalid input of spec 6 giving its typed rejection with
 * the owner's security state unchanged. Each test steps the owner's snapshot from a world advanced
 * to a joined room. (Creating the room: machines/owner.test.ts; invites and admission:
 * simulator/world-owner-joins.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, toHex as toHexOf, utf8 } from '../impl/bytes.ts';
import { decode, encode, encodePrefix } from '../impl/codec.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { epochHash } from '../impl/keyschedule.ts';
import { sigContext } from '../impl/labels.ts';
import { Commit, JoinConfirm, PostCommit, RemoveMember } from '../impl/messages/index.ts';
import { sealAppMessage } from '../impl/protocol/app.ts';
import { createIdentity, requireSigned } from '../impl/protocol/identity.ts';
import { buildJoinRequest } from '../impl/protocol/join.ts';
import { deterministicRng } from '../impl/rng.ts';
import { expectOwnerRejected as expectRejected, feedOwner as feed, ownerSecurityState, rejectionsOf as rejections, sameState, type OwnerSnap as Snap } from '../machines/testkit.ts';
import { joinedWorld } from './testkit.ts';
import type { World } from './world.ts';

const rng = deterministicRng(utf8('owner machine tests'));

/** The commit payload of the owner's outstanding `PostCommit`, if any. */
function postedCommit(snapshot: Snap): Uint8Array | undefined {
  const p = snapshot.context.outbox.find((x) => x.kind === 'commit');
  return p ? decode(PostCommit, p.bytes).payload : undefined;
}


describe('REQ-OWN-021..023 confirmation, timeout, refused commit', () => {
  let world: World;
  let awaiting: Snap;
  beforeAll(() => {
    world = joinedWorld('hardened', ['alice']);
    world.user('owner', { type: 'user.invite' });
    world.runUntilTrue(() => world.invites().length === 2, 30_000);
    const invite = world.invites()[1]!;
    const owner = world.clients.get('owner')!.snapshot as Snap;
    const inviteId = owner.context.invites.find((i) => i.invite && i.status === 'open')!.inviteId;
    const jr = buildJoinRequest(c, rng, invite, createIdentity(c, rng), inviteId);
    awaiting = feed(owner, { type: 'net.mailbox', entry: { index: 600, room_id: invite.room_id, invite_id: inviteId, payload: jr.bytes }, now: world.now() }).snapshot;
  });
  it('REQ-OWN-022 should refuse a confirmation that is not for the pending welcome', () => {
    const p = awaiting.context.pending!;
    const junk = encode(JoinConfirm, { room_id: awaiting.context.roomId!, invite_id: p.inviteId, epoch: p.built.commit.value.epoch, welcome_hash: new Uint8Array(32), confirm_mac: new Uint8Array(32), signature: new Uint8Array(3309) });
    const r = expectRejected(awaiting, { type: 'net.mailbox', entry: { index: 601, room_id: awaiting.context.roomId!, invite_id: p.inviteId, payload: junk }, now: world.now() }, 'REQ-OWN-022');
    expect(r.snapshot.value).toEqual({ active: 'awaitingConfirm' });
  });
  it('REQ-OWN-021 REQ-OWN-024 should publish the signed add commit unconfirmed after the timeout, never a second one', () => {
    const pending = awaiting.context.pending!;
    const r = feed(awaiting, { type: 'timer.tick', now: pending.since + awaiting.context.config.joinTimeoutMs });
    expect(r.snapshot.value).toEqual({ active: 'publishing' });
    expect(r.snapshot.context.pending).toBeUndefined();
    expect(r.snapshot.context.publishing!.built.commit.bytes).toEqual(pending.built.commit.bytes);
    expect(postedCommit(r.snapshot)).toEqual(pending.built.commit.bytes);
    expect(r.effects.some((e) => e.type === 'effect.status' && e.status.kind === 'join-unconfirmed')).toBe(true);
    expect(r.snapshot.context.invites.find((i) => equalBytes(i.inviteId, pending.inviteId))!.status).toBe('pending');
  });
  it('REQ-OWN-023 REQ-OWN-024 should not install a refused commit, raise it, and post the same bytes again after the retry interval', () => {
    const world2 = joinedWorld('hardened', ['alice'], 22);
    const ready = world2.clients.get('owner')!.snapshot as Snap;
    const publishing = feed(ready, { type: 'user.rotate', now: world2.now() });
    expect(publishing.snapshot.value).toEqual({ active: 'publishing' });
    const first = publishing.snapshot.context.publishing!;
    // REQ-REL-018 was once treated as a benign race; now every refusal is an alarm
    for (const requirement of ['REQ-REL-017', 'REQ-REL-018']) {
      const r = feed(publishing.snapshot, { type: 'net.reject', reqId: first.reqId, requirement, detail: 'refused', now: world2.now() });
      expect(r.snapshot.value).toEqual({ active: 'publishing' });
      expect(r.effects.filter((e) => e.type === 'effect.alarm').map((e) => (e as { reqId: string }).reqId)).toEqual(['REQ-OWN-023']);
      expect(r.snapshot.context.group!.epoch).toBe(ready.context.group!.epoch);
    }
    const refused = feed(publishing.snapshot, { type: 'net.reject', reqId: first.reqId, requirement: 'REQ-REL-017', detail: 'refused', now: world2.now() }).snapshot;
    const retryAt = refused.context.publishing!.retryAt!;
    expect(retryAt).toBe(world2.now() + refused.context.config.retryMs);
    expect(postedCommit(refused)).toBeUndefined();
    const early = feed(refused, { type: 'timer.tick', now: retryAt - 1 }).snapshot;
    expect(postedCommit(early)).toBeUndefined();
    const again = feed(early, { type: 'user.rotate', now: retryAt }).snapshot; // a new request changes nothing
    const reposted = feed(again, { type: 'timer.tick', now: retryAt }).snapshot;
    expect(reposted.value).toEqual({ active: 'publishing' });
    expect(postedCommit(reposted)).toEqual(first.built.commit.bytes);
    expect(reposted.context.publishing!.reqId).not.toBe(first.reqId);
  });
  it('REQ-OWN-035 should freeze the member, wait for the log up to the freeze, then commit the removal', () => {
    const w = joinedWorld('hardened', ['alice'], 24);
    const ready = w.clients.get('owner')!.snapshot as Snap;
    const alice = w.clients.get('alice')!.identity.fp;
    const asked = feed(ready, { type: 'user.remove', memberId: alice, now: w.now() }).snapshot;
    expect(asked.value).toEqual({ active: 'ready' });
    const freeze = asked.context.outbox.find((p) => p.kind === 'freeze')!;
    const req = decode(RemoveMember, freeze.bytes);
    expect(req.member_id).toEqual(alice);
    expect(asked.context.publishing).toBeUndefined();
    // the relay's acknowledgement names a log index the owner has not reached: it fetches first
    const behind = feed(asked, { type: 'net.ack', reqId: req.req_id, index: asked.context.log.index + 1, now: w.now() + 1 }).snapshot;
    expect(behind.value).toEqual({ active: 'ready' });
    expect(behind.context.freeze!.atIndex).toBe(asked.context.log.index + 1);
    expect(behind.context.outbox.some((p) => p.kind === 'history')).toBe(true);
    // at the index: the removal is built and posted
    const done = feed(asked, { type: 'net.ack', reqId: req.req_id, index: asked.context.log.index, now: w.now() + 1 }).snapshot;
    expect(done.value).toEqual({ active: 'publishing' });
    const commit = decode(Commit, postedCommit(done)!);
    expect(commit.reason).toBe('remove');
    expect(commit.removes.map((r) => r.member_id)).toEqual([alice]);
  });
  it('REQ-OWN-036 the removal head counts a log entry of the member that no one accepted (ATK-29)', () => {
    const w = joinedWorld('hardened', ['alice'], 27);
    const ready = w.clients.get('owner')!.snapshot as Snap;
    const aliceNode = w.clients.get('alice')!;
    const g = (aliceNode.snapshot.context as { group: { epoch: number; epochs: Record<number, { keys?: { appKey: Uint8Array } }> } }).group;
    // alice's message 7 with a broken signature: the owner rejects it, the relay counted it
    const junk = sealAppMessage(c, rng, { roomId: ready.context.roomId!, epoch: g.epoch, appKey: g.epochs[g.epoch]!.keys!.appKey, seq: 7, prevEpoch: g.epoch, sender: aliceNode.identity, content: { sent_at: 1, text: 'junk' } }).bytes.slice();
    junk[junk.length - 1]! ^= 1;
    const index = ready.context.log.index + 1;
    const seen = feed(ready, { type: 'net.room', roomId: ready.context.roomId!, index, payload: junk, now: w.now() });
    expect(rejections(seen.effects)).toEqual(['REQ-MEM-014']);
    expect(sameState(ownerSecurityState(seen.snapshot.context), ownerSecurityState(ready.context))).toBe(true);
    const asked = feed(seen.snapshot, { type: 'user.remove', memberId: aliceNode.identity.fp, now: w.now() }).snapshot;
    const freeze = decode(RemoveMember, asked.context.outbox.find((p) => p.kind === 'freeze')!.bytes);
    const done = feed(asked, { type: 'net.ack', reqId: freeze.req_id, index, now: w.now() + 1 }).snapshot;
    const head = decode(Commit, postedCommit(done)!).heads.find((h) => equalBytes(h.member_id, aliceNode.identity.fp));
    expect(head?.next_seq).toBe(8);
  });
  it('REQ-OWN-035 should raise a refused freeze and ask again after the retry interval', () => {
    const w = joinedWorld('hardened', ['alice'], 26);
    const ready = w.clients.get('owner')!.snapshot as Snap;
    const asked = feed(ready, { type: 'user.remove', memberId: w.clients.get('alice')!.identity.fp, now: w.now() }).snapshot;
    const freeze = asked.context.outbox.find((p) => p.kind === 'freeze')!;
    const r = feed(asked, { type: 'net.reject', reqId: freeze.reqId, requirement: 'REQ-REL-025', detail: 'no', now: w.now() + 1 });
    expect(r.effects.filter((e) => e.type === 'effect.alarm').map((e) => (e as { reqId: string }).reqId)).toEqual(['REQ-OWN-035']);
    expect(r.snapshot.context.outbox.some((p) => p.kind === 'freeze')).toBe(false);
    const later = feed(r.snapshot, { type: 'timer.tick', now: r.snapshot.context.commitHoldUntil }).snapshot;
    expect(later.context.outbox.some((p) => p.kind === 'freeze')).toBe(true);
  });
  it('REQ-OWN-035 should ask to be woken when the hold after a refused freeze ends, not at its next poll', () => {
    const w = joinedWorld('hardened', ['alice'], 26);
    const ready = w.clients.get('owner')!.snapshot as Snap;
    const asked = feed(ready, { type: 'user.remove', memberId: w.clients.get('alice')!.identity.fp, now: w.now() }).snapshot;
    const freeze = asked.context.outbox.find((p) => p.kind === 'freeze')!;
    // refused just before the next poll, which the tick after it makes: the poll's requests are retried after the hold ends
    const at = Math.max(w.now(), ready.context.sync.lastSyncAt + ready.context.config.syncMs - 1);
    const refused = feed(asked, { type: 'net.reject', reqId: freeze.reqId, requirement: 'REQ-REL-025', detail: 'no', now: at }).snapshot;
    const hold = refused.context.commitHoldUntil;
    expect(hold).toBe(at + refused.context.config.retryMs);
    const tick = feed(refused, { type: 'timer.tick', now: at + 1 });
    expect(tick.snapshot.context.outbox.map((p) => p.kind).sort()).toEqual(['history', 'mailbox']);
    expect(tick.effects.filter((e) => e.type === 'effect.wake')).toEqual([{ type: 'effect.wake', at: hold }]);
  });
  it('REQ-OWN-023 should install a commit that a history fetch shows stored (its acknowledgement lost)', () => {
    const w = joinedWorld('hardened', ['alice'], 25);
    const ready = w.clients.get('owner')!.snapshot as Snap;
    let pub = feed(ready, { type: 'user.rotate', now: w.now() }).snapshot;
    pub = feed(pub, { type: 'user.sync', now: w.now() }).snapshot;
    const fetch = pub.context.sync.inFlight!;
    const commit = pub.context.publishing!.built.commit.bytes;
    const r = feed(pub, { type: 'net.history', reqId: fetch, roomId: pub.context.roomId!, entries: [{ index: pub.context.log.index + 1, payload: commit }], nextIndex: pub.context.log.index + 2, complete: true, now: w.now() });
    expect(r.snapshot.value).toEqual({ active: 'ready' });
    expect(r.snapshot.context.group!.epoch).toBe(ready.context.group!.epoch + 1);
    expect(r.snapshot.context.publishing).toBeUndefined();
  });
  it('REQ-OWN-023 should install the commit once the relay acknowledges it', () => {
    const world3 = joinedWorld('hardened', ['alice'], 23);
    const ready = world3.clients.get('owner')!.snapshot as Snap;
    const publishing = feed(ready, { type: 'user.rotate', now: world3.now() }).snapshot;
    const r = feed(publishing, { type: 'net.ack', reqId: publishing.context.publishing!.reqId, index: 99, now: world3.now() });
    expect(r.snapshot.context.group!.epoch).toBe(ready.context.group!.epoch + 1);
    expect(r.effects.some((e) => e.type === 'effect.status' && e.status.kind === 'epoch')).toBe(true);
  });
});

describe('REQ-OWN-030 REQ-OWN-031 rotation and removal (hardened)', () => {
  it('should rotate after N messages and remove a member with a commit', () => {
    const world = joinedWorld('hardened', ['alice', 'bob'], 11);
    const owner = () => world.clients.get('owner')!.snapshot.context;
    const epoch0 = owner().group!.epoch;
    const n = owner().config.rotateEvery;
    for (let i = 0; i < n; i++) world.user(i % 2 ? 'alice' : 'owner', { type: 'user.send', text: `m${i}` }, i * 20);
    world.runUntil(world.now() + n * 20 + 5_000);
    expect(owner().group!.epoch).toBe(epoch0 + 1);
    world.user('owner', { type: 'user.remove', memberId: world.clients.get('bob')!.identity.fp });
    expect(world.runUntilTrue(() => world.stateOf('bob') === 'removed', 30_000)).toBe(true);
    expect(owner().group!.epoch).toBe(epoch0 + 2);
    expect(world.raised).toEqual([]);
  });
  it('REQ-OWN-034 REQ-KS-003 every commit the owner made is signed by its key for "commit" and chains to the one before', () => {
    const world = joinedWorld('hardened', ['alice', 'bob'], 12);
    world.user('owner', { type: 'user.rotate' });
    world.runUntil(world.now() + 5_000);
    world.user('owner', { type: 'user.remove', memberId: world.clients.get('bob')!.identity.fp });
    expect(world.runUntilTrue(() => world.stateOf('bob') === 'removed', 30_000)).toBe(true);
    const owner = world.clients.get('owner')!;
    const group = (owner.snapshot as Snap).context.group!;
    expect(group.epoch).toBeGreaterThanOrEqual(4); // genesis, two adds, a rotation, a removal
    for (let e = 0; e <= group.epoch; e++) {
      const bytes = group.epochs[e]!.commitBytes;
      const commit = decode(Commit, bytes);
      expect(commit.epoch).toBe(e);
      expect(commit.prev_epoch_hash).toEqual(e === 0 ? new Uint8Array(32) : epochHash(c, group.epochs[e - 1]!.commitBytes));
      expect(() => requireSigned(c, Commit, commit, 'commit', owner.identity.publicKey, 'REQ-OWN-034', `commit ${e}`)).not.toThrow();
      expect(c.verify(owner.identity.publicKey, encodePrefix(Commit, commit, 'signature'), sigContext('app message'), commit.signature)).toBe(false);
    }
  });
  it("REQ-OWN-032 a rotation's heads give, per member the owner accepted messages from, one more than the highest seq and that message's epoch", () => {
    const world = joinedWorld('hardened', ['alice', 'bob'], 13);
    const texts: [string, number][] = [['alice', 3], ['bob', 2], ['owner', 1]];
    let k = 0;
    for (const [who, n] of texts) for (let i = 0; i < n; i++) world.user(who, { type: 'user.send', text: `${who} ${i}` }, 20 * k++);
    world.runUntil(world.now() + 5_000);
    world.user('owner', { type: 'user.rotate' });
    world.runUntil(world.now() + 5_000);
    const group = (world.clients.get('owner')!.snapshot as Snap).context.group!;
    const rotation = decode(Commit, group.epochs[group.epoch]!.commitBytes);
    expect(rotation.reason).toBe('rotate');
    const heads = new Map(rotation.heads.map((h) => [toHexOf(h.member_id), [h.next_seq, h.last_epoch]]));
    for (const [who] of texts.filter(([w]) => w !== 'owner')) {
      const node = world.clients.get(who)!;
      const sent = node.statuses.flatMap((x) => (x.status.kind === 'sent' ? [x.status] : []));
      const last = sent.reduce((a, b) => (b.seq > a.seq ? b : a));
      expect(heads.get(toHexOf(node.identity.fp)), who).toEqual([last.seq + 1, last.epoch]);
    }
    expect([...heads.keys()].every((id) => group.epochs[group.epoch - 1]!.roster.some((m) => toHexOf(m.member_id) === id))).toBe(true);
  });
  it('REQ-OWN-031 should refuse to remove the owner or a non-member', () => {
    const world = joinedWorld('hardened', ['alice'], 12);
    const owner = world.clients.get('owner')!.snapshot as Snap;
    expectRejected(owner, { type: 'user.remove', memberId: owner.context.identity.fp, now: world.now() }, 'REQ-OWN-031');
    expectRejected(owner, { type: 'user.remove', memberId: new Uint8Array(32), now: world.now() }, 'REQ-OWN-031');
  });
});
