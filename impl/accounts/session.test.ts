/**
 * REQ-LOG-021 and REQ-CRY-017 in Node's WebCrypto (the same API the browser page uses; the
 * browser and IndexedDB are tested in vault-browser.test.ts): the unlocked session's key is not
 * extractable, its record is exactly the spec's AES-256-GCM sealing, and an expired, foreign or
 * damaged record is refused and deleted.
 */
import { createDecipheriv } from 'node:crypto';
import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.ts';
import { decode, encode, encodePrefix, valuesEqual } from '../codec.ts';
import { nodeCrypto } from '../crypto/node.ts';
import { PqroomError } from '../errors.ts';
import { UnlockedSession, VaultContents } from '../messages/index.ts';
import { createIdentity } from '../protocol/identity.ts';
import { deterministicRng } from '../rng.ts';
import { lockSession, memorySessionStore, resumeSession, SESSION_LIFETIME_MS, sweepSessions, unlockSession } from './session.ts';
import { contentsOf } from './vault.ts';

const subtle = webcrypto.subtle as SubtleCrypto;
const T0 = Date.UTC(2026, 11, 5, 9, 0, 0);
const contents = contentsOf(createIdentity(nodeCrypto, deterministicRng(utf8('session identity'))));

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PqroomError) return e.message;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('REQ-LOG-021: the unlocked session', () => {
  it('REQ-LOG-021: the contents come back without the password until the session expires; the wrap key is not extractable', async () => {
    const store = memorySessionStore();
    const { expiresAt } = await unlockSession(subtle, deterministicRng(utf8('s1')), store, 'alice', contents, T0);
    expect(expiresAt).toBe(T0 + SESSION_LIFETIME_MS);
    expect(valuesEqual(await resumeSession(subtle, store, 'alice', T0 + 1000), contents)).toBe(true);
    expect(valuesEqual(await resumeSession(subtle, store, 'alice', expiresAt - 1), contents)).toBe(true);
    const { key } = (await store.get('alice'))!;
    expect([key.extractable, key.algorithm.name, [...key.usages].sort()]).toEqual([false, 'AES-GCM', ['decrypt', 'encrypt']]);
    await expect(subtle.exportKey('raw', key)).rejects.toThrow(/not extractable/);
    await expect(subtle.exportKey('jwk', key)).rejects.toThrow(/not extractable/);
  });

  it('REQ-CRY-017: the record is AES-256-GCM of the VaultContents under the RNG\'s 32 bytes, with the header fields as associated data', async () => {
    const store = memorySessionStore();
    await unlockSession(subtle, deterministicRng(utf8('s2')), store, 'bob', contents, T0, 60_000);
    const raw = deterministicRng(utf8('s2')).bytes(32); // the same RNG, replayed: the key's bytes
    const v = decode(UnlockedSession, (await store.get('bob'))!.session);
    expect([v.user_id, v.expires_at, v.nonce.length]).toEqual(['bob', T0 + 60_000, 12]);
    const d = createDecipheriv('aes-256-gcm', raw, v.nonce);
    d.setAAD(encodePrefix(UnlockedSession, v, 'sealed'));
    d.setAuthTag(v.sealed.subarray(v.sealed.length - 16));
    const plain = Buffer.concat([d.update(v.sealed.subarray(0, v.sealed.length - 16)), d.final()]);
    expect(plain.equals(Buffer.from(encode(VaultContents, contents)))).toBe(true);
  });

  it('REQ-LOG-021: at expires_at the session is refused and the record, key included, is deleted', async () => {
    const store = memorySessionStore();
    const { expiresAt } = await unlockSession(subtle, deterministicRng(utf8('s3')), store, 'carol', contents, T0, 1000);
    expect(await refusal(resumeSession(subtle, store, 'carol', expiresAt))).toMatch(/^REQ-LOG-021: the session of carol expired at .*: deleted/);
    expect(await store.users()).toEqual([]);
    expect(await refusal(resumeSession(subtle, store, 'carol', T0))).toMatch(/^REQ-LOG-021: no unlocked session of carol/);
  });

  it('REQ-LOG-021: the sweep at start deletes exactly the expired and undecodable records; lock deletes at once', async () => {
    const store = memorySessionStore();
    const rng = deterministicRng(utf8('s4'));
    await unlockSession(subtle, rng, store, 'short', contents, T0, 1000);
    await unlockSession(subtle, rng, store, 'long', contents, T0);
    await unlockSession(subtle, rng, store, 'broken', contents, T0);
    const b = (await store.get('broken'))!;
    await store.put('broken', { ...b, session: b.session.subarray(0, 20) });
    expect((await sweepSessions(store, T0 + 1000)).sort()).toEqual(['broken', 'short']);
    expect(await store.users()).toEqual(['long']);
    await lockSession(store, 'long');
    expect(await store.users()).toEqual([]);
  });

  it('REQ-LOG-021: a record moved to another user, or with a changed expiry or sealed byte, is refused and deleted', async () => {
    const store = memorySessionStore();
    const rng = deterministicRng(utf8('s5'));
    await unlockSession(subtle, rng, store, 'dave', contents, T0);
    await store.put('erin', (await store.get('dave'))!);
    expect(await refusal(resumeSession(subtle, store, 'erin', T0))).toMatch(/^REQ-LOG-021: the session stored for erin is dave's: deleted/);
    expect(await store.users()).toEqual(['dave']);

    const s = (await store.get('dave'))!;
    const v = decode(UnlockedSession, s.session);
    await store.put('dave', { ...s, session: encode(UnlockedSession, { ...v, expires_at: v.expires_at + SESSION_LIFETIME_MS }) }); // a longer life, written in
    expect(await refusal(resumeSession(subtle, store, 'dave', T0))).toMatch(/^REQ-LOG-021: the unlocked session of dave does not open: deleted/);
    expect(await store.users()).toEqual([]);

    await unlockSession(subtle, rng, store, 'dave', contents, T0);
    const t = (await store.get('dave'))!;
    const flipped = t.session.slice();
    flipped[flipped.length - 1]! ^= 1;
    await store.put('dave', { ...t, session: flipped });
    expect(await refusal(resumeSession(subtle, store, 'dave', T0))).toMatch(/^REQ-LOG-021: the unlocked session of dave does not open/);
    expect(await store.users()).toEqual([]);
  });

  it('REQ-LOG-021: the same RNG and clock give the same record, byte for byte', async () => {
    const run = async () => {
      const store = memorySessionStore();
      await unlockSession(subtle, deterministicRng(utf8('s6')), store, 'frank', contents, T0);
      return (await store.get('frank'))!.session;
    };
    expect(Buffer.from(await run()).equals(Buffer.from(await run()))).toBe(true);
  });
});
