/**
 * The unlocked session (spec 9.5, REQ-LOG-021): a person's vault contents kept open for the
 * session's lifetime without the password, sealed with AES-256-GCM (REQ-CRY-017) under a
 * WebCrypto key that is not extractable, the key stored beside the sealed record. When the
 * session expires, or the record is damaged, both are deleted together.
 *
 * Randomness and time are injected: the wrap key's 32 bytes and the nonce come from the
 * caller's {@link Rng} (the key's bytes are overwritten once imported), `now` is an argument.
 * Where records are kept is a {@link SessionStore}: `memorySessionStore` here, IndexedDB in
 * `session-idb.ts`.
 */
import type { Bytes } from '../bytes.ts';
import { decode, encode, encodePrefix } from '../codec.ts';
import { CryptoError, DecodeError, ProtocolError } from '../errors.ts';
import { UnlockedSession, VaultContents } from '../messages/index.ts';
import type { Rng } from '../rng.ts';

/** The session's default lifetime: 4 hours, as the seed says (REQ-LOG-021). */
export const SESSION_LIFETIME_MS = 4 * 60 * 60 * 1000;

/** What is stored for a user: the encoded `UnlockedSession` and its non-extractable wrap key. */
export interface StoredSession {
  readonly session: Bytes;
  readonly key: CryptoKey;
}

/** Where unlocked sessions are kept, by user id. */
export interface SessionStore {
  get(userId: string): Promise<StoredSession | undefined>;
  /** Stores the record whole, replacing any earlier one. */
  put(userId: string, s: StoredSession): Promise<void>;
  /** Deletes the record, key and sealed contents together. */
  delete(userId: string): Promise<void>;
  users(): Promise<string[]>;
  close(): void;
}

/** A session store in memory (Node tests; a page that keeps nothing across loads). */
export function memorySessionStore(): SessionStore {
  const m = new Map<string, StoredSession>();
  return {
    get: async (u) => m.get(u),
    put: async (u, s) => void m.set(u, s),
    delete: async (u) => void m.delete(u),
    users: async () => [...m.keys()],
    close: () => {},
  };
}

const GCM = 'AES-GCM';

/** Uint8Array views typed for WebCrypto (TypeScript 6 wants an ArrayBuffer, not a SharedArrayBuffer). */
const buf = (b: Bytes): Uint8Array<ArrayBuffer> => (b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b));

/**
 * Seals `contents` for `userId` under a new non-extractable wrap key and stores both
 * (REQ-LOG-021, REQ-CRY-017); returns when the session expires.
 */
export async function unlockSession(
  subtle: SubtleCrypto,
  rng: Rng,
  sessions: SessionStore,
  userId: string,
  contents: VaultContents,
  now: number,
  lifetimeMs: number = SESSION_LIFETIME_MS,
): Promise<{ readonly expiresAt: number }> {
  const raw = rng.bytes(32);
  const key = await subtle.importKey('raw', buf(raw), { name: GCM }, false, ['encrypt', 'decrypt']);
  raw.fill(0); // REQ-CRY-017: the key lives on only inside WebCrypto (spec 3.9 on what erasing can promise)
  const draft: UnlockedSession = { user_id: userId, expires_at: now + lifetimeMs, nonce: rng.bytes(12), sealed: new Uint8Array(16) };
  const ad = encodePrefix(UnlockedSession, draft, 'sealed');
  const sealed = new Uint8Array(await subtle.encrypt({ name: GCM, iv: buf(draft.nonce), additionalData: buf(ad) }, key, buf(encode(VaultContents, contents))));
  await sessions.put(userId, { session: encode(UnlockedSession, { ...draft, sealed }), key });
  return { expiresAt: draft.expires_at };
}

/**
 * The vault contents of `userId`'s unlocked session (REQ-LOG-021). An expired, damaged or
 * foreign record is deleted (key included) and refused; no record is refused.
 */
export async function resumeSession(subtle: SubtleCrypto, sessions: SessionStore, userId: string, now: number): Promise<VaultContents> {
  const s = await sessions.get(userId);
  if (s === undefined) throw new ProtocolError('REQ-LOG-021', `no unlocked session of ${userId}: the password is needed`);
  const refuse = async (e: Error): Promise<never> => {
    await sessions.delete(userId);
    throw e;
  };
  let v: UnlockedSession;
  try {
    v = decode(UnlockedSession, s.session);
  } catch (e) {
    return refuse(e instanceof DecodeError ? new ProtocolError('REQ-LOG-021', `the unlocked session of ${userId} does not decode (${e.message}): deleted`) : (e as Error));
  }
  if (v.user_id !== userId) return refuse(new ProtocolError('REQ-LOG-021', `the session stored for ${userId} is ${v.user_id}'s: deleted`));
  if (now >= v.expires_at) return refuse(new ProtocolError('REQ-LOG-021', `the session of ${userId} expired at ${new Date(v.expires_at).toISOString()}: deleted, the password is needed`));
  let plain: ArrayBuffer;
  try {
    plain = await subtle.decrypt({ name: GCM, iv: buf(v.nonce), additionalData: buf(encodePrefix(UnlockedSession, v, 'sealed')) }, s.key, buf(v.sealed));
  } catch {
    return refuse(new CryptoError('REQ-LOG-021', `the unlocked session of ${userId} does not open: deleted`));
  }
  return decode(VaultContents, new Uint8Array(plain));
}

/** Deletes `userId`'s unlocked session (locking). */
export async function lockSession(sessions: SessionStore, userId: string): Promise<void> {
  await sessions.delete(userId);
}

/**
 * Deletes every session that has expired at `now`, or does not decode (REQ-LOG-021: run when the
 * client starts, so that nothing that opens the keys outlives its session); returns whose.
 */
export async function sweepSessions(sessions: SessionStore, now: number): Promise<string[]> {
  const gone: string[] = [];
  for (const u of await sessions.users()) {
    let expired = true;
    try {
      const s = await sessions.get(u);
      if (s !== undefined) expired = now >= decode(UnlockedSession, s.session).expires_at;
    } catch {
      // a record that does not decode opens nothing: it goes too
    }
    if (expired) {
      await sessions.delete(u);
      gone.push(u);
    }
  }
  return gone;
}
