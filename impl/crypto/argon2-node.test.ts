/**
 * node:crypto's Argon2id (REQ-CRY-013; Node 24.7 and later, impl/crypto/argon2-node.ts) against
 * RFC 9106's vector, which it can take (a secret and associated data), and against noble and
 * hash-wasm on generated inputs; and the native backend's Argon2id, which is it. On a Node without
 * it these tests are skipped, saying why; the first test holds the detection to the Node version,
 * so a Node 24.7 that lost it fails instead of skipping.
 */
import { argon2id as nobleArgon2idWith } from '@noble/hashes/argon2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../bytes.ts';
import { ARGON2ID, fastestArgon2id } from './argon2.ts';
import { nodeArgon2id, nodeArgon2idAbsent, RFC9106_ARGON2ID } from './argon2-node.ts';
import { loadRealBackends, realBackend } from './backends.ts';
import { argon2Inputs } from './argon2-testkit.ts';
import { nobleCrypto } from './noble.ts';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const hasIt = major > 24 || (major === 24 && minor >= 7);
const node = nodeArgon2id!;
if (!nodeArgon2id) console.warn(`impl/crypto/argon2-node.test.ts skipped: ${nodeArgon2idAbsent}`);

describe('REQ-CRY-013 node:crypto\'s Argon2id, found by feature detection', () => {
  it(`should be found exactly on a Node that has crypto.argon2Sync (24.7 and later; this is ${process.version})`, () => {
    expect(nodeArgon2id !== undefined, nodeArgon2idAbsent).toBe(hasIt);
    expect('node' in ARGON2ID).toBe(hasIt);
    // the vault's default stays hash-wasm on every Node: node's is slower here (npm run bench:argon2, reports/results.md session 41)
    expect(fastestArgon2id).toBe(ARGON2ID['hash-wasm']);
  });
});

describe.skipIf(!nodeArgon2id)('REQ-CRY-013 node:crypto\'s Argon2id against RFC 9106 and the other implementations', () => {
  const v = RFC9106_ARGON2ID;

  it('should give RFC 9106\'s section 5.3 vector (secret and associated data), synchronously and asynchronously', async () => {
    expect(toHex(node.sync(v.password, v.salt, v.params, v.length, v))).toBe(v.tag);
    expect(toHex(await node.async(v.password, v.salt, v.params, v.length, v))).toBe(v.tag);
    // each of the two inputs counts: without either, another tag
    expect(toHex(node.sync(v.password, v.salt, v.params, v.length, { secret: v.secret }))).not.toBe(v.tag);
    expect(toHex(node.sync(v.password, v.salt, v.params, v.length, { associatedData: v.associatedData }))).not.toBe(v.tag);
  });

  it('should agree with noble and hash-wasm on generated passwords, salts and small parameters (no secret, no associated data, as pqroom derives)', async () => {
    let withWasm = 0;
    await fc.assert(
      fc.asyncProperty(argon2Inputs(0), async ({ pw, salt, params, length }) => {
        const noble = toHex(nobleCrypto.argon2id(pw, salt, params, length));
        expect(toHex(node.sync(pw, salt, params, length))).toBe(noble);
        expect(toHex(await node.async(pw, salt, params, length))).toBe(noble);
        if (pw.length > 0) {
          // hash-wasm refuses an empty password
          expect(toHex(await ARGON2ID['hash-wasm'](pw, salt, params, length))).toBe(noble);
          withWasm++;
        }
      }),
      { numRuns: 60 },
    );
    expect(withWasm).toBeGreaterThan(30);
  });

  it('should agree with noble on generated secrets and associated data too (RFC 9106\'s K and X, which pqroom does not use)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 24 }),
        fc.uint8Array({ minLength: 8, maxLength: 24 }),
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        fc.integer({ min: 1, max: 2 }),
        (pw, salt, secret, associatedData, p) => {
          const params = { t: 1, p, m: 8 * p };
          const noble = nobleArgon2idWith(pw, salt, { t: 1, m: params.m, p, dkLen: 32, key: secret, personalization: associatedData });
          expect(toHex(node.sync(pw, salt, params, 32, { secret, associatedData }))).toBe(toHex(noble));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('should refuse what noble refuses (a salt under 8 bytes, no iteration, memory under 8 KiB per lane, a tag under 4 bytes)', () => {
    const salt = new Uint8Array(16);
    const cases = [
      { salt: new Uint8Array(7), params: { t: 1, m: 8, p: 1 }, length: 32 },
      { salt, params: { t: 0, m: 8, p: 1 }, length: 32 },
      { salt, params: { t: 1, m: 15, p: 2 }, length: 32 },
      { salt, params: { t: 1, m: 8, p: 1 }, length: 3 },
    ];
    for (const c of cases) {
      expect(() => nobleCrypto.argon2id(utf8('pw'), c.salt, c.params, c.length)).toThrow();
      expect(() => node.sync(utf8('pw'), c.salt, c.params, c.length)).toThrow();
    }
    // and takes the edges noble takes
    expect(toHex(node.sync(utf8('pw'), new Uint8Array(8), { t: 1, m: 16, p: 2 }, 4))).toBe(toHex(nobleCrypto.argon2id(utf8('pw'), new Uint8Array(8), { t: 1, m: 16, p: 2 }, 4)));
  });

  it('REQ-LOG-001 the native backend\'s Argon2id is node:crypto\'s: noble\'s bytes (at 2 MiB too, where the Node provider would use hash-wasm), noble\'s errors for what both refuse', async () => {
    await loadRealBackends();
    const native = realBackend('native').provider!;
    expect(native.origins?.argon2id).toMatch(/^node:crypto/);
    const salt = new Uint8Array(16).fill(9);
    for (const params of [{ t: 1, m: 64, p: 1 }, { t: 1, m: 2048, p: 2 }]) {
      expect(toHex(native.argon2id(utf8('pw'), salt, params, 64))).toBe(toHex(nobleCrypto.argon2id(utf8('pw'), salt, params, 64)));
    }
    let nobleSays = '';
    try {
      nobleCrypto.argon2id(utf8('pw'), new Uint8Array(4), { t: 1, m: 64, p: 1 }, 32);
    } catch (e) {
      nobleSays = (e as Error).message;
    }
    expect(nobleSays).not.toBe('');
    expect(() => native.argon2id(utf8('pw'), new Uint8Array(4), { t: 1, m: 64, p: 1 }, 32)).toThrow(nobleSays);
  });
});
