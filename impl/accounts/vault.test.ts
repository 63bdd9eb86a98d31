/** The vault (spec 5.10, 10.3): sealing, opening, refusals, the ML-KEM archive, the login pins, format 1 still read, and atomic writes. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, fromHex, toHex, utf8 } from '../bytes.ts';
import { decode, encode } from '../codec.ts';
import { ARGON2ID } from '../crypto/argon2.ts';
import { nobleCrypto as c } from '../crypto/noble.ts';
import { CryptoError, PqroomError } from '../errors.ts';
import { Vault } from '../messages/index.ts';
import { createIdentity, rotateKem, type Identity } from '../protocol/identity.ts';
import { KDF_PROFILES } from '../protocol/login.ts';
import { deterministicRng } from '../rng.ts';
import { changePassword, loginPinOf, openAccount, pinLogin, rotateAccountKem } from './keystore.ts';
import { contentsOf, identityOf, openVault, sealVault, VAULT_FORMAT, vaultHeader } from './vault.ts';
import { fileVaultStore, readVaultFile, writeVaultFile } from './vault-file.ts';
import { VAULT_FORMAT_1_FINGERPRINT, VAULT_FORMAT_1_HEX } from './vault-format1.fixture.ts';

const rng = deterministicRng(utf8('vault test'));
// every vault file of this file is in one folder, removed when it ends
const tmp = mkdtempSync(join(tmpdir(), 'pqroom-vault-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const TEST = KDF_PROFILES.test;
let alice: Identity;
let sealed: Uint8Array;

async function rejects(reqId: string, p: Promise<unknown>): Promise<PqroomError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, `expected ${reqId}`).toBeInstanceOf(PqroomError);
  expect((e as PqroomError).reqId).toBe(reqId);
  return e as PqroomError;
}

beforeAll(async () => {
  alice = rotateKem(c, rng, rotateKem(c, rng, createIdentity(c, rng)));
  sealed = await sealVault(c, rng, contentsOf(alice), { profile: 'hardened', userId: 'alice', password: 'pw', kdf: TEST });
});

describe('REQ-KEY-010 hardened vault', () => {
  it('opens with the password to the same identity and every archived ML-KEM key (REQ-KEY-002)', async () => {
    const { contents } = await openVault(c, sealed, { profile: 'hardened', password: 'pw' });
    const back = identityOf(c, contents);
    expect(toHex(back.publicKey)).toBe(toHex(alice.publicKey));
    expect(back.kemKeys.map((k) => k.version)).toEqual([1, 2, 3]);
    // a message sealed to the oldest key is still readable
    const old = c.kemEncapsulate(alice.kemKeys[0]!.publicKey, rng.bytes(32));
    expect(toHex(c.kemDecapsulate(old.ct, back.kemKeys[0]!.secretKey))).toBe(toHex(old.ss));
  });
  it('binds the whole header: another user id, salt or KDF parameter does not open (associated data)', async () => {
    const v = decode(Vault, sealed);
    for (const edited of [{ ...v, user_id: 'mallory' }, { ...v, salt: new Uint8Array(16) }, { ...v, kdf: { ...v.kdf, iterations: 2 } }, { ...v, nonce: new Uint8Array(24) }]) {
      await rejects('REQ-KEY-012', openVault(c, encode(Vault, edited), { profile: 'hardened', password: 'pw' }));
    }
  });
  it('gives the vault key through either Argon2id implementation', async () => {
    const hw = await openVault(c, sealed, { profile: 'hardened', password: 'pw', argon2: ARGON2ID['hash-wasm'] });
    const nb = await openVault(c, sealed, { profile: 'hardened', password: 'pw', argon2: ARGON2ID.noble });
    expect(equalBytes(encode(Vault, hw.header), encode(Vault, nb.header))).toBe(true);
  });
});

describe('REQ-KEY-011 REQ-KEY-012 refusals change nothing', () => {
  it('a wrong password gives the typed error "wrong password or corrupted vault"', async () => {
    const e = await rejects('REQ-KEY-012', openVault(c, sealed, { profile: 'hardened', password: 'pW' }));
    expect(e).toBeInstanceOf(CryptoError);
    expect(e.message).toContain('wrong password or corrupted vault');
  });
  it('any flipped byte of the sealed contents is refused', async () => {
    const v = decode(Vault, sealed);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (at, x) => {
        const s = v.sealed.slice();
        s[at % s.length]! ^= x;
        await rejects('REQ-KEY-012', openVault(c, encode(Vault, { ...v, sealed: s }), { profile: 'hardened', password: 'pw' }));
      }),
      { numRuns: 10 },
    );
  });
  it('a vault from the future (another protocol version or format) is refused, not misread', async () => {
    const future = sealed.slice();
    future[0] = 2;
    await rejects('REQ-KEY-011', openVault(c, future, { profile: 'hardened', password: 'pw' }));
    const v = decode(Vault, sealed);
    await rejects('REQ-KEY-011', openVault(c, encode(Vault, { ...v, format: 3 }), { profile: 'hardened', password: 'pw' }));
    expect(() => vaultHeader(encode(Vault, { ...v, format: 3 }))).toThrow(/format 3/);
  });
});

describe('REQ-KEY-011 REQ-LOG-017 vault format 2: the login pins', () => {
  const old = fromHex(VAULT_FORMAT_1_HEX);
  const relayA = c.sigKeygen(new Uint8Array(32).fill(1)).publicKey;
  const relayB = c.sigKeygen(new Uint8Array(32).fill(2)).publicKey;
  const store = (bytes: Uint8Array) => {
    const path = join(mkdtempSync(join(tmp, 'pins-')), 'alice.vault');
    writeVaultFile(path, bytes);
    return { path, vaults: fileVaultStore(path) };
  };
  it('writes format 2', () => {
    expect(VAULT_FORMAT).toBe(2);
    expect(vaultHeader(sealed).format).toBe(2);
  });
  it('reads a format 1 vault written before login pins as one without pins, and writes it as format 2 when it is next stored', async () => {
    expect(vaultHeader(old).format).toBe(1);
    const { contents } = await openVault(c, old, { profile: 'hardened', password: 'pw' });
    expect(toHex(c.sha256(identityOf(c, contents).publicKey))).toBe(VAULT_FORMAT_1_FINGERPRINT);
    expect(contents.login_pins).toEqual([]);
    const { path, vaults } = store(old);
    const a = await pinLogin(c, rng, vaults, { userId: 'alice', password: 'pw', profile: 'hardened' }, relayA, { username: 'alice', salt: new Uint8Array(16).fill(3), kdf: KDF_PROFILES.interactive });
    const now = readVaultFile(path);
    expect(vaultHeader(now).format).toBe(2);
    const reopened = await openAccount(c, vaults, { userId: 'alice', password: 'pw', profile: 'hardened' });
    expect(toHex(reopened.identity.publicKey)).toBe(toHex(identityOf(c, contents).publicKey));
    expect(reopened.contents.kem_keys.map((k) => k.version)).toEqual(contents.kem_keys.map((k) => k.version));
    expect(loginPinOf(c, reopened, relayA)).toEqual(loginPinOf(c, a, relayA));
    expect(loginPinOf(c, reopened, relayA)?.salt).toEqual(new Uint8Array(16).fill(3));
  });
  it('a format 1 vault relabelled format 2 does not open: the header is associated data, so it is never misread', async () => {
    const v = decode(Vault, old);
    await rejects('REQ-KEY-012', openVault(c, encode(Vault, { ...v, format: 2 }), { profile: 'hardened', password: 'pw' }));
  });
  it('keeps one pin per relay key: a new one replaces the old, another relay gets its own, and rotation and a password change keep them', async () => {
    const { vaults } = store(sealed);
    const o = { userId: 'alice', password: 'pw', profile: 'hardened' as const };
    await pinLogin(c, rng, vaults, o, relayA, { username: 'alice', salt: new Uint8Array(16).fill(4), kdf: TEST });
    await pinLogin(c, rng, vaults, o, relayB, { username: 'alice@b', salt: new Uint8Array(16).fill(5), kdf: TEST });
    await pinLogin(c, rng, vaults, o, relayA, { username: 'alice', salt: new Uint8Array(16).fill(6), kdf: TEST });
    await rotateAccountKem(c, rng, vaults, o);
    const a = await changePassword(c, rng, vaults, { ...o, newPassword: 'pw2' });
    expect(a.contents.login_pins).toHaveLength(2);
    expect(loginPinOf(c, a, relayA)?.salt).toEqual(new Uint8Array(16).fill(6));
    expect(loginPinOf(c, a, relayB)?.username).toBe('alice@b');
    expect(loginPinOf(c, a, c.sigKeygen(new Uint8Array(32).fill(9)).publicKey)).toBeUndefined();
  });
});

describe('REQ-KEY-014 compat vault (W13)', () => {
  it('is keyed by one unsalted hash of the password: two users with one password share the key, and a hardened reader refuses it', async () => {
    const a = await sealVault(c, rng, contentsOf(alice), { profile: 'compat', userId: 'alice', password: 'pw', kdf: TEST });
    const { contents } = await openVault(c, a, { profile: 'compat', password: 'pw' });
    expect(toHex(contents.identity_seed)).toBe(toHex(alice.seed));
    expect(decode(Vault, a).kdf.algorithm).toBe('compat_sha256');
    await rejects('REQ-KEY-014', openVault(c, a, { profile: 'hardened', password: 'pw' }));
  });
});

describe('REQ-KEY-013 atomic vault files', () => {
  it('a failure between writing and renaming leaves the old vault in place and readable', async () => {
    const dir = mkdtempSync(join(tmp, 'vault-'));
    const path = join(dir, 'alice.vault');
    writeVaultFile(path, sealed);
    const newer = await sealVault(c, rng, contentsOf(rotateKem(c, rng, alice)), { profile: 'hardened', userId: 'alice', password: 'pw', kdf: TEST });
    expect(() =>
      writeVaultFile(path, newer, {
        beforeRename: () => {
          throw new Error('crash');
        },
      }),
    ).toThrow('crash');
    expect(equalBytes(readVaultFile(path), sealed)).toBe(true);
    writeVaultFile(path, newer);
    expect((await openVault(c, readVaultFile(path), { profile: 'hardened', password: 'pw' })).contents.kem_keys.length).toBe(4);
  });
  it('a vault file holds one user: the vault of another is not written over it, and nothing changes', async () => {
    const path = join(mkdtempSync(join(tmp, 'owner-')), 'alice.vault');
    writeVaultFile(path, sealed);
    const vaults = fileVaultStore(path);
    expect(await vaults.get('bob')).toBeUndefined();
    await rejects('REQ-KEY-013', vaults.put('bob', sealed));
    expect(readVaultFile(path)).toEqual(sealed);
    await vaults.put('alice', sealed);
    expect(await vaults.users()).toEqual(['alice']);
  });
  it('a writer killed with SIGKILL at arbitrary moments always leaves a whole vault, old or new', async () => {
    const dir = mkdtempSync(join(tmp, 'vault-kill-'));
    const a = join(dir, 'a.bin');
    const b = join(dir, 'b.bin');
    const newer = await sealVault(c, rng, contentsOf(rotateKem(c, rng, alice)), { profile: 'hardened', userId: 'alice', password: 'pw', kdf: TEST });
    writeFileSync(a, sealed);
    writeFileSync(b, newer);
    const fixture = new URL('./vault-writer.fixture.ts', import.meta.url).pathname;
    for (let round = 0; round < 4; round++) {
      const target = join(dir, `v${round}.vault`);
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, target, a, b], { stdio: 'ignore' });
      const deadline = Date.now() + 20_000;
      while (!existsSync(`${target}.ready`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50 + 37 * round)); // let it overwrite the file many times
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const bytes = readVaultFile(target);
      const which = equalBytes(bytes, sealed) ? 'old' : equalBytes(bytes, newer) ? 'new' : 'torn';
      expect(which).not.toBe('torn');
      await openVault(c, bytes, { profile: 'hardened', password: 'pw' });
    }
  }, 120_000);
});
