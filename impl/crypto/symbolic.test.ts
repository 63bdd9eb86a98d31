/** The symbolic stand-in's checks of what can come from outside: an unknown public key, a ciphertext of the wrong length (issue 30). */
import { describe, expect, it } from 'vitest';
import { CryptoError } from '../errors.ts';
import { KEM_CT_BYTES, KEM_PK_BYTES } from '../suite.ts';
import { symbolicCrypto } from './symbolic.ts';

const reqIdOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof CryptoError ? e.reqId : `not a CryptoError: ${String(e)}`;
  }
};

describe('symbolic ML-KEM stand-in', () => {
  it('REQ-CRY-002 should refuse to encapsulate to a public key it did not make (another instance\'s, or random bytes) with a typed error', () => {
    const c = symbolicCrypto();
    const other = symbolicCrypto().kemKeygen(new Uint8Array(64).fill(5)).publicKey;
    expect(reqIdOf(() => c.kemEncapsulate(other, new Uint8Array(32)))).toBe('REQ-CRY-002');
    expect(reqIdOf(() => c.kemEncapsulate(new Uint8Array(KEM_PK_BYTES).fill(0x42), new Uint8Array(32)))).toBe('REQ-CRY-002');
    const mine = c.kemKeygen(new Uint8Array(64).fill(6)).publicKey;
    expect(reqIdOf(() => c.kemEncapsulate(mine, new Uint8Array(32)))).toBeUndefined();
  });

  it('REQ-CRY-001 should refuse a ciphertext one byte shorter or longer with a typed error, and answer an unknown one of the right length by implicit rejection', () => {
    const c = symbolicCrypto();
    const kp = c.kemKeygen(new Uint8Array(64).fill(7));
    const { ct, ss } = c.kemEncapsulate(kp.publicKey, new Uint8Array(32).fill(1));
    expect(c.kemDecapsulate(ct, kp.secretKey)).toEqual(ss);
    for (const n of [KEM_CT_BYTES - 1, KEM_CT_BYTES + 1, 0]) expect(reqIdOf(() => c.kemDecapsulate(new Uint8Array(n), kp.secretKey))).toBe('REQ-CRY-001');
    const unknown = new Uint8Array(KEM_CT_BYTES).fill(9);
    const implicit = c.kemDecapsulate(unknown, kp.secretKey);
    expect(implicit).toHaveLength(32);
    expect(implicit).not.toEqual(ss);
  });

  it('REQ-CRY-003 should make a key pair from a 32-byte seed, sign with its secret key under a context of up to 255 bytes, and verify only that', () => {
    const c = symbolicCrypto();
    const kp = c.sigKeygen(new Uint8Array(32).fill(3));
    const msg = new Uint8Array([1, 2, 3]);
    for (const context of [new Uint8Array(0), new Uint8Array(255).fill(1)]) {
      const sig = c.sign(kp.secretKey, msg, context, new Uint8Array(32));
      expect(c.verify(kp.publicKey, msg, context, sig)).toBe(true);
      expect(c.verify(kp.publicKey, new Uint8Array([1, 2, 4]), context, sig)).toBe(false);
    }
  });
});
