/**
 * The owner's invites and joins (spec 6.3, 6.4, 6.9; machines/owner/joins.ts) in a room of a
 * simulated world: admitting an invitee, each invalid join request or confirmation of spec 6
 * giving its typed rejection with the owner's security state unchanged, and compat's automatic
 * answers. Each test steps the owner's snapshot from a world advanced to a joined room.
 * (Confirmation timeouts, refused commits, rotation and removal: simulator/world-owner.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, utf8 } from '../impl/bytes.ts';
import { encode } from '../impl/codec.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { inviteId as inviteIdOf } from '../impl/keyschedule.ts';
import { JoinConfirm, JoinRequest, Welcome, type Invite } from '../impl/messages/index.ts';
import { buildCompatConfirm, buildCompatJoinRequest } from '../impl/protocol/compat.ts';
import { currentCompatKey } from '../impl/protocol/compat-group.ts';
import { createIdentity, newestKem, signStruct, type Identity } from '../impl/protocol/identity.ts';
import { buildJoinRequest } from '../impl/protocol/join.ts';
import { deterministicRng } from '../impl/rng.ts';
import { expectOwnerRejected as expectRejected, feedOwner as feed, ownerSecurityState, rejectionsOf as rejections, sameState, type OwnerSnap as Snap } from '../machines/testkit.ts';
import { joinedWorld } from './testkit.ts';
import type { World } from './world.ts';

const rng = deterministicRng(utf8('owner join tests'));

describe('REQ-OWN-010..019 admitting an invitee (hardened)', () => {
  let world: World;
  let owner: Snap;
  let invite: Invite;
  let inviteId: Uint8Array;
  let bob: Identity;
  let stranger: Identity;
  beforeAll(() => {
    world = joinedWorld('hardened', ['alice']);
    world.user('owner', { type: 'user.invite' });
    world.runUntilTrue(() => world.invites().length === 2, 30_000);
    invite = world.invites()[1]!;
    owner = world.clients.get('owner')!.snapshot as Snap;
    inviteId = owner.context.invites.find((i) => i.invite && i.status === 'open')!.inviteId;
    bob = createIdentity(c, rng);
    stranger = createIdentity(c, rng);
  });
  const mailbox = (payload: Uint8Array, index = 500) => ({ type: 'net.mailbox' as const, entry: { index, room_id: invite.room_id, invite_id: inviteId, payload }, now: world.now() });
  const reforge = (req: JoinRequest, signer: Identity): Uint8Array => {
    const { signature: _s, ...unsigned } = req;
    return encode(JoinRequest, signStruct(c, rng, JoinRequest, unsigned, 'join request', signer.secretKey));
  };

  it("REQ-OWN-006 an invite names the room's profile, the room, the owner's fingerprint, a fresh token and its expiry", () => {
    const ctx = owner.context;
    expect(invite.profile).toBe('hardened');
    expect(invite.room_id).toEqual(ctx.roomId);
    expect(invite.owner_fp).toEqual(ctx.identity.fp);
    expect(invite.token.length).toBe(32);
    expect(world.invites()[0]!.token).not.toEqual(invite.token);
    expect(invite.expires_at).toBeGreaterThan(0);
    expect(inviteId).toEqual(inviteIdOf(c, invite.token));
  });
  it('REQ-OWN-020 REQ-OWN-019 should admit a valid join request: the add commit pending, a welcome sent, the invite consumed and its token erased', () => {
    const jr = buildJoinRequest(c, rng, invite, bob, inviteId);
    const r = feed(owner, mailbox(jr.bytes));
    expect(r.snapshot.value).toEqual({ active: 'awaitingConfirm' });
    const e = owner.context.group!.epoch;
    const commit = r.snapshot.context.pending!.built.commit.value;
    expect([commit.epoch, commit.reason, commit.invite_id]).toEqual([e + 1, 'add', inviteId]);
    expect(commit.adds.map((a) => [a.member_id, a.identity_pk, a.role, a.added_epoch])).toEqual([[bob.fp, bob.publicKey, 'member', e + 1]]);
    expect(commit.adds[0]!.kem_cert).toEqual(jr.value.kem_cert);
    // entries for every other member of the new roster but the owner itself
    const others = owner.context.group!.epochs[e]!.roster.filter((m) => !equalBytes(m.member_id, owner.context.identity.fp)).map((m) => m.member_id);
    expect(commit.entries.map((x) => x.member_id)).toEqual(others);
    const rec = r.snapshot.context.invites.find((i) => i.inviteId.every((b, k) => b === inviteId[k]))!;
    expect(rec.status).toBe('pending');
    expect(rec.invite).toBeUndefined(); // REQ-OWN-019: token erased
    expect(r.snapshot.context.outbox.at(-1)?.kind).toBe('welcome');
  });
  it('REQ-OWN-012 should refuse a second join with a token already used (ATK-02)', () => {
    const w = joinedWorld('hardened', ['alice'], 21);
    const used = w.invites()[0]!;
    const ownerNow = w.clients.get('owner')!.snapshot as Snap;
    const usedId = ownerNow.context.invites[0]!.inviteId;
    expect(ownerNow.context.invites[0]!.status).toBe('consumed');
    const again = buildJoinRequest(c, rng, used, stranger, usedId);
    expectRejected(ownerNow, { type: 'net.mailbox', entry: { index: 900, room_id: used.room_id, invite_id: usedId, payload: again.bytes }, now: w.now() }, 'REQ-OWN-012');
  });
  it('REQ-OWN-011 should refuse an unknown invite id (ATK-01)', () => {
    const other = { ...invite, token: new Uint8Array(32).fill(3) };
    expectRejected(owner, mailbox(buildJoinRequest(c, rng, other, bob, new Uint8Array(32).fill(4)).bytes), 'REQ-OWN-011');
  });
  it('REQ-OWN-010 should refuse a join request for another room', () => {
    expectRejected(owner, mailbox(buildJoinRequest(c, rng, { ...invite, room_id: new Uint8Array(16) }, bob, inviteId).bytes), 'REQ-OWN-010');
  });
  it('REQ-OWN-013 should refuse an expired invite', () => {
    const r = feed(owner, { ...mailbox(buildJoinRequest(c, rng, invite, bob, inviteId).bytes), now: invite.expires_at + 1 });
    expect(rejections(r.effects)).toContain('REQ-OWN-013');
    expect(sameState(ownerSecurityState(r.snapshot.context), ownerSecurityState(owner.context))).toBe(true);
  });
  it('REQ-OWN-013 should admit a join request at expires_at itself (the clock at most expires_at)', () => {
    const r = feed(owner, { ...mailbox(buildJoinRequest(c, rng, invite, bob, inviteId).bytes), now: invite.expires_at });
    expect(rejections(r.effects)).toEqual([]);
    expect(r.snapshot.value).toEqual({ active: 'awaitingConfirm' });
  });
  it('REQ-OWN-022 should refuse a confirmation when no join is pending, its state unchanged', () => {
    expect(owner.context.pending).toBeUndefined();
    const conf = encode(JoinConfirm, { room_id: owner.context.roomId!, invite_id: inviteId, epoch: owner.context.group!.epoch + 1, welcome_hash: new Uint8Array(32), confirm_mac: new Uint8Array(32), signature: new Uint8Array(3309) });
    const r = expectRejected(owner, mailbox(conf), 'REQ-OWN-022');
    expect(r.snapshot.value).toEqual({ active: 'ready' });
  });
  it('REQ-ENC-005 should refuse mail of a type the owner never expects (a Welcome), its state unchanged', () => {
    const welcome = encode(Welcome, { room_id: owner.context.roomId!, invite_id: inviteId, join_hash: new Uint8Array(32), epoch: 1, kem_ct: new Uint8Array(1088), nonce: new Uint8Array(24), sealed: new Uint8Array(16), signature: new Uint8Array(3309) });
    const r = expectRejected(owner, mailbox(welcome), 'REQ-ENC-005');
    expect(rejections(r.effects)).toEqual(['REQ-ENC-005']);
  });
  it('REQ-OWN-014 should refuse a join request made without the token', () => {
    expectRejected(owner, mailbox(buildJoinRequest(c, rng, { ...invite, token: new Uint8Array(32) }, bob, inviteId).bytes), 'REQ-OWN-014');
  });
  it('REQ-OWN-015 should refuse a join request whose identity key was substituted (ATK-03)', () => {
    const jr = buildJoinRequest(c, rng, invite, bob, inviteId).value;
    expectRejected(owner, mailbox(encode(JoinRequest, { ...jr, identity_pk: stranger.publicKey })), 'REQ-OWN-014');
    expectRejected(owner, mailbox(reforge({ ...jr }, stranger)), 'REQ-OWN-015');
  });
  it('REQ-OWN-016 should refuse a KEM certificate that is not the identity’s', () => {
    const withStrangersCert = buildJoinRequest(c, rng, invite, { ...bob, kemKeys: [...stranger.kemKeys] }, inviteId);
    expectRejected(owner, mailbox(withStrangersCert.bytes), 'REQ-OWN-016');
  });
  it('REQ-OWN-017 should refuse someone who is already a member', () => {
    expectRejected(owner, mailbox(buildJoinRequest(c, rng, invite, world.clients.get('alice')!.identity, inviteId).bytes), 'REQ-OWN-017');
  });
  it('REQ-OWN-018 should refuse a join into a room of 1000 members, and take one into a room of 999', () => {
    const group = owner.context.group!;
    const rec = group.epochs[group.epoch]!;
    const withRoster = (n: number): Snap => {
      const filler = Array.from({ length: n - rec.roster.length }, (_, i) => ({ ...rec.roster.at(-1)!, member_id: new Uint8Array(32).fill(0xff).map((b, k) => (k < 4 ? (i >> (8 * k)) & 0xff : b)) }));
      const roster = [...rec.roster, ...filler];
      return { ...owner, context: { ...owner.context, group: { ...group, epochs: { ...group.epochs, [group.epoch]: { ...rec, roster } } } } } as Snap;
    };
    expectRejected(withRoster(1000), mailbox(buildJoinRequest(c, rng, invite, bob, inviteId).bytes), 'REQ-OWN-018');
    expect(rejections(feed(withRoster(999), mailbox(buildJoinRequest(c, rng, invite, bob, inviteId).bytes)).effects)).not.toContain('REQ-OWN-018');
  });
});

describe('REQ-OWN-040 compat answers any join request (W1)', () => {
  it('should answer a join request with an unknown invite id, with the empty token', () => {
    const world = joinedWorld('compat', ['alice'], 13);
    const owner = world.clients.get('owner')!.snapshot as Snap;
    const evil = createIdentity(c, rng);
    const forged: Invite = { profile: 'compat', room_id: owner.context.roomId!, owner_fp: owner.context.identity.fp, token: new Uint8Array(32), expires_at: 0, relay: '' };
    const jr = buildCompatJoinRequest(c, rng, { invite: forged, inviteId: new Uint8Array(32).fill(9), identity: evil, ownerKemPk: newestKem(owner.context.identity).publicKey });
    const r = feed(owner, { type: 'net.mailbox', entry: { index: 700, room_id: forged.room_id, invite_id: new Uint8Array(32).fill(9), payload: jr.request.bytes }, now: world.now() });
    expect(rejections(r.effects)).toEqual([]);
    expect(r.snapshot.context.outbox.at(-1)?.kind).toBe('welcome');
  });
  it('REQ-OWN-041 should refuse a confirmation for a join it never answered, its state unchanged', () => {
    const world = joinedWorld('compat', ['alice'], 14);
    const owner = world.clients.get('owner')!.snapshot as Snap;
    const ctx = owner.context;
    const never = new Uint8Array(32).fill(7);
    const conf = buildCompatConfirm(c, rng, { roomId: ctx.roomId!, inviteId: never, memberId: createIdentity(c, rng).fp, roomKey: currentCompatKey(ctx.compat!).key });
    const r = expectRejected(owner, { type: 'net.mailbox', entry: { index: 701, room_id: ctx.roomId!, invite_id: never, payload: conf.bytes }, now: world.now() }, 'REQ-OWN-041');
    expect(r.snapshot.context.outbox.some((p) => p.kind === 'add')).toBe(false);
  });
});
