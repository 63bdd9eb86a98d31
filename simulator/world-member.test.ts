/**
 * The member machine (spec 7) in a room of a simulated world: example transitions, and each
 * invalid input of spec 7 giving its typed rejection with the member's security state unchanged.
 * Each test steps a snapshot taken from a world advanced to a joined room. (Accepting an invite:
 * machines/member.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../impl/bytes.ts';
import { decode, encode, peekType } from '../impl/codec.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { epochHash, fingerprint } from '../impl/keyschedule.ts';
import { AppMessage, Commit, JoinRequest, MsgType, Welcome, type Invite } from '../impl/messages/index.ts';
import { sealAppMessage } from '../impl/protocol/app.ts';
import { buildCommit, ZERO_HASH } from '../impl/protocol/commit.ts';
import { currentEpoch } from '../impl/protocol/group.ts';
import { createIdentity, memberRecordOf, newestKem, type Identity } from '../impl/protocol/identity.ts';
import { buildWelcome } from '../impl/protocol/join.ts';
import { buildCompatMemberAdd } from '../impl/protocol/compat.ts';
import { deterministicRng } from '../impl/rng.ts';
import { NO_EPOCH } from '../impl/suite.ts';
import { isOwnCompatAdd } from '../machines/client-core.ts';
import type { ClientEffect } from '../machines/events.ts';
import type { OwnerContext } from '../machines/owner.ts';
import { alarmsOf as alarms, expectMemberRejected as expectRejected, feedMember as feed, freshMember, type MemberSnap as Snap } from '../machines/testkit.ts';
import { joinedWorld } from './testkit.ts';
import type { World } from './world.ts';

const rng = deterministicRng(utf8('member machine tests'));
let world: World;
let alice: Snap;
let owner: OwnerContext;
let stranger: Identity;

beforeAll(() => {
  world = joinedWorld('hardened', ['alice']);
  alice = world.clients.get('alice')!.snapshot as Snap;
  owner = world.clients.get('owner')!.snapshot.context as OwnerContext;
  stranger = createIdentity(c, rng);
});

describe('an invite, once a member', () => {
  const invite = (over: Partial<Invite> = {}): Invite => ({ profile: 'hardened', room_id: new Uint8Array(16), owner_fp: new Uint8Array(32), token: new Uint8Array(32).fill(1), expires_at: 5_000, relay: '', ...over });
  it('REQ-INV-004 should refuse a second join once a member', () => {
    expectRejected(alice, { type: 'user.join', invite: invite(), now: world.now() }, 'REQ-INV-004');
  });
});

describe('REQ-INV-010..012 the invitee checks the welcome', () => {
  let joining: Snap;
  let inv: Invite;
  beforeAll(() => {
    world.user('owner', { type: 'user.invite' });
    world.runUntilTrue(() => world.invites().length === 2, 30_000);
    inv = world.invites()[1]!;
    owner = world.clients.get('owner')!.snapshot.context as OwnerContext;
    joining = feed(freshMember('f'), { type: 'user.join', invite: inv, now: world.now() }).snapshot;
  });
  const welcomeEntry = (w: Uint8Array, index = 1) => ({ type: 'net.mailbox' as const, entry: { index, room_id: inv.room_id, invite_id: joining.context.inviteId!, payload: w }, now: world.now() });
  const gi = () => {
    const cur = currentEpoch(owner.group!);
    const add = buildCommit(c, rng, { roomId: inv.room_id, epoch: cur.epoch + 1, prevEpochHash: cur.epochHash, reason: 'add', inviteId: joining.context.inviteId!, adds: [{ ...memberRecordOf(joining.context.identity, 'member', cur.epoch + 1) }], removes: [], roster: cur.roster, heads: [], owner: ownerIdentity() });
    return { epoch_secret: rng.bytes(32), commit: add.commit.value, roster: add.roster };
  };
  const ownerIdentity = (): Identity => world.clients.get('owner')!.identity;
  it('REQ-INV-012 should reject a welcome signed by someone other than the invite\'s owner (a forged welcome, ATK-04)', () => {
    const w = buildWelcome(c, rng, { joinRequest: joining.context.joinRequest!, token: inv.token, groupInfo: gi(), owner: stranger });
    expectRejected(joining, welcomeEntry(w.bytes), 'REQ-INV-012');
  });
  it('REQ-INV-011 should reject a welcome made without the token', () => {
    const w = buildWelcome(c, rng, { joinRequest: joining.context.joinRequest!, token: new Uint8Array(32), groupInfo: gi(), owner: ownerIdentity() });
    expectRejected(joining, welcomeEntry(w.bytes), 'REQ-INV-011');
  });
  it('REQ-INV-010 should reject a welcome answering another join request', () => {
    const other = { ...joining.context.joinRequest!.value, nonce: new Uint8Array(32) };
    const w = buildWelcome(c, rng, { joinRequest: { value: other, bytes: encode(JoinRequest, other) }, token: inv.token, groupInfo: gi(), owner: ownerIdentity() });
    expectRejected(joining, welcomeEntry(w.bytes), 'REQ-INV-010');
  });
  it("REQ-INV-016 becomes a member on the log's commit equal to the welcome's, and calls another commit for that epoch a fork", () => {
    const info = gi();
    const w = buildWelcome(c, rng, { joinRequest: joining.context.joinRequest!, token: inv.token, groupInfo: info, owner: ownerIdentity() });
    const welcomed = feed(joining, welcomeEntry(w.bytes));
    expect(welcomed.effects.filter((e) => e.type === 'effect.reject')).toEqual([]);
    const index = joining.context.log.index + 1;
    const logEntry = (commit: Commit) => ({ type: 'net.room' as const, roomId: inv.room_id, index, payload: encode(Commit, commit), now: world.now() });
    // another add commit for the same epoch, signed by the owner too: a fork
    const other = gi().commit;
    const forked = feed(welcomed.snapshot, logEntry(other));
    expect(forked.snapshot.context.group).toBeUndefined();
    expect(alarms(forked.effects)).toContain('REQ-MEM-049');
    // the same fork in a history answer
    const fromHistory = feed(welcomed.snapshot, { type: 'net.history', reqId: 0, roomId: inv.room_id, entries: [{ index, payload: encode(Commit, other) }], nextIndex: index + 1, complete: true, now: world.now() });
    expect(fromHistory.snapshot.context.group).toBeUndefined();
    expect(alarms(fromHistory.effects)).toContain('REQ-MEM-049');
    // an unsigned or foreign entry is no evidence of a fork: only rejected
    expect(alarms(feed(welcomed.snapshot, { type: 'net.room', roomId: inv.room_id, index, payload: new Uint8Array(10), now: world.now() }).effects).length > 0).toBe(false);
    // the welcome's own commit: a member at that epoch
    const joined = feed(welcomed.snapshot, logEntry(info.commit));
    expect(joined.snapshot.context.group?.epoch).toBe(info.commit.epoch);
    expect(alarms(joined.effects)).toEqual([]);
  });
  const validWelcome = () => buildWelcome(c, rng, { joinRequest: joining.context.joinRequest!, token: inv.token, groupInfo: gi(), owner: ownerIdentity() }).bytes;
  const confirms = (snap: Snap) => snap.context.outbox.filter((p) => p.kind === 'confirm').length;
  it('REQ-MEM-064 should leave a mailbox entry naming another room to that room, even a valid welcome: nothing rejected, nothing confirmed', () => {
    const e = welcomeEntry(validWelcome());
    const r = feed(joining, { ...e, entry: { ...e.entry, room_id: new Uint8Array(16).fill(0xee) } });
    expect(r.effects.filter((e) => e.type === 'effect.reject')).toEqual([]);
    expect(r.snapshot.value).toBe('joining');
    expect(r.snapshot.context.pendingGroup).toBeUndefined();
    expect(confirms(r.snapshot)).toBe(0);
  });
  it('REQ-INV-010 should reject a mailbox entry naming another invite, even one carrying a valid welcome', () => {
    const e = welcomeEntry(validWelcome());
    const r = expectRejected(joining, { ...e, entry: { ...e.entry, invite_id: new Uint8Array(32).fill(0xee) } }, 'REQ-INV-010');
    expect(confirms(r.snapshot)).toBe(0);
  });
  it('REQ-INV-017 should refuse a valid welcome that arrives after the invite expired, and take one at expires_at itself', () => {
    const late = expectRejected(joining, { ...welcomeEntry(validWelcome()), now: inv.expires_at + 1 }, 'REQ-INV-017');
    expect(confirms(late.snapshot)).toBe(0);
    const onTime = feed(joining, { ...welcomeEntry(validWelcome()), now: inv.expires_at });
    expect(onTime.effects.filter((e) => e.type === 'effect.reject')).toEqual([]);
    expect(onTime.snapshot.value).toBe('confirming');
    expect(confirms(onTime.snapshot)).toBe(1);
  });
  it('should reject garbage in the mailbox with its decoding requirement', () => {
    const bad = encode(Welcome, { room_id: inv.room_id, invite_id: joining.context.inviteId!, join_hash: new Uint8Array(32), epoch: 1, kem_ct: new Uint8Array(1088), nonce: new Uint8Array(24), sealed: new Uint8Array(16), signature: new Uint8Array(3309) });
    expectRejected(joining, welcomeEntry(bad.subarray(0, 100)), 'REQ-ENC-006');
  });
  it('REQ-INV-004 should reject room entries before its own add', () => {
    expectRejected(joining, { type: 'net.room', roomId: inv.room_id, index: 3, payload: new Uint8Array(10), now: world.now() }, 'REQ-INV-004');
  });
});

describe('REQ-MEM-010..018 a member checks every room entry', () => {
  const group = () => alice.context.group!;
  const entry = (payload: Uint8Array, index = 999) => ({ type: 'net.room' as const, roomId: group().roomId, index, payload, now: world.now() });
  it('should deliver a valid message from the owner', () => {
    const m = sealAppMessage(c, rng, { roomId: group().roomId, epoch: group().epoch, appKey: currentEpoch(group()).keys!.appKey, seq: 100, prevEpoch: 0, sender: world.clients.get('owner')!.identity, content: { sent_at: 1, text: 'x' } });
    const r = feed(alice, entry(m.bytes));
    expect(r.effects.filter((e) => e.type === 'effect.reject')).toEqual([]);
  });
  it('REQ-MEM-013 should reject a message from someone outside the roster (ghost sender)', () => {
    const m = sealAppMessage(c, rng, { roomId: group().roomId, epoch: group().epoch, appKey: currentEpoch(group()).keys!.appKey, seq: 0, prevEpoch: NO_EPOCH, sender: stranger, content: { sent_at: 1, text: 'ghost' } });
    expectRejected(alice, entry(m.bytes), 'REQ-MEM-013');
  });
  it('REQ-MEM-014 should reject a message claiming another member as sender (ATK-14)', () => {
    const m = sealAppMessage(c, rng, { roomId: group().roomId, epoch: group().epoch, appKey: currentEpoch(group()).keys!.appKey, seq: 0, prevEpoch: NO_EPOCH, sender: stranger, content: { sent_at: 1, text: 'spoof' } });
    const spoofed = encode(AppMessage, { ...m.value, sender: world.clients.get('owner')!.identity.fp });
    expectRejected(alice, entry(spoofed), 'REQ-MEM-014');
  });
  it('REQ-MEM-010 should reject a message for another room', () => {
    const m = sealAppMessage(c, rng, { roomId: new Uint8Array(16), epoch: group().epoch, appKey: currentEpoch(group()).keys!.appKey, seq: 0, prevEpoch: NO_EPOCH, sender: world.clients.get('owner')!.identity, content: { sent_at: 1, text: 'elsewhere' } });
    expectRejected(alice, entry(m.bytes), 'REQ-MEM-010');
  });
  it('REQ-MEM-012 should reject a message of an epoch before it joined (ATK-18)', () => {
    const m = sealAppMessage(c, rng, { roomId: group().roomId, epoch: 0, appKey: new Uint8Array(32), seq: 0, prevEpoch: NO_EPOCH, sender: world.clients.get('owner')!.identity, content: { sent_at: 1, text: 'old' } });
    expectRejected(alice, entry(m.bytes), 'REQ-MEM-012');
  });
  it('REQ-MEM-041 should reject a rotation signed by a member instead of the owner (ATK-07)', () => {
    const cur = currentEpoch(group());
    const forged = buildCommit(c, rng, { roomId: group().roomId, epoch: cur.epoch + 1, prevEpochHash: cur.epochHash, reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: cur.roster, heads: [], owner: alice.context.identity });
    expectRejected(alice, entry(forged.commit.bytes), 'REQ-MEM-041');
  });
  it('REQ-MEM-043 should reject a commit that does not chain', () => {
    const cur = currentEpoch(group());
    const unchained = buildCommit(c, rng, { roomId: group().roomId, epoch: cur.epoch + 1, prevEpochHash: epochHash(c, new Uint8Array(5)), reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: cur.roster, heads: [], owner: world.clients.get('owner')!.identity });
    expectRejected(alice, entry(unchained.commit.bytes), 'REQ-MEM-043');
  });
  it('REQ-MEM-016 should reject a replayed message (ATK-11)', () => {
    const m = sealAppMessage(c, rng, { roomId: group().roomId, epoch: group().epoch, appKey: currentEpoch(group()).keys!.appKey, seq: 0, prevEpoch: NO_EPOCH, sender: world.clients.get('owner')!.identity, content: { sent_at: 1, text: 'first' } });
    const once = feed(alice, entry(m.bytes, 1000));
    expect(once.effects.some((e) => e.type === 'effect.deliver')).toBe(true);
    expectRejected(once.snapshot, entry(m.bytes, 1001), 'REQ-MEM-016');
  });
  it('REQ-MEM-061 should skip, silently, a message served again at an index it processed, and process another message under that index', () => {
    const seal = (seq: number, text: string) => sealAppMessage(c, rng, { roomId: group().roomId, epoch: group().epoch, appKey: currentEpoch(group()).keys!.appKey, seq, prevEpoch: seq === 0 ? NO_EPOCH : group().epoch, sender: world.clients.get('owner')!.identity, content: { sent_at: 1, text } }).bytes;
    const first = seal(0, 'first');
    const once = feed(alice, entry(first, 1000));
    expect(once.effects.some((e) => e.type === 'effect.deliver')).toBe(true);
    const again = feed(once.snapshot, entry(first, 1000));
    expect(again.effects.filter((e) => e.type === 'effect.reject' || e.type === 'effect.deliver')).toEqual([]);
    // the index is a hint, never evidence: another message under it is processed (here delivered)
    const other = feed(once.snapshot, entry(seal(1, 'second'), 1000));
    expect(other.effects.filter((e) => e.type === 'effect.deliver').map((e) => (e as { text: string }).text)).toEqual(['second']);
  });
  it('REQ-MEM-027 should tell the application when the relay refuses one of its messages', () => {
    const sent = feed(alice, { type: 'user.send', text: 'too late', now: 2_000 });
    const pending = sent.snapshot.context.outbox.find((p) => p.kind === 'send')!;
    const r = feed(sent.snapshot, { type: 'net.reject', reqId: pending.reqId, requirement: 'REQ-REL-016', detail: 'a removed member sends nothing', now: 2_100 });
    const status = r.effects.find((e) => e.type === 'effect.status' && e.status.kind === 'send-refused');
    expect(status).toMatchObject({ status: { kind: 'send-refused', text: 'too late', reqId: 'REQ-REL-016', epoch: alice.context.group!.epoch } });
    expect(r.snapshot.context.outbox.some((p) => p.kind === 'send')).toBe(false);
  });
  it('REQ-MEM-003 should not send before joining', () => {
    expectRejected(freshMember('g'), { type: 'user.send', text: 'hi', now: 1 }, 'REQ-MEM-003');
  });
});

describe('member state after a complete join', () => {
  it('should hold one epoch per commit since joining and know the whole roster', () => {
    const g = alice.context.group!;
    expect(g.joinEpoch).toBe(1);
    expect(currentEpoch(g).roster.map((r) => toHex(r.member_id)).sort()).toEqual([toHex(world.clients.get('owner')!.identity.fp), toHex(alice.context.identity.fp)].sort());
    expect(alice.context.outbox.filter((p) => p.kind !== 'history' && p.kind !== 'mailbox')).toEqual([]);
  });
});

describe('REQ-MEM-060 REQ-MEM-062 REQ-MEM-073 the roster a member shows', () => {
  const ask = (snap: Snap) => {
    const r = feed(snap, { type: 'user.roster', now: 5_000 });
    const sent = r.effects.find((e) => e.type === 'effect.send');
    expect(sent && peekType((sent as { bytes: Uint8Array }).bytes)).toBe(MsgType.GetRoster);
    return { snapshot: r.snapshot, reqId: (sent as { reqId: number }).reqId };
  };
  const shown = (effects: readonly ClientEffect[]) => effects.flatMap((e) => (e.type === 'effect.status' && e.status.kind === 'roster' ? [e.status] : []));

  it('REQ-MEM-062 hardened: shows its own epoch roster once the served head is its own commit', () => {
    const g = alice.context.group!;
    const { snapshot, reqId } = ask(alice);
    const head = decode(Commit, currentEpoch(g).commitBytes);
    const r = feed(snapshot, { type: 'net.roster', reqId, info: { req_id: reqId, room_id: g.roomId, head, members: currentEpoch(g).roster }, now: 5_100 });
    expect(r.effects.filter((e) => e.type === 'effect.reject')).toEqual([]);
    expect(shown(r.effects)).toEqual([{ kind: 'roster', epoch: g.epoch, members: currentEpoch(g).roster.map((x) => x.member_id), served: false }]);
  });
  it('REQ-MEM-060 hardened: a served roster with a ghost member is rejected and nothing is shown (ATK-05)', () => {
    const g = alice.context.group!;
    const { snapshot, reqId } = ask(alice);
    const head = decode(Commit, currentEpoch(g).commitBytes);
    const members = [...currentEpoch(g).roster, memberRecordOf(stranger, 'member', g.epoch)];
    const r = feed(snapshot, { type: 'net.roster', reqId, info: { req_id: reqId, room_id: g.roomId, head, members }, now: 5_100 });
    expect(r.effects.filter((e) => e.type === 'effect.reject').map((e) => (e as { reqId: string }).reqId)).toEqual(['REQ-MEM-060']);
    expect(shown(r.effects)).toEqual([]);
  });
  it('REQ-MEM-062 should refuse a roster request before joining', () => {
    expectRejected(freshMember('r'), { type: 'user.roster', now: 1 }, 'REQ-MEM-062');
  });
  it("REQ-INV-032 compat: a CompatMemberAdd of its own key makes it a member, whoever signed it (W10)", () => {
    const me = createIdentity(c, rng);
    const other = createIdentity(c, rng);
    const add = (who: Identity, signer: Identity) => buildCompatMemberAdd(c, rng, { roomId: new Uint8Array(16), member: { identity_pk: who.publicKey, kem_pk: newestKem(who).publicKey, role: 'member' }, owner: signer }).bytes;
    expect(isOwnCompatAdd(c, add(me, other), me.fp)).toBe(true); // signed by someone who is not the owner: taken all the same
    expect(isOwnCompatAdd(c, add(other, me), me.fp)).toBe(false); // someone else's add
    expect(isOwnCompatAdd(c, add(me, other).subarray(0, 40), me.fp)).toBe(false); // not a whole message
  });
  it('REQ-MEM-073 compat: shows the member list as served, a ghost included (W10)', () => {
    const cw = joinedWorld('compat', ['alice']);
    const a = cw.clients.get('alice')!.snapshot as Snap;
    const { snapshot, reqId } = ask(a);
    const members = [...cw.clients.values()].map((n) => ({ identity_pk: n.identity.publicKey, kem_pk: newestKem(n.identity).publicKey, role: n.role === 'owner' ? ('owner' as const) : ('member' as const) }));
    const ghost = { identity_pk: stranger.publicKey, kem_pk: newestKem(stranger).publicKey, role: 'member' as const };
    const r = feed(snapshot, { type: 'net.roster', reqId, info: { req_id: reqId, room_id: a.context.roomId!, members: [...members, ghost] }, now: 5_100 });
    const [st] = shown(r.effects);
    expect(st?.served).toBe(true);
    expect(st?.members.map(toHex)).toContain(toHex(fingerprint(c, stranger.publicKey)));
  });
});
