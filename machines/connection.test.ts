/** The relay connection machines (spec 8.2): handshake, authentication, frames, both ends. */
import { describe, expect, it } from 'vitest';
import { toHex, utf8, type Bytes } from '../impl/bytes.ts';
import { decode, encode, peekType } from '../impl/codec.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { ClientAuth, FrameBatch, GetKeys, MsgType, Send } from '../impl/messages/index.ts';
import { createIdentity } from '../impl/protocol/identity.ts';
import { batchInners, EMPTY_WINDOW, openFrame, sealBatched, sealFrame } from '../impl/protocol/transport.ts';
import { deterministicRng } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import { clientConnectionMachine, MAX_HELD_FRAMES, relayConnectionMachine, type ConnEffect } from './connection.ts';
import { start, step } from './driver.ts';

const rng = deterministicRng(utf8('connection tests'));
const relayKeys = c.sigKeygen(rng.bytes(32));
const mitmKeys = c.sigKeygen(rng.bytes(32));
const alice = createIdentity(c, rng);

type CSnap = ReturnType<typeof start<typeof clientConnectionMachine, ConnEffect>>['snapshot'];
type RSnap = ReturnType<typeof start<typeof relayConnectionMachine, ConnEffect>>['snapshot'];

function wires(effects: readonly ConnEffect[]): Bytes[] {
  return effects.flatMap((e) => (e.type === 'effect.wire' ? [e.bytes] : []));
}
function kinds(effects: readonly ConnEffect[]): string[] {
  return effects.map((e) => (e.type === 'effect.reject' ? `reject ${e.reqId}` : e.type));
}

/** Runs a handshake; returns both ends and every effect seen. */
function handshake(profile: Profile, pinned: Bytes | undefined, keys = relayKeys) {
  let client: CSnap = start<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, { crypto: c, profile, identity: alice, pinnedRelayPk: pinned, rngSeed: rng.bytes(32) }).snapshot;
  let relay: RSnap = start<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, { crypto: c, profile, relayKeys: keys, rngSeed: rng.bytes(32) }).snapshot;
  const log: string[] = [];
  let r1 = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, client, { type: 'conn.start', now: 0 });
  client = r1.snapshot;
  const r2 = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, relay, { type: 'net.wire', bytes: wires(r1.effects)[0]!, now: 1 });
  relay = r2.snapshot;
  r1 = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, client, { type: 'net.wire', bytes: wires(r2.effects)[0]!, now: 2 });
  client = r1.snapshot;
  log.push(...kinds(r1.effects).map((k) => `client ${k}`));
  const auth = wires(r1.effects)[0];
  if (auth) {
    const r3 = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, relay, { type: 'net.wire', bytes: auth, now: 3 });
    relay = r3.snapshot;
    log.push(...kinds(r3.effects).map((k) => `relay ${k}`));
  }
  return { client, relay, log };
}

/** A relay connection that has answered the hello and waits for ClientAuth, with the keys of a real handshake. */
function relayAwaitingAuth() {
  const h = handshake('hardened', relayKeys.publicKey);
  const fresh = start<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, { crypto: c, profile: 'hardened', relayKeys, rngSeed: rng.bytes(32) }).snapshot;
  const withKeys = relayConnectionMachine.resolveState({ value: 'awaitingAuth', context: { ...fresh.context, keys: h.relay.context.keys, th: h.relay.context.th } }) as RSnap;
  return { h, withKeys };
}

describe('REQ-TRN-001..004 handshake', () => {
  it('should open both ends and authenticate the client as its identity', () => {
    const h = handshake('hardened', relayKeys.publicKey);
    expect(h.client.value).toBe('open');
    expect(h.relay.value).toBe('open');
    expect(h.log).toEqual(['client effect.wire', 'client effect.up', 'relay effect.authenticated']);
    expect(toHex(h.relay.context.principal!)).toBe(toHex(alice.fp));
  });
  it('REQ-TRN-002 hardened should refuse a relay key that is not the pinned one (ATK-27)', () => {
    const h = handshake('hardened', relayKeys.publicKey, mitmKeys);
    expect(h.client.value).toBe('failed');
    expect(h.log).toEqual(['client reject REQ-TRN-002']);
  });
  it('REQ-TRN-002 compat should connect to whatever relay key is served (W12)', () => {
    const h = handshake('compat', undefined, mitmKeys);
    expect(h.client.value).toBe('open');
    expect(toHex(h.client.context.relayPk!)).toBe(toHex(mitmKeys.publicKey));
  });
  it('REQ-TRN-004 a hardened relay should close a connection whose ClientAuth is not signed (ATK-06)', () => {
    const { h, withKeys } = relayAwaitingAuth();
    const unsigned = sealFrame(c, h.relay.context.keys!.c2r, 0, encode(ClientAuth, { identity_pk: alice.publicKey, signature: new Uint8Array(0) }));
    const r = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, withKeys, { type: 'net.wire', bytes: unsigned, now: 5 });
    expect(r.snapshot.value).toBe('closed');
    expect(kinds(r.effects)).toEqual(['reject REQ-TRN-004', 'effect.close']);
  });
  it('REQ-TRN-004 the relay answers ClientAuth with nothing: no frame when it passes, a close and no frame when it fails', () => {
    for (const profile of ['hardened', 'compat'] as const) {
      const h = handshake(profile, profile === 'hardened' ? relayKeys.publicKey : undefined);
      expect(h.relay.value).toBe('open');
      expect(h.log.filter((l) => l.startsWith('relay '))).toEqual(['relay effect.authenticated']);
    }
    const { h, withKeys } = relayAwaitingAuth();
    const spoiled = sealFrame(c, h.relay.context.keys!.c2r, 0, encode(ClientAuth, { identity_pk: alice.publicKey, signature: new Uint8Array(3309) }));
    const r = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, withKeys, { type: 'net.wire', bytes: spoiled, now: 5 });
    expect(wires(r.effects)).toEqual([]);
    expect(r.effects.some((e) => e.type === 'effect.close')).toBe(true);
  });
});

describe('REQ-TRN-005 REQ-TRN-006 REQ-TRN-008 frames', () => {
  it('should carry messages both ways and refuse a replayed frame', () => {
    const h = handshake('hardened', relayKeys.publicKey);
    const send = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, h.client, { type: 'app.send', bytes: utf8('hello'), now: 10 });
    const frame = wires(send.effects)[0]!;
    const got = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, h.relay, { type: 'net.wire', bytes: frame, now: 11 });
    expect(got.effects).toEqual([{ type: 'effect.receive', bytes: utf8('hello') }]);
    const again = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, got.snapshot, { type: 'net.wire', bytes: frame, now: 12 });
    expect(kinds(again.effects)).toEqual(['reject REQ-TRN-005']);
    expect(send.snapshot.context.sendSeq).toBe(2);
  });
  it('REQ-TRN-006 should refuse to send before the connection is open', () => {
    const client = start<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, { crypto: c, profile: 'hardened', identity: alice, pinnedRelayPk: relayKeys.publicKey, rngSeed: rng.bytes(32) }).snapshot;
    expect(kinds(step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, client, { type: 'app.send', bytes: utf8('x'), now: 0 }).effects)).toEqual(['reject REQ-TRN-006']);
  });
  it('REQ-TRN-005 REQ-TRN-006 the relay should drop a duplicate of a frame held before ClientAuth, and keep the connection', () => {
    const { h, withKeys } = relayAwaitingAuth();
    const early = sealFrame(c, h.relay.context.keys!.c2r, 1, encode(GetKeys, { req_id: 1, member_id: alice.fp }));
    const held = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, withKeys, { type: 'net.wire', bytes: early, now: 5 });
    expect(held.snapshot.value).toBe('awaitingAuth');
    const dup = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, held.snapshot, { type: 'net.wire', bytes: early, now: 6 });
    expect(dup.snapshot.value).toBe('awaitingAuth');
    expect(kinds(dup.effects)).toEqual(['reject REQ-TRN-005']);
    expect(dup.snapshot.context.held).toHaveLength(1);
  });
  it('REQ-TRN-006 the relay should close a connection whose first frame is not ClientAuth', () => {
    const { h, withKeys } = relayAwaitingAuth();
    const notAuth = sealFrame(c, h.relay.context.keys!.c2r, 0, encode(GetKeys, { req_id: 1, member_id: alice.fp }));
    const r = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, withKeys, { type: 'net.wire', bytes: notAuth, now: 5 });
    expect(r.snapshot.value).toBe('closed');
    expect(kinds(r.effects)).toEqual(['reject REQ-TRN-006', 'effect.close']);
  });
  it(`REQ-TRN-006 the relay should hold ${MAX_HELD_FRAMES} frames before ClientAuth, and close the connection on the next`, () => {
    const { h, withKeys } = relayAwaitingAuth();
    let s = withKeys;
    for (let seq = 1; seq <= MAX_HELD_FRAMES; seq++) {
      const r = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, s, { type: 'net.wire', bytes: sealFrame(c, h.relay.context.keys!.c2r, seq, encode(GetKeys, { req_id: seq, member_id: alice.fp })), now: 5 });
      expect(kinds(r.effects)).toEqual([]);
      s = r.snapshot;
    }
    expect([s.value, s.context.held.length]).toEqual(['awaitingAuth', MAX_HELD_FRAMES]);
    const next = MAX_HELD_FRAMES + 1;
    const r = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, s, { type: 'net.wire', bytes: sealFrame(c, h.relay.context.keys!.c2r, next, encode(GetKeys, { req_id: next, member_id: alice.fp })), now: 6 });
    expect(r.snapshot.value).toBe('closed');
    expect(kinds(r.effects)).toEqual(['reject REQ-TRN-006', 'effect.close']);
  });
  it('REQ-TRN-006 a client connection should refuse bytes before it is open', () => {
    const client = start<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, { crypto: c, profile: 'hardened', identity: alice, pinnedRelayPk: relayKeys.publicKey, rngSeed: rng.bytes(32) }).snapshot;
    const r = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, client, { type: 'net.wire', bytes: new Uint8Array([1, 0, 1, 4, 0, 0]), now: 0 });
    expect(kinds(r.effects)).toEqual(['reject REQ-TRN-006']);
    expect(r.snapshot.value).toEqual(client.value);
  });
});

describe('REQ-LOG-020 rekey after a login', () => {
  const send = (from: CSnap | RSnap, bytes: Bytes) =>
    'identity' in from.context
      ? step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, from as CSnap, { type: 'app.send', bytes, now: 5 })
      : step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, from as RSnap, { type: 'app.send', bytes, now: 5 });
  const request = encode(GetKeys, { req_id: 7, member_id: new Uint8Array(32) });

  for (const profile of ['hardened', 'compat'] as const) {
    it(`${profile}: both ends rekeyed with one session key still talk; one end rekeyed alone refuses the other's frames`, () => {
      const h = handshake(profile, profile === 'hardened' ? relayKeys.publicKey : undefined);
      const session = rng.bytes(32);
      const rekeyC = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, h.client, { type: 'conn.rekey', sessionKey: session, now: 4 }).snapshot;
      const rekeyR = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, h.relay, { type: 'conn.rekey', sessionKey: session, now: 4 }).snapshot;
      expect(toHex(rekeyC.context.keys!.c2r)).not.toBe(toHex(h.client.context.keys!.c2r));
      // both rekeyed: the request arrives as it was sent
      const sent = send(rekeyC, request);
      const got = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, rekeyR, { type: 'net.wire', bytes: wires(sent.effects)[0]!, now: 6 });
      expect(got.effects).toEqual([{ type: 'effect.receive', bytes: request }]);
      // the relay rekeyed, the client did not: the client's frame is refused (REQ-TRN-005)
      const stale = send(h.client, request);
      const refused = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, rekeyR, { type: 'net.wire', bytes: wires(stale.effects)[0]!, now: 6 });
      expect(kinds(refused.effects)).toEqual(['reject REQ-TRN-005']);
      // and the other way round
      const down = send(rekeyR, request);
      const refusedDown = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, h.client, { type: 'net.wire', bytes: wires(down.effects)[0]!, now: 7 });
      expect(kinds(refusedDown.effects)).toEqual(['reject REQ-TRN-005']);
    });
  }
});

describe('REQ-TRN-010 app.sendMany batches a group commit\'s messages (the live relay)', () => {
  const inners = [0, 1, 2, 3].map((i) => encode(GetKeys, { req_id: 10 + i, member_id: new Uint8Array(32).fill(i) }));
  const received = (effects: readonly ConnEffect[]) => effects.flatMap((e) => (e.type === 'effect.receive' ? [e.bytes] : []));
  /** Feeds `frames` to the client in order; returns the inner messages it received and every effect kind. */
  const deliver = (client: CSnap, frames: readonly Bytes[]) => {
    const got: Bytes[] = [];
    const seen: string[] = [];
    for (const w of frames) {
      const r = step<typeof clientConnectionMachine, ConnEffect>(clientConnectionMachine, client, { type: 'net.wire', bytes: w, now: 6 });
      client = r.snapshot;
      got.push(...received(r.effects));
      seen.push(...kinds(r.effects));
    }
    return { got, seen, client };
  };

  it('seals consecutive messages in one FrameBatch frame with one sequence number; the client receives them in order', () => {
    const h = handshake('hardened', relayKeys.publicKey);
    const many = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, h.relay, { type: 'app.sendMany', bytes: inners, now: 5 });
    const frames = wires(many.effects);
    expect(frames).toHaveLength(1);
    expect(many.snapshot.context.sendSeq).toBe(h.relay.context.sendSeq + 1);
    // the frame carries exactly a FrameBatch of the four messages
    const opened = openFrame(c, h.relay.context.keys!.r2c, frames[0]!, EMPTY_WINDOW);
    expect(peekType(opened.inner)).toBe(MsgType.FrameBatch);
    expect(decode(FrameBatch, opened.inner).messages.map((m) => toHex(m.message))).toEqual(inners.map(toHex));
    expect(deliver(h.client, frames).got.map(toHex)).toEqual(inners.map(toHex));
  });

  it('splits at the byte limit and sends a message larger than it alone; the order holds across frames', () => {
    const big = encode(Send, { req_id: 99, room_id: new Uint8Array(16), payload: new Uint8Array(inners[0]!.length * 3) });
    const parts = batchInners([inners[0]!, inners[1]!, big, inners[2]!], inners[0]!.length * 2);
    expect(parts.map((p) => (peekType(p) === MsgType.FrameBatch ? decode(FrameBatch, p).messages.length : 1))).toEqual([2, 1, 1]);
    expect(batchInners([inners[0]!])).toEqual([inners[0]!]);
    expect(batchInners([])).toEqual([]);
    const h = handshake('hardened', relayKeys.publicKey);
    const many = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, h.relay, { type: 'app.sendMany', bytes: [...inners, ...inners], now: 5 });
    expect(deliver(h.client, wires(many.effects)).got.map(toHex)).toEqual([...inners, ...inners].map(toHex));
  });

  it('sealBatched gives the frames of sealing batchInners one by one, and a later call leaves the frames of an earlier one as they were', () => {
    const key = new Uint8Array(32).fill(7);
    const big = encode(Send, { req_id: 99, room_id: new Uint8Array(16), payload: new Uint8Array(inners[0]!.length * 3).fill(1) });
    const list = [inners[0]!, inners[1]!, big, inners[2]!, inners[3]!, inners[0]!];
    const expected = batchInners(list, inners[0]!.length * 2).map((inner, i) => toHex(sealFrame(c, key, 40 + i, inner)));
    const first = sealBatched(c, key, 40, list, inners[0]!.length * 2);
    expect(first.map(toHex)).toEqual(expected);
    // the scratch buffer the batches were encoded in is used again: the frames already made do not change
    const second = sealBatched(c, key, 50, [...inners].reverse(), inners[0]!.length * 2);
    expect(first.map(toHex)).toEqual(expected);
    expect(second.map(toHex)).toEqual(batchInners([...inners].reverse(), inners[0]!.length * 2).map((inner, i) => toHex(sealFrame(c, key, 50 + i, inner))));
  });

  it('sealBatched and sealFrame write the same frames into the buffers `out` gives (the live relay\'s frame pool, issue 23)', () => {
    const key = new Uint8Array(32).fill(9);
    const list = [inners[0]!, inners[1]!, inners[2]!, inners[3]!];
    const made: Uint8Array[] = [];
    const out = { take: (n: number) => (made.push(new Uint8Array(n + 8).fill(0xee).subarray(4, 4 + n)), made.at(-1)!) };
    const expected = batchInners(list, inners[0]!.length * 2).map((inner, i) => toHex(sealFrame(c, key, 60 + i, inner)));
    const frames = sealBatched(c, key, 60, list, inners[0]!.length * 2, out);
    expect(frames.map(toHex)).toEqual(expected);
    expect(frames).toEqual(made); // each frame is the buffer `out` gave, every byte written
    expect(toHex(sealFrame(c, key, 70, inners[0]!, out))).toBe(toHex(sealFrame(c, key, 70, inners[0]!)));
    expect(made).toHaveLength(frames.length + 1);
  });

  it('a relay connection given `frames` seals its app.send and app.sendMany frames there, the same bytes as without', () => {
    const taken: Uint8Array[] = [];
    const frames = { take: (n: number) => (taken.push(new Uint8Array(n)), taken.at(-1)!) };
    const plain = handshake('hardened', relayKeys.publicKey);
    const pooled = { relay: relayConnectionMachine.resolveState({ value: 'open', context: { ...plain.relay.context, frames } }) as RSnap };
    for (const ev of [{ type: 'app.send', bytes: inners[0]!, now: 5 }, { type: 'app.sendMany', bytes: [...inners], now: 6 }] as const) {
      const a = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, plain.relay, ev);
      const b = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, pooled.relay, ev);
      expect(wires(b.effects).map(toHex)).toEqual(wires(a.effects).map(toHex));
      expect(wires(b.effects).every((w) => taken.includes(w))).toBe(true);
      expect(b.snapshot.context.frames).toBe(frames);
    }
  });

  it('a client refuses a nested or malformed batch whole (nothing of it received) and goes on with the next frame', () => {
    const h = handshake('hardened', relayKeys.publicKey);
    const key = h.relay.context.keys!.r2c;
    const batch = encode(FrameBatch, { messages: inners.slice(0, 2).map((message) => ({ message })) });
    const nested = encode(FrameBatch, { messages: [{ message: inners[0]! }, { message: batch }] });
    const truncated = batch.subarray(0, batch.length - 1);
    const r = deliver(h.client, [sealFrame(c, key, 0, nested), sealFrame(c, key, 1, truncated), sealFrame(c, key, 2, batch)]);
    expect(r.seen.filter((k) => k.startsWith('reject'))).toEqual(['reject REQ-TRN-010', expect.stringMatching(/^reject REQ-ENC-/)]);
    expect(r.got.map(toHex)).toEqual(inners.slice(0, 2).map(toHex));
  });

  it('a FrameBatch from a client is not unpacked by the relay end: it reaches the relay logic as one message', () => {
    const h = handshake('hardened', relayKeys.publicKey);
    const batch = encode(FrameBatch, { messages: inners.slice(0, 2).map((message) => ({ message })) });
    const r = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, h.relay, { type: 'net.wire', bytes: sealFrame(c, h.client.context.keys!.c2r, h.client.context.sendSeq, batch), now: 5 });
    expect(received(r.effects).map(toHex)).toEqual([toHex(batch)]);
  });

  it('REQ-TRN-006: is refused before the connection is established, like app.send', () => {
    const relay = start<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, { crypto: c, profile: 'hardened', relayKeys, rngSeed: rng.bytes(48) }).snapshot;
    const r = step<typeof relayConnectionMachine, ConnEffect>(relayConnectionMachine, relay, { type: 'app.sendMany', bytes: [utf8('x'), utf8('y')], now: 0 });
    expect(kinds(r.effects)).toEqual(['reject REQ-TRN-006']);
  });
});
