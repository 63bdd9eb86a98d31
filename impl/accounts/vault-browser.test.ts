/**
 * REQ-KEY-015: the vault in a real browser's IndexedDB. `browser.ts` is bundled with esbuild and
 * served on loopback with `vault-page.html`; Debian's Chromium (never a downloaded browser) runs
 * it headless through playwright-core, with a profile directory that outlives the browser, so a
 * vault written by one browser process is read by the next. `.ci/run` installs Chromium; without
 * it these tests are skipped with the reason printed, unless PQROOM_REQUIRE_BROWSER=1 (CI).
 * The unlocked session of REQ-LOG-021 (a non-extractable WebCrypto key in IndexedDB) is tested
 * here too, in the browser that keeps it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, fromHex, toHex } from '../bytes.ts';
import { chromiumPresent, launchChromium, removeProfile, running, stopChromium, type RunningChromium } from '../chromium-testkit.ts';
import { nodeCrypto } from '../crypto/node.ts';
import { fingerprintHexGroups } from '../fingerprint.ts';
import { KDF_PROFILES } from '../protocol/login.ts';
import { deterministicRng } from '../rng.ts';
import type { Outcome, Summary } from './browser.ts';
import { createAccount, openAccount } from './keystore.ts';
import { fileVaultStore } from './vault-file.ts';
import { identityOf, openVault } from './vault.ts';

const present = chromiumPresent('vault-browser.test.ts');

let server: Server;
/** The browser running now, killed after each test whatever happened in it (a failed test must not leave the profile locked). */
let current: RunningChromium | undefined;
let origin = '';
let profile = '';

async function launch(): Promise<RunningChromium> {
  const r = await launchChromium(profile);
  current = r;
  await r.page.goto(`${origin}/`);
  await r.page.waitForFunction(() => 'pqroomSwept' in globalThis);
  await r.page.evaluate(() => globalThis.pqroomSwept);
  return r;
}

const stop = stopChromium;

/** Fills the page's form and clicks a button, as a person would; returns what the page shows. */
async function click(page: Page, button: 'create' | 'open' | 'rotate' | 'unlock' | 'resume' | 'lock', user: string, password: string, kdf = 'test'): Promise<string> {
  await page.fill('#user', user);
  await page.fill('#password', password);
  await page.selectOption('#kdf', kdf);
  await page.click(`#${button}`);
  await page.waitForFunction(() => !['', 'working…'].includes(document.getElementById('out')!.textContent ?? ''));
  return (await page.textContent('#out')) ?? '';
}

const call = <T = Summary>(page: Page, method: string, ...args: unknown[]): Promise<Outcome<T>> =>
  page.evaluate(([m, a]) => (globalThis.pqroomVault as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>)[m as string]!(...(a as unknown[])), [method, args] as const) as Promise<Outcome<T>>;

describe.skipIf(!present)('REQ-KEY-015: the vault in a browser (Chromium, IndexedDB)', () => {
  beforeAll(async () => {
    const bundle = await build({ entryPoints: [join(import.meta.dirname, 'browser.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'error' });
    const js = bundle.outputFiles[0]!.contents;
    const html = readFileSync(join(import.meta.dirname, 'vault-page.html'));
    server = createServer((req, res) => {
      const [type, body] = req.url === '/vault.js' ? ['text/javascript', js] : req.url === '/' ? ['text/html; charset=utf-8', html] : ['text/plain', 'not found'];
      res.writeHead(body === 'not found' ? 404 : 200, { 'content-type': type });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`; // one origin for every browser process: one IndexedDB
    profile = mkdtempSync(join(tmpdir(), 'pqroom-chromium-'));
  });
  afterEach(async () => {
    if (running(current)) await stop(current, 'SIGKILL');
    current = undefined;
  });
  afterAll(() => {
    server?.close();
    removeProfile(profile);
  });

  it('REQ-KEY-015: a vault created on the page opens after the browser restarts; a wrong password is refused (REQ-KEY-012); a rotation keeps the old key (REQ-KEY-002)', async () => {
    let b = await launch();
    const created = await click(b.page, 'create', 'alice', 'correct horse');
    const fp = (JSON.parse(created) as Summary).fingerprint;
    expect(fp).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    expect(await click(b.page, 'create', 'alice', 'other')).toMatch(/^refused: REQ-KEY-013/); // never overwritten
    await stop(b);

    b = await launch();
    expect(JSON.parse(await click(b.page, 'open', 'alice', 'correct horse'))).toMatchObject({ userId: 'alice', fingerprint: fp, kemVersions: [1], kdf: 'argon2id m=64 KiB t=1 p=1' });
    expect(await click(b.page, 'open', 'alice', 'wrong horse')).toMatch(/^refused: REQ-KEY-012: wrong password or corrupted vault/);
    expect(await click(b.page, 'rotate', 'alice', 'wrong horse')).toMatch(/^refused: REQ-KEY-012/);
    expect(JSON.parse(await click(b.page, 'rotate', 'alice', 'correct horse'))).toMatchObject({ fingerprint: fp, kemVersions: [1, 2] });
    const pw = await call(b.page, 'passwd', 'alice', 'correct horse', 'battery staple');
    expect(pw.ok).toBe(true);
    await stop(b);

    b = await launch();
    expect(await call(b.page, 'open', 'alice', 'correct horse')).toMatchObject({ ok: false, requirement: 'REQ-KEY-012' });
    expect(await call(b.page, 'open', 'alice', 'battery staple')).toMatchObject({ ok: true, value: { fingerprint: fp, kemVersions: [1, 2] } });
    expect(await call<string[]>(b.page, 'users')).toEqual({ ok: true, value: ['alice'] });
    await stop(b);
  });

  it('REQ-KEY-015: the bytes are the same vault on both platforms: one sealed in the browser opens in Node, one sealed in Node opens in the browser', async () => {
    const b = await launch();
    try {
      expect((await call(b.page, 'create', 'bob', 'pw-b', 'test')).ok).toBe(true);
      const hex = await call<string>(b.page, 'exportSealed', 'bob');
      if (!hex.ok) throw new Error(hex.message);
      const inNode = await openVault(nodeCrypto, fromHex(hex.value), { profile: 'hardened', password: 'pw-b' });
      const opened = await call(b.page, 'open', 'bob', 'pw-b');
      expect(opened.ok && opened.value.fingerprint).toBe(fingerprintHexGroups(identityOf(nodeCrypto, inNode.contents).fp));

      const dir = mkdtempSync(join(tmpdir(), 'pqroom-vault-'));
      try {
        const file = join(dir, 'carol.vault');
        const made = await createAccount(nodeCrypto, deterministicRng(new Uint8Array(32).fill(7)), fileVaultStore(file), { userId: 'carol', password: 'pw-c', profile: 'hardened', kdf: KDF_PROFILES.test });
        expect((await call(b.page, 'importSealed', 'carol', toHex(readFileSync(file)))).ok).toBe(true);
        expect(await call(b.page, 'open', 'carol', 'pw-c')).toMatchObject({ ok: true, value: { fingerprint: fingerprintHexGroups(made.identity.fp) } });
        expect((await openAccount(nodeCrypto, fileVaultStore(file), { userId: 'carol', password: 'pw-c', profile: 'hardened' })).identity.fp).toEqual(made.identity.fp);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      await stop(b);
    }
  });

  it('REQ-KEY-011: a stored vault of an unknown protocol version is refused in the browser, not misread', async () => {
    const b = await launch();
    try {
      expect((await call(b.page, 'create', 'dave', 'pw-d', 'test')).ok).toBe(true);
      const hex = await call<string>(b.page, 'exportSealed', 'dave');
      if (!hex.ok) throw new Error(hex.message);
      const future = fromHex(hex.value);
      future[0] = future[0]! + 1;
      expect((await call(b.page, 'importSealed', 'dave', toHex(future))).ok).toBe(true);
      expect(await call(b.page, 'open', 'dave', 'pw-d')).toMatchObject({ ok: false, requirement: 'REQ-KEY-011' });
    } finally {
      await stop(b);
    }
  });

  it('REQ-KEY-015: a browser killed (SIGKILL) while it rewrites a vault in a loop leaves one whole vault, old or new, three times', async () => {
    let b = await launch();
    expect((await call(b.page, 'create', 'erin', 'pw-e', 'test')).ok).toBe(true);
    const v1 = await call<string>(b.page, 'exportSealed', 'erin');
    expect((await call(b.page, 'rotate', 'erin', 'pw-e')).ok).toBe(true);
    const v2 = await call<string>(b.page, 'exportSealed', 'erin');
    if (!v1.ok || !v2.ok) throw new Error('export failed');
    const versions = [fromHex(v1.value), fromHex(v2.value)];
    for (let round = 0; round < 3; round++) {
      // writes alternate between the two vaults, without end, until the process is killed
      void b.page.evaluate(async ([a, z]) => {
        const g = globalThis as unknown as { writes: number };
        g.writes = 0;
        for (let i = 0; ; i++, g.writes++) await globalThis.pqroomVault.importSealed('erin', i % 2 === 0 ? a : z);
      }, [v1.value, v2.value] as const).catch(() => {});
      await new Promise((r) => setTimeout(r, 300 + 200 * round));
      expect(await b.page.evaluate(() => (globalThis as unknown as { writes: number }).writes)).toBeGreaterThan(2); // it was writing
      await stop(b, 'SIGKILL');
      b = await launch();
      const now = await call<string>(b.page, 'exportSealed', 'erin');
      if (!now.ok) throw new Error(now.message);
      expect(versions.some((v) => equalBytes(v, fromHex(now.value)))).toBe(true);
      expect((await call(b.page, 'open', 'erin', 'pw-e')).ok).toBe(true);
    }
    await stop(b);
  });

  it('REQ-LOG-021: an unlocked session survives a browser restart without the password, its key is not extractable, and at expiry it is refused and deleted', async () => {
    let b = await launch();
    expect((await call(b.page, 'create', 'gina', 'pw-g', 'test')).ok).toBe(true);
    const before = Date.now();
    const unlocked = JSON.parse(await click(b.page, 'unlock', 'gina', 'pw-g')) as Summary & { expiresAt: number };
    const after = Date.now();
    // 4 hours from the moment of the unlock, whenever in [before, after] it happened (no margin for a slow machine needed)
    expect(unlocked.expiresAt).toBeGreaterThanOrEqual(before + 4 * 3600_000);
    expect(unlocked.expiresAt).toBeLessThanOrEqual(after + 4 * 3600_000);
    expect(await call(b.page, 'sessionKey', 'gina')).toEqual({ ok: true, value: { extractable: false, algorithm: 'AES-GCM', usages: ['decrypt', 'encrypt'], exportRaw: 'InvalidAccessError' } });
    expect(await call(b.page, 'unlock', 'gina', 'wrong')).toMatchObject({ ok: false, requirement: 'REQ-KEY-012' });
    await stop(b);

    b = await launch();
    expect(JSON.parse(await click(b.page, 'resume', 'gina', ''))).toMatchObject({ userId: 'gina', fingerprint: unlocked.fingerprint, kemVersions: [1] });
    expect(await call(b.page, 'sessionKey', 'gina')).toMatchObject({ ok: true, value: { extractable: false } }); // still not extractable after IndexedDB's round trip
    expect(await call(b.page, 'resume', 'gina', unlocked.expiresAt)).toMatchObject({ ok: false, requirement: 'REQ-LOG-021', message: expect.stringMatching(/expired at .*: deleted/) });
    expect(await call<string[]>(b.page, 'sessions')).toEqual({ ok: true, value: [] });
    expect(await click(b.page, 'resume', 'gina', '')).toMatch(/^refused: REQ-LOG-021: no unlocked session of gina/);
    // locking deletes at once
    expect((await call(b.page, 'unlock', 'gina', 'pw-g')).ok).toBe(true);
    expect(JSON.parse(await click(b.page, 'lock', 'gina', ''))).toEqual({ userId: 'gina', locked: true });
    expect(await call<string[]>(b.page, 'sessions')).toEqual({ ok: true, value: [] });
    await stop(b);
  });

  it('REQ-LOG-021: a session that expires while no page is open is gone, key and contents, from IndexedDB after the next load; one that expires in an open page is deleted on time', async () => {
    let b = await launch();
    expect((await call(b.page, 'create', 'hugo', 'pw-h', 'test')).ok).toBe(true);
    // hugo's session is unlocked at an injected time an hour ago, for an hour: it has expired when the
    // page closes, and the page's own expiry timer (an hour from now) cannot delete it first, however slow the machine
    expect((await call(b.page, 'unlock', 'hugo', 'pw-h', 'hardened', 3600_000, Date.now() - 3600_000 - 1)).ok).toBe(true);
    expect((await call(b.page, 'unlock', 'gina', 'pw-g', 'hardened')).ok).toBe(true); // a 4-hour one stays
    expect(await call<string[]>(b.page, 'sessions')).toMatchObject({ value: expect.arrayContaining(['hugo', 'gina']) });
    await stop(b);
    b = await launch();
    expect(await b.page.evaluate(() => globalThis.pqroomSwept)).toEqual({ ok: true, value: ['hugo'] });
    // read IndexedDB directly, not through the page's API: one record left, and it is gina's
    const raw = await b.page.evaluate(
      () =>
        new Promise<string[]>((resolve, reject) => {
          const open = indexedDB.open('pqroom-sessions');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const keys = open.result.transaction('sessions', 'readonly').objectStore('sessions').getAllKeys();
            keys.onsuccess = () => resolve(keys.result.map(String));
          };
        }),
    );
    expect(raw).toEqual(['gina']);

    expect((await call(b.page, 'unlock', 'hugo', 'pw-h', 'hardened', 400)).ok).toBe(true);
    expect(await call<string[]>(b.page, 'sessions')).toMatchObject({ value: expect.arrayContaining(['hugo']) });
    // deleted by the page's expiry timer (an event), waited for with room for a loaded machine
    await b.page.waitForFunction(() => globalThis.pqroomVault.sessions().then((o) => o.ok && !o.value.includes('hugo')), undefined, { timeout: 30_000, polling: 100 });
    await stop(b);
  });
});
