/**
 * For browser tests of the web chat: two people in a room, each in a browser context of their
 * own, and what their pages show.
 */
import type { BrowserContext, Page } from 'playwright-core';

/** Collects what must not happen on a page: console errors, page errors, requests leaving the origin. */
export function watchPage(page: Page, who: string, origin: string, problems: string[]): void {
  // REQ-WEB-003: a violation of the page's Content-Security-Policy is reported as a console error, which fails the run
  void page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${who} console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${who} page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(origin)) problems.push(`${who} requested ${r.url()}`);
  });
}

/** Waits until a line of the page's timeline contains `text`. */
export async function timelineHas(page: Page, text: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction((t) => [...document.querySelectorAll('#timeline li')].some((li) => li.textContent?.includes(t)), text, { timeout });
}

/** The page's timeline, line by line. */
export function timeline(page: Page): Promise<string[]> {
  return page.$$eval('#timeline li', (lis) => lis.map((li) => li.textContent ?? ''));
}

/** The page's alarms and refused inputs, line by line. */
export function alarms(page: Page): Promise<string[]> {
  return page.$$eval('#alarms li', (lis) => lis.map((li) => li.textContent ?? ''));
}

/** Sends a message from a page. */
export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#send-form button[type=submit]');
}

/** Creates an account on the page (or, with `create` false, logs in to the one the browser keeps, resuming its room if it kept one). */
export async function signIn(page: Page, user: string, password: string, create = true): Promise<void> {
  await page.waitForSelector('body[data-ready="yes"]');
  await page.fill('#user', user);
  await page.fill('#password', password);
  await page.click(create ? '#create-account' : '#unlock');
  await page.waitForSelector('#setup:not([hidden]), #room:not([hidden])', { timeout: 60_000 });
}

/** The owner (on `ownerPage`) creates a room and an invite; a guest (a new page of `guestContext`) joins through the invite link. */
export async function openRoom(ownerPage: Page, guestContext: BrowserContext, origin: string, problems: string[]): Promise<{ owner: Page; guest: Page; link: string; text: string }> {
  const owner = ownerPage;
  const guest = await guestContext.newPage();
  watchPage(owner, 'owner', origin, problems);
  watchPage(guest, 'guest', origin, problems);
  await owner.goto(`${origin}/`);
  await signIn(owner, 'olivia', 'correct horse battery staple');
  await owner.waitForFunction(() => !document.getElementById('relay-fp')!.textContent!.includes('not pinned'));
  await owner.click('#create');
  await owner.waitForSelector('#room:not([hidden])', { timeout: 30_000 });
  await owner.click('#invite');
  await owner.waitForSelector('#invite-out:not([hidden])', { timeout: 30_000 });
  const link = (await owner.getAttribute('#invite-link', 'href')) ?? '';
  const text = await owner.inputValue('#invite-text');
  await guest.goto(link);
  await signIn(guest, 'gustav', 'a different long passphrase');
  await guest.click('#join');
  await guest.waitForSelector('#room:not([hidden])', { timeout: 60_000 });
  await timelineHas(owner, 'joined at epoch 1');
  return { owner, guest, link, text };
}
