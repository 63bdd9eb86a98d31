/**
 * The relay machine (spec 8.4, 8.9): requests on authenticated connections only, effects in
 * durable order, deliveries to every connection of a recipient, malformed input and rate limits,
 * shutdown. (The authorization matrix itself is tested cell by cell in impl/protocol.)
 */
import { describe, expect, it } from 'vitest';
import { toHex, utf8, type Bytes } from '../impl/bytes.ts';
import { decode, encode } from '../impl/codec.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { AppMessage, Reject, RoomDelivery } from '../impl/messages/index.ts';
import { buildCommit, ZERO_HASH } from '../impl/protocol/commit.ts';
import { createIdentity, memberRecordOf } from '../impl/protocol/identity.ts';
import { emptyRelay, type RelayRequest } from '../impl/protocol/relay-state.ts';
import { deterministicRng } from '../impl/rng.ts';
import { NO_EPOCH } from '../impl/suite.ts';
import { start, step } from './driver.ts';
import type { RelayEffect, RelayEvent } from './events.ts';
import { relayMachine } from './relay.ts';
import { relaySecurityState, sameState } from './testkit.ts';

type Snap = ReturnType<typeof start<typeof relayMachine, RelayEffect>>['snapshot'];
const rng = deterministicRng(utf8('relay machine tests'));
const owner = createIdentity(c, rng);
const roomId = rng.bytes(16);
const genesis = buildCommit(c, rng, { roomId, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(owner, 'owner', 0)], removes: [], roster: [], heads: [], owner });
const create: RelayRequest = { name: 'CreateRoom', value: { req_id: 1, room_id: roomId, profile: 'hardened', payload: genesis.commit.bytes } };

function feed(s: Snap, e: RelayEvent) {
  return step<typeof relayMachine, RelayEffect>(relayMachine, s, e);
}
function fresh(config = {}): Snap {
  return start<typeof relayMachine, RelayEffect>(relayMachine, { crypto: c, state: emptyRelay('hardened'), config }).snapshot;
}
function withConns(...conns: [string, Bytes][]): Snap {
  let s = fresh();
  for (const [conn, principal] of conns) s = feed(s, { type: 'conn.open', conn, principal, now: 0 }).snapshot;
  return s;
}

describe('REQ-TRN-006 requests need an authenticated connection', () => {
  it('should refuse and close a request on an unknown connection', () => {
    const r = feed(fresh(), { type: 'net.request', conn: 'x', request: create, now: 1 });
    expect(r.effects.map((e) => e.type)).toEqual(['effect.reply', 'effect.close']);
    expect(decode(Reject, (r.effects[0] as { bytes: Bytes }).bytes).requirement).toBe('REQ-TRN-006');
    expect(sameState(relaySecurityState(r.snapshot.context), relaySecurityState(fresh().context))).toBe(true);
  });
});

describe('REQ-REL-050 REQ-REL-031 effects order and deliveries', () => {
  it('should store before it replies, and push the entry to every connection of the owner', () => {
    const s = withConns(['c1', owner.fp], ['c2', owner.fp]);
    const r = feed(s, { type: 'net.request', conn: 'c1', request: create, now: 1 });
    expect(r.effects.map((e) => e.type)).toEqual(['effect.append', 'effect.reply', 'effect.push']);
    const push = r.effects[2] as { readonly conns: readonly string[]; readonly bytes: Bytes };
    expect([...push.conns].sort()).toEqual(['c1', 'c2']);
    expect(decode(RoomDelivery, push.bytes).index).toBe(1);
  });
});

describe('REQ-REL-035 the answer before the deliveries it caused', () => {
  it("REQ-REL-035 should send a Send's Ack on the sender's connection before the sender's own RoomDelivery", () => {
    let s = withConns(['c1', owner.fp], ['c2', owner.fp]);
    s = feed(s, { type: 'net.request', conn: 'c1', request: create, now: 1 }).snapshot;
    const payload = encode(AppMessage, { room_id: roomId, epoch: 0, sender: owner.fp, seq: 0, prev_epoch: NO_EPOCH, nonce: rng.bytes(24), ciphertext: rng.bytes(40), signature: rng.bytes(3309) });
    const r = feed(s, { type: 'net.request', conn: 'c2', request: { name: 'Send', value: { req_id: 2, room_id: roomId, payload } }, now: 2 });
    // what goes to c2, in order: the Ack, then the echo
    const toC2 = r.effects.flatMap((e) => (e.type === 'effect.reply' && e.conn === 'c2' ? ['Ack'] : e.type === 'effect.push' && e.conns.includes('c2') ? [`RoomDelivery ${decode(RoomDelivery, e.bytes).index}`] : []));
    expect(toC2).toEqual(['Ack', 'RoomDelivery 2']);
  });
});

describe('deliveries encoded where the host says (issue 23: the live relay\'s arena)', () => {
  it('should push the same RoomDelivery bytes, written in the buffer `deliveries` gave', () => {
    const taken: Bytes[] = [];
    const deliveries = { take: (n: number) => (taken.push(new Uint8Array(n + 3).fill(0xaa).subarray(3)), taken.at(-1)!) };
    const pushes = (d?: typeof deliveries) => {
      let s = start<typeof relayMachine, RelayEffect>(relayMachine, { crypto: c, state: emptyRelay('hardened'), ...(d ? { deliveries: d } : {}) }).snapshot;
      s = feed(s, { type: 'conn.open', conn: 'c1', principal: owner.fp, now: 0 }).snapshot;
      const r = feed(s, { type: 'net.request', conn: 'c1', request: create, now: 1 });
      return r.effects.flatMap((e) => (e.type === 'effect.push' ? [e.bytes] : []));
    };
    const plain = pushes();
    const arena = pushes(deliveries);
    expect(arena.map(toHex)).toEqual(plain.map(toHex));
    expect(arena).toHaveLength(1);
    expect(arena[0]).toBe(taken[0]);
  });
});

describe('REQ-REL-040 malformed input', () => {
  it('REQ-REL-040 should answer with the req_id the bytes show, and 0 when they show none', () => {
    const s = withConns(['c1', owner.fp]);
    const shown = feed(s, { type: 'net.malformed', conn: 'c1', reqId: 'REQ-ENC-006', detail: 'truncated', requestId: 77, now: 1 });
    expect(decode(Reject, (shown.effects[0] as { bytes: Bytes }).bytes).req_id).toBe(77);
    const none = feed(s, { type: 'net.malformed', conn: 'c1', reqId: 'REQ-ENC-004', detail: 'unknown type', now: 1 });
    expect(decode(Reject, (none.effects[0] as { bytes: Bytes }).bytes).req_id).toBe(0);
  });
  it('should answer each malformed frame with a Reject and close the connection after 16', () => {
    let s = withConns(['c1', owner.fp]);
    for (let i = 1; i <= 16; i++) {
      const r = feed(s, { type: 'net.malformed', conn: 'c1', reqId: 'REQ-ENC-006', detail: 'truncated', now: i });
      s = r.snapshot;
      expect(decode(Reject, (r.effects[0] as { bytes: Bytes }).bytes).requirement).toBe('REQ-ENC-006');
      expect(r.effects.some((e) => e.type === 'effect.close')).toBe(i === 16);
    }
    expect(sameState(relaySecurityState(s.context), relaySecurityState(withConns(['c1', owner.fp]).context))).toBe(true);
  });
});

describe('REQ-REL-041 rate limits', () => {
  it('should refuse requests over the bucket and close a connection that keeps going', () => {
    let s = start<typeof relayMachine, RelayEffect>(relayMachine, { crypto: c, state: emptyRelay('hardened'), config: { rate: 1, burst: 2, maxOverLimit: 3 } }).snapshot;
    s = feed(s, { type: 'conn.open', conn: 'c1', principal: owner.fp, now: 0 }).snapshot;
    const get: RelayRequest = { name: 'GetKeys', value: { req_id: 5, member_id: owner.fp } };
    const outcomes: string[] = [];
    const raised: string[][] = [];
    for (let i = 0; i < 7; i++) {
      const r = feed(s, { type: 'net.request', conn: 'c1', request: get, now: 0 });
      s = r.snapshot;
      const reply = r.effects.find((e) => e.type === 'effect.reply') as { bytes: Bytes };
      outcomes.push(decode(Reject, reply.bytes).requirement + (r.effects.some((e) => e.type === 'effect.close') ? '+close' : ''));
      raised.push(r.effects.flatMap((e) => (e.type === 'effect.reject' ? [e.reqId] : [])));
    }
    expect(outcomes).toEqual(['REQ-REL-023', 'REQ-REL-023', 'REQ-REL-041', 'REQ-REL-041', 'REQ-REL-041', 'REQ-REL-041+close', 'REQ-REL-041+close']);
    // each refusal is also reported to the operator (the relay's log), the first two requests were not refused by the limit
    expect(raised.map((x) => x.includes('REQ-REL-041'))).toEqual([false, false, true, true, true, true, true]);
    const later = feed(s, { type: 'net.request', conn: 'c1', request: get, now: 1_500 });
    expect(decode(Reject, (later.effects[0] as { bytes: Bytes }).bytes).requirement).toBe('REQ-REL-023');
  });
});

describe('graceful shutdown', () => {
  it('should refuse new connections while draining and keep serving open ones', () => {
    const s = feed(withConns(['c1', owner.fp]), { type: 'admin.shutdown', now: 1 }).snapshot;
    expect(s.value).toBe('draining');
    expect(feed(s, { type: 'conn.open', conn: 'c2', principal: owner.fp, now: 2 }).effects).toEqual([{ type: 'effect.close', conn: 'c2', reason: 'relay shutting down' }]);
    const r = feed(s, { type: 'net.request', conn: 'c1', request: create, now: 3 });
    expect(r.effects[0]!.type).toBe('effect.append');
    expect(toHex(r.snapshot.context.state.rooms[toHex(roomId)]!.owner)).toBe(toHex(owner.fp));
  });
});
