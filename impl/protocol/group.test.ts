/** A member's view of a hardened room (spec 7.6, 7.7): order, duplicates, gaps, heads, epochs, forks. */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../bytes.ts';
import { decode } from '../codec.ts';
import { AppMessage, Commit, type AppContent } from '../messages/index.ts';
import { NO_EPOCH } from '../suite.ts';
import { buildCommit, ownerEpochKeys, ZERO_HASH } from './commit.ts';
import {
  checkServedRoster,
  epochRecordOf,
  gaps,
  headsOf,
  installOwnCommit,
  MAX_FUTURE_ITEMS,
  newGroupView,
  prepareMessage,
  receiveAppMessage,
  receiveCommit,
  type GroupEvent,
  type GroupView,
} from './group.ts';
import { sealAppMessage } from './app.ts';
import { epochHash } from '../keyschedule.ts';
import { c, joinedRoom, type JoinedRoom } from './testkit.ts';

let room: JoinedRoom;
let ownerView: GroupView;
let memberView: GroupView;
let bobMsgs: Uint8Array[];

const text = (i: number): AppContent => ({ sent_at: i, text: `m${i}` });
const delivered = (events: readonly GroupEvent[]) => events.filter((e) => e.kind === 'delivered').map((e) => (e as { seq: number }).seq);
const rejections = (events: readonly GroupEvent[]) => events.filter((e) => e.kind === 'rejected').map((e) => (e as { reqId: string }).reqId);

beforeAll(() => {
  room = joinedRoom('group');
  const add = room.add.commit;
  ownerView = newGroupView(room.roomId, room.owner.fp, epochRecordOf(c, room.genesis.commit, room.genesis.roster, room.keys0));
  ownerView = installOwnCommit(c, ownerView, add, room.roster1, room.keys1, room.owner).view;
  memberView = newGroupView(room.roomId, room.member.fp, epochRecordOf(c, add, room.roster1, room.keys1));
  let v = memberView;
  bobMsgs = [];
  for (let i = 0; i < 6; i++) {
    const r = prepareMessage(c, room.rng, v, room.member, text(i));
    v = r.view;
    bobMsgs.push(r.message.bytes);
  }
});

describe('REQ-MEM-017 delivery in sender order', () => {
  it('should deliver any arrival order in seq order, exactly once', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 6, maxLength: 6 }), (order) => {
        let v = ownerView;
        const got: number[] = [];
        for (const i of order) {
          const r = receiveAppMessage(c, v, bobMsgs[i]!);
          v = r.view;
          got.push(...delivered(r.events));
        }
        expect(got).toEqual([0, 1, 2, 3, 4, 5]);
        expect(gaps(v)).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });
  it('should hold a message after a gap and report the gap until it is filled', () => {
    let v = receiveAppMessage(c, ownerView, bobMsgs[0]!).view;
    const r = receiveAppMessage(c, v, bobMsgs[2]!);
    expect(delivered(r.events)).toEqual([]);
    v = r.view;
    expect(gaps(v).length).toBe(1);
    const fill = receiveAppMessage(c, v, bobMsgs[1]!);
    expect(delivered(fill.events)).toEqual([1, 2]);
    expect(gaps(fill.view)).toEqual([]);
  });
});

describe('REQ-MEM-016 duplicates', () => {
  it('should reject a replayed message, delivered or held, and count it once (ATK-11)', () => {
    let v = receiveAppMessage(c, ownerView, bobMsgs[0]!).view;
    expect(rejections(receiveAppMessage(c, v, bobMsgs[0]!).events)).toEqual(['REQ-MEM-016']);
    v = receiveAppMessage(c, v, bobMsgs[3]!).view;
    const again = receiveAppMessage(c, v, bobMsgs[3]!);
    expect(rejections(again.events)).toEqual(['REQ-MEM-016']);
    expect(again.view).toBe(v);
    expect(v.epochCount).toBe(2);
  });
});

describe('REQ-MEM-010..015 checks before acceptance', () => {
  it('REQ-MEM-010 should reject a message for another room', () => {
    const other = { ...ownerView, roomId: new Uint8Array(16) };
    expect(rejections(receiveAppMessage(c, other, bobMsgs[0]!).events)).toEqual(['REQ-MEM-010']);
  });
  it('REQ-MEM-011 should hold a message of a later epoch without accepting it', () => {
    const r = receiveAppMessage(c, { ...memberView, epoch: 1 }, bobMsgs[0]!);
    expect(r.events[0]?.kind).not.toBe('rejected');
    const early = { ...ownerView, epoch: 0 };
    const held = receiveAppMessage(c, early, bobMsgs[0]!);
    expect(held.events).toEqual([{ kind: 'held', what: 'message', epoch: 1 }]);
    expect(held.view.futureMessages).toHaveLength(1);
  });
  it('REQ-MEM-011 should hold at most MAX_FUTURE_ITEMS messages of later epochs, and reject the next one', () => {
    const full = { ...ownerView, epoch: 0, futureMessages: Array.from({ length: MAX_FUTURE_ITEMS - 1 }, (_, i) => ({ ok: true as const, bytes: new Uint8Array([i & 255, i >> 8]), value: decode(AppMessage, bobMsgs[0]!) })) };
    const last = receiveAppMessage(c, full, bobMsgs[0]!);
    expect(last.events).toEqual([{ kind: 'held', what: 'message', epoch: 1 }]);
    expect(last.view.futureMessages).toHaveLength(MAX_FUTURE_ITEMS);
    const over = receiveAppMessage(c, last.view, bobMsgs[1]!);
    expect(rejections(over.events)).toEqual(['REQ-MEM-011']);
    expect(over.view).toBe(last.view);
  });
  it('REQ-MEM-012 should reject content from before the member joined (ATK-18)', () => {
    const pre = sealAppMessage(c, room.rng, { roomId: room.roomId, epoch: 0, appKey: room.keys0.appKey, seq: 0, prevEpoch: NO_EPOCH, sender: room.owner, content: text(9) });
    expect(rejections(receiveAppMessage(c, memberView, pre.bytes).events)).toEqual(['REQ-MEM-012']);
  });
  it('REQ-MEM-013 should reject a sender outside the epoch roster', () => {
    const ghost = sealAppMessage(c, room.rng, { roomId: room.roomId, epoch: 0, appKey: room.keys0.appKey, seq: 0, prevEpoch: NO_EPOCH, sender: room.member, content: text(1) });
    expect(rejections(receiveAppMessage(c, ownerView, ghost.bytes).events)).toEqual(['REQ-MEM-013']);
  });
  it('REQ-MEM-015 should reject a message sealed under another key', () => {
    const bad = sealAppMessage(c, room.rng, { roomId: room.roomId, epoch: 1, appKey: room.keys0.appKey, seq: 9, prevEpoch: 1, sender: room.member, content: text(1) });
    expect(rejections(receiveAppMessage(c, ownerView, bad.bytes).events)).toEqual(['REQ-MEM-015']);
  });
});

describe('REQ-MEM-018 REQ-MEM-019 chains and entitlement start', () => {
  it('should reject a message whose prev_epoch contradicts its predecessor', () => {
    let v = receiveAppMessage(c, ownerView, bobMsgs[0]!).view;
    const liar = sealAppMessage(c, room.rng, { roomId: room.roomId, epoch: 1, appKey: room.keys1.appKey, seq: 1, prevEpoch: 0, sender: room.member, content: text(1) });
    const r = receiveAppMessage(c, v, liar.bytes);
    expect(rejections(r.events)).toEqual(['REQ-MEM-018']);
    v = r.view;
    expect(delivered(receiveAppMessage(c, v, bobMsgs[1]!).events)).toEqual([1]);
  });
  it("should start a late joiner at the sender's first message of its epochs, and wait when the first one seen is not it", () => {
    const ownerFirst = prepareMessage(c, room.rng, { ...ownerView, ownNextSeq: 7, ownPrevEpoch: 0 }, room.owner, text(1)).message.bytes;
    const r = receiveAppMessage(c, memberView, ownerFirst);
    expect(delivered(r.events)).toEqual([7]);
    const ownerSecond = prepareMessage(c, room.rng, { ...ownerView, ownNextSeq: 8, ownPrevEpoch: 1 }, room.owner, text(2)).message.bytes;
    const waits = receiveAppMessage(c, memberView, ownerSecond);
    expect(delivered(waits.events)).toEqual([]);
    expect(gaps(waits.view)).toHaveLength(1);
    expect(delivered(receiveAppMessage(c, waits.view, ownerFirst).events)).toEqual([7, 8]);
  });
});

describe('REQ-MEM-040..050 commits', () => {
  it('should install the next epoch, ignore its repetition, and raise a fork alarm for a different one (REQ-MEM-049)', () => {
    const rot = buildCommit(c, room.rng, { roomId: room.roomId, epoch: 2, prevEpochHash: epochHash(c, room.add.commit.bytes), reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: room.roster1, heads: [], owner: room.owner });
    const r = receiveCommit(c, memberView, rot.commit.bytes, room.member);
    expect(r.view.epoch).toBe(2);
    expect(r.events.map((e) => e.kind)).toEqual(['epoch']);
    expect(receiveCommit(c, r.view, rot.commit.bytes, room.member).events[0]?.kind).toBe('ignored');
    const fork = buildCommit(c, room.rng, { roomId: room.roomId, epoch: 2, prevEpochHash: epochHash(c, room.add.commit.bytes), reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: room.roster1, heads: [], owner: room.owner });
    const alarm = receiveCommit(c, r.view, fork.commit.bytes, room.member);
    expect(alarm.events).toEqual([expect.objectContaining({ kind: 'alarm', reqId: 'REQ-MEM-049' })]);
    expect(alarm.view).toBe(r.view);
  });
  it('REQ-MEM-042 should hold a commit that skips an epoch and install both once the gap is filled', () => {
    const r2 = buildCommit(c, room.rng, { roomId: room.roomId, epoch: 2, prevEpochHash: epochHash(c, room.add.commit.bytes), reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: room.roster1, heads: [], owner: room.owner });
    const r3 = buildCommit(c, room.rng, { roomId: room.roomId, epoch: 3, prevEpochHash: epochHash(c, r2.commit.bytes), reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: room.roster1, heads: [], owner: room.owner });
    const held = receiveCommit(c, memberView, r3.commit.bytes, room.member);
    expect(held.view.epoch).toBe(1);
    expect(gaps(held.view)).toHaveLength(1);
    const both = receiveCommit(c, held.view, r2.commit.bytes, room.member);
    expect(both.view.epoch).toBe(3);
    expect(gaps(both.view)).toEqual([]);
    const k3 = ownerEpochKeys(c, r3, ownerEpochKeys(c, r2, room.keys1.initSecret).initSecret);
    expect(toHex(both.view.epochs[3]!.keys!.appKey)).toBe(toHex(k3.appKey));
  });
  it('REQ-MEM-048 should expect messages named by a signed head (selective drop, ATK-13)', () => {
    let owner = ownerView;
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const r = prepareMessage(c, room.rng, owner, room.owner, text(i));
      owner = r.view;
      sent.push(r.message.bytes);
    }
    for (const b of sent) owner = receiveAppMessage(c, owner, b).view;
    const heads = headsOf(owner, room.roster1);
    expect(heads).toEqual([{ member_id: room.owner.fp, next_seq: 3, last_epoch: 1 }]);
    let bob = receiveAppMessage(c, memberView, sent[0]!).view;
    expect(gaps(bob)).toEqual([]);
    const rot = buildCommit(c, room.rng, { roomId: room.roomId, epoch: 2, prevEpochHash: epochHash(c, room.add.commit.bytes), reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: room.roster1, heads, owner: room.owner });
    bob = receiveCommit(c, bob, rot.commit.bytes, room.member).view;
    expect(gaps(bob)).toEqual([{ sender: toHex(room.owner.fp), key: `${toHex(room.owner.fp)}:1`, detail: 'messages up to seq 2 missing' }]);
    for (const b of sent.slice(1)) bob = receiveAppMessage(c, bob, b).view;
    expect(gaps(bob)).toEqual([]);
  });
  describe('REQ-MEM-021 a removed sender’s final head', () => {
    const removeBob = (view: GroupView, nextSeq: number) => {
      const built = buildCommit(c, room.rng, { roomId: room.roomId, epoch: 2, prevEpochHash: epochHash(c, room.add.commit.bytes), reason: 'remove', inviteId: ZERO_HASH, adds: [], removes: [room.member.fp], roster: room.roster1, heads: [{ member_id: room.member.fp, next_seq: nextSeq, last_epoch: 1 }], owner: room.owner });
      return installOwnCommit(c, view, built.commit, built.roster, ownerEpochKeys(c, built, room.keys1.initSecret), room.owner);
    };
    const receive = (view: GroupView, seqs: readonly number[]) => {
      let v = view;
      const events: GroupEvent[] = [];
      for (const i of seqs) {
        const r = receiveAppMessage(c, v, bobMsgs[i]!);
        v = r.view;
        events.push(...r.events);
      }
      return { view: v, events };
    };
    it('should take a late message below the final head, and refuse one at or above it', () => {
      const before = receive(ownerView, [0, 2]); // seq 1 is late: the head still counts it
      const removed = removeBob(before.view, 3);
      expect(removed.events.filter((e) => e.kind === 'alarm')).toEqual([]);
      const late = receive(removed.view, [1]);
      expect(delivered(late.events)).toEqual([1, 2]);
      const beyond = receive(late.view, [3, 4]);
      expect(rejections(beyond.events)).toEqual(['REQ-MEM-021', 'REQ-MEM-021']);
      expect(delivered(beyond.events)).toEqual([]);
      expect(gaps(beyond.view)).toEqual([]);
    });
    it('should raise an alarm when it had already accepted a message the removal does not count', () => {
      const before = receive(ownerView, [0, 1, 2, 4]); // 4 is held, waiting for 3
      const removed = removeBob(before.view, 3);
      expect(removed.events.filter((e) => e.kind === 'alarm').map((e) => (e as { reqId: string }).reqId)).toEqual(['REQ-MEM-021']);
      // the held message beyond the final head is dropped: no gap waits for seq 3 forever
      expect(gaps(removed.view)).toEqual([]);
    });
  });
  it('REQ-MEM-050 should stop a removed member from sending', () => {
    const removal = buildCommit(c, room.rng, { roomId: room.roomId, epoch: 2, prevEpochHash: epochHash(c, room.add.commit.bytes), reason: 'remove', inviteId: ZERO_HASH, adds: [], removes: [room.member.fp], roster: room.roster1, heads: [], owner: room.owner });
    const r = receiveCommit(c, memberView, removal.commit.bytes, room.member);
    expect(r.view.removed).toBe(true);
    expect(r.events.map((e) => e.kind)).toEqual(['epoch', 'removed']);
    expect(() => prepareMessage(c, room.rng, r.view, room.member, text(1))).toThrow(/REQ-MEM-003/);
  });
});

describe('REQ-MEM-060 REQ-MEM-063 a served roster', () => {
  const rotation = (epoch: number, prev: Uint8Array, roomId = room.roomId) =>
    buildCommit(c, room.rng, { roomId, epoch, prevEpochHash: epochHash(c, prev), reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: room.roster1, heads: [], owner: room.owner });
  const served = (head: Uint8Array, roomId = room.roomId) => ({ req_id: 1, room_id: roomId, head: decode(Commit, head), members: room.roster1 });

  it('REQ-MEM-060 should accept its own commit of its current epoch as the head, with nothing raised', () => {
    const r = checkServedRoster(c, memberView, served(room.add.commit.bytes));
    expect(r.events).toEqual([]);
    expect(r.view).toBe(memberView);
  });
  it('REQ-MEM-060 should reject a roster of another room, never raising a fork or stale-view alarm (F2)', () => {
    const other = new Uint8Array(room.roomId.length).fill(7);
    // the other room's head is owner-signed and for an epoch this member has: without the room check it would be a fork alarm
    const foreign = rotation(1, room.genesis.commit.bytes, other).commit.bytes;
    for (const info of [served(foreign, other), served(foreign), served(room.add.commit.bytes, other)]) {
      const r = checkServedRoster(c, memberView, info);
      expect(r.events).toEqual([{ kind: 'rejected', reqId: 'REQ-MEM-060', detail: 'roster of another room' }]);
      expect(r.view).toBe(memberView);
    }
  });
  it('REQ-MEM-042 should hold at most MAX_FUTURE_ITEMS commits of later epochs, and reject the next one', () => {
    const r2 = rotation(2, room.add.commit.bytes);
    const r3 = rotation(3, r2.commit.bytes);
    const r4 = rotation(4, r3.commit.bytes);
    const full = { ...memberView, futureCommits: Object.fromEntries(Array.from({ length: MAX_FUTURE_ITEMS - 1 }, (_, i) => [1000 + i, { ok: true as const, bytes: new Uint8Array([i & 255]), value: decode(Commit, r2.commit.bytes) }])) };
    const last = receiveCommit(c, full, r3.commit.bytes, room.member);
    expect(last.events).toEqual([{ kind: 'held', what: 'commit', epoch: 3 }]);
    expect(Object.keys(last.view.futureCommits)).toHaveLength(MAX_FUTURE_ITEMS);
    const over = receiveCommit(c, last.view, r4.commit.bytes, room.member);
    expect(over.events.map((e) => (e.kind === 'rejected' ? e.reqId : e.kind))).toEqual(['REQ-MEM-042']);
    expect(over.view).toBe(last.view);
  });
  it('REQ-MEM-063 should take a newer owner-signed head as evidence: the commits up to it are a gap until installed (F1)', () => {
    const r2 = rotation(2, room.add.commit.bytes);
    const r3 = rotation(3, r2.commit.bytes);
    const r = checkServedRoster(c, memberView, served(r3.commit.bytes));
    expect(r.events).toEqual([{ kind: 'held', what: 'commit', epoch: 3 }]);
    expect(r.view.servedEpoch).toBe(3);
    expect(gaps(r.view).map((g) => g.sender)).toEqual(['commits']);
    expect(gaps(memberView)).toEqual([]); // the view it was given is unchanged
    // once the member installs the commits up to that epoch, the gap closes
    const v2 = receiveCommit(c, r.view, r2.commit.bytes, room.member).view;
    expect(gaps(v2).map((g) => g.sender)).toEqual(['commits']);
    const v3 = receiveCommit(c, v2, r3.commit.bytes, room.member).view;
    expect(v3.epoch).toBe(3);
    expect(gaps(v3)).toEqual([]);
  });
  it('REQ-MEM-063 should not take a newer head that is not the owner\'s, or whose members do not match, as evidence', () => {
    const forged = buildCommit(c, room.rng, { roomId: room.roomId, epoch: 5, prevEpochHash: ZERO_HASH, reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: room.roster1, heads: [], owner: room.member });
    const a = checkServedRoster(c, memberView, served(forged.commit.bytes));
    expect(rejections(a.events)).toEqual(['REQ-MEM-060']);
    expect(a.view.servedEpoch).toBe(memberView.epoch);
    const r2 = rotation(2, room.add.commit.bytes);
    const b = checkServedRoster(c, memberView, { ...served(r2.commit.bytes), members: room.roster1.slice(0, 1) });
    expect(rejections(b.events)).toEqual(['REQ-MEM-060']);
    expect(gaps(b.view)).toEqual([]);
  });
});

describe('issue 30: each check of a member view on an input that only it rejects', () => {
  const rotation = (epoch: number, prev: Uint8Array, o: { roomId?: Uint8Array; signer?: typeof room.owner; roster?: typeof room.roster1 } = {}) =>
    buildCommit(c, room.rng, { roomId: o.roomId ?? room.roomId, epoch, prevEpochHash: epochHash(c, prev), reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: o.roster ?? room.roster1, heads: [], owner: o.signer ?? room.owner });
  const removedMember = () => {
    const removal = buildCommit(c, room.rng, { roomId: room.roomId, epoch: 2, prevEpochHash: epochHash(c, room.add.commit.bytes), reason: 'remove', inviteId: ZERO_HASH, adds: [], removes: [room.member.fp], roster: room.roster1, heads: [], owner: room.owner });
    const v = receiveCommit(c, memberView, removal.commit.bytes, room.member).view;
    expect(v.removed).toBe(true);
    return v;
  };
  const ownerSays = (epoch: number, seq: number, prevEpoch: number) =>
    sealAppMessage(c, room.rng, { roomId: room.roomId, epoch, appKey: room.keys1.appKey, seq, prevEpoch, sender: room.owner, content: text(seq) }).bytes;
  const details = (events: readonly GroupEvent[]) => events.filter((e) => e.kind === 'rejected').map((e) => (e as { detail: string }).detail);

  it('REQ-MEM-050 should reject a message of a later epoch after this member\'s removal, holding nothing', () => {
    const v = removedMember();
    const r = receiveAppMessage(c, v, ownerSays(3, 0, NO_EPOCH));
    expect(rejections(r.events)).toEqual(['REQ-MEM-050']);
    expect(r.view).toBe(v);
    expect(r.view.futureMessages).toEqual([]);
  });

  it('REQ-MEM-050 should reject a message of the epoch that removed this member with a rejection, not an exception: it holds no keys of it', () => {
    const v = removedMember();
    expect(v.epochs[2]!.keys).toBeUndefined();
    const r = receiveAppMessage(c, v, ownerSays(2, 0, NO_EPOCH));
    expect(rejections(r.events)).toEqual(['REQ-MEM-050']);
    expect(r.view).toBe(v);
  });

  it('REQ-MEM-016 should reject a second, different message with the seq of a held one (the sender equivocates), and keep the first', () => {
    let v = receiveAppMessage(c, ownerView, bobMsgs[0]!).view;
    v = receiveAppMessage(c, v, bobMsgs[3]!).view; // held: 1 and 2 missing
    const other = prepareMessage(c, room.rng, { ...memberView, ownNextSeq: 3, ownPrevEpoch: 1 }, room.member, text(99)).message.bytes;
    expect(toHex(other)).not.toBe(toHex(bobMsgs[3]!));
    const r = receiveAppMessage(c, v, other);
    expect(rejections(r.events)).toEqual(['REQ-MEM-016']);
    expect(details(r.events)).toEqual(['a second, different message with seq 3']);
    expect(r.view).toBe(v);
    let w = r.view;
    const got: GroupEvent[] = [];
    for (const i of [1, 2]) {
      const s = receiveAppMessage(c, w, bobMsgs[i]!);
      w = s.view;
      got.push(...s.events);
    }
    expect(got.filter((e) => e.kind === 'delivered').map((e) => (e as { content: AppContent }).content.text)).toEqual(['m1', 'm2', 'm3']);
    expect(gaps(w)).toEqual([]);
  });

  it("REQ-MEM-018 should reject a message preceding the sender's first message in this member's epochs, even one it never saw", () => {
    const first = prepareMessage(c, room.rng, { ...ownerView, ownNextSeq: 7, ownPrevEpoch: 0 }, room.owner, text(7)).message.bytes;
    const v = receiveAppMessage(c, memberView, first).view;
    expect(v.senders[toHex(room.owner.fp)]?.base).toBe(7);
    const earlier = prepareMessage(c, room.rng, { ...ownerView, ownNextSeq: 5, ownPrevEpoch: 1 }, room.owner, text(5)).message.bytes;
    const r = receiveAppMessage(c, v, earlier);
    expect(rejections(r.events)).toEqual(['REQ-MEM-018']);
    expect(r.view).toBe(v);
  });

  it('REQ-MEM-040 should reject an owner-signed commit of another room, of a known, the next or a later epoch: no fork alarm, nothing held', () => {
    const other = new Uint8Array(room.roomId.length).fill(9);
    const known = rotation(1, room.genesis.commit.bytes, { roomId: other });
    const next = rotation(2, room.add.commit.bytes, { roomId: other });
    const later = rotation(3, room.add.commit.bytes, { roomId: other });
    for (const x of [known, next, later]) {
      const r = receiveCommit(c, memberView, x.commit.bytes, room.member);
      expect(r.events.map((e) => (e.kind === 'rejected' ? e.reqId : e.kind))).toEqual(['REQ-MEM-040']);
      expect(r.view).toBe(memberView);
    }
  });

  it('REQ-MEM-041 should reject a second commit of a known epoch that the owner did not sign, raising no fork alarm (REQ-MEM-049)', () => {
    const forged = rotation(1, room.genesis.commit.bytes, { signer: room.member });
    const r = receiveCommit(c, memberView, forged.commit.bytes, room.member);
    expect(r.events.map((e) => (e.kind === 'rejected' ? e.reqId : e.kind))).toEqual(['REQ-MEM-041']);
    expect(r.view).toBe(memberView);
  });

  describe('a served roster', () => {
    const served = (head: Uint8Array, members = room.roster1) => ({ req_id: 1, room_id: room.roomId, head: decode(Commit, head), members });
    const kinds = (events: readonly GroupEvent[]) => events.map((e) => (e.kind === 'rejected' || e.kind === 'alarm' ? `${e.kind} ${e.reqId}` : e.kind));

    it('REQ-MEM-063 should never lower the evidence of a newer epoch: an older newer head, or one served to a removed member, leaves it', () => {
      const r2 = rotation(2, room.add.commit.bytes);
      const r3 = rotation(3, r2.commit.bytes);
      const v3 = checkServedRoster(c, memberView, served(r3.commit.bytes)).view;
      expect(v3.servedEpoch).toBe(3);
      const v2 = checkServedRoster(c, v3, served(r2.commit.bytes));
      expect(kinds(v2.events)).toEqual(['held']);
      expect(v2.view.servedEpoch).toBe(3);
      const gone = removedMember();
      const r4 = rotation(4, r3.commit.bytes);
      const after = checkServedRoster(c, gone, served(r4.commit.bytes));
      expect(after.view.servedEpoch).toBe(gone.servedEpoch);
      expect(gaps(after.view)).toEqual([]);
    });

    it("REQ-MEM-049 should raise a fork alarm for an owner-signed head of its current epoch that is not its own commit, and for one of an epoch before it joined", () => {
      const fork = rotation(1, room.genesis.commit.bytes);
      const r = checkServedRoster(c, memberView, served(fork.commit.bytes));
      expect(kinds(r.events)).toEqual(['alarm REQ-MEM-049']);
      expect(r.view).toBe(memberView);
      const before = checkServedRoster(c, memberView, served(room.genesis.commit.bytes, room.genesis.roster));
      expect(kinds(before.events)).toEqual(['alarm REQ-MEM-049']);
    });

    it('REQ-MEM-060 should raise a stale-view alarm for its own commit of an earlier epoch served as the head', () => {
      const r2 = rotation(2, room.add.commit.bytes);
      const v2 = receiveCommit(c, memberView, r2.commit.bytes, room.member).view;
      expect(v2.epoch).toBe(2);
      const r = checkServedRoster(c, v2, served(room.add.commit.bytes));
      expect(kinds(r.events)).toEqual(['alarm REQ-MEM-060']);
      expect(r.view).toBe(v2);
      expect(kinds(checkServedRoster(c, v2, served(r2.commit.bytes)).events)).toEqual([]);
    });
  });
});
