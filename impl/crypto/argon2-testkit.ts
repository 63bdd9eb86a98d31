/**
 * Generated Argon2id inputs for the tests that hold one implementation to another (REQ-CRY-013):
 * a password, a salt, small parameters (t 1 to 3, p 1 to 4, m at least 8 KiB a lane) and an output
 * length, as pqroom derives (no secret, no associated data).
 */
import fc from 'fast-check';
import type { Bytes } from '../bytes.ts';
import type { Argon2Params } from './provider.ts';

/** One Argon2id call's inputs. */
export interface Argon2Input {
  readonly pw: Bytes;
  readonly salt: Bytes;
  readonly params: Argon2Params;
  readonly length: number;
}

/** Inputs with passwords of at least `minPassword` bytes (hash-wasm refuses an empty one). */
export function argon2Inputs(minPassword: number): fc.Arbitrary<Argon2Input> {
  return fc
    .tuple(
      fc.uint8Array({ minLength: minPassword, maxLength: 40, size: 'max' }),
      fc.uint8Array({ minLength: 8, maxLength: 32, size: 'max' }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 64 }),
      fc.integer({ min: 4, max: 80 }),
    )
    .map(([pw, salt, t, p, extraKib, length]) => ({ pw, salt, params: { t, p, m: 8 * p + extraKib }, length }));
}
