/**
 * The canonical-encoding rules of spec 2.3 and 2.4, one generated property each: a decoder
 * rejects every input that breaks a rule with the rule's requirement id (and the inputs that
 * keep it are not rejected for it). The committed vectors (vectors/malformed.json) hold one
 * fixed case per rule for other implementations; these tests range over many.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat } from './bytes.ts';
import { decode, encode, encodeUnchecked, type Codec } from './codec.ts';
import { DecodeError } from './errors.ts';
import { Ack, AppContent, AppMessage, ClientAuth, Commit, HistoryChunk, Reject } from './messages/index.ts';
import { NO_EPOCH } from './suite.ts';
import { buildCommit, ZERO_HASH } from './protocol/commit.ts';
import { createIdentity, memberRecordOf } from './protocol/identity.ts';
import { c, testRng } from './protocol/testkit.ts';

/** The requirement id `decode` rejects `bytes` with, or undefined when it accepts them. */
function rejection<T>(codec: Codec<T>, bytes: Uint8Array): string | undefined {
  try {
    decode(codec, bytes);
    return undefined;
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return e.reqId;
  }
}

const u16 = (n: number): Uint8Array => new Uint8Array([n >> 8, n & 0xff]);
const HEADER = 4;

const rng = testRng('codec rules');
const owner = createIdentity(c, rng);
const genesis = buildCommit(c, rng, { roomId: new Uint8Array(16).fill(7), epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(owner, 'owner', 0)], removes: [], roster: [], heads: [], owner }).commit;
const emptyChunk = encode(HistoryChunk, { req_id: 0, room_id: new Uint8Array(16), entries: [], next_index: 0, complete: true });

describe('spec 2.3: canonical encoding', () => {
  it('REQ-ENC-001 should encode integers big-endian in exactly their width', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.maxSafeInteger().filter((n) => n >= 0), (req_id, index) => {
        const b = encode(Ack, { req_id, index });
        expect(b.length).toBe(HEADER + 4 + 8);
        const view = new DataView(b.buffer, b.byteOffset);
        expect(view.getUint32(HEADER, false)).toBe(req_id);
        expect(view.getBigUint64(HEADER + 4, false)).toBe(BigInt(index));
        expect(decode(Ack, b)).toEqual({ req_id, index });
      }),
      { numRuns: 300 },
    );
  });

  it("REQ-ENC-008 should reject a length prefix above the field's maximum (Reject.detail<0..1024>)", () => {
    const prefix = encode(Reject, { req_id: 1, requirement: 'REQ-REL-016', detail: '' }).subarray(0, -2);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), (n) => {
        const bytes = concat(prefix, u16(n), new Uint8Array(n).fill(0x61));
        expect(rejection(Reject, bytes)).toBe(n > 1024 ? 'REQ-ENC-008' : undefined);
      }),
      { numRuns: 200 },
    );
  });

  it("REQ-ENC-009 should reject a list count above the field's maximum (HistoryChunk.entries<0..256>)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 257, max: 0xffff }), (n) => {
        const bytes = emptyChunk.slice();
        bytes.set(u16(n), HEADER + 4 + 16);
        expect(rejection(HistoryChunk, bytes)).toBe('REQ-ENC-009');
      }),
      { numRuns: 200 },
    );
  });

  it('REQ-ENC-010 should reject every enum value that is not listed (Commit.reason)', () => {
    const encoded = genesis.bytes;
    const at = HEADER + 16 + 4 + 32; // room_id, epoch, prev_epoch_hash
    expect(encoded[at]).toBe(0); // create
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 255 }), (v) => {
        const bytes = encoded.slice();
        bytes[at] = v;
        expect(rejection(Commit, bytes)).toBe('REQ-ENC-010');
      }),
      { numRuns: 100 },
    );
  });

  it('REQ-ENC-011 should reject every bool byte other than 0x00 and 0x01', () => {
    for (let v = 0; v < 256; v++) {
      const bytes = emptyChunk.slice();
      bytes[bytes.length - 1] = v;
      expect(rejection(HistoryChunk, bytes), `complete = ${v}`).toBe(v <= 1 ? undefined : 'REQ-ENC-011');
    }
  });

  it('REQ-ENC-012 should reject a uint64 above 2^53 - 1', () => {
    const prefix = encode(Ack, { req_id: 7, index: 0 }).subarray(0, HEADER + 4);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        const field = new Uint8Array(8);
        new DataView(field.buffer).setBigUint64(0, v, false);
        expect(rejection(Ack, concat(prefix, field))).toBe(v > BigInt(Number.MAX_SAFE_INTEGER) ? 'REQ-ENC-012' : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('REQ-ENC-013 should reject a utf8 field exactly when a strict UTF-8 decoder does (overlong forms, surrogates, above U+10FFFF)', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const valid = (b: Uint8Array): boolean => {
      try {
        strict.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    const prefix = encode(AppContent, { sent_at: 1, text: '' }).subarray(0, -2);
    const tricky = fc.constantFrom(
      [0xc0, 0xaf], // overlong '/'
      [0xe0, 0x80, 0xaf], // overlong, three bytes
      [0xed, 0xa0, 0x80], // a UTF-16 surrogate
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xc3, 0x28], // a lead byte without its continuation
      [0xe2, 0x82, 0xac], // '€', valid
      [0xf0, 0x9f, 0x94, 0x91], // an emoji, valid
    );
    const text = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }).map((x) => [x]), tricky), { maxLength: 24, size: 'max' }).map((parts) => new Uint8Array(parts.flat()));
    let invalid = 0;
    fc.assert(
      fc.property(text, (t) => {
        if (!valid(t)) invalid++;
        expect(rejection(AppContent, concat(prefix, u16(t.length), t))).toBe(valid(t) ? undefined : 'REQ-ENC-013');
      }),
      { numRuns: 500 },
    );
    expect(invalid).toBeGreaterThan(50); // the property was exercised on invalid text, not only on valid
  });

  it('REQ-ENC-014 should reject a sorted list out of order or with a duplicate, and take it in strictly ascending order', () => {
    const id = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(fc.array(id, { minLength: 2, maxLength: 5 }), (ids) => {
        const removes = ids.map((member_id) => ({ member_id }));
        const hexes = ids.map((x) => Buffer.from(x).toString('hex'));
        const ascending = hexes.every((h, i) => i === 0 || hexes[i - 1]! < h);
        const got = rejection(Commit, encodeUnchecked(Commit, { ...genesis.value, removes }));
        if (ascending) expect(got).not.toBe('REQ-ENC-014');
        else expect(got).toBe('REQ-ENC-014');
      }),
      { numRuns: 200 },
    );
    const one = new Uint8Array(32).fill(1);
    expect(rejection(Commit, encodeUnchecked(Commit, { ...genesis.value, removes: [{ member_id: one }, { member_id: one }] }))).toBe('REQ-ENC-014');
  });

  it('REQ-ENC-017 should reject a field value outside its validity rule (ClientAuth.signature: 0 or 3309 bytes)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3309 }), (n) => {
        const bytes = encodeUnchecked(ClientAuth, { identity_pk: new Uint8Array(1952), signature: new Uint8Array(n) });
        expect(rejection(ClientAuth, bytes)).toBe(n === 0 || n === 3309 ? undefined : 'REQ-ENC-017');
      }),
      { numRuns: 200 },
    );
  });

  it('REQ-ENC-017 should neither encode nor decode an AppMessage with seq > 0 and prev_epoch 0xFFFFFFFF (none): a later message names its previous one\'s epoch (spec 4.7)', () => {
    const base = { room_id: new Uint8Array(16), epoch: 3, sender: new Uint8Array(32), nonce: new Uint8Array(24), ciphertext: new Uint8Array(16), signature: new Uint8Array(3309) };
    expect(() => encode(AppMessage, { ...base, seq: 1, prev_epoch: NO_EPOCH })).toThrow(/prev_epoch/);
    expect(rejection(AppMessage, encodeUnchecked(AppMessage, { ...base, seq: 1, prev_epoch: NO_EPOCH }))).toBe('REQ-ENC-017');
    // what is meant instead: the epoch of the previous message (at most this one), and none only for seq 0
    expect(rejection(AppMessage, encode(AppMessage, { ...base, seq: 1, prev_epoch: 2 }))).toBeUndefined();
    expect(rejection(AppMessage, encode(AppMessage, { ...base, seq: 0, prev_epoch: NO_EPOCH }))).toBeUndefined();
  });

  it('REQ-ENC-019 should reject an input above 16 MiB before decoding anything', () => {
    const big = new Uint8Array((1 << 24) + 1);
    big.set(emptyChunk);
    expect(rejection(HistoryChunk, big)).toBe('REQ-ENC-019');
    // at the limit, the same bytes are judged by the rules (here: trailing bytes)
    expect(rejection(HistoryChunk, big.subarray(0, 1 << 24))).toBe('REQ-ENC-007');
  });
});
