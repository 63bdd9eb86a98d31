/**
 * The web chat in real Chromium (Debian's, through playwright-core): two browser contexts (two
 * people, nothing shared) on a live relay that serves the app. The owner creates a room and an
 * invite link, the other joins through the link, both chat, the owner rotates and removes; the
 * pages run the machines of `machines/` over the browser's WebSocket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent, launchChromium, removeProfile, running, stopChromium, type RunningChromium } from '../../../impl/chromium-testkit.ts';
import { startRelay, type LiveRelay } from '../relay.ts';
import { buildWebApp, WEB_HEADERS } from './serve.ts';
import { alarms, openRoom, say, timelineHas } from './testkit.ts';

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
    relay = await startRelay({ port: 0, db: join(dir, 'relay.db'), profile: 'hardened', web: await buildWebApp('hardened'), log: () => {} });
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

  it('serves the app with its security headers, and nothing from elsewhere', async () => {
    const origin = `http://127.0.0.1:${relay!.port}`;
    for (const path of ['/', '/app.js', '/app.css']) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status).toBe(200);
      for (const [k, v] of Object.entries(WEB_HEADERS)) expect(res.headers.get(k)).toBe(v);
    }
    expect((await fetch(`${origin}/nothing-here`)).status).toBe(404);
    const html = await (await fetch(`${origin}/`)).text();
    expect(html).toContain('<meta name="pqroom-profile" content="hardened">');
    expect(html).not.toMatch(/<script(?![^>]*src="\/app\.js")/); // no inline script: the policy forbids it
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

    await owner.click('#roster button:has-text("remove")');
    await timelineHas(guest, 'you were removed');

    expect(await alarms(owner)).toEqual([]);
    expect(await alarms(guest)).toEqual([]);
    expect(problems).toEqual([]);
  }, 180_000);
});
