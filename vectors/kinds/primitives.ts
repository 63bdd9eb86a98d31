/**
 * Vector kinds for the primitives layer (spec 3): labelled hash and KDF, both AEADs and the
 * transport frame, the deterministic generator, ML-KEM and ML-DSA as pqroom uses them.
 */
import { fromHex as b, toHex as h, utf8 } from '../../impl/bytes.ts';
import { nobleCrypto as c } from '../../impl/crypto/noble.ts';
import { frameNonce } from '../../impl/keyschedule.ts';
import { EXPAND_LABELS, EXTRACT_LABELS, expandLabel, HASH_LABELS, labeledExtract, labeledHash, SIG_LABELS, sigContext } from '../../impl/labels.ts';
import { EMPTY_WINDOW, openFrame, sealFrame } from '../../impl/protocol/transport.ts';
import { deterministicRng } from '../../impl/rng.ts';
import type { Json } from '../../impl/codec.ts';
import { expectEqual, str, num, type VectorKind } from './kind.ts';

/** Labelled hashing and key derivation for every label of the registry (spec 3.3, 3.4, 3.6). */
export const labelsKind: VectorKind = {
  kind: 'labels',
  file: 'labels.json',
  description: 'LabeledHash, LabeledExtract and ExpandLabel for every label of the registry (spec 3.3, 3.4, 3.6; REQ-CRY-006, REQ-CRY-007, REQ-CRY-008).',
  generate() {
    const rng = deterministicRng(utf8('vectors labels'));
    return [
      ...HASH_LABELS.map((label, i) => {
        const data = rng.bytes(i * 7);
        return { id: `hash/${label}`, fn: 'LabeledHash', label, data: h(data), output: h(labeledHash(c, label, data)) };
      }),
      ...EXTRACT_LABELS.map((label, i) => {
        const salt = rng.bytes(i % 2 === 0 ? 32 : 0);
        const ikm = rng.bytes(32 + i);
        return { id: `extract/${label}`, fn: 'LabeledExtract', label, salt: h(salt), ikm: h(ikm), output: h(labeledExtract(c, salt, label, ikm)) };
      }),
      ...EXPAND_LABELS.map((label, i) => {
        const secret = rng.bytes(32);
        const context = rng.bytes(i * 3);
        const length = [16, 32, 64][i % 3]!;
        return { id: `expand/${label}`, fn: 'ExpandLabel', label, secret: h(secret), context: h(context), length, output: h(expandLabel(c, secret, label, context, length)) };
      }),
    ];
  },
  verify(v) {
    const label = str(v, 'label');
    switch (v.fn) {
      case 'LabeledHash':
        return expectEqual('output', h(labeledHash(c, label as never, b(str(v, 'data')))), v.output);
      case 'LabeledExtract':
        return expectEqual('output', h(labeledExtract(c, b(str(v, 'salt')), label as never, b(str(v, 'ikm')))), v.output);
      case 'ExpandLabel':
        return expectEqual('output', h(expandLabel(c, b(str(v, 'secret')), label as never, b(str(v, 'context')), num(v, 'length'))), v.output);
      default:
        throw new Error(`unknown fn ${String(v.fn)}`);
    }
  },
};

/** Both AEADs with associated data, tampered cases included, and transport frames (spec 3.1, 5.8). */
export const aeadKind: VectorKind = {
  kind: 'aead',
  file: 'aead.json',
  description:
    'XChaCha20-Poly1305 (end to end) and ChaCha20-Poly1305 (transport) seal/open with associated data, tampered inputs that must fail, and sealed transport frames (spec 3.1, 5.8; REQ-CRY-004, REQ-CRY-005, REQ-CRY-010, REQ-TRN-005).',
  generate() {
    const rng = deterministicRng(utf8('vectors aead'));
    const out: Record<string, Json>[] = [];
    for (const aead of ['xchacha20poly1305', 'chacha20poly1305'] as const) {
      const [seal, nonceLen] = aead === 'xchacha20poly1305' ? [c.aeadSeal, 24] : [c.transportSeal, 12];
      for (const [i, [ptLen, adLen]] of [[0, 0], [1, 13], [64, 0], [300, 40]].entries()) {
        const key = rng.bytes(32);
        const nonce = rng.bytes(nonceLen);
        const ad = rng.bytes(adLen!);
        const pt = rng.bytes(ptLen!);
        const sealed = seal(key, nonce, ad, pt);
        out.push({ id: `${aead}/${i}`, aead, key: h(key), nonce: h(nonce), ad: h(ad), plaintext: h(pt), sealed: h(sealed), valid: true });
        if (i === 3) {
          const bad = sealed.slice();
          bad[bad.length - 1]! ^= 1;
          out.push({ id: `${aead}/tampered-tag`, aead, key: h(key), nonce: h(nonce), ad: h(ad), plaintext: '', sealed: h(bad), valid: false });
          const otherAd = ad.slice();
          otherAd[0]! ^= 0x80;
          out.push({ id: `${aead}/other-ad`, aead, key: h(key), nonce: h(nonce), ad: h(otherAd), plaintext: '', sealed: h(sealed), valid: false });
        }
      }
    }
    for (const seq of [0, 1, 2 ** 32 + 5]) {
      const key = rng.bytes(32);
      const inner = rng.bytes(20);
      out.push({ id: `frame/${seq}`, aead: 'transport-frame', key: h(key), seq, nonce: h(frameNonce(seq)), plaintext: h(inner), sealed: h(sealFrame(c, key, seq, inner)), valid: true });
    }
    return out;
  },
  verify(v) {
    const key = b(str(v, 'key'));
    if (v.aead === 'transport-frame') {
      const seq = num(v, 'seq');
      expectEqual('nonce', h(frameNonce(seq)), v.nonce);
      expectEqual('sealed', h(sealFrame(c, key, seq, b(str(v, 'plaintext')))), v.sealed);
      expectEqual('opened', h(openFrame(c, key, b(str(v, 'sealed')), EMPTY_WINDOW).inner), v.plaintext);
      return;
    }
    const [seal, open] = v.aead === 'xchacha20poly1305' ? [c.aeadSeal, c.aeadOpen] : v.aead === 'chacha20poly1305' ? [c.transportSeal, c.transportOpen] : [];
    if (!seal || !open) throw new Error(`unknown aead ${String(v.aead)}`);
    const [nonce, ad, sealed] = [b(str(v, 'nonce')), b(str(v, 'ad')), b(str(v, 'sealed'))];
    const opened = open(key, nonce, ad, sealed);
    if (v.valid === true) {
      expectEqual('sealed', h(seal(key, nonce, ad, b(str(v, 'plaintext')))), v.sealed);
      expectEqual('opened', opened === undefined ? 'authentication failure' : h(opened), v.plaintext);
    } else {
      expectEqual('opened', opened === undefined ? 'authentication failure' : h(opened), 'authentication failure');
    }
  },
};

/** The deterministic generator of spec 3.7. */
export const drbgKind: VectorKind = {
  kind: 'drbg',
  file: 'drbg.json',
  description: 'HMAC_DRBG (SP 800-90A, SHA-256) with the personalisation string "pqroom/v1 drbg": outputs of successive Generate calls (spec 3.7; REQ-CRY-011).',
  generate() {
    return [
      { seed: '', requests: [32, 32] },
      { seed: '00', requests: [1, 31, 33, 64] },
      { seed: h(utf8('pqroom')), requests: [100, 0, 7] },
      { seed: h(new Uint8Array(64).fill(0xab)), requests: [256] },
    ].map((x, i) => {
      const r = deterministicRng(b(x.seed));
      return { id: `drbg/${i}`, seed: x.seed, requests: x.requests, outputs: x.requests.map((n) => h(r.bytes(n))) };
    });
  },
  verify(v) {
    const r = deterministicRng(b(str(v, 'seed')));
    expectEqual('outputs', (v.requests as number[]).map((n) => h(r.bytes(n))), v.outputs);
  },
};

/** ML-KEM-768 as pqroom calls it: key pair from a 64-byte seed, encapsulation with explicit m (spec 3.1). */
export const kemKind: VectorKind = {
  kind: 'kem',
  file: 'kem.json',
  description: 'ML-KEM-768 key generation from a 64-byte seed, encapsulation with an explicit 32-byte m, decapsulation, and the encapsulation key check (spec 3.1; REQ-CRY-001, REQ-CRY-002).',
  generate() {
    const rng = deterministicRng(utf8('vectors kem'));
    const cases: Record<string, Json>[] = [0, 1, 2].map((i) => {
      const seed = rng.bytes(64);
      const kp = c.kemKeygen(seed);
      const m = rng.bytes(32);
      const e = c.kemEncapsulate(kp.publicKey, m);
      return { id: `kem/${i}`, seed: h(seed), public_key: h(kp.publicKey), secret_key_sha256: h(c.sha256(kp.secretKey)), m: h(m), ciphertext: h(e.ct), shared_secret: h(e.ss), public_key_valid: true };
    });
    const bad = c.kemKeygen(rng.bytes(64)).publicKey.slice();
    bad[0] = 0xff;
    bad[1] = 0x0f; // first coefficient 0xfff ≥ q
    cases.push({ id: 'kem/modulus-overflow', seed: '', public_key: h(bad), secret_key_sha256: '', m: '', ciphertext: '', shared_secret: '', public_key_valid: false });
    return cases;
  },
  verify(v) {
    const pk = b(str(v, 'public_key'));
    expectEqual('public_key_valid', c.kemCheckPublicKey(pk), v.public_key_valid);
    if (v.public_key_valid !== true) return;
    const kp = c.kemKeygen(b(str(v, 'seed')));
    expectEqual('public_key', h(kp.publicKey), v.public_key);
    expectEqual('secret_key_sha256', h(c.sha256(kp.secretKey)), v.secret_key_sha256);
    const e = c.kemEncapsulate(pk, b(str(v, 'm')));
    expectEqual('ciphertext', h(e.ct), v.ciphertext);
    expectEqual('shared_secret', h(e.ss), v.shared_secret);
    expectEqual('decapsulated', h(c.kemDecapsulate(e.ct, kp.secretKey)), v.shared_secret);
  },
};

/** ML-DSA-65 with every signature context of the registry (spec 3.5). */
export const signaturesKind: VectorKind = {
  kind: 'signatures',
  file: 'signatures.json',
  description:
    'ML-DSA-65 key pairs from 32-byte seeds and hedged signatures with explicit rnd, one per signature context of the registry; a signature never verifies under another context (spec 3.5; REQ-CRY-003, REQ-CRY-009).',
  generate() {
    const rng = deterministicRng(utf8('vectors signatures'));
    const seed = rng.bytes(32);
    const kp = c.sigKeygen(seed);
    return SIG_LABELS.map((label, i) => {
      const msg = rng.bytes(40 + i);
      const rnd = rng.bytes(32);
      // `trust` keeps the context it was generated with before `key update` was appended (its vector unchanged)
      const other = label === 'trust' ? 'relay hello' : SIG_LABELS[(i + 1) % SIG_LABELS.length]!;
      return { id: `sig/${label}`, seed: h(seed), public_key: h(kp.publicKey), context: label, message: h(msg), rnd: h(rnd), signature: h(c.sign(kp.secretKey, msg, sigContext(label), rnd)), fails_under_context: other };
    });
  },
  verify(v) {
    const kp = c.sigKeygen(b(str(v, 'seed')));
    expectEqual('public_key', h(kp.publicKey), v.public_key);
    const [msg, sig] = [b(str(v, 'message')), b(str(v, 'signature'))];
    expectEqual('signature', h(c.sign(kp.secretKey, msg, sigContext(str(v, 'context') as never), b(str(v, 'rnd')))), v.signature);
    expectEqual('verifies', c.verify(kp.publicKey, msg, sigContext(str(v, 'context') as never), sig), true);
    expectEqual('verifies under another context', c.verify(kp.publicKey, msg, sigContext(str(v, 'fails_under_context') as never), sig), false);
  },
};
