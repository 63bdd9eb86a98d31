/** Peer trust (spec 10.2, 10.5): verification, trust statements, key changes, ML-KEM records. */
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../bytes.ts';
import { encode } from '../codec.ts';
import { nobleCrypto as c } from '../crypto/noble.ts';
import { safetyString } from '../fingerprint.ts';
import { KemCert, TrustStatement } from '../messages/index.ts';
import { createIdentity, makeKemKey, rotateKem, signStruct } from '../protocol/identity.ts';
import { deterministicRng } from '../rng.ts';
import { acceptIdentity, acceptKemCert, checkStatement, EMPTY_TRUST, verifyPeer } from './trust.ts';
import { rejectsWith } from '../expect-reject.ts';

const rng = deterministicRng(utf8('trust test'));
const alice = createIdentity(c, rng);
const bob = createIdentity(c, rng);
const mallory = createIdentity(c, rng);

describe('REQ-KEY-030 REQ-KEY-031 REQ-KEY-032 verifying a peer', () => {
  it('hardened compares the first 32 hex characters and signs a trust statement over the fingerprint', () => {
    const s = verifyPeer(c, rng, 'hardened', alice, EMPTY_TRUST, 'bob', bob.publicKey, { entered: safetyString(bob.fp) }, 7);
    const st = s.trusted.get('bob')!;
    expect(toHex(st.peer_fp)).toBe(toHex(bob.fp));
    expect(st.method).toBe('prefix128');
    checkStatement(c, st, alice.publicKey);
    rejectsWith('REQ-KEY-032', () => checkStatement(c, st, mallory.publicKey));
    rejectsWith('REQ-KEY-031', () => verifyPeer(c, rng, 'hardened', alice, EMPTY_TRUST, 'bob', mallory.publicKey, { entered: safetyString(bob.fp) }, 7));
    rejectsWith('REQ-KEY-031', () => verifyPeer(c, rng, 'hardened', alice, EMPTY_TRUST, 'bob', bob.publicKey, { entered: safetyString(bob.fp).slice(0, 35) }, 7));
  });
  it('REQ-KEY-032 should refuse a statement signed by its checker but naming another verifier', () => {
    const st = signStruct(c, rng, TrustStatement, { verifier_fp: mallory.fp, peer_fp: bob.fp, method: 'prefix128', verified_at: 7 }, 'trust', alice.secretKey);
    rejectsWith('REQ-KEY-032', () => checkStatement(c, { ...st, verifier_fp: alice.fp }, alice.publicKey)); // the signature covers verifier_fp
    rejectsWith('REQ-KEY-032', () => checkStatement(c, st, alice.publicKey));
  });
  it('compat checks the last 5 typed characters only', () => {
    const s = verifyPeer(c, rng, 'compat', alice, EMPTY_TRUST, 'bob', bob.publicKey, { entered: toHex(bob.fp).slice(59) }, 7);
    expect(s.trusted.get('bob')!.method).toBe('suffix5');
    rejectsWith('REQ-KEY-030', () => verifyPeer(c, rng, 'compat', alice, EMPTY_TRUST, 'bob', mallory.publicKey, { entered: toHex(bob.fp).slice(59) }, 7));
  });
});

describe('REQ-KEY-033 key change', () => {
  it('a verified peer keeps its key; another key served for it raises the alarm, in both profiles', () => {
    for (const profile of ['hardened', 'compat'] as const) {
      const entered = profile === 'hardened' ? safetyString(bob.fp) : toHex(bob.fp).slice(59);
      const s = verifyPeer(c, rng, profile, alice, EMPTY_TRUST, 'bob', bob.publicKey, { entered }, 1);
      expect(acceptIdentity(c, s, 'bob', bob.publicKey).verified).toBe(true);
      rejectsWith('REQ-KEY-033', () => acceptIdentity(c, s, 'bob', mallory.publicKey));
      expect(acceptIdentity(c, s, 'carol', mallory.publicKey).verified).toBe(false); // never verified: no alarm, not verified
    }
  });
});

describe('REQ-KEY-003 REQ-KEY-004 ML-KEM certificates', () => {
  const bob2 = rotateKem(c, rng, bob);
  const [v1, v2] = [bob2.kemKeys[0]!.cert, bob2.kemKeys[1]!.cert];
  it('hardened accepts newer versions and refuses rollback and equivocation', () => {
    let s = acceptKemCert(c, 'hardened', EMPTY_TRUST, bob.publicKey, v1);
    s = acceptKemCert(c, 'hardened', s, bob.publicKey, v2);
    expect(acceptKemCert(c, 'hardened', s, bob.publicKey, v2)).toBe(s); // the same certificate again: nothing new
    rejectsWith('REQ-KEY-003', () => acceptKemCert(c, 'hardened', s, bob.publicKey, v1));
    const twin = makeKemKey(c, rng, bob, 2, rng.bytes(64)).cert;
    rejectsWith('REQ-KEY-003', () => acceptKemCert(c, 'hardened', s, bob.publicKey, twin));
    expect(s.peers.get(toHex(bob.fp))!.newest_kem_version).toBe(2);
    expect(toHex(s.peers.get(toHex(bob.fp))!.newest_kem_cert_hash)).toBe(toHex(c.sha256(encode(KemCert, v2))));
  });
  it('compat keeps no record (PROP-25 broken: REQ-KEY-003 absent)', () => {
    const s = acceptKemCert(c, 'compat', acceptKemCert(c, 'compat', EMPTY_TRUST, bob.publicKey, v2), bob.publicKey, v1);
    expect(s.peers.size).toBe(0);
  });
  it('refuses a certificate served with another identity, or with a bad signature (REQ-KEY-004)', () => {
    rejectsWith('REQ-KEY-004', () => acceptKemCert(c, 'hardened', EMPTY_TRUST, mallory.publicKey, v1));
    rejectsWith('REQ-KEY-004', () => acceptKemCert(c, 'compat', EMPTY_TRUST, bob.publicKey, { ...v1, version: 9 }));
  });
});
