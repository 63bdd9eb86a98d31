/**
 * The relay's retransmission memory (spec 8.4, REQ-REL-004): a retransmission is a byte-identical
 * request, recognised by (principal, req_id, digest); a request reusing a req_id with other bytes
 * is a new request, and each keeps its own answer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex, type Bytes } from '../../bytes.ts';
import { decode, encode } from '../../codec.ts';
import { fingerprint } from '../../keyschedule.ts';
import { Ack, AppMessage, Reject } from '../../messages/index.ts';
import { NO_EPOCH } from '../../suite.ts';
import { ANSWER_MEMORY, answersOf, emptyRelay, handleRequest, type RelayRequest, type RelayState, type RelayStep } from '../relay-state.ts';
import { c, genesisRoom, type GenesisRoom } from '../testkit.ts';

const NOW = 1_000_000;
let g: GenesisRoom;
let owner: Bytes;
let created: RelayState;

beforeAll(() => {
  g = genesisRoom('retransmission');
  owner = fingerprint(c, g.owner.publicKey);
  const step = handleRequest(c, emptyRelay('hardened'), owner, { name: 'CreateRoom', value: { req_id: 1, room_id: g.roomId, profile: 'hardened', payload: g.genesis.commit.bytes } }, NOW);
  expect(step.rejected).toBeUndefined();
  created = step.state;
});

const send = (reqId: number, seq: number): RelayRequest => ({
  name: 'Send',
  value: { req_id: reqId, room_id: g.roomId, payload: encode(AppMessage, { room_id: g.roomId, epoch: 0, sender: owner, seq, prev_epoch: seq === 0 ? NO_EPOCH : 0, nonce: new Uint8Array(24).fill(seq), ciphertext: new Uint8Array(40), signature: new Uint8Array(3309) }) },
});
const reply = (s: RelayStep): Bytes => (s.outputs.find((o) => o.kind === 'reply') as { bytes: Bytes }).bytes;
const appends = (s: RelayStep): number => s.outputs.filter((o) => o.kind === 'append').length;
const run = (state: RelayState, req: RelayRequest): RelayStep => handleRequest(c, state, owner, req, NOW);

describe('REQ-REL-004 retransmissions are byte-identical requests', () => {
  it('REQ-REL-004 should treat a request reusing a req_id with other bytes as new, and answer each retransmission with its own answer', () => {
    const a = run(created, send(7, 0));
    const b = run(a.state, send(7, 1)); // the person's other client, the same req_id
    expect(appends(a)).toBe(1);
    expect(appends(b)).toBe(1); // a new request: appended, not answered with a's Ack
    expect(decode(Ack, reply(a)).index).toBe(2);
    expect(decode(Ack, reply(b)).index).toBe(3);
    for (const [req, first] of [[send(7, 0), a], [send(7, 1), b]] as const) {
      const again = run(b.state, req);
      expect(again.state).toBe(b.state); // nothing else happens
      expect(appends(again)).toBe(0);
      expect(reply(again)).toEqual(reply(first));
    }
  });
  it('REQ-REL-004 should remember a Reject of the checks as it remembers an Ack', () => {
    const bad: RelayRequest = { name: 'Send', value: { req_id: 9, room_id: g.roomId, payload: new Uint8Array(8) } };
    const first = run(created, bad);
    expect(first.rejected).toBe('REQ-REL-003');
    const again = run(first.state, bad);
    expect(again.state).toBe(first.state);
    expect(again.rejected).toBeUndefined(); // answered from memory, not checked again
    expect(decode(Reject, reply(again)).requirement).toBe('REQ-REL-003');
  });
  it('REQ-REL-004 should answer a request that changes no state afresh, never from memory', () => {
    const fetch: RelayRequest = { name: 'FetchHistory', value: { req_id: 11, room_id: g.roomId, from_index: 1, limit: 50 } };
    const before = run(created, fetch);
    expect(before.state).toBe(created);
    const appended = run(created, send(12, 0)).state;
    const after = run(appended, fetch);
    const to = (s: RelayStep) => (s.outputs[0] as { to: number }).to;
    expect(to(after)).toBe(to(before) + 1);
  });
  it(`REQ-REL-004 should keep the last ${ANSWER_MEMORY} answers of a principal and evict the oldest first`, () => {
    let state = created;
    const first = send(1_000, 0);
    for (let i = 0; i <= ANSWER_MEMORY; i++) state = run(state, i === 0 ? first : { name: 'Send', value: { req_id: 1_000 + i, room_id: g.roomId, payload: new Uint8Array(8) } }).state;
    const mem = answersOf(state.answered[toHex(owner)]);
    expect(mem.length).toBe(ANSWER_MEMORY);
    expect(mem.some((a) => a.reqId === 1_000)).toBe(false);
    // evicted: a retransmission of the first is handled as a new request (appended again)
    const again = run(state, first);
    expect(appends(again)).toBe(1);
  });
});
