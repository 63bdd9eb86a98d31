/**
 * The relay's roles and pushes where spec 8 had to be made precise (issue 22): role precedence
 * (REQ-REL-009), the matrix before the content checks (REQ-REL-001), an invitee's history poll
 * (8.4), the requests that name no room, the requests a profile does not define, what the relay
 * checks of an added record (REQ-REL-015), the appended head of a frozen member (REQ-REL-018,
 * REQ-REL-025), and who is pushed a commit (REQ-REL-031).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex, type Bytes } from '../../bytes.ts';
import { decode, encode } from '../../codec.ts';
import { AppMessage, CompatRotation, Reject, type MemberRecord } from '../../messages/index.ts';
import { NO_EPOCH } from '../../suite.ts';
import { buildCommit, ZERO_HASH } from '../commit.ts';
import { buildJoinRequest } from '../join.ts';
import { memberRecordOf, newestKem, type Identity } from '../identity.ts';
import { MAX_STORED_PAYLOAD, roleOf, type RelayOutput, type RelayRequest, type RelayState, type RelayStep } from '../relay-state.ts';
import { c } from '../testkit.ts';
import { compatFixture, hardenedFixture, nextReqId, ok, requestFor, rng, run, type Fixture } from './fixture.ts';

function rejectedWith(step: RelayStep, id: string): void {
  const reply = step.outputs.find((o) => o.kind === 'reply') as { bytes: Bytes } | undefined;
  expect(step.rejected, reply && decode(Reject, reply.bytes).detail).toBe(id);
}

function appended(step: RelayStep): Extract<RelayOutput, { kind: 'append' }> {
  const a = step.outputs.find((o) => o.kind === 'append');
  expect(a).toBeDefined();
  return a as Extract<RelayOutput, { kind: 'append' }>;
}

/** A commit of the fixture's next epoch, signed by its owner. */
function commit(f: Fixture, reason: 'add' | 'remove' | 'rotate', extra: { adds?: MemberRecord[]; removes?: Bytes[]; inviteId?: Bytes; heads?: { member_id: Bytes; next_seq: number; last_epoch: number }[] } = {}): RelayRequest {
  const b = buildCommit(c, rng, { roomId: f.roomId, epoch: f.epoch + 1, prevEpochHash: f.epochHash, reason, inviteId: extra.inviteId ?? ZERO_HASH, adds: extra.adds ?? [], removes: extra.removes ?? [], roster: f.roster, heads: extra.heads ?? [], owner: f.ids.owner });
  return { name: 'PostCommit', value: { req_id: nextReqId(), room_id: f.roomId, payload: b.commit.bytes } };
}

function send(f: Fixture, who: Identity, seq: number, epoch = f.epoch): RelayRequest {
  const payload = encode(AppMessage, { room_id: f.roomId, epoch, sender: who.fp, seq, prev_epoch: seq === 0 ? NO_EPOCH : epoch, nonce: rng.bytes(24), ciphertext: rng.bytes(40), signature: rng.bytes(3309) });
  return { name: 'Send', value: { req_id: nextReqId(), room_id: f.roomId, payload } };
}

const room = (s: RelayState, f: Fixture) => s.rooms[toHex(f.roomId)]!;

describe('hardened', () => {
  let f: Fixture;
  beforeAll(() => {
    f = hardenedFixture();
  });

  it('REQ-REL-009 a removed member that claims a new invite is an invitee: it confirms, fetches its earlier window, sends nothing, and is a member once added', () => {
    const jr = buildJoinRequest(c, rng, f.invites.free.invite, f.ids.removed, f.invites.free.inviteId);
    const claimed = ok(run(f.state, f.ids.removed, { name: 'SubmitJoin', value: { req_id: nextReqId(), room_id: f.roomId, invite_id: f.invites.free.inviteId, payload: jr.bytes } }));
    expect(roleOf(room(claimed, f), f.ids.removed.fp)).toBe('invitee');
    // it may confirm (REQ-REL-014 allows invitees only)
    const confirm = requestFor({ ...f, state: claimed, invites: { ...f.invites, claimed: f.invites.free } }, 'submit a confirmation', f.ids.removed);
    expect(run(claimed, f.ids.removed, confirm).rejected).toBeUndefined();
    // its history window is still that of its earlier membership
    const before = room(f.state, f).members[toHex(f.ids.removed.fp)]!;
    const h = run(claimed, f.ids.removed, { name: 'FetchHistory', value: { req_id: nextReqId(), room_id: f.roomId, from_index: 1, limit: 50 } });
    expect(h.outputs).toMatchObject([{ kind: 'history', from: before.addedIndex, to: before.removedIndex }]);
    // a late message of its earlier membership, which a removed member may deliver, is refused to the invitee
    expect(run(f.state, f.ids.removed, send(f, f.ids.removed, 2, 2)).rejected).toBeUndefined();
    rejectedWith(run(claimed, f.ids.removed, send(f, f.ids.removed, 2, 2)), 'REQ-REL-016');
    // the owner adds it again: a member from the new add on
    const add = commit(f, 'add', { adds: [{ ...memberRecordOf(f.ids.removed, 'member', f.epoch + 1), kem_cert: jr.value.kem_cert }], inviteId: f.invites.free.inviteId });
    const added = run(claimed, f.ids.owner, add);
    expect(added.rejected).toBeUndefined();
    expect(roleOf(room(added.state, f), f.ids.removed.fp)).toBe('member');
    expect(room(added.state, f).members[toHex(f.ids.removed.fp)]!.addedIndex).toBe(room(claimed, f).nextIndex);
  });

  it('REQ-REL-020 an invitee polling for its add is answered with its empty window, not a Reject', () => {
    const step = run(f.state, f.ids.invitee, { name: 'FetchHistory', value: { req_id: nextReqId(), room_id: f.roomId, from_index: 1, limit: 50 } });
    expect(step.rejected).toBeUndefined();
    const [out] = step.outputs as Extract<RelayOutput, { kind: 'history' }>[];
    expect(out!.kind).toBe('history');
    expect(out!.from).toBeGreaterThan(out!.to); // nothing in the window
  });

  it('REQ-REL-022 REQ-REL-023 REQ-REL-024 the requests that name no room are allowed to every role, the stranger included', () => {
    for (const op of ['fetch the own mailbox', 'publish the own keys', 'look up keys'] as const) {
      for (const role of ['owner', 'member', 'invitee', 'removed', 'stranger'] as const) {
        expect(run(f.state, f.ids[role], requestFor(f, op, f.ids[role], role)).rejected, `${op} × ${role}`).toBeUndefined();
      }
    }
  });

  it('REQ-REL-003 a request the hardened profile does not define (Rotate, AddMember) is refused with REQ-REL-003, after REQ-REL-002', () => {
    const rotate = (roomId: Bytes): RelayRequest => ({ name: 'Rotate', value: { req_id: nextReqId(), room_id: roomId, payload: encode(CompatRotation, { room_id: roomId, sender: f.ids.owner.fp, nonce: rng.bytes(24), ciphertext: rng.bytes(48) }) } });
    rejectedWith(run(f.state, f.ids.owner, rotate(f.roomId)), 'REQ-REL-003');
    rejectedWith(run(f.state, f.ids.stranger, rotate(f.roomId)), 'REQ-REL-003'); // before the matrix: not REQ-REL-017
    rejectedWith(run(f.state, f.ids.owner, { name: 'AddMember', value: { req_id: nextReqId(), room_id: f.roomId, invite_id: f.invites.claimed.inviteId, payload: rng.bytes(64) } }), 'REQ-REL-003');
    rejectedWith(run(f.state, f.ids.owner, rotate(rng.bytes(16))), 'REQ-REL-002');
  });

  it("REQ-REL-001 the matrix comes before every check of the request's content: a denied request is refused with the matrix's id even when its payload would fail REQ-REL-003 or REQ-ENC-020", () => {
    const welcome = (payload: Bytes): RelayRequest => ({ name: 'SendWelcome', value: { req_id: nextReqId(), room_id: f.roomId, invite_id: f.invites.claimed.inviteId, payload } });
    const notAWelcome = rng.bytes(64);
    const tooLarge = new Uint8Array(MAX_STORED_PAYLOAD + 1);
    // the owner, whom the matrix allows, reaches the content checks
    rejectedWith(run(f.state, f.ids.owner, welcome(notAWelcome)), 'REQ-REL-003');
    rejectedWith(run(f.state, f.ids.owner, welcome(tooLarge)), 'REQ-ENC-020');
    // every role the matrix denies is refused by it (REQ-REL-013), for the same bytes
    for (const role of ['member', 'invitee', 'removed', 'stranger'] as const) {
      rejectedWith(run(f.state, f.ids[role], welcome(notAWelcome)), 'REQ-REL-013');
      rejectedWith(run(f.state, f.ids[role], welcome(tooLarge)), 'REQ-REL-013');
    }
  });

  it("REQ-REL-015 the relay checks the added record as a member does: member_id is SHA-256(identity_pk), the KemCert is the member's and verifies", () => {
    const jr = buildJoinRequest(c, rng, f.invites.claimed.invite, f.ids.invitee, f.invites.claimed.inviteId);
    const good = { ...memberRecordOf(f.ids.invitee, 'member', f.epoch + 1), kem_cert: f.inviteeRecordCert! };
    expect(run(f.state, f.ids.owner, commit(f, 'add', { adds: [good], inviteId: f.invites.claimed.inviteId })).rejected).toBeUndefined();
    // another identity key under the claimant's member id
    rejectedWith(run(f.state, f.ids.owner, commit(f, 'add', { adds: [{ ...good, identity_pk: f.ids.stranger.publicKey }], inviteId: f.invites.claimed.inviteId })), 'REQ-REL-015');
    // a certificate of another member
    rejectedWith(run(f.state, f.ids.owner, commit(f, 'add', { adds: [{ ...good, kem_cert: newestKem(f.ids.stranger).cert }], inviteId: f.invites.claimed.inviteId })), 'REQ-REL-015');
    // a certificate whose signature does not verify
    const sig = jr.value.kem_cert.signature.slice();
    sig[0]! ^= 1;
    rejectedWith(run(f.state, f.ids.owner, commit(f, 'add', { adds: [{ ...good, kem_cert: { ...good.kem_cert, signature: sig } }], inviteId: f.invites.claimed.inviteId })), 'REQ-REL-015');
  });

  it('REQ-REL-025 REQ-REL-018 a frozen member from which nothing was appended has appended head 0: every Send is refused; a removal with no head passes', () => {
    const frozen = ok(run(f.state, f.ids.owner, { name: 'RemoveMember', value: { req_id: nextReqId(), room_id: f.roomId, member_id: f.ids.member.fp } }));
    expect(room(frozen, f).members[toHex(f.ids.member.fp)]!.sentSeq).toBeUndefined();
    rejectedWith(run(frozen, f.ids.member, send(f, f.ids.member, 0)), 'REQ-REL-025');
    expect(run(frozen, f.ids.owner, commit(f, 'remove', { removes: [f.ids.member.fp] })).rejected).toBeUndefined();
    // once something was appended, the head must count it (REQ-REL-018)
    const sent = ok(run(f.state, f.ids.member, send(f, f.ids.member, 0)));
    const frozen2 = ok(run(sent, f.ids.owner, { name: 'RemoveMember', value: { req_id: nextReqId(), room_id: f.roomId, member_id: f.ids.member.fp } }));
    rejectedWith(run(frozen2, f.ids.owner, commit(f, 'remove', { removes: [f.ids.member.fp] })), 'REQ-REL-018');
    expect(run(frozen2, f.ids.owner, commit(f, 'remove', { removes: [f.ids.member.fp], heads: [{ member_id: f.ids.member.fp, next_seq: 1, last_epoch: f.epoch }] })).rejected).toBeUndefined();
  });

  it('REQ-REL-031 the commit that adds a member is pushed to it, the commit that removes one is pushed to it, and nothing after', () => {
    const add = appended(run(f.state, f.ids.owner, commit(f, 'add', { adds: [{ ...memberRecordOf(f.ids.invitee, 'member', f.epoch + 1), kem_cert: f.inviteeRecordCert! }], inviteId: f.invites.claimed.inviteId })));
    expect(add.recipients).toContain(toHex(f.ids.invitee.fp));
    const removal = run(f.state, f.ids.owner, commit(f, 'remove', { removes: [f.ids.member.fp] }));
    expect([...appended(removal).recipients].sort()).toEqual([toHex(f.ids.owner.fp), toHex(f.ids.member.fp)].sort());
    // after its removal the member is pushed nothing, nor is the earlier removed member
    const after = appended(run(removal.state, f.ids.owner, send({ ...f, epoch: f.epoch + 1 }, f.ids.owner, 0)));
    expect(after.recipients).toEqual([toHex(f.ids.owner.fp)]);
  });
});

describe('compat', () => {
  it('REQ-REL-003 a PostCommit to a compat room is refused with REQ-REL-003, before the matrix', () => {
    const f = compatFixture();
    for (const who of [f.ids.owner, f.ids.stranger]) rejectedWith(run(f.state, who, { name: 'PostCommit', value: { req_id: nextReqId(), room_id: f.roomId, payload: rng.bytes(64) } }), 'REQ-REL-003');
  });
});
