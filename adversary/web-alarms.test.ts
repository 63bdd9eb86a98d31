/**
 * The web chat in Chromium against the malicious live relay (`pqroom relay --adversary`): the
 * page says what was detected, with the requirement id, and never shows a refused message as if
 * it were genuine. Hardened: a tampered delivery is refused (REQ-MEM-014), a replayed entry is
 * refused (REQ-MEM-016); every message the guest shows is one the owner sent, once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumPresent, launchChromium, removeProfile, running, stopChromium, type RunningChromium } from '../impl/chromium-testkit.ts';
import { startRelay, type LiveRelay } from '../simulator/live/relay.ts';
import { buildWebApp } from '../simulator/live/web/serve.ts';
import { alarms, openRoom, say, timeline, timelineHas } from '../simulator/live/web/testkit.ts';
import { liveAdversary, loadLivePlan } from './live-plans.ts';

const present = chromiumPresent('adversary/web-alarms.test.ts');

describe.skipIf(!present)('the web chat under a malicious relay, in Chromium', () => {
  let dir = '';
  let profileDir = '';
  let relay: LiveRelay | undefined;
  let chrome: RunningChromium | undefined;
  let other: BrowserContext | undefined;

  afterEach(async () => {
    await other?.close().catch(() => {});
    if (running(chrome)) await stopChromium(chrome);
    await relay?.close('test done');
    removeProfile(profileDir);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [preset, reqId] of [
    ['tamper', 'REQ-MEM-014'],
    ['replay', 'REQ-MEM-016'],
  ] as const) {
    it(`${reqId} hardened: the ${preset} relay is shown as a refused input with its id, and the conversation holds only what the owner sent, once`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'pqroom-web-adv-'));
      profileDir = mkdtempSync(join(tmpdir(), 'pqroom-web-adv-chrome-'));
      let ref: LiveRelay | undefined;
      const tap = liveAdversary(loadLivePlan(preset), (name) => ref?.principalOf(name));
      relay = ref = await startRelay({ port: 0, db: join(dir, 'relay.db'), profile: 'hardened', requireLogin: true, web: await buildWebApp('hardened'), log: () => {}, tap });
      chrome = await launchChromium(profileDir);
      other = await chrome.browser.newContext();
      const origin = `http://127.0.0.1:${relay.port}`;
      const problems: string[] = [];
      const { owner, guest } = await openRoom(chrome.page, other, origin, problems);
      const sent = Array.from({ length: 26 }, (_, i) => `message ${i + 1}`);
      for (const text of sent) await say(owner, text);
      await timelineHas(guest, 'message 26');
      await guest.waitForFunction(() => document.querySelectorAll('#alarms li').length > 0, undefined, { timeout: 30_000 });
      await guest.waitForTimeout(500); // a late copy would show now
      expect(tap.fired.some((n) => n > 0)).toBe(true);
      const shown = (await alarms(guest)).join('\n');
      expect(shown).toContain(reqId);
      const lines = (await timeline(guest)).filter((l) => /: message \d+$/.test(l)).map((l) => l.slice(l.lastIndexOf(': ') + 2));
      expect(lines.every((t) => sent.includes(t))).toBe(true);
      expect(new Set(lines).size).toBe(lines.length);
      // the owner reads the log too: what it shows is only this refusal (a re-appended entry reaches it as well)
      expect((await alarms(owner)).every((a) => a.includes(reqId))).toBe(true);
      expect(problems).toEqual([]);
    }, 180_000);
  }
});
