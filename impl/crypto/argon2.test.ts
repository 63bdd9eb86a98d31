/**
 * The vault's Argon2id implementations (REQ-CRY-013, REQ-KEY-010). RFC 9106's own vector needs
 * associated data, which hash-wasm does not take: noble passes it (noble.test.ts), and here both
 * implementations pass the reference implementation's known answer and agree with each other on
 * generated inputs of the kind pqroom uses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../bytes.ts';
import { ARGON2ID, precomputedArgon2id } from './argon2.ts';
import { argon2idBlocking } from './argon2-blocking.ts';
import { argon2Inputs } from './argon2-testkit.ts';
import { nodeCrypto } from './node.ts';
import { nobleCrypto } from './noble.ts';

describe('REQ-CRY-013 Argon2id implementations', () => {
  for (const [name, argon2] of Object.entries(ARGON2ID)) {
    it(`${name}: the known answer of the reference implementation (password, somesalt, t=2, m=64 MiB, p=1)`, async () => {
      const tag = await argon2(utf8('password'), utf8('somesalt'), { t: 2, m: 65536, p: 1 }, 32);
      expect(toHex(tag)).toBe('09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7');
    }, 30_000);
  }
  it('hash-wasm and noble agree on generated passwords, salts and small parameters', async () => {
    await fc.assert(
      // hash-wasm refuses an empty password
      fc.asyncProperty(argon2Inputs(1), async ({ pw, salt, params, length }) => {
        expect(toHex(await ARGON2ID['hash-wasm'](pw, salt, params, length))).toBe(toHex(await ARGON2ID.noble(pw, salt, params, length)));
      }),
      { numRuns: 40 },
    );
  });
});

describe('REQ-CRY-013 Argon2id in WebAssembly, waited for synchronously', () => {
  it('REQ-CRY-013 the helper thread gives the reference answer, and the Node provider (64 MiB through it) gives noble\'s bytes', () => {
    const p = { t: 2, m: 65536, p: 1 };
    expect(toHex(argon2idBlocking(utf8('password'), utf8('somesalt'), p, 32)!)).toBe('09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7');
    const salt = new Uint8Array(16).fill(3);
    const big = { t: 1, m: 2048, p: 1 };
    expect(toHex(nodeCrypto.argon2id(utf8('pw'), salt, big, 32))).toBe(toHex(nobleCrypto.argon2id(utf8('pw'), salt, big, 32)));
  }, 30_000);
  it('REQ-CRY-013 inputs hash-wasm refuses come back undefined, and the Node provider gives noble\'s answer or noble\'s error for them', () => {
    const salt = new Uint8Array(16).fill(5);
    const big = { t: 1, m: 2048, p: 1 };
    expect(argon2idBlocking(new Uint8Array(0), salt, big, 32)).toBeUndefined(); // hash-wasm takes no empty password
    expect(toHex(nodeCrypto.argon2id(new Uint8Array(0), salt, big, 32))).toBe(toHex(nobleCrypto.argon2id(new Uint8Array(0), salt, big, 32)));
    expect(argon2idBlocking(utf8('pw'), new Uint8Array(4), big, 32)).toBeUndefined(); // a salt under 8 bytes
    expect(() => nodeCrypto.argon2id(utf8('pw'), new Uint8Array(4), big, 32)).toThrow();
  }, 30_000);
});

describe('REQ-LOG-001 the login Argon2id derived beforehand', () => {
  it('REQ-LOG-001 a precomputed derivation (WebAssembly) gives the synchronous provider exactly noble\'s bytes; other inputs fall back to noble', async () => {
    const pre = precomputedArgon2id(nobleCrypto);
    const pw = utf8('correct horse battery staple');
    const salt = new Uint8Array(16).fill(7);
    const p = { m: 64, t: 1, p: 1 };
    const made = await pre.precompute(pw, salt, p, 64);
    expect(pre.provider.argon2id(pw, salt, p, 64)).toEqual(nobleCrypto.argon2id(pw, salt, p, 64));
    expect(made).toEqual(nobleCrypto.argon2id(pw, salt, p, 64));
    expect(pre.counts).toEqual({ hits: 1, misses: 0 });
    const other = new Uint8Array(16).fill(8);
    expect(pre.provider.argon2id(pw, other, p, 64)).toEqual(nobleCrypto.argon2id(pw, other, p, 64));
    expect(pre.provider.argon2id(pw, salt, { ...p, t: 2 }, 64)).toEqual(nobleCrypto.argon2id(pw, salt, { ...p, t: 2 }, 64));
    expect(pre.counts).toEqual({ hits: 1, misses: 2 });
  });
});
