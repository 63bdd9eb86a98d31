/**
 * What the relay answers where the spec was once silent (issue 22): the Ack index of the requests
 * that fill another principal's mailbox (spec 8.4), a claimant's retransmitted join (REQ-REL-012),
 * the largest payload it stores (REQ-ENC-020) and the req_id of undecodable bytes (REQ-REL-040).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Bytes } from '../../bytes.ts';
import { decode, encode } from '../../codec.ts';
import { createInvite, type IssuedInvite } from '../../invite.ts';
import { Ack, FetchMailbox, GetKeys, JoinConfirm, MsgType, Reject, Send, Welcome } from '../../messages/index.ts';
import { createIdentity, type Identity } from '../identity.ts';
import { buildJoinRequest } from '../join.ts';
import { emptyRelay, handleRequest, MAX_STORED_PAYLOAD, readableReqId, type RelayRequest, type RelayState, type RelayStep } from '../relay-state.ts';
import { c, genesisRoom, type GenesisRoom } from '../testkit.ts';

const NOW = 1_000_000;
let g: GenesisRoom;
let created: RelayState;
let invite: IssuedInvite;
let claimant: Identity;
let joinReq: RelayRequest;
let claimed: RelayStep;

const run = (state: RelayState, who: Identity, req: RelayRequest): RelayStep => handleRequest(c, state, who.fp, req, NOW);
const reply = (s: RelayStep): Bytes => (s.outputs.find((o) => o.kind === 'reply') as { bytes: Bytes }).bytes;
const mails = (s: RelayStep): number => s.outputs.filter((o) => o.kind === 'mail').length;

beforeAll(() => {
  g = genesisRoom('relay answers');
  const st = run(emptyRelay('hardened'), g.owner, { name: 'CreateRoom', value: { req_id: 1, room_id: g.roomId, profile: 'hardened', payload: g.genesis.commit.bytes } });
  invite = createInvite(c, g.rng, { profile: 'hardened', roomId: g.roomId, ownerFp: g.owner.fp, now: NOW, lifetimeMs: 60_000 });
  created = run(st.state, g.owner, { name: 'PostInvite', value: { req_id: 2, room_id: g.roomId, invite_id: invite.inviteId, expires_at: invite.invite.expires_at } }).state;
  claimant = createIdentity(c, g.rng);
  joinReq = { name: 'SubmitJoin', value: { req_id: 3, room_id: g.roomId, invite_id: invite.inviteId, payload: buildJoinRequest(c, g.rng, invite.invite, claimant, invite.inviteId).bytes } };
  claimed = run(created, claimant, joinReq);
  expect(claimed.rejected).toBeUndefined();
});

describe('spec 8.4 the Ack index of the requests that fill a mailbox', () => {
  it('REQ-REL-012 REQ-REL-013 REQ-REL-014 should acknowledge SubmitJoin, SendWelcome and SubmitConfirm with index 0 while the mailbox entry gets its own index', () => {
    const welcome: RelayRequest = {
      name: 'SendWelcome',
      value: { req_id: 4, room_id: g.roomId, invite_id: invite.inviteId, payload: encode(Welcome, { room_id: g.roomId, invite_id: invite.inviteId, join_hash: g.rng.bytes(32), epoch: 1, kem_ct: g.rng.bytes(1088), nonce: g.rng.bytes(24), sealed: g.rng.bytes(40), signature: g.rng.bytes(3309) }) },
    };
    const welcomed = run(claimed.state, g.owner, welcome);
    const confirm: RelayRequest = {
      name: 'SubmitConfirm',
      value: { req_id: 5, room_id: g.roomId, invite_id: invite.inviteId, payload: encode(JoinConfirm, { room_id: g.roomId, invite_id: invite.inviteId, epoch: 1, welcome_hash: g.rng.bytes(32), confirm_mac: g.rng.bytes(32), signature: g.rng.bytes(3309) }) },
    };
    const confirmed = run(welcomed.state, claimant, confirm);
    for (const s of [claimed, welcomed, confirmed]) {
      expect(s.rejected).toBeUndefined();
      expect(mails(s)).toBe(1);
      expect(decode(Ack, reply(s)).index).toBe(0);
    }
    // the owner's mailbox holds the join (1) and the confirmation (2): the indexes exist, the Acks do not carry them
    const entryIndex = (s: RelayStep) => (s.outputs.find((o) => o.kind === 'mail') as { entry: { index: number } }).entry.index;
    expect([entryIndex(claimed), entryIndex(welcomed), entryIndex(confirmed)]).toEqual([1, 1, 2]);
  });
});

describe('REQ-REL-012 a claimant that sends its join again', () => {
  it('REQ-REL-012 should answer the identical bytes from memory with the first Ack and put no second copy in the owner\'s mailbox', () => {
    const again = run(claimed.state, claimant, joinReq);
    expect(again.state).toBe(claimed.state);
    expect(mails(again)).toBe(0);
    expect(reply(again)).toEqual(reply(claimed));
  });
  it('REQ-REL-012 should refuse any other SubmitJoin of the claimant (an invitee) with REQ-REL-012 and deliver nothing', () => {
    const other: RelayRequest = { name: 'SubmitJoin', value: { ...(joinReq.value as Extract<RelayRequest, { name: 'SubmitJoin' }>['value']), req_id: 99 } };
    const step = run(claimed.state, claimant, other);
    expect(step.rejected).toBe('REQ-REL-012');
    expect(mails(step)).toBe(0);
    // a retransmission whose answer was evicted is such a request too: the memory forgotten, it reaches the matrix
    const forgotten: RelayState = { ...claimed.state, answered: {} };
    const evicted = run(forgotten, claimant, joinReq);
    expect(evicted.rejected).toBe('REQ-REL-012');
    expect(mails(evicted)).toBe(0);
  });
});

describe('REQ-ENC-020 the largest payload the relay stores', () => {
  const sendOf = (n: number): RelayRequest => ({ name: 'Send', value: { req_id: 50 + (n & 7), room_id: g.roomId, payload: new Uint8Array(n) } });
  it(`REQ-ENC-020 should refuse a payload above ${MAX_STORED_PAYLOAD} bytes with REQ-ENC-020, after the matrix, and remember the refusal`, () => {
    expect(MAX_STORED_PAYLOAD).toBe(2 ** 24 - 128);
    const big = sendOf(MAX_STORED_PAYLOAD + 1);
    const step = run(created, g.owner, big);
    expect(step.rejected).toBe('REQ-ENC-020');
    expect(decode(Reject, reply(step)).requirement).toBe('REQ-ENC-020');
    expect(run(step.state, g.owner, big).rejected).toBeUndefined(); // answered from memory (REQ-REL-004)
    // the matrix first: a stranger is refused as a stranger
    expect(run(created, createIdentity(c, g.rng), big).rejected).toBe('REQ-REL-016');
    // at the limit the size is no reason: the payload is judged as an AppMessage (and is none)
    expect(run(created, g.owner, sendOf(MAX_STORED_PAYLOAD)).rejected).toBe('REQ-REL-003');
  });
});

describe('REQ-REL-040 the req_id of bytes that do not decode', () => {
  it('REQ-REL-040 should read the req_id of a request whose header and req_id are present, however the rest fails, and 0 otherwise', () => {
    const fetch = encode(FetchMailbox, { req_id: 0x01020304, from_index: 7 });
    expect(readableReqId(fetch.subarray(0, 8))).toBe(0x01020304); // truncated after req_id
    expect(readableReqId(new Uint8Array([...fetch, 0]))).toBe(0x01020304); // bytes left over
    const send = encode(Send, { req_id: 0xfffffffe, room_id: g.roomId, payload: new Uint8Array(9) });
    expect(readableReqId(send.subarray(0, 20))).toBe(0xfffffffe);
    expect(readableReqId(fetch.subarray(0, 7))).toBe(0); // the req_id is cut
    const version = fetch.slice();
    version[0] = 2;
    expect(readableReqId(version)).toBe(0);
    const suite = fetch.slice();
    suite[2] = 9;
    expect(readableReqId(suite)).toBe(0);
    const ack = encode(Ack, { req_id: 5, index: 1 });
    expect(ack[3]).toBe(MsgType.Ack);
    expect(readableReqId(ack)).toBe(0); // not a request
    expect(readableReqId(encode(GetKeys, { req_id: 6, member_id: new Uint8Array(32) }))).toBe(6);
  });
});
