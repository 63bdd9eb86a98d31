/**
 * The WebAuthn second factor in real Chromium (spec 9.7), with the DevTools virtual authenticator
 * (`WebAuthn.addVirtualAuthenticator` over a CDP session): a person adds a security key from the
 * page, the next login is admitted only after the key signs the relay's challenge, and a wrong
 * authenticator (the same credential id under another private key) is refused by the relay.
 * The page is opened at `http://localhost:PORT`: WebAuthn takes no IP address as RP id. Then the
 * same with an authenticator app (TOTP): the page shows the secret, the test computes its codes.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent, launchChromium, removeProfile, running, stopChromium, type RunningChromium } from '../../../impl/chromium-testkit.ts';
import { startRelay, type LiveRelay } from '../relay.ts';
import { buildWebApp } from './serve.ts';
import { alarms, signIn, timelineHas, watchPage } from './testkit.ts';
import { totp } from '../../../impl/accounts/totp.ts';

const present = chromiumPresent('simulator/live/web/webauthn.test.ts');
const PASSWORD = 'a long passphrase for wendy';

/** A virtual CTAP2 security key on `page`'s tab, which answers without a touch. */
async function virtualKey(cdp: CDPSession): Promise<string> {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return authenticatorId;
}

describe.skipIf(!present)('the WebAuthn second factor in Chromium', () => {
  let dir = '';
  let profileDir = '';
  let relay: LiveRelay | undefined;
  let chrome: RunningChromium | undefined;
  let context: BrowserContext | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pqroom-webauthn-'));
    profileDir = mkdtempSync(join(tmpdir(), 'pqroom-webauthn-chrome-'));
    relay = await startRelay({ port: 0, db: join(dir, 'relay.db'), profile: 'hardened', requireLogin: true, web: await buildWebApp('hardened'), log: () => {} });
    chrome = await launchChromium(profileDir);
    context = await chrome.browser.newContext();
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    if (running(chrome)) await stopChromium(chrome);
    await relay?.close('test done');
    removeProfile(profileDir);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('REQ-LOG-030 REQ-LOG-031 REQ-LOG-033 a security key added from the page is asked for at the next login: the right one is admitted, a wrong one is refused by the relay', async () => {
    const origin = `http://localhost:${relay!.port}`;
    const page: Page = await context!.newPage();
    watchPage(page, 'wendy', origin, problems);
    const cdp = await context!.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const key = await virtualKey(cdp);

    // an account without factor: admitted at once; it creates a room, then adds the key
    await page.goto(`${origin}/`);
    await signIn(page, 'wendy', PASSWORD);
    await page.click('#create');
    await page.waitForSelector('#room:not([hidden])', { timeout: 60_000 });
    await page.waitForSelector('#add-key:not([hidden])');
    await page.click('#add-key');
    await page.waitForFunction(() => document.getElementById('factor-status')!.textContent!.includes('security key added'), undefined, { timeout: 30_000 });
    const enrolled = relay!.store.factors?.('wendy');
    expect(enrolled?.webauthn).toHaveLength(1);
    expect(enrolled!.webauthn[0]).toMatchObject({ origin, rpId: 'localhost' });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: key });
    expect(credentials).toHaveLength(1);
    const cred = credentials[0]!;
    expect(Buffer.from(cred.credentialId, 'base64').toString('base64url')).toBe(enrolled!.webauthn[0]!.id);

    // the right key: after the reload the login is admitted once the key signed the relay's challenge
    await page.reload();
    await signIn(page, 'wendy', PASSWORD, false);
    await timelineHas(page, 'room resumed');
    await page.waitForFunction(() => document.getElementById('conn')!.textContent!.startsWith('connected'), undefined, { timeout: 60_000 });
    const after = relay!.store.factors?.('wendy')?.webauthn[0];
    expect(after!.counter).toBeGreaterThan(enrolled!.webauthn[0]!.counter); // REQ-LOG-033: the counter moved on and was kept
    expect(await page.textContent('#factor-status')).toBe('second factor accepted by the relay with your security key');
    expect(await alarms(page)).toEqual([]);
    const shots = join(import.meta.dirname, '..', '..', '..', 'reports', 'out');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'web-security-key.png'), fullPage: true });
    expect(statSync(join(shots, 'web-security-key.png')).size).toBeGreaterThan(10_000);

    // a wrong authenticator: the same credential id and RP id, another private key (and a counter
    // far ahead, so only the signature can be what fails)
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: key });
    const wrong = await virtualKey(cdp);
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    await cdp.send('WebAuthn.addCredential', { authenticatorId: wrong, credential: { credentialId: cred.credentialId, isResidentCredential: true, rpId: 'localhost', privateKey: otherKey, ...(cred.userHandle === undefined ? {} : { userHandle: cred.userHandle }), signCount: 1000 } });
    const counterBefore = after!.counter;
    await page.reload();
    await signIn(page, 'wendy', PASSWORD, false);
    await page.waitForFunction(() => [...document.querySelectorAll('#alarms li')].some((li) => li.textContent!.includes('REQ-LOG-033')), undefined, { timeout: 60_000 });
    const shown = await alarms(page);
    expect(shown.some((a) => a.startsWith('refused REQ-LOG-033') && a.includes('second factor refused by the relay'))).toBe(true);
    expect(await page.textContent('#conn')).not.toMatch(/^connected/); // never admitted
    expect(relay!.store.factors?.('wendy')?.webauthn[0]!.counter).toBe(counterBefore); // nothing kept from a refused assertion
    // the relay refused it on its own: the authenticator did sign (its counter moved), the signature did not verify
    const { credentials: wrongCreds } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: wrong });
    expect(wrongCreds[0]!.signCount).toBeGreaterThan(1000);
    expect(problems.filter((p) => !p.includes('WebSocket'))).toEqual([]);
  }, 180_000);

  it('REQ-LOG-030 REQ-LOG-034 an authenticator app: the page shows a secret, enrolls it with its code, and the next login is admitted with a code of it; a wrong code is refused by the relay', async () => {
    const origin = `http://localhost:${relay!.port}`;
    const page: Page = await (await chrome!.browser.newContext()).newPage();
    watchPage(page, 'tomas', origin, problems);
    await page.goto(`${origin}/`);
    await signIn(page, 'tomas', PASSWORD);
    await page.click('#create');
    await page.waitForSelector('#room:not([hidden])', { timeout: 60_000 });
    await page.waitForSelector('#add-totp:not([hidden])');
    await page.click('#add-totp');
    const b32 = (await page.textContent('#totp-secret')) ?? '';
    expect(b32).toMatch(/^[A-Z2-7]{32}$/);
    const secret = fromBase32(b32);
    // a wrong code does not enroll the secret; the right one does
    await page.fill('#totp-code', totp(secret, Date.now() - 10 * 60_000));
    await page.click('#totp-confirm');
    await page.waitForFunction(() => [...document.querySelectorAll('#alarms li')].some((li) => li.textContent!.includes('REQ-LOG-030')), undefined, { timeout: 30_000 });
    expect(relay!.store.factors?.('tomas')).toBeUndefined();
    await page.fill('#totp-code', totp(secret, Date.now()));
    await page.click('#totp-confirm');
    await page.waitForFunction(() => document.getElementById('factor-status')!.textContent!.includes('authenticator app added'), undefined, { timeout: 30_000 });
    expect(relay!.store.factors?.('tomas')?.totp?.secret).toEqual(secret);

    // the next login: the page asks for the code, the relay checks it (the next step's: the current one was used to enroll)
    page.once('dialog', (d) => void d.accept(totp(secret, Date.now() + 30_000)));
    await page.reload();
    await signIn(page, 'tomas', PASSWORD, false);
    await page.waitForFunction(() => document.getElementById('conn')!.textContent!.startsWith('connected'), undefined, { timeout: 60_000 });
    expect(await page.textContent('#factor-status')).toBe('second factor accepted by the relay with your authenticator app');

    // a wrong code: refused by the relay, never admitted
    page.once('dialog', (d) => void d.accept(totp(secret, Date.now() - 10 * 60_000)));
    await page.reload();
    await signIn(page, 'tomas', PASSWORD, false);
    await page.waitForFunction(() => [...document.querySelectorAll('#alarms li')].some((li) => li.textContent!.includes('REQ-LOG-034')), undefined, { timeout: 60_000 });
    expect((await alarms(page)).some((a) => a.startsWith('refused REQ-LOG-034') && a.includes('second factor refused by the relay'))).toBe(true);
    expect(await page.textContent('#conn')).not.toMatch(/^connected/);
    expect(problems.filter((p) => !p.includes('WebSocket'))).toEqual([]);
  }, 180_000);
});

/** RFC 4648 base32 (no padding), as an authenticator app reads the page's secret. */
function fromBase32(s: string): Uint8Array {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out: number[] = [];
  let bits = 0;
  let v = 0;
  for (const ch of s) {
    v = (v << 5) | A.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((v >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}
