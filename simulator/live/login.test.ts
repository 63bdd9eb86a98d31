/**
 * The login on the live relay connection (spec 9.5, issues 6 and 7): registration and login over
 * the relay connection, the connection rekeyed with the session (REQ-LOG-020), nothing served
 * before it when the relay requires it, the account bound to the connection's identity
 * (REQ-LOG-022), a wrong password refused without a retry loop, sessions that expire, and
 * accounts that survive a restart of the relay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '../../impl/bytes.ts';
import { decode, encode, peekType } from '../../impl/codec.ts';
import { nodeCrypto as c } from '../../impl/crypto/node.ts';
import { GetKeys, MsgType, Reject } from '../../impl/messages/index.ts';
import { createIdentity, type Identity } from '../../impl/protocol/identity.ts';
import { KDF_PROFILES } from '../../impl/protocol/login.ts';
import { deterministicRng } from '../../impl/rng.ts';
import type { Profile } from '../../impl/suite.ts';
import { runDemo } from './demo.ts';
import { startLiveClient, type LiveClient } from './client.ts';
import { startRelay, type LiveRelay } from './relay.ts';
import { dialSession } from './session-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'pqroom-login-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = (): void => {};

async function within(ms: number, done: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return done();
}

const person = (name: string): Identity => createIdentity(c, deterministicRng(utf8(`pqroom live login ${name}`)));

/** A member client that only logs in (it joins nothing), counting its logins and refusals. */
function loginClient(relay: LiveRelay, profile: Profile, relayPk: Uint8Array, identity: Identity, username: string, password: string, register: boolean) {
  const seen = { logins: 0, refused: [] as string[], connected: 0 };
  const client: LiveClient = startLiveClient({
    name: username,
    role: 'member',
    url: relay.url,
    crypto: c,
    profile,
    identity,
    relayPk,
    reconnectMs: 100,
    login: { username, password, register, kdf: KDF_PROFILES.test, minKdf: KDF_PROFILES.test },
    record: (e) => {
      if (e.kind === 'event' && e.what === 'logged in') seen.logins++;
    },
    on: { raise: (_k, reqId, detail) => seen.refused.push(`${reqId} ${detail}`), connected: () => seen.connected++ },
  });
  return { client, seen };
}

describe('the login on the live relay connection', () => {
  for (const profile of ['hardened', 'compat'] as const) {
    it(`REQ-LOG-020 REQ-LOG-023 ${profile}: every demo client registers and logs in, its connection rekeyed, before the relay serves it`, async () => {
      const relay = await startRelay({ port: 0, db: join(dir, `demo-${profile}.db`), profile, log: quiet, requireLogin: true });
      try {
        const r = await runDemo({ relay: relay.url, members: 2, messages: 30, profile, out: quiet, timeoutMs: 60_000, lingerMs: 0 });
        expect(r.ok).toBe(true);
        expect(relay.store.accounts?.().size).toBe(3);
        // a connection that does not log in is served nothing but login
        const pk = fromHex((await (await fetch(relay.url.replace('ws', 'http') + '/relay-key')).text()).trim());
        const rejects: string[] = [];
        const s = await dialSession({ url: relay.url, crypto: c, profile, identity: person('lazy'), relayPk: pk, onInner: (b) => peekType(b) === MsgType.Reject && void rejects.push(decode(Reject, b).requirement) });
        s.send(encode(GetKeys, { req_id: 1, member_id: new Uint8Array(32) }));
        expect(await within(5_000, () => rejects.length > 0)).toBe(true);
        expect(rejects).toEqual(['REQ-LOG-020']);
        s.close();
      } finally {
        await relay.close();
      }
    }, 90_000);
  }

  it('REQ-LOG-013 REQ-LOG-022 hardened: a wrong password is refused once (no retry loop); a login into another identity\'s account closes the connection', async () => {
    const relay = await startRelay({ port: 0, db: join(dir, 'accounts.db'), profile: 'hardened', log: quiet, requireLogin: true });
    const pk = fromHex((await (await fetch(relay.url.replace('ws', 'http') + '/relay-key')).text()).trim());
    const alice = person('alice');
    const clients: LiveClient[] = [];
    try {
      const a = loginClient(relay, 'hardened', pk, alice, 'alice', 'correct horse', true);
      clients.push(a.client);
      expect(await within(10_000, () => a.seen.logins === 1)).toBe(true);
      // the right identity, the wrong password
      const wrong = loginClient(relay, 'hardened', pk, alice, 'alice', 'battery staple', false);
      clients.push(wrong.client);
      expect(await within(10_000, () => wrong.seen.refused.length > 0)).toBe(true);
      expect(wrong.seen.refused[0]).toMatch(/^REQ-LOG-013/);
      await new Promise((r) => setTimeout(r, 500));
      expect(wrong.seen.refused.length).toBe(1); // it does not try again on its own
      expect(wrong.seen.logins).toBe(0);
      // the right password, another identity: the relay closes the connection
      const mallory = loginClient(relay, 'hardened', pk, person('mallory'), 'alice', 'correct horse', false);
      clients.push(mallory.client);
      expect(await within(10_000, () => /pqroom_rejections_total\{reason="REQ-LOG-022"\} [1-9]/.test(relay.metrics()))).toBe(true);
      expect(a.seen.logins).toBe(1); // alice, on her own connection, is not disturbed
    } finally {
      for (const cl of clients) cl.stop();
      await relay.close();
    }
  }, 60_000);

  it('REQ-LOG-020 should close a connection when its session expires; the client logs in again, and accounts survive a relay restart', async () => {
    const db = join(dir, 'expiry.db');
    let relay = await startRelay({ port: 0, db, profile: 'hardened', log: quiet, requireLogin: true, sessionMs: 800 });
    const pk = fromHex((await (await fetch(relay.url.replace('ws', 'http') + '/relay-key')).text()).trim());
    const bob = loginClient(relay, 'hardened', pk, person('bob'), 'bob', 'hunter2', true);
    try {
      expect(await within(10_000, () => bob.seen.logins >= 3)).toBe(true); // 800 ms sessions: closed, reconnected, logged in again
      bob.client.stop();
      const port = relay.port;
      await relay.close();
      relay = await startRelay({ port, db, profile: 'hardened', log: quiet, requireLogin: true });
      const again = loginClient(relay, 'hardened', pk, person('bob'), 'bob', 'hunter2', false);
      try {
        expect(await within(10_000, () => again.seen.logins === 1)).toBe(true);
        expect(again.seen.refused).toEqual([]);
      } finally {
        again.client.stop();
      }
    } finally {
      bob.client.stop();
      await relay.close();
    }
  }, 60_000);
});
