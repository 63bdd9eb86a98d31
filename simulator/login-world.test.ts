/**
 * The login machines (spec 9): honest logins in both profiles, the rate limit, stray input, the
 * KDF floor of the configuration. The honest run is on the real backend (real Argon2id at the
 * interactive profile); the rest on the symbolic one, whose Argon2id costs nothing (spec 9.6).
 */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { nobleCrypto } from '../impl/crypto/noble.ts';
import { decode } from '../impl/codec.ts';
import { LoginChallenge } from '../impl/messages/index.ts';
import { DEFAULT_MIN_KDF, KDF_PROFILES, register } from '../impl/protocol/login.ts';
import { deterministicRng } from '../impl/rng.ts';
import { utf8 } from '../impl/bytes.ts';
import type { Profile } from '../impl/suite.ts';
import { createLoginWorld } from './login-world.ts';
import { backendCrypto } from './run.ts';
import { loginClientMachine } from '../machines/login-client.ts';
import { FAILURE_WINDOW_MS, loginServerMachine, MAX_LOGIN_FAILURES } from '../machines/login-server.ts';

const real = nobleCrypto;
const sym = () => backendCrypto('symbolic');

describe('login machines, honest run', () => {
  for (const profile of ['hardened', 'compat'] as Profile[]) {
    it(`${profile}: registration then login gives client and server one session key; a wrong password gives none`, () => {
      const w = createLoginWorld({ profile, seed: 5, crypto: real });
      const alice = w.addClient('alice', 'hunter2');
      w.register('alice');
      w.login('alice');
      expect(alice.actor.getSnapshot().value).toBe('loggedIn');
      expect(alice.sessions.length).toBe(1);
      expect(w.serverLogins.map((l) => l.username)).toEqual(['alice']);
      expect(Buffer.from(alice.sessions[0]!.sessionKey).equals(Buffer.from(w.serverLogins[0]!.sessionKey))).toBe(true);
      const wrong = w.addClient('mallory', 'hunter3', 'alice');
      w.login('mallory');
      expect(wrong.sessions).toEqual([]);
      expect(w.serverRejects.map((r) => r.reqId)).toEqual([profile === 'hardened' ? 'REQ-LOG-013' : 'REQ-LOG-005']);
    });
  }
  for (const profile of ['hardened', 'compat'] as Profile[]) {
    it(`REQ-LOG-021 ${profile}: the login client hands the session key over and keeps no copy of it`, () => {
      const w = createLoginWorld({ profile, seed: 6, crypto: sym() });
      const alice = w.addClient('alice', 'hunter2');
      w.register('alice');
      w.login('alice');
      const key = alice.sessions[0]!.sessionKey;
      const held: Uint8Array[] = [];
      const walk = (v: unknown, depth: number): void => {
        if (v instanceof Uint8Array) held.push(v);
        else if (v !== null && typeof v === 'object' && depth < 8) for (const x of v instanceof Map ? v.values() : Object.values(v)) walk(x, depth + 1);
      };
      walk(alice.actor.getSnapshot().context, 0);
      expect(held.length).toBeGreaterThan(3); // the walk sees the context's byte strings (pinned key, password seed, …)
      expect(held.filter((b) => Buffer.from(b).equals(Buffer.from(key)))).toEqual([]);
    });
  }
  it('the same seed gives the same trace, byte for byte', () => {
    const run = () => {
      const w = createLoginWorld({ profile: 'hardened', seed: 8, crypto: sym(), trace: true });
      w.addClient('alice', 'pw');
      w.register('alice');
      w.login('alice');
      return w.trace.text();
    };
    const a = run();
    expect(a).toContain('"what":"logged in"');
    expect(run()).toBe(a);
  });
});

describe('REQ-LOG-016 login attempts are rate-limited per account (hardened)', () => {
  it(`refuses the attempt after ${MAX_LOGIN_FAILURES} failures before any KEM work, and allows it again after the window`, () => {
    const w = createLoginWorld({ profile: 'hardened', seed: 6, crypto: sym() });
    w.addClient('alice', 'right');
    w.register('alice');
    const guesser = w.addClient('guesser', 'wrong', 'alice');
    for (let i = 0; i < MAX_LOGIN_FAILURES; i++) w.login('guesser');
    expect(w.serverRejects.filter((r) => r.reqId === 'REQ-LOG-013').length).toBe(MAX_LOGIN_FAILURES);
    const before = guesser.rejects.length;
    w.login('guesser');
    expect(w.serverRejects.at(-1)!.reqId).toBe('REQ-LOG-016');
    expect(guesser.rejects.length).toBe(before); // no challenge came back
    // the limit is per account: bob is not affected
    w.addClient('bob', 'b');
    w.register('bob');
    w.login('bob');
    expect(w.serverLogins.map((l) => l.username)).toEqual(['bob']);
  });
  it('counts the failures of a username it does not hold the same way (REQ-LOG-015: the limit does not tell them apart)', () => {
    const w = createLoginWorld({ profile: 'hardened', seed: 6, crypto: sym() });
    w.addClient('alice', 'right');
    w.register('alice');
    const held = w.addClient('guesser', 'wrong', 'alice');
    const none = w.addClient('prober', 'wrong', 'alicf');
    for (let i = 0; i <= MAX_LOGIN_FAILURES; i++) {
      w.login('guesser');
      w.login('prober');
    }
    const seen = (node: typeof held): string[] => w.serverRejects.filter((r) => r.conn === node.conn).map((r) => r.reqId);
    expect(seen(held)).toEqual([...Array<string>(MAX_LOGIN_FAILURES).fill('REQ-LOG-013'), 'REQ-LOG-016']);
    expect(seen(none)).toEqual(seen(held));
  });
  it('counts failures inside the window only: after 15 minutes the account can log in again', () => {
    const w = createLoginWorld({ profile: 'hardened', seed: 6, crypto: sym() });
    w.addClient('alice', 'right');
    w.register('alice');
    w.addClient('guesser', 'wrong', 'alice');
    for (let i = 0; i < MAX_LOGIN_FAILURES; i++) w.login('guesser');
    w.login('alice');
    expect(w.serverRejects.at(-1)!.reqId).toBe('REQ-LOG-016');
    w.advance(FAILURE_WINDOW_MS);
    w.login('alice');
    expect(w.serverLogins.map((l) => l.username)).toEqual(['alice']);
  });
});

describe('bad input to the login server', () => {
  it('answers garbage, a room message and a compat message on a hardened relay with typed rejections and keeps serving', () => {
    const w = createLoginWorld({ profile: 'hardened', seed: 7, crypto: sym() });
    w.addClient('alice', 'pw');
    w.register('alice');
    const adv = w.adversaryConnection();
    for (const bytes of [new Uint8Array([1, 2, 3]), new Uint8Array([1, 0, 1, 0x30, 0, 0]), new Uint8Array([1, 0, 1, 0x71, 0, 5, 97, 108, 105, 99, 101])]) {
      w.inject({ conn: adv.conn, dir: 'up', bytes, origin: 'injected' });
    }
    w.settle();
    expect(w.serverRejects.length).toBe(3);
    for (const r of w.serverRejects) expect(r.reqId).toMatch(/^REQ-/);
    w.login('alice');
    expect(w.serverLogins.map((l) => l.username)).toEqual(['alice']);
  });
  it('compat refuses an unknown username with an error (REQ-LOG-006)', () => {
    const w = createLoginWorld({ profile: 'compat', seed: 7, crypto: sym() });
    w.addClient('nobody', 'pw');
    w.login('nobody');
    expect(w.serverRejects.map((r) => r.reqId)).toEqual(['REQ-LOG-006']);
  });
});

describe('REQ-LOG-012 REQ-LOG-019 the KDF floor is the configuration\'s', () => {
  /** A login against a relay that registers accounts with `relayKdf`, by a client built with `insecureTestKdf`. */
  function loginAgainst(relayKdf: typeof DEFAULT_MIN_KDF, insecureTestKdf: boolean) {
    const c = real;
    const rng = deterministicRng(utf8('kdf floor'));
    const relayKeys = c.sigKeygen(rng.bytes(32));
    const server = createActor(loginServerMachine, { input: { crypto: c, profile: 'hardened', relayKeys, serverSecret: rng.bytes(32), kdf: relayKdf, rngSeed: rng.bytes(32) } });
    const client = createActor(loginClientMachine, { input: { crypto: c, profile: 'hardened', username: 'tess', password: 'pw', pinnedRelayPk: relayKeys.publicKey, rngSeed: rng.bytes(32), ...(insecureTestKdf ? { insecureTestKdf } : {}) } });
    const th = rng.bytes(32);
    const rejects: string[] = [];
    let challenge: Uint8Array | undefined;
    server.on('effect.send', (e) => {
      challenge ??= e.bytes;
      client.send({ type: 'net.receive', bytes: e.bytes, now: 2 });
    });
    client.on('effect.send', (e) => server.send({ type: 'login.receive', conn: 'c', th, bytes: e.bytes, now: 2 }));
    client.on('effect.reject', (e) => rejects.push(e.reqId));
    server.start();
    client.start();
    server.send({ type: 'login.receive', conn: 'c', th, bytes: register(c, rng, 'tess', 'pw', relayKdf, new Uint8Array(1952)), now: 1 });
    client.send({ type: 'login.start', th, now: 1 });
    return { rejects, state: client.getSnapshot().value, served: decode(LoginChallenge, challenge!).kdf };
  }
  it('a client built without the test configuration refuses a genuine challenge at the test profile', () => {
    const r = loginAgainst(KDF_PROFILES.test, false);
    expect(r.served).toEqual(KDF_PROFILES.test);
    expect(r.rejects).toEqual(['REQ-LOG-012']);
    expect(r.state).toBe('failed');
  });
  it('the explicit test configuration (insecureTestKdf) lowers the floor to the test profile, and nothing else does', () => {
    expect(loginAgainst(KDF_PROFILES.test, true).state).toBe('loggedIn');
    const c = real;
    const actor = createActor(loginClientMachine, { input: { crypto: c, profile: 'hardened', username: 'x', password: 'pw', pinnedRelayPk: new Uint8Array(1952), rngSeed: new Uint8Array(32) } });
    expect(actor.getSnapshot().context.minKdf).toEqual(DEFAULT_MIN_KDF);
  });
});

describe('REQ-LOG-011 a login message outside a login', () => {
  it('REQ-LOG-011 the login client refuses a login message before any login began, and stays idle', () => {
    for (const profile of ['hardened', 'compat'] as Profile[]) {
      const client = createActor(loginClientMachine, { input: { crypto: sym(), profile, username: 'x', password: 'pw', pinnedRelayPk: new Uint8Array(1952), rngSeed: new Uint8Array(32) } });
      const rejects: string[] = [];
      const sent: Uint8Array[] = [];
      client.on('effect.reject', (e) => rejects.push(e.reqId));
      client.on('effect.send', (e) => sent.push(e.bytes));
      client.start();
      client.send({ type: 'net.receive', bytes: new Uint8Array([1, 0, 1, 0x61, 0, 0]), now: 1 });
      expect(rejects, profile).toEqual(['REQ-LOG-011']);
      expect(sent).toEqual([]);
      expect(client.getSnapshot().value).toBe('idle');
    }
  });
});

describe('REQ-LOG-004 compat: a new login drops the one under way', () => {
  it('REQ-LOG-004 a compat client that starts again after answering a challenge keeps nothing of the abandoned login', () => {
    const c = sym();
    const rng = deterministicRng(utf8('compat restart'));
    const relayKeys = c.sigKeygen(rng.bytes(32));
    const server = createActor(loginServerMachine, { input: { crypto: c, profile: 'compat', relayKeys, serverSecret: rng.bytes(32), kdf: KDF_PROFILES.test, rngSeed: rng.bytes(32) } });
    const client = createActor(loginClientMachine, { input: { crypto: c, profile: 'compat', username: 'tess', password: 'pw', pinnedRelayPk: undefined, rngSeed: rng.bytes(32), insecureTestKdf: true } });
    const toClient: Uint8Array[] = [];
    server.on('effect.send', (e) => toClient.push(e.bytes));
    client.on('effect.send', (e) => server.send({ type: 'login.receive', conn: 'c', th: new Uint8Array(32), bytes: e.bytes, now: 2 }));
    server.start();
    client.start();
    server.send({ type: 'login.receive', conn: 'c', th: new Uint8Array(32), bytes: register(c, rng, 'tess', 'pw', KDF_PROFILES.test, new Uint8Array(1952)), now: 1 });
    client.send({ type: 'login.start', th: new Uint8Array(32), now: 1 });
    expect(toClient).toHaveLength(1); // the challenge, held back from the client until now
    client.send({ type: 'net.receive', bytes: toClient[0]!, now: 2 });
    expect(client.getSnapshot().value).toBe('awaitingFinish');
    expect(client.getSnapshot().context.compat).toBeDefined();
    client.send({ type: 'login.start', th: new Uint8Array(32).fill(1), now: 3 });
    expect(client.getSnapshot().value).toBe('awaitingChallenge');
    expect(client.getSnapshot().context.compat).toBeUndefined();
    expect(client.getSnapshot().context.th).toEqual(new Uint8Array(32).fill(1));
  });
});

describe('the login server refuses what comes out of turn (symbolic backend, the machines alone)', () => {
  const c = sym();
  const th = new Uint8Array(32);
  /** A login server of `profile` with every effect it emits, as `kind reqId` strings. */
  function server(profile: Profile, seed: string) {
    const rng = deterministicRng(utf8(seed));
    const relayKeys = c.sigKeygen(rng.bytes(32));
    const actor = createActor(loginServerMachine, { input: { crypto: c, profile, relayKeys, serverSecret: rng.bytes(32), kdf: KDF_PROFILES.test, rngSeed: rng.bytes(32) } });
    const seen: string[] = [];
    actor.on('*', (e) => seen.push(e.type === 'effect.reject' ? `reject ${e.reqId}` : e.type));
    actor.start();
    const send = (bytes: Uint8Array) => actor.send({ type: 'login.receive', conn: 'c', th, bytes, now: 1 });
    return { actor, seen, send, rng, relayKeys };
  }
  /** The messages a client sends in an honest login of `profile` (registration included), in order. */
  function honestClientMessages(profile: Profile): Uint8Array[] {
    const s = server(profile, `honest ${profile}`);
    s.send(register(c, s.rng, 'tess', 'pw', KDF_PROFILES.test, new Uint8Array(1952)));
    const client = createActor(loginClientMachine, { input: { crypto: c, profile, username: 'tess', password: 'pw', pinnedRelayPk: s.relayKeys.publicKey, rngSeed: s.rng.bytes(32), insecureTestKdf: true } });
    const sent: Uint8Array[] = [];
    s.actor.on('effect.send', (e) => client.send({ type: 'net.receive', bytes: e.bytes, now: 2 }));
    client.on('effect.send', (e) => {
      sent.push(e.bytes);
      s.send(e.bytes);
    });
    client.start();
    client.send({ type: 'login.start', th, now: 2 });
    expect(client.getSnapshot().value).toBe('loggedIn');
    return sent;
  }
  it('REQ-LOG-001 takes a retransmitted Register silently, and refuses another Register for a username it holds', () => {
    const s = server('hardened', 'register twice');
    const reg = register(c, s.rng, 'tess', 'pw', KDF_PROFILES.test, new Uint8Array(1952));
    s.send(reg);
    s.send(reg);
    expect(s.seen).toEqual(['effect.registered']);
    s.send(register(c, s.rng, 'tess', 'other', KDF_PROFILES.test, new Uint8Array(1952)));
    expect(s.seen).toEqual(['effect.registered', 'reject REQ-LOG-001']);
  });
  it('REQ-LOG-018 hardened registers accounts with its own KDF parameters only; compat takes any', () => {
    const h = server('hardened', 'kdf hardened');
    h.send(register(c, h.rng, 'tess', 'pw', KDF_PROFILES.interactive, new Uint8Array(1952)));
    expect(h.seen).toEqual(['reject REQ-LOG-018']);
    const k = server('compat', 'kdf compat');
    k.send(register(c, k.rng, 'tess', 'pw', KDF_PROFILES.interactive, new Uint8Array(1952)));
    expect(k.seen).toEqual(['effect.registered']);
  });
  it('REQ-ENC-004 a compat relay refuses a hardened LoginStart, a hardened relay a compat one', () => {
    const [hardenedStart] = honestClientMessages('hardened');
    const k = server('compat', 'start on compat');
    k.send(hardenedStart!);
    expect(k.seen).toEqual(['reject REQ-ENC-004']);
    const [compatStart] = honestClientMessages('compat');
    const h = server('hardened', 'start on hardened');
    h.send(compatStart!);
    expect(h.seen).toEqual(['reject REQ-ENC-004']);
  });
  it('REQ-LOG-014 hardened refuses a LoginResponse with no login session under way on the connection', () => {
    const [, response] = honestClientMessages('hardened');
    const h = server('hardened', 'response out of turn');
    h.send(response!);
    expect(h.seen).toEqual(['reject REQ-LOG-014']);
  });
  it('REQ-LOG-003 compat refuses a CompatLoginResponse with no compat login under way, and a hardened relay refuses it too', () => {
    const [, response] = honestClientMessages('compat');
    for (const profile of ['compat', 'hardened'] as Profile[]) {
      const s = server(profile, `compat response on ${profile}`);
      s.send(response!);
      expect(s.seen, profile).toEqual(['reject REQ-LOG-003']);
    }
  });
});
