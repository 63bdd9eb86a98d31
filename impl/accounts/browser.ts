/**
 * The browser build of the keystore (spec 10.3, REQ-KEY-015): accounts in IndexedDB, sealed
 * with hash-wasm's Argon2id and noble's XChaCha20-Poly1305, the same code as the Node vault
 * file. `vault-page.html` is its page; `vault-browser.test.ts` bundles this module with esbuild
 * and drives the page in Chromium. Everything the page does is also on `globalThis.pqroomVault`
 * for scripted use, each call answering a {@link Outcome}.
 */
import { toHex, fromHex } from '../bytes.ts';
import { nobleCrypto } from '../crypto/noble.ts';
import { PqroomError } from '../errors.ts';
import { fingerprintEmoji, fingerprintHexGroups } from '../fingerprint.ts';
import { KDF_PROFILES } from '../protocol/login.ts';
import { systemRng } from '../rng.ts';
import type { Profile } from '../suite.ts';
import { changePassword, createAccount, openAccount, rotateAccountKem, type Account } from './keystore.ts';
import { openIdbVaultStore } from './vault-idb.ts';

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

async function withStore<T>(f: (s: Awaited<ReturnType<typeof openIdbVaultStore>>) => Promise<T>): Promise<T> {
  const s = await openIdbVaultStore();
  try {
    return await f(s);
  } finally {
    s.close();
  }
}

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
  /** The stored vault's bytes in hex (sealed: nothing secret without the password). */
  exportSealed: (userId: string) => outcome(() => withStore(async (s) => { const b = await s.get(userId); return b === undefined ? undefined : toHex(b); })),
  /** Stores sealed vault bytes as they are (tests use it to store a vault from elsewhere, or a damaged one). */
  importSealed: (userId: string, hex: string) => outcome(() => withStore((s) => s.put(userId, fromHex(hex)))),
};

declare global {
  var pqroomVault: typeof import('./browser.ts').pqroomVault;
}
globalThis.pqroomVault = pqroomVault;

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
  ] as const) {
    $(id)?.addEventListener('click', () => {
      const out = $('out');
      if (out) out.textContent = 'working…';
      void f().then(show);
    });
  }
}
