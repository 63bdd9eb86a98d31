/**
 * The browser build of the keystore (spec 10.3, REQ-KEY-015): accounts in IndexedDB, sealed
 * with hash-wasm's Argon2id and noble's XChaCha20-Poly1305, the same code as the Node vault
 * file. `vault-page.html` is its page; `vault-browser.test.ts` bundles this module with esbuild
 * and drives the page in Chromium. Everything the page does is also on `globalThis.pqroomVault`
 * for scripted use, each call answering a {@link Outcome}.
 *
 * Unlocked sessions (spec 9.5, REQ-LOG-021): `unlock` opens the vault with the password and keeps
 * its contents for 4 hours sealed under a non-extractable WebCrypto key in IndexedDB, `resume`
 * opens them without the password until then, `lock` deletes them; every expired session is
 * deleted when the page loads and when its time is up. Time is the page's clock (`Date.now()`),
 * which a caller may replace with its own `now` (the tests do, to reach the expiry).
 */
import { toHex, fromHex } from '../bytes.ts';
import { nobleCrypto } from '../crypto/noble.ts';
import { PqroomError } from '../errors.ts';
import { fingerprintEmoji, fingerprintHexGroups } from '../fingerprint.ts';
import { KDF_PROFILES } from '../protocol/login.ts';
import { systemRng } from '../rng.ts';
import type { Profile } from '../suite.ts';
import { changePassword, createAccount, openAccount, rotateAccountKem, type Account } from './keystore.ts';
import { openIdbSessionStore } from './session-idb.ts';
import { lockSession, resumeSession, SESSION_LIFETIME_MS, sweepSessions, unlockSession, type SessionStore } from './session.ts';
import { openIdbVaultStore } from './vault-idb.ts';
import { identityOf, type VaultStore } from './vault.ts';

/** What an opened account shows: never a secret. */
export interface Summary {
  readonly userId: string;
  readonly fingerprint: string;
  readonly emoji: string;
  readonly kemVersions: number[];
  readonly kdf: string;
}

/** A call's answer: the summary, or the error with the requirement that refused. */
export type Outcome<T = Summary> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly requirement?: string; readonly message: string };

const c = nobleCrypto;

function summary(userId: string, a: Account): Summary {
  return {
    userId,
    fingerprint: fingerprintHexGroups(a.identity.fp),
    emoji: fingerprintEmoji(a.identity.fp),
    kemVersions: a.identity.kemKeys.map((k) => k.version),
    kdf: `${a.kdf.algorithm} m=${a.kdf.memory_kib} KiB t=${a.kdf.iterations} p=${a.kdf.parallelism}`,
  };
}

async function outcome<T>(f: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    return e instanceof PqroomError ? { ok: false, requirement: e.reqId, message: e.message } : { ok: false, message: String(e) };
  }
}

/** What the page shows of a session's key: never its bytes. */
export interface KeyInfo {
  readonly extractable: boolean;
  readonly algorithm: string;
  readonly usages: string[];
  /** What `exportKey('raw')` answered: the refusal's name, or "exported". */
  readonly exportRaw: string;
}

const expiryTimers = new Map<string, ReturnType<typeof setTimeout>>();
function lockAt(userId: string, expiresAt: number, now: number): void {
  clearTimeout(expiryTimers.get(userId));
  // REQ-LOG-021: nothing that opens the keys outlives the session, even in a page left open
  expiryTimers.set(userId, setTimeout(() => void withSessions((s) => sweepSessions(s, Date.now())), Math.min(2 ** 31 - 1, Math.max(0, expiresAt - now))));
}

/** Opens a store, runs `f` on it, and closes it whatever happens. */
async function using<S extends { close(): void }, T>(open: () => Promise<S>, f: (s: S) => Promise<T>): Promise<T> {
  const s = await open();
  try {
    return await f(s);
  } finally {
    s.close();
  }
}
const withStore = <T>(f: (s: VaultStore) => Promise<T>): Promise<T> => using(openIdbVaultStore, f);
const withSessions = <T>(f: (s: SessionStore) => Promise<T>): Promise<T> => using(openIdbSessionStore, f);

/** The page's API. */
export const pqroomVault = {
  create: (userId: string, password: string, kdf: keyof typeof KDF_PROFILES = 'interactive', profile: Profile = 'hardened') =>
    outcome(() => withStore(async (s) => summary(userId, await createAccount(c, systemRng, s, { userId, password, profile, kdf: KDF_PROFILES[kdf] })))),
  open: (userId: string, password: string, profile: Profile = 'hardened') =>
    outcome(() => withStore(async (s) => summary(userId, await openAccount(c, s, { userId, password, profile })))),
  rotate: (userId: string, password: string, profile: Profile = 'hardened') =>
    outcome(() => withStore(async (s) => summary(userId, await rotateAccountKem(c, systemRng, s, { userId, password, profile })))),
  passwd: (userId: string, password: string, newPassword: string, profile: Profile = 'hardened') =>
    outcome(() => withStore(async (s) => summary(userId, await changePassword(c, systemRng, s, { userId, password, newPassword, profile })))),
  users: () => outcome(() => withStore((s) => s.users())),
  /** Opens the vault with the password and keeps it unlocked for the session (REQ-LOG-021). */
  unlock: (userId: string, password: string, profile: Profile = 'hardened', lifetimeMs = SESSION_LIFETIME_MS, now = Date.now()) =>
    outcome(async () => {
      const a = await withStore((s) => openAccount(c, s, { userId, password, profile }));
      const { expiresAt } = await withSessions((s) => unlockSession(crypto.subtle, systemRng, s, userId, a.contents, now, lifetimeMs));
      lockAt(userId, expiresAt, now);
      return { ...summary(userId, a), expiresAt };
    }),
  /** The unlocked session's keys, without the password (REQ-LOG-021). */
  resume: (userId: string, now = Date.now()) =>
    outcome(() =>
      withSessions(async (s) => {
        const contents = await resumeSession(crypto.subtle, s, userId, now);
        const id = identityOf(c, contents);
        return { userId, fingerprint: fingerprintHexGroups(id.fp), emoji: fingerprintEmoji(id.fp), kemVersions: id.kemKeys.map((k) => k.version) };
      }),
    ),
  lock: (userId: string) => outcome(() => withSessions(async (s) => (await lockSession(s, userId), { userId, locked: true }))),
  /** The users with a stored session. */
  sessions: () => outcome(() => withSessions((s) => s.users())),
  /** Deletes the sessions expired at `now`; answers whose. */
  sweep: (now = Date.now()) => outcome(() => withSessions((s) => sweepSessions(s, now))),
  /** What WebCrypto says of the stored session key, and whether it lets its bytes out. */
  sessionKey: (userId: string) =>
    outcome(() =>
      withSessions(async (s): Promise<KeyInfo | undefined> => {
        const r = await s.get(userId);
        if (r === undefined) return undefined;
        const exportRaw = await crypto.subtle.exportKey('raw', r.key).then(() => 'exported', (e: unknown) => (e instanceof Error ? e.name : String(e)));
        return { extractable: r.key.extractable, algorithm: r.key.algorithm.name, usages: [...r.key.usages].sort(), exportRaw };
      }),
    ),
  /** The stored vault's bytes in hex (sealed: nothing secret without the password). */
  exportSealed: (userId: string) => outcome(() => withStore(async (s) => { const b = await s.get(userId); return b === undefined ? undefined : toHex(b); })),
  /** Stores sealed vault bytes as they are (tests use it to store a vault from elsewhere, or a damaged one). */
  importSealed: (userId: string, hex: string) => outcome(() => withStore((s) => s.put(userId, fromHex(hex)))),
};

declare global {
  var pqroomVault: typeof import('./browser.ts').pqroomVault;
  /** The sweep run at load: tests wait for it. */
  var pqroomSwept: Promise<Outcome<string[]>>;
}
globalThis.pqroomVault = pqroomVault;

// REQ-LOG-021: sessions that expired while no page was open are deleted as the page loads
const swept = pqroomVault.sweep();
globalThis.pqroomSwept = swept;

// the page: a form whose buttons call the API above and show the outcome
if (typeof document !== 'undefined') {
  const $ = (id: string) => document.getElementById(id) as HTMLInputElement | null;
  const show = (o: Outcome<unknown>) => {
    const out = $('out');
    if (out) out.textContent = o.ok ? JSON.stringify(o.value, null, 2) : `refused: ${o.message}`;
  };
  const user = () => $('user')?.value ?? '';
  const pw = () => $('password')?.value ?? '';
  for (const [id, f] of [
    ['create', () => pqroomVault.create(user(), pw(), ($('kdf')?.value ?? 'interactive') as keyof typeof KDF_PROFILES)],
    ['open', () => pqroomVault.open(user(), pw())],
    ['rotate', () => pqroomVault.rotate(user(), pw())],
    ['unlock', () => pqroomVault.unlock(user(), pw())],
    ['resume', () => pqroomVault.resume(user())],
    ['lock', () => pqroomVault.lock(user())],
  ] as const) {
    $(id)?.addEventListener('click', () => {
      const out = $('out');
      if (out) out.textContent = 'working…';
      void f().then(show);
    });
  }
}
