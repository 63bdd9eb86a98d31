/**
 * The web chat in real Chromium (Debian's, through playwright-core): two browser contexts (two
 * people, nothing shared) on a live relay that serves the app. The owner creates a room and an
 * invite link, the other joins through the link, both chat, the owner rotates and removes; the
 * pages run the machines of `machines/` over the browser's WebSocket.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent, launchChromium, removeProfile, running, stopChromium, type RunningChromium } from '../../../impl/chromium-testkit.ts';
import { startRelay, type LiveRelay } from '../relay.ts';
import { WebSocket } from 'ws';
import { buildWebApp } from './serve.ts';
import { alarms, openRoom, say, signIn, timeline, timelineHas } from './testkit.ts';
import { nodeCrypto } from '../../../impl/crypto/node.ts';
import { inviteFromText } from '../../../impl/invite.ts';
import { createIdentity } from '../../../impl/protocol/identity.ts';
import { deterministicRng } from '../../../impl/rng.ts';
import { startLiveClient } from '../client.ts';

const present = chromiumPresent('simulator/live/web/web.test.ts');

describe.skipIf(!present)('the web chat in Chromium', () => {
  let dir = '';
  let profileDir = '';
  let relay: LiveRelay | undefined;
  let chrome: RunningChromium | undefined;
  let other: BrowserContext | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pqroom-web-'));
    profileDir = mkdtempSync(join(tmpdir(), 'pqroom-web-chrome-'));
    relay = await startRelay({ port: 0, db: join(dir, 'relay.db'), profile: 'hardened', requireLogin: true, web: await buildWebApp('hardened'), log: () => {} });
    chrome = await launchChromium(profileDir);
    other = await chrome.browser.newContext();
  }, 60_000);

  afterAll(async () => {
    await other?.close().catch(() => {});
    if (running(chrome)) await stopChromium(chrome);
    await relay?.close('test done');
    removeProfile(profileDir);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('REQ-WEB-003 REQ-WEB-004 every answer carries the security headers, each with a nonce of its own, and no cookie; the script of the page carries the nonce of its answer', async () => {
    const origin = `http://127.0.0.1:${relay!.port}`;
    const nonces = new Set<string>();
    for (const path of ['/', '/app.js', '/app.css', '/relay-key', '/healthz', '/metrics', '/nothing-here']) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status).toBe(path === '/nothing-here' ? 404 : 200);
      const csp = res.headers.get('content-security-policy') ?? '';
      const m = /^default-src 'none'; script-src 'nonce-([A-Za-z0-9+/]{22}==)' 'strict-dynamic' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/.exec(csp);
      expect(m, `${path}: ${csp}`).not.toBeNull();
      nonces.add(m![1]!);
      for (const [k, v] of Object.entries({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cross-origin-opener-policy': 'same-origin', 'cache-control': 'no-store' })) expect(res.headers.get(k)).toBe(v);
      expect(res.headers.get('strict-transport-security')).toBeNull(); // not over TLS
      expect(res.headers.get('set-cookie')).toBeNull(); // REQ-WEB-004: no cookie, ever
      if (path === '/') {
        const html = await res.text();
        expect(html).toContain(`<script type="module" src="/app.js" nonce="${m![1]!}"></script>`);
        expect(html).toContain('<meta name="pqroom-profile" content="hardened">');
        expect(html.match(/<script/g)).toHaveLength(1); // no inline script
      }
    }
    expect(nonces.size).toBe(7);
  });

  it('REQ-WEB-002 a WebSocket upgrade from another origin is refused; the relay origin itself and non-browser clients are served', async () => {
    const port = relay!.port;
    const tryOrigin = (origin: string | undefined) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, origin === undefined ? {} : { origin });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => {
          resolve(`refused ${res.statusCode}`);
          ws.terminate();
        });
        ws.on('error', () => resolve('error'));
      });
    expect(await tryOrigin('http://evil.example')).toBe('refused 403');
    expect(await tryOrigin(`http://127.0.0.1:${port + 1}`)).toBe('refused 403');
    expect(await tryOrigin(`http://127.0.0.1:${port}`)).toBe('open');
    expect(await tryOrigin(undefined)).toBe('open');
  });

  it('two people: create, invite by link, join, chat both ways, rotate, remove', async () => {
    const origin = `http://127.0.0.1:${relay!.port}`;
    const { owner, guest, link, text } = await openRoom(chrome!.page, other!, origin, problems);
    expect(text.startsWith('pqroom-invite:')).toBe(true);
    expect(link).toBe(`${origin}/#invite=${encodeURIComponent(text)}`);
    expect(await guest.inputValue('#invite-in')).toBe(text);

    await say(owner, 'hello from the owner');
    await timelineHas(guest, 'hello from the owner');
    // peer text is text, never markup
    const markup = '<img src=x id=injected onerror="document.title=1">';
    await say(guest, markup);
    await timelineHas(owner, markup);
    expect(await owner.$('#injected')).toBeNull();

    // both see the same roster: two members, each with 8 emoji and the comparison string of spec 10
    await guest.click('#roster-refresh');
    for (const p of [owner, guest]) {
      await p.waitForFunction(() => document.querySelectorAll('#roster li').length === 2, undefined, { timeout: 30_000 });
    }
    const rosterOf = (p: Page) => p.$$eval('#roster li', (lis) => lis.map((li) => (li as HTMLElement).dataset['member']).sort());
    expect(await rosterOf(owner)).toEqual(await rosterOf(guest));
    const emoji = await owner.$eval('#roster li .emoji', (e) => e.textContent!.split(' ').length);
    expect(emoji).toBe(8);

    await owner.click('#rotate');
    await guest.waitForFunction(() => document.getElementById('epoch')!.textContent === '2', undefined, { timeout: 30_000 });
    await say(owner, 'after the rotation');
    await timelineHas(guest, 'after the rotation');

    // REQ-MEM-026 REQ-KEY-016: the guest reloads; the room comes back after the login, and the chat goes on
    await guest.reload();
    await signIn(guest, 'gustav', 'a different long passphrase', false);
    await guest.waitForSelector('#room:not([hidden])');
    await timelineHas(guest, 'room resumed at epoch 2');
    await say(owner, 'after the reload');
    await timelineHas(guest, 'after the reload');
    await say(guest, 'back again');
    await timelineHas(owner, 'back again');

    // the main screens, for the test output (reports/out/web-*.png)
    const shots = join(import.meta.dirname, '..', '..', '..', 'reports', 'out');
    mkdirSync(shots, { recursive: true });
    await owner.screenshot({ path: join(shots, 'web-owner.png'), fullPage: true });
    await guest.screenshot({ path: join(shots, 'web-member.png'), fullPage: true });
    expect(statSync(join(shots, 'web-owner.png')).size).toBeGreaterThan(10_000);

    await owner.click('#roster button:has-text("remove")');
    await timelineHas(guest, 'you were removed');

    expect(await alarms(owner)).toEqual([]);
    expect(await alarms(guest)).toEqual([]);
    expect(problems).toEqual([]);
  }, 180_000);

  it('REQ-KEY-015 REQ-KEY-012 the person and the room survive a reload: the vault in IndexedDB opens with the password only, the relay login succeeds again (REQ-LOG-017 pin kept), and the owner machine resumes (REQ-MEM-026)', async () => {
    const origin = `http://127.0.0.1:${relay!.port}`;
    const page = chrome!.page;
    const before = await page.textContent('#you');
    expect(before).toMatch(/^olivia: /);
    await page.click('#logout'); // the page forgets everything; what IndexedDB keeps opens only with the password
    await page.waitForSelector('body[data-ready="yes"]');
    expect(await page.isVisible('#account')).toBe(true);
    // REQ-KEY-016: what the browser keeps of the room is sealed, and no key to it is kept anywhere
    const kept = await page.evaluate(
      () =>
        new Promise<string[]>((resolve, reject) => {
          const open = indexedDB.open('pqroom-rooms');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('rooms', 'readonly').objectStore('rooms').get('olivia');
            get.onsuccess = () => resolve(Object.keys(get.result ?? {}).sort());
            get.onerror = () => reject(get.error);
          };
        }),
    );
    expect(kept).toEqual(['iv', 'sealed']);
    await page.fill('#user', 'olivia');
    await page.fill('#password', 'not the password');
    await page.click('#unlock');
    await page.waitForFunction(() => document.getElementById('account-error')!.textContent !== '', undefined, { timeout: 60_000 });
    expect(await page.textContent('#account-error')).toMatch(/REQ-KEY-012|password/i);
    await page.fill('#password', 'correct horse battery staple');
    await page.click('#unlock');
    await page.waitForSelector('#room:not([hidden])', { timeout: 60_000 });
    expect(await page.textContent('#you')).toBe(before);
    // the room resumed, through a login with the pinned salt and parameters; the owner's machine goes on
    await timelineHas(page, 'room resumed at epoch');
    await page.waitForFunction(() => document.getElementById('conn')!.textContent === 'connected, logged in as olivia', undefined, { timeout: 30_000 });
    const epoch = Number(await page.textContent('#epoch'));
    await page.click('#rotate');
    await page.waitForFunction((e) => Number(document.getElementById('epoch')!.textContent) === e + 1, epoch, { timeout: 30_000 });
    // another person's browser holds no vault of olivia's
    const stranger = await other!.newPage();
    await stranger.goto(`${origin}/`);
    await stranger.waitForSelector('body[data-ready="yes"]');
    await stranger.fill('#user', 'olivia');
    await stranger.fill('#password', 'correct horse battery staple');
    await stranger.click('#unlock');
    await stranger.waitForFunction(() => document.getElementById('account-error')!.textContent !== '', undefined, { timeout: 60_000 });
    expect(await stranger.textContent('#account-error')).toMatch(/no vault of olivia/);
    expect(await alarms(page)).toEqual([]);
  }, 180_000);

  it('REQ-WEB-001 a browser owner and a command-line member (the Node client host of pqroom demo) share a room: 30 messages each way, each shown once and in order', async () => {
    const owner = chrome!.page; // olivia, her room resumed by the previous test
    await owner.click('#invite');
    await owner.waitForFunction(() => (document.getElementById('invite-text') as HTMLTextAreaElement).value !== '');
    const n0 = await owner.inputValue('#invite-text');
    await owner.click('#invite'); // a fresh invite, not one used before
    await owner.waitForFunction((old) => (document.getElementById('invite-text') as HTMLTextAreaElement).value !== old, n0);
    const invite = inviteFromText(nodeCrypto, await owner.inputValue('#invite-text'));
    const got: string[] = [];
    const cli = startLiveClient({
      name: 'cli',
      role: 'member',
      url: relay!.url,
      crypto: nodeCrypto,
      profile: 'hardened',
      identity: createIdentity(nodeCrypto, deterministicRng(new TextEncoder().encode('web test cli member'))),
      relayPk: relay!.publicKey,
      login: { username: 'cli-member', password: 'the command line member', register: true },
      on: { deliver: (d) => void got.push(d.text) },
    });
    try {
      cli.user({ type: 'user.join', invite });
      const until = async (done: () => boolean, ms: number) => {
        const end = Date.now() + ms;
        while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        return done();
      };
      expect(await until(() => cli.state() === 'member', 60_000)).toBe(true);
      const fromCli = Array.from({ length: 30 }, (_, i) => `from the command line ${i + 1}`);
      const fromPage = Array.from({ length: 30 }, (_, i) => `from the page ${i + 1}`);
      for (let i = 0; i < 30; i++) {
        cli.user({ type: 'user.send', text: fromCli[i]! });
        await say(owner, fromPage[i]!);
      }
      expect(await until(() => fromPage.every((t) => got.includes(t)), 60_000)).toBe(true);
      await timelineHas(owner, 'from the command line 30');
      expect(got.filter((t) => t.startsWith('from the page'))).toEqual(fromPage);
      const shown = (await timeline(owner)).filter((l) => l.includes(': from the command line ')).map((l) => l.slice(l.indexOf('from the command line')));
      expect(shown).toEqual(fromCli);
      expect(await alarms(owner)).toEqual([]);
    } finally {
      cli.stop();
    }
  }, 180_000);

  it('the page refuses a user name it cannot use and a short password before any work', async () => {
    const page = await other!.newPage();
    await page.goto(`http://127.0.0.1:${relay!.port}/`);
    await page.waitForSelector('body[data-ready="yes"]');
    await page.fill('#user', 'no spaces please');
    await page.fill('#password', 'long enough password');
    await page.click('#create-account');
    expect(await page.textContent('#account-error')).toMatch(/user name/);
    await page.fill('#user', 'nora');
    await page.fill('#password', 'short');
    await page.click('#create-account');
    expect(await page.textContent('#account-error')).toMatch(/at least 12/);
    await signIn(page, 'nora', 'long enough password');
  }, 120_000);
});
