/** The relay connection (spec 5.8, 8.2): handshake checks, client authentication, frames and replay. */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes } from '../bytes.ts';
import { encode } from '../codec.ts';
import { ClientAuth, ServerHello, TransportFrame } from '../messages/index.ts';
import { decode } from '../codec.ts';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from '../messages/types.ts';
import { nobleCrypto } from '../crypto/noble.ts';
import { nodeCrypto } from '../crypto/node.ts';
import { frameNonce } from '../keyschedule.ts';
import { createIdentity, type Identity } from './identity.ts';
import {
  clientAuth,
  clientFinish,
  clientHello,
  EMPTY_WINDOW,
  openFrame,
  REPLAY_WINDOW,
  sealFrame,
  serverHello,
  verifyClientAuth,
  windowAccepts,
  windowAdd,
} from './transport.ts';
import { c, testRng } from './testkit.ts';
import { rejectsWith } from '../expect-reject.ts';

const rng = testRng('transport');
let relay: { publicKey: Uint8Array; secretKey: Uint8Array };
let mitm: { publicKey: Uint8Array; secretKey: Uint8Array };
let alice: Identity;
let mallory: Identity;

beforeAll(() => {
  relay = c.sigKeygen(rng.bytes(32));
  mitm = c.sigKeygen(rng.bytes(32));
  alice = createIdentity(c, rng);
  mallory = createIdentity(c, rng);
});

describe('REQ-TRN-001..003 the client authenticates the relay', () => {
  it('should agree on keys with the pinned relay', () => {
    const ch = clientHello(c, rng);
    const sh = serverHello(c, rng, ch.helloBytes, relay);
    const fin = clientFinish(c, ch, sh.helloBytes, 'hardened', relay.publicKey);
    expect(equalBytes(fin.th, sh.th) && equalBytes(fin.keys.c2r, sh.keys.c2r) && equalBytes(fin.keys.r2c, sh.keys.r2c)).toBe(true);
  });
  it('REQ-TRN-002 hardened should refuse a swapped relay key (ATK-27)', () => {
    const ch = clientHello(c, rng);
    rejectsWith('REQ-TRN-002', () => clientFinish(c, ch, serverHello(c, rng, ch.helloBytes, mitm).helloBytes, 'hardened', relay.publicKey));
  });
  it('REQ-TRN-002 compat should accept whatever key is presented (W12)', () => {
    const ch = clientHello(c, rng);
    expect(clientFinish(c, ch, serverHello(c, rng, ch.helloBytes, mitm).helloBytes, 'compat', undefined).relayPk).toEqual(mitm.publicKey);
  });
  it('REQ-TRN-003 should refuse a ServerHello signed over another transcript', () => {
    const ch = clientHello(c, rng);
    const other = clientHello(c, rng);
    rejectsWith('REQ-TRN-003', () => clientFinish(c, ch, serverHello(c, rng, other.helloBytes, relay).helloBytes, 'hardened', relay.publicKey));
  });
  it('REQ-TRN-003 should refuse a ServerHello whose key exchange was altered', () => {
    const ch = clientHello(c, rng);
    const sh = decode(ServerHello, serverHello(c, rng, ch.helloBytes, relay).helloBytes);
    const altered = encode(ServerHello, { ...sh, server_nonce: new Uint8Array(32) });
    rejectsWith('REQ-TRN-003', () => clientFinish(c, ch, altered, 'hardened', relay.publicKey));
  });
});

describe('REQ-TRN-004 client authentication', () => {
  const session = () => {
    const ch = clientHello(c, rng);
    const sh = serverHello(c, rng, ch.helloBytes, relay);
    return clientFinish(c, ch, sh.helloBytes, 'hardened', relay.publicKey);
  };
  it('should give the connection the principal that signed the transcript', () => {
    const s = session();
    expect(verifyClientAuth(c, clientAuth(c, rng, s.th, alice, 'hardened'), s.th, 'hardened')).toEqual(alice.fp);
  });
  it('hardened should refuse a claimed identity without its signature (ATK-06)', () => {
    const s = session();
    const claim = encode(ClientAuth, { identity_pk: alice.publicKey, signature: new Uint8Array(0) });
    rejectsWith('REQ-TRN-004', () => verifyClientAuth(c, claim, s.th, 'hardened'));
    const replayed = clientAuth(c, rng, session().th, alice, 'hardened');
    rejectsWith('REQ-TRN-004', () => verifyClientAuth(c, replayed, s.th, 'hardened'));
    const wrongKey = encode(ClientAuth, { ...decode(ClientAuth, clientAuth(c, rng, s.th, mallory, 'hardened')), identity_pk: alice.publicKey });
    rejectsWith('REQ-TRN-004', () => verifyClientAuth(c, wrongKey, s.th, 'hardened'));
  });
  it('compat should take a claimed identity at its word (W3)', () => {
    const s = session();
    const claim = encode(ClientAuth, { identity_pk: alice.publicKey, signature: new Uint8Array(0) });
    expect(verifyClientAuth(c, claim, s.th, 'compat')).toEqual(alice.fp);
  });
});

describe('REQ-TRN-005 REQ-TRN-007 REQ-TRN-008 frames', () => {
  const key = rng.bytes(32);
  it('should open frames in any order once each', () => {
    const frames = [0, 1, 2, 3].map((s) => sealFrame(c, key, s, new Uint8Array([s])));
    let w = EMPTY_WINDOW;
    for (const i of [2, 0, 3, 1]) {
      const r = openFrame(c, key, frames[i]!, w);
      expect(r.inner[0]).toBe(i);
      w = r.window;
    }
    rejectsWith('REQ-TRN-005', () => openFrame(c, key, frames[2]!, w));
  });
  it('should accept exactly what a naive model of the window accepts, for any arrival order', () =>
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 300, size: 'max' }), (seqs) => {
        let w = EMPTY_WINDOW;
        const seen = new Set<number>();
        let top = -1;
        for (const s of seqs) {
          const modelAccepts = !seen.has(s) && (s > top || top - s < REPLAY_WINDOW);
          expect(windowAccepts(w, s)).toBe(modelAccepts);
          if (modelAccepts) {
            w = windowAdd(w, s);
            seen.add(s);
            top = Math.max(top, s);
          }
        }
      }),
      { numRuns: 300 },
    ));
  it('should reject frames older than the window', () => {
    let w = EMPTY_WINDOW;
    w = windowAdd(w, REPLAY_WINDOW + 5);
    expect(windowAccepts(w, 5)).toBe(false);
    expect(windowAccepts(w, 6)).toBe(true);
    rejectsWith('REQ-TRN-005', () => openFrame(c, key, sealFrame(c, key, 3, new Uint8Array(1)), w));
  });
  it('should keep a window a value: adding to it leaves it as it was, and a sequence number older than the window adds nothing', () => {
    const w = windowAdd(windowAdd(EMPTY_WINDOW, 10), 7);
    const w2 = windowAdd(w, 12);
    expect([windowAccepts(w, 12), windowAccepts(w2, 12), windowAccepts(w2, 7), windowAccepts(w2, 8)]).toEqual([true, false, false, true]);
    const far = windowAdd(EMPTY_WINDOW, 2 * REPLAY_WINDOW);
    expect(windowAdd(far, 3)).toEqual(far); // older than the window: the same top and bits
  });
  it('should reject a frame whose sequence number was rewritten', () => {
    const f = decode(TransportFrame, sealFrame(c, key, 7, new Uint8Array([1, 2, 3])));
    rejectsWith('REQ-TRN-005', () => openFrame(c, key, encode(TransportFrame, { ...f, seq: 8 }), EMPTY_WINDOW));
  });
  it('should refuse an oversized frame before decoding it', () => {
    rejectsWith('REQ-TRN-007', () => openFrame(c, key, new Uint8Array(MAX_FRAME_BYTES + 1), EMPTY_WINDOW));
  });
  it('REQ-TRN-007 should open a frame of exactly MAX_FRAME_BYTES (an inner message of MAX_MESSAGE_BYTES), the bound included', () => {
    const inner = new Uint8Array(MAX_MESSAGE_BYTES).fill(0x5a);
    const frame = sealFrame(c, key, 9, inner);
    expect(frame.length).toBe(MAX_FRAME_BYTES);
    const r = openFrame(c, key, frame, EMPTY_WINDOW);
    expect(r.inner.length).toBe(MAX_MESSAGE_BYTES);
    expect(r.seq).toBe(9);
  });
  it('REQ-CRY-005 should seal the same frame bytes with node:crypto writing after the prefix (transportSealAfter) as with the encoder over noble', () =>
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat({ max: 2 ** 40 }), fc.uint8Array({ maxLength: 9000, size: 'max' }), (k, seq, inner) => {
        const viaNode = sealFrame(nodeCrypto, k, seq, inner);
        expect(nodeCrypto.transportSealAfter).toBeDefined();
        expect(equalBytes(viaNode, sealFrame(nobleCrypto, k, seq, inner))).toBe(true);
        expect(equalBytes(viaNode, encode(TransportFrame, { seq, sealed: nobleCrypto.transportSeal(k, frameNonce(seq), decodeAd(viaNode), inner) }))).toBe(true);
        expect(equalBytes(openFrame(nodeCrypto, k, viaNode, EMPTY_WINDOW).inner, inner)).toBe(true);
      }),
      { numRuns: 200 },
    ));
});

/** A frame's associated data: its header and seq, the first 12 bytes of its encoding (spec 5.8). */
function decodeAd(frame: Uint8Array): Uint8Array {
  return frame.subarray(0, 12);
}
