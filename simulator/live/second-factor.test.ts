/**
 * The second factor on the live relay (spec 9.7): a TOTP secret enrolled over the connection,
 * then required at every login before the relay admits the connection; a wrong code closes it, a
 * client that does not answer is served nothing, and refusals are limited per account.
 * (WebAuthn runs in Chromium: `web/webauthn.test.ts`; its checks: `impl/accounts/second-factor.test.ts`.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '../../impl/bytes.ts';
import { nodeCrypto as c } from '../../impl/crypto/node.ts';
import { totp } from '../../impl/accounts/totp.ts';
import { createIdentity, type Identity } from '../../impl/protocol/identity.ts';
import { deterministicRng } from '../../impl/rng.ts';
import type { FactorAnswer } from './client-host.ts';
import { startLiveClient, type LiveClient } from './client.ts';
import { startRelay, type LiveRelay } from './relay.ts';

const dir = mkdtempSync(join(tmpdir(), 'pqroom-factor-'));
const quiet = (): void => {};
const secret = utf8('a secret of twenty+ bytes');
const person = (name: string): Identity => createIdentity(c, deterministicRng(utf8(`pqroom live factor ${name}`)));
const alice = person('alice');

async function within(ms: number, done: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return done();
}

/** An owner client of alice's account; `factor` answers the second factor (none: a client that does not support it). */
function client(relay: LiveRelay, relayPk: Uint8Array, register: boolean, factor?: () => Promise<FactorAnswer | undefined>) {
  const seen = { connected: 0, refused: [] as string[], factors: 0 };
  const cl: LiveClient = startLiveClient({
    name: 'alice',
    role: 'owner',
    url: relay.url,
    crypto: c,
    profile: 'hardened',
    identity: alice,
    relayPk,
    reconnectMs: 100,
    login: { username: 'alice', password: 'correct horse battery staple', register, insecureTestKdf: true },
    ...(factor === undefined ? {} : { factor: { answer: factor } }),
    record: (e) => {
      if (e.kind === 'event' && e.what === 'second factor') seen.factors++;
    },
    on: { connected: () => seen.connected++, raise: (_k, reqId, detail) => seen.refused.push(`${reqId} ${detail}`) },
  });
  return { cl, seen };
}

describe('the second factor on the live relay', () => {
  let relay: LiveRelay;
  let relayPk: Uint8Array;
  beforeAll(async () => {
    relay = await startRelay({ insecureTestKdf: true, port: 0, db: join(dir, 'relay.db'), profile: 'hardened', log: quiet, requireLogin: true });
    relayPk = fromHex((await (await fetch(relay.url.replace('ws', 'http') + '/relay-key')).text()).trim());
  });
  afterAll(async () => {
    await relay?.close('test done');
    rmSync(dir, { recursive: true, force: true });
  });

  it('REQ-LOG-030 REQ-LOG-031 an account without factor is admitted at once; it enrolls a TOTP secret with its current code, and the relay keeps it with the account', async () => {
    const a = client(relay, relayPk, true, () => Promise.reject(new Error('no factor should be asked')));
    try {
      expect(await within(20_000, () => a.seen.connected === 1)).toBe(true);
      // a wrong code does not enroll the secret
      await expect(a.cl.enrollFactor(async () => ({ method: 'totp', totpSecret: secret, code: totp(secret, Date.now() - 10 * 60_000) }))).rejects.toThrow(/REQ-LOG-030/);
      expect(relay.store.factors?.('alice')).toBeUndefined();
      await a.cl.enrollFactor(async () => ({ method: 'totp', totpSecret: secret, code: totp(secret, Date.now()) }));
      expect(relay.store.factors?.('alice')?.totp?.secret).toEqual(secret);
      expect(a.seen.refused).toEqual([]);
    } finally {
      a.cl.stop();
    }
  });

  it('REQ-LOG-034 REQ-LOG-031 the next login is admitted only with a code of the secret; the role machine goes online after it', async () => {
    // the next step's code: the enrollment used the current one, which REQ-KEY-040 accepts once
    const b = client(relay, relayPk, false, async () => ({ method: 'totp', code: totp(secret, Date.now() + 30_000) }));
    try {
      expect(await within(20_000, () => b.seen.connected === 1)).toBe(true);
      expect(b.seen.factors).toBe(1);
      b.cl.user({ type: 'user.create' });
      expect(await within(10_000, () => JSON.stringify(b.cl.state()).includes('active'))).toBe(true); // the relay created the room
      expect(b.seen.refused).toEqual([]);
    } finally {
      b.cl.stop();
    }
  });

  it('REQ-LOG-034 REQ-LOG-035 a wrong code is refused and the connection closed, with no retry; a client that does not answer is served nothing', async () => {
    const wrong = client(relay, relayPk, false, async () => ({ method: 'totp', code: totp(secret, Date.now() - 10 * 60_000) }));
    try {
      expect(await within(20_000, () => wrong.seen.refused.length > 0)).toBe(true);
      expect(wrong.seen.refused[0]).toMatch(/^REQ-LOG-034 second factor refused by the relay/);
      await new Promise((r) => setTimeout(r, 500)); // no reconnection, no second login
      expect(wrong.seen.connected).toBe(0);
      expect(wrong.seen.refused).toHaveLength(1);
    } finally {
      wrong.cl.stop();
    }
    // REQ-LOG-031: a client that knows nothing of the factor logs in, but its requests are refused
    const plain = client(relay, relayPk, false);
    try {
      expect(await within(20_000, () => plain.seen.connected === 1)).toBe(true);
      plain.cl.user({ type: 'user.create' });
      expect(await within(10_000, () => plain.seen.refused.some((r) => r.startsWith('REQ-LOG-031')))).toBe(true);
    } finally {
      plain.cl.stop();
    }
  });

  it('REQ-LOG-035 after 5 refused factors within 15 minutes the account\'s factor responses are refused unchecked, even a right one', async () => {
    // two refused so far: the enrollment with a wrong code and the wrong code above; three more
    for (let i = 0; i < 3; i++) {
      const w = client(relay, relayPk, false, async () => ({ method: 'totp', code: totp(secret, Date.now() - 10 * 60_000) }));
      try {
        expect(await within(20_000, () => w.seen.refused.length > 0)).toBe(true);
        expect(w.seen.refused[0]).toMatch(/^REQ-LOG-034/);
      } finally {
        w.cl.stop();
      }
    }
    const right = client(relay, relayPk, false, async () => ({ method: 'totp', code: totp(secret, Date.now() + 30_000) }));
    try {
      expect(await within(20_000, () => right.seen.refused.length > 0)).toBe(true);
      expect(right.seen.refused[0]).toMatch(/^REQ-LOG-035/);
      expect(right.seen.connected).toBe(0);
    } finally {
      right.cl.stop();
    }
  });
});
