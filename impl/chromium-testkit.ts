/**
 * For browser tests (spec 10.3's keystore page, the audit report page of spec 12): Debian's
 * Chromium, never a downloaded browser, run headless in a process group of its own and driven
 * through playwright-core over CDP. Without Chromium the tests are skipped with the reason
 * printed, unless PQROOM_REQUIRE_BROWSER=1 (CI), which makes that an error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The Chromium binary: `CHROMIUM_PATH`, or Debian's. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether Chromium is there for the test file `who`; throws under PQROOM_REQUIRE_BROWSER=1 when it is not. */
export function chromiumPresent(who: string): boolean {
  const present = existsSync(CHROMIUM);
  if (!present && process.env.PQROOM_REQUIRE_BROWSER === '1') throw new Error(`PQROOM_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  if (!present) console.warn(`${who} skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  return present;
}

/** A Chromium process of our own, so that it can be killed with SIGKILL, the playwright connection to it, and one page. */
export interface RunningChromium {
  readonly proc: ChildProcess;
  readonly browser: Browser;
  readonly page: Page;
}

/**
 * The folder given to the Chromiums of a profile as TMPDIR, one per profile, removed with it by
 * {@link removeProfile}: there Chromium makes the folder of its singleton socket
 * (org.chromium.Chromium.XXXXXX), which a Chromium killed or stopped leaves behind. A folder of its
 * own beside the profile, not in it: a socket's path is at most 107 bytes, and the profile's path
 * is long already.
 */
const chromiumTmp = new Map<string, string>();

/** Starts headless Chromium with the profile directory `profile`; a new page is open on about:blank. */
export async function launchChromium(profile: string, extraArgs: readonly string[] = []): Promise<RunningChromium> {
  let tmp = chromiumTmp.get(profile);
  if (tmp === undefined) chromiumTmp.set(profile, (tmp = mkdtempSync(join(tmpdir(), 'pqroom-cr-'))));
  const proc = spawn(CHROMIUM, ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--remote-debugging-port=0', `--user-data-dir=${profile}`, ...extraArgs, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, TMPDIR: tmp } }); // its own process group: see stopChromium()
  const ws = await new Promise<string>((resolve, reject) => {
    let err = '';
    const t = setTimeout(() => reject(new Error(`Chromium did not start in 20 s: ${err}`)), 20_000);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    proc.on('exit', (code) => reject(new Error(`Chromium exited with ${code}: ${err}`)));
  });
  const browser = await chromium.connectOverCDP(ws);
  const page = await browser.contexts()[0]!.newPage();
  return { proc, browser, page };
}

/** Stops a Chromium and every process of its group (its helpers outlive a killed main process and go on writing into the profile). */
export async function stopChromium(r: RunningChromium, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const exited = new Promise<void>((resolve) => (r.proc.exitCode !== null || r.proc.signalCode !== null ? resolve() : r.proc.once('exit', () => resolve())));
  if (signal === 'SIGTERM') await r.browser.close().catch(() => {});
  try {
    process.kill(-r.proc.pid!, signal);
  } catch {
    r.proc.kill(signal); // the group is gone already
  }
  await exited;
}

/** Whether the Chromium is still running. */
export function running(r: RunningChromium | undefined): r is RunningChromium {
  return r !== undefined && r.proc.exitCode === null && r.proc.signalCode === null;
}

/** Removes a profile directory and its Chromiums' temporary folder, with retries (a helper process may still be closing files in it). */
export function removeProfile(dir: string): void {
  if (!dir) return;
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  const tmp = chromiumTmp.get(dir);
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  chromiumTmp.delete(dir);
}
