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
import { GetKeys, MsgType, Register, Reject } from '../../impl/messages/index.ts';
import { DEFAULT_MIN_KDF, KDF_PROFILES, register as registration, type LoginPin } from '../../impl/protocol/login.ts';
import { createIdentity, type Identity } from '../../impl/protocol/identity.ts';
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

/** The relay key the relay serves at `/relay-key`. */
const relayKeyOf = async (relay: LiveRelay): Promise<Uint8Array> => fromHex((await (await fetch(relay.url.replace('ws', 'http') + '/relay-key')).text()).trim());

/** A bare relay session of `name`, collecting the `Reject`s the relay sends it. */
async function rejectsTo(relay: LiveRelay, profile: Profile, name: string): Promise<{ session: Awaited<ReturnType<typeof dialSession>>; got: Reject[] }> {
  const got: Reject[] = [];
  const session = await dialSession({ url: relay.url, crypto: c, profile, identity: person(name), relayPk: await relayKeyOf(relay), onInner: (b) => peekType(b) === MsgType.Reject && void got.push(decode(Reject, b)) });
  return { session, got };
}

/** A member client that only logs in (it joins nothing), counting its logins, refusals and pins; with the test configuration unless `real`. */
function loginClient(relay: LiveRelay, profile: Profile, relayPk: Uint8Array, identity: Identity, username: string, password: string, register: boolean, o: { real?: boolean; pin?: LoginPin } = {}) {
  const seen = { logins: 0, refused: [] as string[], connected: 0, pins: [] as LoginPin[] };
  const client: LiveClient = startLiveClient({
    name: username,
    role: 'member',
    url: relay.url,
    crypto: c,
    profile,
    identity,
    relayPk,
    reconnectMs: 100,
    login: { username, password, register, ...(o.real === true ? {} : { insecureTestKdf: true }), ...(o.pin === undefined ? {} : { pin: o.pin }) },
    record: (e) => {
      if (e.kind === 'event' && e.what === 'logged in') seen.logins++;
    },
    on: { raise: (_k, reqId, detail) => seen.refused.push(`${reqId} ${detail}`), connected: () => seen.connected++, pinned: (p) => seen.pins.push(p) },
  });
  return { client, seen };
}

describe('the login on the live relay connection', () => {
  for (const profile of ['hardened', 'compat'] as const) {
    it(`REQ-LOG-020 REQ-LOG-023 ${profile}: every demo client registers and logs in, its connection rekeyed, before the relay serves it`, async () => {
      const relay = await startRelay({ insecureTestKdf: true, port: 0, db: join(dir, `demo-${profile}.db`), profile, log: quiet, requireLogin: true });
      try {
        const r = await runDemo({ insecureTestKdf: true, relay: relay.url, members: 2, messages: 30, profile, out: quiet, timeoutMs: 60_000, lingerMs: 0 });
        expect(r.ok).toBe(true);
        expect(relay.store.accounts?.().size).toBe(3);
        // a connection that does not log in is served nothing but login
        const { session, got } = await rejectsTo(relay, profile, 'lazy');
        session.send(encode(GetKeys, { req_id: 1, member_id: new Uint8Array(32) }));
        expect(await within(5_000, () => got.length > 0)).toBe(true);
        expect(got.map((r) => r.requirement)).toEqual(['REQ-LOG-020']);
        session.close();
      } finally {
        await relay.close();
      }
    }, 90_000);
  }

  it('REQ-LOG-013 REQ-LOG-022 hardened: a wrong password is refused once (no retry loop); a login into another identity\'s account closes the connection', async () => {
    const relay = await startRelay({ insecureTestKdf: true, port: 0, db: join(dir, 'accounts.db'), profile: 'hardened', log: quiet, requireLogin: true });
    const pk = await relayKeyOf(relay);
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
    let relay = await startRelay({ insecureTestKdf: true, port: 0, db, profile: 'hardened', log: quiet, requireLogin: true, sessionMs: 800 });
    const pk = await relayKeyOf(relay);
    const bob = loginClient(relay, 'hardened', pk, person('bob'), 'bob', 'hunter2', true);
    try {
      expect(await within(10_000, () => bob.seen.logins >= 3)).toBe(true); // 800 ms sessions: closed, reconnected, logged in again
      bob.client.stop();
      const port = relay.port;
      await relay.close();
      relay = await startRelay({ insecureTestKdf: true, port, db, profile: 'hardened', log: quiet, requireLogin: true });
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

  it('REQ-LOG-018 REQ-LOG-023 hardened: a Register with other KDF parameters than the relay\'s is refused with a Reject of req_id 0', async () => {
    const relay = await startRelay({ insecureTestKdf: true, port: 0, db: join(dir, 'kdf.db'), profile: 'hardened', log: quiet, requireLogin: true });
    try {
      const { session, got } = await rejectsTo(relay, 'hardened', 'ivy');
      const good = decode(Register, registration(c, deterministicRng(utf8('ivy')), 'ivy', 'pw', KDF_PROFILES.test, person('ivy').publicKey));
      session.send(encode(Register, { ...good, kdf: DEFAULT_MIN_KDF })); // the interactive profile, at a relay of the test configuration
      expect(await within(5_000, () => got.length > 0)).toBe(true);
      expect(got.map((r) => [r.req_id, r.requirement])).toEqual([[0, 'REQ-LOG-018']]);
      expect(relay.store.accounts?.().size).toBe(0);
      session.close();
    } finally {
      await relay.close();
    }
  }, 30_000);

  it('REQ-LOG-012 REQ-LOG-019 REQ-LOG-015 REQ-LOG-017 hardened: the live client pins its registration; a client without the test configuration refuses the test profile; an unknown username is refused like a wrong password', async () => {
    const relay = await startRelay({ insecureTestKdf: true, port: 0, db: join(dir, 'pins.db'), profile: 'hardened', log: quiet, requireLogin: true });
    const pk = await relayKeyOf(relay);
    const clients: LiveClient[] = [];
    try {
      const a = loginClient(relay, 'hardened', pk, person('judy'), 'judy', 'pw-judy', true);
      clients.push(a.client);
      expect(await within(10_000, () => a.seen.logins === 1)).toBe(true);
      const held = relay.store.accounts!().get('judy')!;
      expect(a.seen.pins).toEqual([{ salt: held.salt, kdf: held.kdf }]); // pinned at registration, not again after the login
      // a second device, no pin: trust on first use
      const b = loginClient(relay, 'hardened', pk, person('judy'), 'judy', 'pw-judy', false);
      clients.push(b.client);
      expect(await within(10_000, () => b.seen.logins === 1)).toBe(true);
      expect(b.seen.pins).toEqual([{ salt: held.salt, kdf: held.kdf }]);
      // a device whose vault pins another salt refuses the relay's challenge before its password
      const wrongPin = loginClient(relay, 'hardened', pk, person('judy'), 'judy', 'pw-judy', false, { pin: { salt: new Uint8Array(16), kdf: held.kdf } });
      clients.push(wrongPin.client);
      expect(await within(10_000, () => wrongPin.seen.refused.length > 0)).toBe(true);
      expect(wrongPin.seen.refused[0]).toMatch(/^REQ-LOG-017/);
      // a client built without the test configuration refuses the test profile this relay serves
      const real = loginClient(relay, 'hardened', pk, person('judy'), 'judy', 'pw-judy', false, { real: true });
      clients.push(real.client);
      expect(await within(10_000, () => real.seen.refused.length > 0)).toBe(true);
      expect(real.seen.refused[0]).toMatch(/^REQ-LOG-012/);
      expect(real.seen.logins).toBe(0);
      // an unknown username and a wrong password get the same refusal
      const nobody = loginClient(relay, 'hardened', pk, person('judz'), 'judz', 'pw-judy', false);
      const wrong = loginClient(relay, 'hardened', pk, person('judy'), 'judy', 'pw-judz', false);
      clients.push(nobody.client, wrong.client);
      expect(await within(10_000, () => nobody.seen.refused.length > 0 && wrong.seen.refused.length > 0)).toBe(true);
      expect(nobody.seen.refused).toEqual(wrong.seen.refused);
      expect(nobody.seen.refused[0]).toMatch(/^REQ-LOG-013/);
    } finally {
      for (const cl of clients) cl.stop();
      await relay.close();
    }
  }, 60_000);
});
