/**
 * The web chat over TLS (`pqroom relay --tls-cert --tls-key`): https and wss on one port, with
 * Strict-Transport-Security on every answer (REQ-WEB-003). A self-signed certificate for
 * 127.0.0.1 is made with Debian's openssl; Chromium is told to accept it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent, launchChromium, removeProfile, running, stopChromium, type RunningChromium } from '../../../impl/chromium-testkit.ts';
import { startRelay, type LiveRelay } from '../relay.ts';
import { buildWebApp } from './serve.ts';
import { signIn, timelineHas, watchPage } from './testkit.ts';

const present = chromiumPresent('simulator/live/web/web-tls.test.ts');

describe.skipIf(!present)('REQ-WEB-003 the web chat over TLS', () => {
  let dir = '';
  let profileDir = '';
  let relay: LiveRelay | undefined;
  let chrome: RunningChromium | undefined;
  let cert: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pqroom-web-tls-'));
    profileDir = mkdtempSync(join(tmpdir(), 'pqroom-web-tls-chrome-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    relay = await startRelay({ port: 0, db: join(dir, 'relay.db'), profile: 'hardened', requireLogin: true, web: await buildWebApp('hardened'), log: () => {}, tls: { cert, key: readFileSync(join(dir, 'key.pem')) } });
    chrome = await launchChromium(profileDir, ['--ignore-certificate-errors']);
  }, 60_000);

  afterAll(async () => {
    if (running(chrome)) await stopChromium(chrome);
    await relay?.close('test done');
    removeProfile(profileDir);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('REQ-WEB-003 serves https with Strict-Transport-Security, and the page works over wss', async () => {
    expect(relay!.url.startsWith('wss://')).toBe(true);
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      get(`https://127.0.0.1:${relay!.port}/relay-key`, { ca: cert }, (res) => {
        res.resume();
        resolve(res.headers);
      }).on('error', reject);
    });
    expect(headers['strict-transport-security']).toBe('max-age=31536000');
    const problems: string[] = [];
    const origin = `https://127.0.0.1:${relay!.port}`;
    const page = chrome!.page;
    watchPage(page, 'owner', origin, problems);
    await page.goto(`${origin}/`);
    await signIn(page, 'tess', 'a passphrase over tls');
    await page.click('#create');
    await page.waitForSelector('#room:not([hidden])', { timeout: 30_000 });
    await timelineHas(page, 'room');
    expect(await page.textContent('#conn')).toBe('connected, logged in as tess');
    expect(problems).toEqual([]);
  }, 120_000);
});
