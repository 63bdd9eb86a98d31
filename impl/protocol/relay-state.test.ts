/**
 * The honest relay's request handling (spec 8.4 to 8.8): the authorization matrix against the
 * spec table and cell by cell in both profiles, then each operation's own checks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { specTable } from '../../reports/spec.ts';
import { toHex, type Bytes } from '../bytes.ts';
import { decode, encode } from '../codec.ts';
import { createInvite } from '../invite.ts';
import { fingerprint } from '../keyschedule.ts';
import { Ack, AppMessage, CompatMember, CompatRosterInfo, CompatRotation, Reject, Welcome, type KemCert } from '../messages/index.ts';
import { NO_EPOCH } from '../suite.ts';
import { buildCommit, ZERO_HASH } from './commit.ts';
import { buildCompatMemberAdd } from './compat.ts';
import { memberRecordOf, newestKem, rotateKem, type Identity } from './identity.ts';
import { buildJoinRequest } from './join.ts';
import { makeKeyUpdate } from './key-update.ts';
import {
  answerCount,
  AUTH_MATRIX,
  EMPTY_RELAY,
  emptyRelay,
  handleRequest,
  historyWindow,
  MAX_STORED_PAYLOAD,
  roleOf,
  type RelayOperation,
  type RelayOutput,
  type RelayRequest,
  type RelayStep,
} from './relay-state.ts';
import { c } from './testkit.ts';
import { compatFixture, hardenedFixture, nextReqId, NOW, ok, requestFor, rng, ROLES, run, type Fixture } from './relay-state/fixture.ts';

function specMatrix(): Record<string, Record<string, string>> {
  return Object.fromEntries(specTable('08-relay.md', ['operation', 'owner', 'stranger']).map((r) => [r.operation!, r]));
}

describe('REQ-REL-001 the authorization matrix', () => {
  it('should be exactly the table of spec 8.4, with its requirement ids', () => {
    const spec = specMatrix();
    expect(Object.keys(spec).sort()).toEqual(Object.keys(AUTH_MATRIX).sort());
    for (const [op, rule] of Object.entries(AUTH_MATRIX)) {
      const row = spec[op]!;
      for (const role of ROLES) expect(row[role], `${op} × ${role}`).toBe(rule.allow.includes(role) ? 'allow' : (rule.late ?? []).includes(role) ? 'late' : 'deny');
      expect(row.requirement).toBe(rule.reqId);
    }
  });

  for (const profile of ['hardened', 'compat'] as const) {
    describe(`cell by cell, ${profile}`, () => {
      let f: Fixture;
      beforeAll(() => {
        f = profile === 'hardened' ? hardenedFixture() : compatFixture();
      });
      it('should give each fixture principal the role it is named after', () => {
        const room = f.state.rooms[toHex(f.roomId)];
        for (const role of ROLES) expect(roleOf(room, f.ids[role].fp)).toBe(role);
      });
      for (const op of Object.keys(AUTH_MATRIX) as RelayOperation[]) {
        if (profile === 'compat' && op === 'update a member key') continue; // hardened only: REQ-REL-003 below
        for (const role of ROLES) {
          const allowed = AUTH_MATRIX[op].allow.includes(role);
          it(`${op} × ${role}: should ${allowed ? 'allow' : `deny with ${AUTH_MATRIX[op].reqId}`}`, () => {
            const who = f.ids[role];
            const req = requestFor(f, op, who, role);
            const step = run(f.state, who, req);
            if (allowed) {
              expect(step.rejected, step.rejected && decode(Reject, (step.outputs.at(-1) as { bytes: Bytes }).bytes).detail).toBeUndefined();
            } else {
              expect(step.rejected).toBe(AUTH_MATRIX[op].reqId);
              const { answered: _a, ...before } = f.state;
              const { answered: _b, ...after } = step.state;
              expect(after).toEqual(before);
            }
          });
        }
      }
    });
  }
});

describe('per-operation checks (hardened)', () => {
  let f: Fixture;
  beforeAll(() => {
    f = hardenedFixture();
  });
  const rejectedWith = (step: RelayStep, id: string) => {
    expect(step.rejected).toBe(id);
    const reply = step.outputs.find((o) => o.kind === 'reply') as { bytes: Bytes };
    expect(decode(Reject, reply.bytes).requirement).toBe(id);
  };

  it('REQ-REL-002 should reject a request for an unknown room', () => {
    rejectedWith(run(f.state, f.ids.owner, { name: 'GetRoster', value: { req_id: 1, room_id: new Uint8Array(16) } }), 'REQ-REL-002');
  });
  it('REQ-REL-003 should reject a payload of the wrong type or room', () => {
    const good = requestFor(f, 'send', f.ids.member) as Extract<RelayRequest, { name: 'Send' }>;
    const wrongType = good.value.payload.slice();
    wrongType[3] = 0x54;
    rejectedWith(run(f.state, f.ids.member, { name: 'Send', value: { ...good.value, payload: wrongType } }), 'REQ-REL-003');
    const otherRoom = good.value.payload.slice();
    otherRoom[4]! ^= 1;
    rejectedWith(run(f.state, f.ids.member, { name: 'Send', value: { ...good.value, payload: otherRoom } }), 'REQ-REL-003');
    rejectedWith(run(f.state, f.ids.owner, { name: 'Rotate', value: { req_id: 9, room_id: f.roomId, payload: new Uint8Array(8) } }), 'REQ-REL-003');
  });
  it('REQ-REL-004 should answer a retransmitted request identically and append once', () => {
    const req = requestFor(f, 'send', f.ids.member);
    const first = run(f.state, f.ids.member, req);
    const again = run(first.state, f.ids.member, req);
    expect(again.outputs).toEqual([first.outputs.find((o) => o.kind === 'reply')]);
    expect(again.state).toBe(first.state);
  });
  it('REQ-REL-004 should remember a Reject of a request that changes state like an Ack, and remember nothing of a read-only request', () => {
    const who = toHex(f.ids.stranger.fp);
    const req = requestFor(f, 'send', f.ids.stranger);
    const first = run(f.state, f.ids.stranger, req);
    expect(first.rejected).toBe('REQ-REL-016');
    expect(answerCount(first.state.answered[who])).toBe(answerCount(f.state.answered[who]) + 1);
    const again = run(first.state, f.ids.stranger, req);
    expect(again.outputs).toEqual(first.outputs);
    const ro = run(f.state, f.ids.member, { name: 'GetRoster', value: { req_id: 77, room_id: new Uint8Array(16) } });
    expect(ro.rejected).toBe('REQ-REL-002');
    expect(ro.state.answered).toEqual(f.state.answered);
  });
  it('REQ-REL-010 should refuse a room id in use, for anyone', () => {
    for (const role of ROLES) {
      const req = requestFor(f, 'create room', f.ids[role]) as Extract<RelayRequest, { name: 'CreateRoom' }>;
      rejectedWith(run(f.state, f.ids[role], { name: 'CreateRoom', value: { ...req.value, room_id: f.roomId } }), 'REQ-REL-010');
    }
  });
  it('REQ-REL-010 should refuse a genesis naming someone else as owner', () => {
    const req = requestFor(f, 'create room', f.ids.stranger);
    rejectedWith(run(f.state, f.ids.member, req), 'REQ-REL-010');
  });
  it('REQ-REL-011 should refuse an expired or repeated invite id', () => {
    rejectedWith(run(f.state, f.ids.owner, { name: 'PostInvite', value: { req_id: 3, room_id: f.roomId, invite_id: rng.bytes(32), expires_at: NOW } }), 'REQ-REL-011');
    rejectedWith(run(f.state, f.ids.owner, { name: 'PostInvite', value: { req_id: 4, room_id: f.roomId, invite_id: f.invites.free.inviteId, expires_at: NOW + 5 } }), 'REQ-REL-011');
  });
  it('REQ-REL-012 should refuse unknown, claimed, consumed and expired invites (ATK-01, ATK-02)', () => {
    const req = requestFor(f, 'submit a join', f.ids.stranger) as Extract<RelayRequest, { name: 'SubmitJoin' }>;
    const accepted = run(f.state, f.ids.stranger, req);
    expect(accepted.rejected).toBeUndefined();
    const racing = requestFor(f, 'submit a join', f.ids.removed);
    rejectedWith(run(accepted.state, f.ids.removed, racing), 'REQ-REL-012');
    const late = handleRequest(c, f.state, f.ids.stranger.fp, req, NOW + 120_000);
    rejectedWith(late, 'REQ-REL-012');
    const unknown = createInvite(c, rng, { profile: 'hardened', roomId: f.roomId, ownerFp: f.ids.owner.fp, now: NOW, lifetimeMs: 1000 });
    const payload = buildJoinRequest(c, rng, unknown.invite, f.ids.stranger, unknown.inviteId).bytes;
    rejectedWith(run(f.state, f.ids.stranger, { name: 'SubmitJoin', value: { req_id: 77, room_id: f.roomId, invite_id: unknown.inviteId, payload } }), 'REQ-REL-012');
  });
  it("REQ-REL-013 REQ-REL-024 should deliver a welcome only for a claimed invite, into the claimant's mailbox; a mailbox fetch reads the requester's own", () => {
    const welcome = (inviteId: Bytes): RelayRequest => {
      const payload = encode(Welcome, { room_id: f.roomId, invite_id: inviteId, join_hash: rng.bytes(32), epoch: f.epoch + 1, kem_ct: rng.bytes(1088), nonce: rng.bytes(24), sealed: rng.bytes(40), signature: rng.bytes(3309) });
      return { name: 'SendWelcome', value: { req_id: 8, room_id: f.roomId, invite_id: inviteId, payload } };
    };
    rejectedWith(run(f.state, f.ids.owner, welcome(f.invites.free.inviteId)), 'REQ-REL-013'); // open, not claimed
    const ok1 = run(f.state, f.ids.owner, welcome(f.invites.claimed.inviteId));
    expect(ok1.rejected).toBeUndefined();
    const mail = ok1.outputs.filter((o) => o.kind === 'mail') as { to: Bytes }[];
    expect(mail.map((m) => toHex(m.to))).toEqual([toHex(f.ids.invitee.fp)]);
    // a mailbox fetch is answered from the requester's own mailbox, whatever it asks
    for (const who of [f.ids.invitee, f.ids.owner, f.ids.member, f.ids.stranger]) {
      const step = run(ok1.state, who, { name: 'FetchMailbox', value: { req_id: 9, from_index: 0 } });
      expect(step.outputs.map((o) => (o.kind === 'mailbox' ? toHex(o.principal) : o.kind))).toEqual([toHex(who.fp)]);
    }
  });
  it('REQ-REL-014 should take a confirmation only from the claimant', () => {
    const confirm = requestFor(f, 'submit a confirmation', f.ids.invitee);
    expect(run(f.state, f.ids.invitee, confirm).rejected).toBeUndefined();
    // a principal who claimed no invite
    rejectedWith(run(f.state, f.ids.stranger, confirm), 'REQ-REL-014');
    // a principal who claimed another invite (the free one, claimed here) confirms the invitee's
    const join = requestFor(f, 'submit a join', f.ids.stranger);
    const claimed = run(f.state, f.ids.stranger, join);
    expect(claimed.rejected).toBeUndefined();
    rejectedWith(run(claimed.state, f.ids.stranger, confirm), 'REQ-REL-014');
    expect(run(claimed.state, f.ids.invitee, confirm).rejected).toBeUndefined();
  });
  it('REQ-REL-015 should consume the invite when the add commit is published (token disposal), and add the claimant', () => {
    const step = run(f.state, f.ids.owner, requestFor(f, 'add a member', f.ids.owner));
    const room = step.state.rooms[toHex(f.roomId)]!;
    expect(room.invites[toHex(f.invites.claimed.inviteId)]).toEqual({ expiresAt: f.invites.claimed.invite.expires_at, status: 'consumed' });
    expect(roleOf(room, f.ids.invitee.fp)).toBe('member');
    expect(step.outputs.some((o) => o.kind === 'append' && o.recipients.includes(toHex(f.ids.invitee.fp)))).toBe(true);
  });
  it('REQ-REL-017 REQ-REL-019 (checked as in REQ-REL-015) should refuse a rotate commit that skips an epoch and a remove commit that does not chain', () => {
    const b = buildCommit(c, rng, { roomId: f.roomId, epoch: f.epoch + 2, prevEpochHash: f.epochHash, reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: f.roster, heads: [], owner: f.ids.owner });
    rejectedWith(run(f.state, f.ids.owner, { name: 'PostCommit', value: { req_id: 91, room_id: f.roomId, payload: b.commit.bytes } }), 'REQ-REL-017');
    const d = buildCommit(c, rng, { roomId: f.roomId, epoch: f.epoch + 1, prevEpochHash: ZERO_HASH, reason: 'remove', inviteId: ZERO_HASH, adds: [], removes: [f.ids.member.fp], roster: f.roster, heads: [], owner: f.ids.owner });
    rejectedWith(run(f.state, f.ids.owner, { name: 'PostCommit', value: { req_id: 92, room_id: f.roomId, payload: d.commit.bytes } }), 'REQ-REL-019');
  });
  it('REQ-REL-015 should refuse adding someone other than the claimant', () => {
    const b = buildCommit(c, rng, { roomId: f.roomId, epoch: f.epoch + 1, prevEpochHash: f.epochHash, reason: 'add', inviteId: f.invites.claimed.inviteId, adds: [memberRecordOf(f.ids.stranger, 'member', f.epoch + 1)], removes: [], roster: f.roster, heads: [], owner: f.ids.owner });
    rejectedWith(run(f.state, f.ids.owner, { name: 'PostCommit', value: { req_id: 93, room_id: f.roomId, payload: b.commit.bytes } }), 'REQ-REL-015');
  });
  it('REQ-REL-016 should refuse a message whose sender is not the principal, or of an epoch outside the sender’s', () => {
    const spoof = requestFor(f, 'send', f.ids.owner) as Extract<RelayRequest, { name: 'Send' }>;
    rejectedWith(run(f.state, f.ids.member, spoof), 'REQ-REL-016');
    const future = encode(AppMessage, { ...decode(AppMessage, (requestFor(f, 'send', f.ids.member) as Extract<RelayRequest, { name: 'Send' }>).value.payload), epoch: f.epoch + 1 });
    rejectedWith(run(f.state, f.ids.member, { name: 'Send', value: { req_id: 94, room_id: f.roomId, payload: future } }), 'REQ-REL-016');
  });
  it('REQ-REL-018 should refuse a removal that does not count every message of the removed member in the log', () => {
    const base = decode(AppMessage, (requestFor(f, 'send', f.ids.member) as Extract<RelayRequest, { name: 'Send' }>).value.payload);
    let state = f.state;
    for (const seq of [0, 2, 1]) state = ok(run(state, f.ids.member, { name: 'Send', value: { req_id: 200 + seq, room_id: f.roomId, payload: encode(AppMessage, { ...base, seq, prev_epoch: seq === 0 ? NO_EPOCH : f.epoch }) } }));
    const removal = (next_seq: number) =>
      buildCommit(c, rng, { roomId: f.roomId, epoch: f.epoch + 1, prevEpochHash: f.epochHash, reason: 'remove', inviteId: ZERO_HASH, adds: [], removes: [f.ids.member.fp], roster: f.roster, heads: [{ member_id: f.ids.member.fp, next_seq, last_epoch: f.epoch }], owner: f.ids.owner });
    const short = run(state, f.ids.owner, { name: 'PostCommit', value: { req_id: 210, room_id: f.roomId, payload: removal(2).commit.bytes } });
    rejectedWith(short, 'REQ-REL-018');
    expect(short.state.rooms).toEqual(state.rooms);
    const counted = run(state, f.ids.owner, { name: 'PostCommit', value: { req_id: 211, room_id: f.roomId, payload: removal(3).commit.bytes } });
    expect(counted.rejected).toBeUndefined();
    expect(counted.state.rooms[toHex(f.roomId)]!.members[toHex(f.ids.member.fp)]).toMatchObject({ role: 'removed', finalSeq: 3, sentSeq: 3 });
  });
  it('REQ-REL-025 should freeze a member being removed: acknowledge with the last log index, then take only late messages the count covers', () => {
    const base = decode(AppMessage, (requestFor(f, 'send', f.ids.member) as Extract<RelayRequest, { name: 'Send' }>).value.payload);
    const msg = (req_id: number, seq: number) => ({ name: 'Send' as const, value: { req_id, room_id: f.roomId, payload: encode(AppMessage, { ...base, seq, prev_epoch: seq === 0 ? NO_EPOCH : f.epoch }) } });
    let state = f.state;
    for (const seq of [0, 2]) state = ok(run(state, f.ids.member, msg(300 + seq, seq)));
    const last = state.rooms[toHex(f.roomId)]!.nextIndex - 1;
    const frozen = run(state, f.ids.owner, { name: 'RemoveMember', value: { req_id: 310, room_id: f.roomId, member_id: f.ids.member.fp } });
    expect(frozen.rejected).toBeUndefined();
    expect(decode(Ack, (frozen.outputs.at(-1) as { bytes: Bytes }).bytes).index).toBe(last);
    expect(frozen.state.rooms[toHex(f.roomId)]!.members[toHex(f.ids.member.fp)]).toMatchObject({ role: 'member', frozen: true, sentSeq: 3 });
    rejectedWith(run(frozen.state, f.ids.member, msg(311, 3)), 'REQ-REL-025');
    expect(run(frozen.state, f.ids.member, msg(312, 1)).rejected).toBeUndefined(); // delayed, already counted
    rejectedWith(run(f.state, f.ids.member, { name: 'RemoveMember', value: { req_id: 313, room_id: f.roomId, member_id: f.ids.owner.fp } }), 'REQ-REL-019');
    rejectedWith(run(f.state, f.ids.owner, { name: 'RemoveMember', value: { req_id: 314, room_id: f.roomId, member_id: f.ids.stranger.fp } }), 'REQ-REL-025');
  });
  it('REQ-REL-026 REQ-REL-027 should take a member key update to the owner mailbox and keep its version; refuse a forged, foreign, stale or second one', () => {
    const post = (req_id: number, payload: Bytes, who: Identity = f.ids.member) => run(f.state, who, { name: 'PostKeyUpdate', value: { req_id, room_id: f.roomId, payload } });
    const made = makeKeyUpdate(c, rng, f.ids.member, f.roomId, f.epoch, false);
    const step = post(400, made.update.bytes);
    expect(step.rejected).toBeUndefined();
    const mail = step.outputs.find((o) => o.kind === 'mail') as Extract<RelayOutput, { kind: 'mail' }>;
    expect(toHex(mail.to)).toBe(toHex(f.ids.owner.fp));
    expect(mail.entry.payload).toBe(made.update.bytes);
    expect(step.state.rooms[toHex(f.roomId)]!.members[toHex(f.ids.member.fp)]!.updated).toEqual({ version: made.kem.version, routineEpoch: f.epoch });
    // a second routine update in the same epoch, or the same version again (a replay under a new req_id)
    const next = makeKeyUpdate(c, rng, made.identity, f.roomId, f.epoch, false);
    rejectedWith(run(step.state, f.ids.member, { name: 'PostKeyUpdate', value: { req_id: 401, room_id: f.roomId, payload: next.update.bytes } }), 'REQ-REL-026');
    rejectedWith(run(step.state, f.ids.member, { name: 'PostKeyUpdate', value: { req_id: 402, room_id: f.roomId, payload: made.update.bytes } }), 'REQ-REL-026');
    // an urgent one in the same epoch is not held back by the routine one
    const urgent = makeKeyUpdate(c, rng, made.identity, f.roomId, f.epoch, true);
    expect(run(step.state, f.ids.member, { name: 'PostKeyUpdate', value: { req_id: 403, room_id: f.roomId, payload: urgent.update.bytes } }).rejected).toBeUndefined();
    // forged signature; another room's update; an update of an epoch that does not exist
    const forged = made.update.bytes.slice();
    forged[forged.length - 7]! ^= 1;
    rejectedWith(post(404, forged), 'REQ-REL-026');
    rejectedWith(post(405, makeKeyUpdate(c, rng, f.ids.member, rng.bytes(16), f.epoch, false).update.bytes), 'REQ-REL-003');
    rejectedWith(post(406, makeKeyUpdate(c, rng, f.ids.member, f.roomId, f.epoch + 1, false).update.bytes), 'REQ-REL-026');
    // another member's update posted by this principal; a frozen member
    rejectedWith(post(407, makeKeyUpdate(c, rng, f.ids.owner, f.roomId, f.epoch, false).update.bytes), 'REQ-REL-026');
    const frozen = ok(run(f.state, f.ids.owner, { name: 'RemoveMember', value: { req_id: 408, room_id: f.roomId, member_id: f.ids.member.fp } }));
    rejectedWith(run(frozen, f.ids.member, { name: 'PostKeyUpdate', value: { req_id: 409, room_id: f.roomId, payload: made.update.bytes } }), 'REQ-REL-026');
  });
  it("REQ-REL-026 should refuse a member posting another current member's valid update, which the owner would take", () => {
    const room = f.state.rooms[toHex(f.roomId)]!;
    const second = f.ids.stranger;
    const withSecond = { ...f.state, rooms: { ...f.state.rooms, [toHex(f.roomId)]: { ...room, roster: [...room.roster, memberRecordOf(second, 'member', room.epoch)], members: { ...room.members, [toHex(second.fp)]: room.members[toHex(f.ids.member.fp)]! } } } };
    const theirs = makeKeyUpdate(c, rng, second, f.roomId, f.epoch, false).update.bytes;
    expect(run(withSecond, second, { name: 'PostKeyUpdate', value: { req_id: 411, room_id: f.roomId, payload: theirs } }).rejected).toBeUndefined();
    rejectedWith(run(withSecond, f.ids.member, { name: 'PostKeyUpdate', value: { req_id: 412, room_id: f.roomId, payload: theirs } }), 'REQ-REL-026');
  });
  it('REQ-REL-031 should push a removal commit to the member it removes as well as to those who stay', () => {
    const removal = buildCommit(c, rng, { roomId: f.roomId, epoch: f.epoch + 1, prevEpochHash: f.epochHash, reason: 'remove', inviteId: ZERO_HASH, adds: [], removes: [f.ids.member.fp], roster: f.roster, heads: [], owner: f.ids.owner });
    const step = run(f.state, f.ids.owner, { name: 'PostCommit', value: { req_id: 420, room_id: f.roomId, payload: removal.commit.bytes } });
    expect(step.rejected).toBeUndefined();
    const append = step.outputs.find((o) => o.kind === 'append') as Extract<RelayOutput, { kind: 'append' }>;
    expect(append.recipients).toContain(toHex(f.ids.member.fp));
    expect(append.recipients).toContain(toHex(f.ids.owner.fp));
  });
  it('REQ-REL-026 should name the kind of update refused as a second one in the epoch: routine, then urgent', () => {
    const first = makeKeyUpdate(c, rng, f.ids.member, f.roomId, f.epoch, false);
    const post = (state: typeof f.state, req_id: number, payload: Bytes) => run(state, f.ids.member, { name: 'PostKeyUpdate', value: { req_id, room_id: f.roomId, payload } });
    const s1 = ok(post(f.state, 421, first.update.bytes));
    const detail = (step: RelayStep) => decode(Reject, (step.outputs.find((o) => o.kind === 'reply') as { bytes: Bytes }).bytes).detail;
    const routine = post(s1, 422, makeKeyUpdate(c, rng, first.identity, f.roomId, f.epoch, false).update.bytes);
    rejectedWith(routine, 'REQ-REL-026');
    expect(detail(routine)).toBe('REQ-REL-026: a routine update of this member was accepted in this epoch already');
    const urgent = makeKeyUpdate(c, rng, first.identity, f.roomId, f.epoch, true);
    const s2 = ok(post(s1, 423, urgent.update.bytes));
    const again = post(s2, 424, makeKeyUpdate(c, rng, urgent.identity, f.roomId, f.epoch, true).update.bytes);
    rejectedWith(again, 'REQ-REL-026');
    expect(detail(again)).toBe('REQ-REL-026: an urgent update of this member was accepted in this epoch already');
  });
  it('REQ-ENC-020 should refuse a payload of MAX_STORED_PAYLOAD + 1 bytes before its own checks, and take one of exactly MAX_STORED_PAYLOAD to those checks', () => {
    const send = (n: number) => run(f.state, f.ids.member, { name: 'Send', value: { req_id: 413 + n - MAX_STORED_PAYLOAD, room_id: f.roomId, payload: new Uint8Array(n) } });
    rejectedWith(send(MAX_STORED_PAYLOAD + 1), 'REQ-ENC-020');
    rejectedWith(send(MAX_STORED_PAYLOAD), 'REQ-REL-003');
  });
  it('REQ-REL-003 should refuse a key update in a compat room: compat has none', () => {
    const g = compatFixture();
    const step = run(g.state, g.ids.member, { name: 'PostKeyUpdate', value: { req_id: 410, room_id: g.roomId, payload: makeKeyUpdate(c, rng, g.ids.member, g.roomId, 0, false).update.bytes } });
    rejectedWith(step, 'REQ-REL-003');
  });
  it('REQ-REL-017 should take a rotation that installs a key update into its roster, keep the membership, and refuse a bad update', () => {
    const made = makeKeyUpdate(c, rng, f.ids.member, f.roomId, f.epoch, false);
    const rec = f.roster.find((r) => toHex(r.member_id) === toHex(f.ids.member.fp))!;
    const rotate = (adds: typeof f.roster) => buildCommit(c, rng, { roomId: f.roomId, epoch: f.epoch + 1, prevEpochHash: f.epochHash, reason: 'rotate', inviteId: ZERO_HASH, adds, removes: [], roster: f.roster, heads: [], owner: f.ids.owner });
    const step = run(f.state, f.ids.owner, { name: 'PostCommit', value: { req_id: 420, room_id: f.roomId, payload: rotate([{ ...rec, kem_cert: made.kem.cert }]).commit.bytes } });
    expect(step.rejected).toBeUndefined();
    const room = step.state.rooms[toHex(f.roomId)]!;
    expect(room.roster.find((r) => toHex(r.member_id) === toHex(f.ids.member.fp))!.kem_cert).toEqual(made.kem.cert);
    expect(room.members[toHex(f.ids.member.fp)]).toEqual(f.state.rooms[toHex(f.roomId)]!.members[toHex(f.ids.member.fp)]);
    rejectedWith(run(f.state, f.ids.owner, { name: 'PostCommit', value: { req_id: 421, room_id: f.roomId, payload: rotate([{ ...rec, role: 'owner', kem_cert: made.kem.cert }]).commit.bytes } }), 'REQ-REL-017');
  });
  it('REQ-REL-016 should take a removed member’s late message of its own epochs below its final head, and nothing else', () => {
    const base = decode(AppMessage, (requestFor(f, 'send', f.ids.removed) as Extract<RelayRequest, { name: 'Send' }>).value.payload);
    const send = (req_id: number, epoch: number, seq: number) => run(f.state, f.ids.removed, { name: 'Send', value: { req_id, room_id: f.roomId, payload: encode(AppMessage, { ...base, epoch, seq, prev_epoch: seq === 0 ? NO_EPOCH : epoch }) } });
    const late = send(95, 2, 2);
    expect(late.rejected).toBeUndefined();
    expect(late.outputs.some((o) => o.kind === 'append')).toBe(true);
    rejectedWith(send(96, 2, 3), 'REQ-REL-016'); // beyond the final head
    rejectedWith(send(97, 3, 1), 'REQ-REL-016'); // the epoch that removed it
    rejectedWith(send(98, 1, 0), 'REQ-REL-016'); // before it was added
  });
  it('REQ-REL-020 should serve each role its window', () => {
    const room = f.state.rooms[toHex(f.roomId)]!;
    expect(historyWindow(room, f.ids.owner.fp)).toEqual({ from: 1, to: room.nextIndex - 1 });
    const m = room.members[toHex(f.ids.member.fp)]!;
    expect(historyWindow(room, f.ids.member.fp)).toEqual({ from: m.addedIndex, to: room.nextIndex - 1 });
    const x = room.members[toHex(f.ids.removed.fp)]!;
    expect(historyWindow(room, f.ids.removed.fp)).toEqual({ from: x.addedIndex, to: x.removedIndex, lateBefore: x.removedEpoch });
    const out = run(f.state, f.ids.member, { name: 'FetchHistory', value: { req_id: 5, room_id: f.roomId, from_index: 0, limit: 10 } }).outputs;
    expect(out).toEqual([{ kind: 'history', reqId: 5, roomId: f.roomId, from: m.addedIndex, to: room.nextIndex - 1, limit: 10 }]);
  });
  it('REQ-REL-022 REQ-REL-023 should publish only newer certificates for the principal itself', () => {
    const s = f.ids.stranger;
    const pub = (_who: Identity, id: Identity) => ({ name: 'PublishKeys' as const, value: { req_id: nextReqId(), identity_pk: id.publicKey, kem_cert: newestKem(id).cert } });
    const first = run(f.state, s, pub(s, s));
    expect(first.rejected).toBeUndefined();
    rejectedWith(run(first.state, s, pub(s, s)), 'REQ-REL-022');
    rejectedWith(run(first.state, s, pub(s, f.ids.member)), 'REQ-REL-022');
    const rotated = rotateKem(c, rng, s);
    expect(run(first.state, s, pub(s, rotated)).rejected).toBeUndefined();
    const got = run(first.state, f.ids.member, { name: 'GetKeys', value: { req_id: 8, member_id: s.fp } });
    expect(got.rejected).toBeUndefined();
    rejectedWith(run(first.state, f.ids.member, { name: 'GetKeys', value: { req_id: 9, member_id: rng.bytes(32) } }), 'REQ-REL-023');
  });
  it('should ack an append with its log index', () => {
    const step = run(f.state, f.ids.member, requestFor(f, 'send', f.ids.member));
    const room = f.state.rooms[toHex(f.roomId)]!;
    const reply = step.outputs.find((o) => o.kind === 'reply') as { bytes: Bytes };
    expect(decode(Ack, reply.bytes).index).toBe(room.nextIndex);
    expect(fingerprint(c, f.ids.member.publicKey)).toEqual(f.ids.member.fp);
  });
});

describe('per-operation checks (compat)', () => {
  let f: Fixture;
  beforeAll(() => {
    f = compatFixture();
  });
  it('REQ-REL-015 should refuse a compat member add not signed by the owner', () => {
    const a = buildCompatMemberAdd(c, rng, { roomId: f.roomId, member: { identity_pk: f.ids.invitee.publicKey, kem_pk: newestKem(f.ids.invitee).publicKey, role: 'member' }, owner: f.ids.member });
    const step = run(f.state, f.ids.owner, { name: 'AddMember', value: { req_id: 1, room_id: f.roomId, invite_id: f.invites.claimed.inviteId, payload: a.bytes } });
    expect(step.rejected).toBe('REQ-REL-015');
  });
  it('REQ-REL-016 should not check the claimed sender of a compat chat (W5)', () => {
    expect(run(f.state, f.ids.member, requestFor(f, 'send', f.ids.owner)).rejected).toBeUndefined();
  });
  it('REQ-REL-019 REQ-REL-021 should leave a removed member out of the compat member list it serves', () => {
    // the fixture removed ids.removed after adding it
    const step = run(f.state, f.ids.member, { name: 'GetRoster', value: { req_id: 77, room_id: f.roomId } });
    const reply = step.outputs.find((o) => o.kind === 'reply') as { bytes: Bytes } | undefined;
    const served = decode(CompatRosterInfo, reply!.bytes).members.map((m) => toHex(fingerprint(c, m.identity_pk)));
    expect(served).toContain(toHex(f.ids.member.fp));
    expect(served).toContain(toHex(f.ids.owner.fp));
    expect(served).not.toContain(toHex(f.ids.removed.fp));
  });
  it('REQ-REL-020 should serve a compat member from the latest rotation before its join (W15)', () => {
    const rot = run(f.state, f.ids.owner, requestFor(f, 'rotate', f.ids.owner));
    const room = rot.state.rooms[toHex(f.roomId)]!;
    expect(room.rotations).toEqual([room.nextIndex - 1]);
    expect(historyWindow(room, f.ids.member.fp).from).toBe(1);
  });
});

/**
 * Each check of dispatch, createRoom, the payload envelope and the append output on its own, with
 * a request valid but for the one thing checked (issue 30: generated mutants dropping these
 * checks survived the campaign, whose simulated relay never receives such a request, and the
 * tests above, where another check rejected first with the same id).
 */
describe('REQ-REL-003 REQ-REL-010 REQ-REL-012 REQ-REL-015 REQ-REL-019 REQ-REL-022 REQ-REL-025 REQ-REL-031 each request check on its own', () => {
  let h: Fixture;
  let k: Fixture;
  beforeAll(() => {
    h = hardenedFixture();
    k = compatFixture();
  });
  const rejected = (step: RelayStep) => step.rejected;

  it('REQ-REL-003 should refuse a join request whose envelope is right but whose body does not decode', () => {
    const good = requestFor(h, 'submit a join', h.ids.stranger) as Extract<RelayRequest, { name: 'SubmitJoin' }>;
    expect(rejected(run(h.state, h.ids.stranger, good))).toBeUndefined();
    const cut = good.value.payload.subarray(0, good.value.payload.length - 1);
    expect(rejected(run(h.state, h.ids.stranger, { name: 'SubmitJoin', value: { ...good.value, payload: cut } }))).toBe('REQ-REL-003');
  });
  it('REQ-REL-003 should refuse a join request naming another invite than the request', () => {
    const good = requestFor(h, 'submit a join', h.ids.stranger) as Extract<RelayRequest, { name: 'SubmitJoin' }>;
    const elsewhere = buildJoinRequest(c, rng, h.invites.free.invite, h.ids.stranger, rng.bytes(32));
    expect(rejected(run(h.state, h.ids.stranger, { name: 'SubmitJoin', value: { ...good.value, payload: elsewhere.bytes } }))).toBe('REQ-REL-003');
  });
  it("REQ-REL-003 should refuse an operation of the other profile: a compat Rotate in a hardened room, a PostCommit in a compat room", () => {
    const rotate = requestFor(k, 'rotate', h.ids.owner) as Extract<RelayRequest, { name: 'Rotate' }>;
    const payload = encode(CompatRotation, { room_id: h.roomId, sender: h.ids.owner.fp, nonce: rng.bytes(24), ciphertext: rng.bytes(48) });
    expect(rejected(run(h.state, h.ids.owner, { name: 'Rotate', value: { ...rotate.value, room_id: h.roomId, payload } }))).toBe('REQ-REL-003');
    const commit = requestFor(h, 'rotate', h.ids.owner) as Extract<RelayRequest, { name: 'PostCommit' }>;
    expect(rejected(run(k.state, k.ids.owner, { name: 'PostCommit', value: { ...commit.value, room_id: k.roomId } }))).toBe('REQ-REL-003');
  });
  it('REQ-REL-012 should take a join at the very instant of expires_at, and refuse it a millisecond later (expired after it, as the invitee judges, REQ-INV-002)', () => {
    const req = requestFor(h, 'submit a join', h.ids.stranger);
    const at = h.invites.free.invite.expires_at;
    expect(at).toBeGreaterThan(0);
    expect(rejected(handleRequest(c, h.state, h.ids.stranger.fp, req, at))).toBeUndefined();
    expect(rejected(handleRequest(c, h.state, h.ids.stranger.fp, req, at + 1))).toBe('REQ-REL-012');
  });
  it('REQ-REL-015 should refuse an add, hardened or compat, that consumes an invite the room never had', () => {
    const add = requestFor(h, 'add a member', h.ids.owner) as Extract<RelayRequest, { name: 'PostCommit' }>;
    expect(rejected(run(h.state, h.ids.owner, add))).toBeUndefined();
    const b = buildCommit(c, rng, { roomId: h.roomId, epoch: h.epoch + 1, prevEpochHash: h.epochHash, reason: 'add', inviteId: rng.bytes(32), adds: [{ ...memberRecordOf(h.ids.invitee, 'member', h.epoch + 1), kem_cert: h.inviteeRecordCert! }], removes: [], roster: h.roster, heads: [], owner: h.ids.owner });
    expect(rejected(run(h.state, h.ids.owner, { name: 'PostCommit', value: { ...add.value, payload: b.commit.bytes } }))).toBe('REQ-REL-015');
    const compat = requestFor(k, 'add a member', k.ids.owner) as Extract<RelayRequest, { name: 'AddMember' }>;
    expect(rejected(run(k.state, k.ids.owner, compat))).toBeUndefined();
    expect(rejected(run(k.state, k.ids.owner, { name: 'AddMember', value: { ...compat.value, invite_id: rng.bytes(32) } }))).toBe('REQ-REL-015');
  });
  it('REQ-REL-015 should refuse a compat add, signed by the owner, of someone other than the claimant', () => {
    const a = buildCompatMemberAdd(c, rng, { roomId: k.roomId, member: { identity_pk: k.ids.stranger.publicKey, kem_pk: newestKem(k.ids.stranger).publicKey, role: 'member' }, owner: k.ids.owner });
    expect(rejected(run(k.state, k.ids.owner, { name: 'AddMember', value: { req_id: nextReqId(), room_id: k.roomId, invite_id: k.invites.claimed.inviteId, payload: a.bytes } }))).toBe('REQ-REL-015');
  });
  it('REQ-REL-019 REQ-REL-025 should refuse to remove (compat) or freeze (hardened) anyone but a current member: a stranger, the owner, a removed member', () => {
    for (const [f, id] of [[k, 'REQ-REL-019'], [h, 'REQ-REL-025']] as const) {
      const remove = (who: Identity) => run(f.state, f.ids.owner, { name: 'RemoveMember', value: { req_id: nextReqId(), room_id: f.roomId, member_id: who.fp } });
      expect(rejected(remove(f.ids.member))).toBeUndefined();
      for (const who of [f.ids.stranger, f.ids.owner, f.ids.removed]) expect(rejected(remove(who)), `${f.profile}: ${id}`).toBe(id);
    }
  });
  it("REQ-REL-022 should refuse published keys whose certificate is the principal's but not signed by its identity key", () => {
    const s = h.ids.stranger;
    const cert = newestKem(s).cert;
    const publish = (kem_cert: KemCert) => run(h.state, s, { name: 'PublishKeys', value: { req_id: nextReqId(), identity_pk: s.publicKey, kem_cert } });
    expect(rejected(publish(cert))).toBeUndefined();
    expect(rejected(publish({ ...cert, kem_pk: newestKem(h.ids.member).publicKey }))).toBe('REQ-REL-022');
  });
  it('REQ-REL-003 should refuse a PostCommit whose payload is no commit', () => {
    expect(rejected(run(h.state, h.ids.owner, { name: 'PostCommit', value: { req_id: nextReqId(), room_id: h.roomId, payload: rng.bytes(40) } }))).toBe('REQ-REL-003');
  });
  it('REQ-REL-003 should refuse a genesis commit for another room id than the request names', () => {
    const create = requestFor(h, 'create room', h.ids.stranger) as Extract<RelayRequest, { name: 'CreateRoom' }>;
    expect(rejected(run(h.state, h.ids.stranger, create))).toBeUndefined();
    expect(rejected(run(h.state, h.ids.stranger, { name: 'CreateRoom', value: { ...create.value, room_id: rng.bytes(16) } }))).toBe('REQ-REL-003');
  });
  it('REQ-REL-010 should refuse a room of the other profile on a relay serving one', () => {
    const compat = requestFor(k, 'create room', k.ids.stranger);
    expect(rejected(run(EMPTY_RELAY, k.ids.stranger, compat))).toBeUndefined();
    expect(rejected(run(emptyRelay('hardened'), k.ids.stranger, compat))).toBe('REQ-REL-010');
  });
  it("REQ-REL-010 should refuse a compat room whose owner record is someone else's or not an owner's", () => {
    const create = requestFor(k, 'create room', k.ids.stranger) as Extract<RelayRequest, { name: 'CreateRoom' }>;
    const other = encode(CompatMember, { identity_pk: k.ids.member.publicKey, kem_pk: newestKem(k.ids.member).publicKey, role: 'owner' });
    expect(rejected(run(EMPTY_RELAY, k.ids.stranger, { name: 'CreateRoom', value: { ...create.value, payload: other } }))).toBe('REQ-REL-010');
    const notOwner = encode(CompatMember, { identity_pk: k.ids.stranger.publicKey, kem_pk: newestKem(k.ids.stranger).publicKey, role: 'member' });
    expect(rejected(run(EMPTY_RELAY, k.ids.stranger, { name: 'CreateRoom', value: { ...create.value, payload: notOwner } }))).toBe('REQ-REL-010');
  });
  it("REQ-REL-031 should push a hardened message's append with the message's epoch, and a compat chat's with none", () => {
    const sent = run(h.state, h.ids.member, requestFor(h, 'send', h.ids.member));
    expect(sent.outputs.find((o) => o.kind === 'append')).toMatchObject({ kind: 'append', epoch: h.epoch });
    const chat = run(k.state, k.ids.member, requestFor(k, 'send', k.ids.member));
    const append = chat.outputs.find((o) => o.kind === 'append');
    expect(append).toBeDefined();
    expect(append).not.toHaveProperty('epoch');
  });
});
