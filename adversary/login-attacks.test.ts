/** Login attacks ATK-24, ATK-24b, ATK-24c, ATK-25 (spec 11.4) and the login oracles PROP-21, PROP-22, PROP-28 (spec 12, 9.6). */
import { describe, expect, it } from 'vitest';
import { equalBytes } from '../impl/bytes.ts';
import { decode, encode, peekType } from '../impl/codec.ts';
import { CompatLoginChallenge, LoginChallenge, LoginResponse, LoginStart, MsgType } from '../impl/messages/index.ts';
import { withCheckOff } from '../impl/mutants.ts';
import { signStruct, verifyStruct } from '../impl/protocol/identity.ts';
import { compatFinish, DEFAULT_MIN_KDF, KDF_PROFILES, loginChallenge, loginFinish, loginStart, type LoginPin, type ServerSession } from '../impl/protocol/login.ts';
import type { Profile } from '../impl/suite.ts';
import { createLoginWorld, type LoginClientNode, type LoginWorld } from '../simulator/login-world.ts';
import { replayTrace } from '../simulator/replay.ts';
import { backendCrypto } from '../simulator/run.ts';
import { attackTrace, rebuildAuditTrace, runSpec, type RunSpec } from './audit.ts';
import { crackVerifier, DICTIONARY, FAKE_SERVER_C1, FAKE_SERVER_SALT } from './dictionary.ts';
import { LOGIN_ATTACKS, runLoginAttack } from './login-attacks.ts';
import { loginViolations } from './login-oracles.ts';
import { loadRealBackends } from '../impl/crypto/backends.ts';

// runs on the real backends below: liboqs is loaded by this call, not by importing the simulator
await loadRealBackends();

/** A hardened world in which alice registered and logged in, and her second device `alice-phone` (same password, no pin yet). */
function aliceAndPhone(seed: number): { w: LoginWorld; alice: LoginClientNode; phone: LoginClientNode } {
  const w = createLoginWorld({ profile: 'hardened', seed, crypto: backendCrypto('symbolic') });
  const alice = w.addClient('alice', 'hunter2');
  w.register('alice');
  w.login('alice');
  return { w, alice, phone: w.addClient('alice-phone', 'hunter2', 'alice') };
}

/** The relay (it holds its key: the adversary of spec 9.6) answers `node`'s next login with a challenge of its own, signed, serving `served`. */
function relaySigned(w: LoginWorld, node: LoginClientNode, served: LoginPin): void {
  w.tap = (f) => {
    if (f.conn !== node.conn || f.dir !== 'up' || peekType(f.bytes) !== MsgType.LoginStart) return 'deliver';
    w.tap = () => 'deliver';
    const s = decode(LoginStart, f.bytes);
    const eph = w.crypto.kemKeygen(w.rng.bytes(64));
    const ch = signStruct(w.crypto, w.rng, LoginChallenge, { session_id: w.rng.bytes(32), username: s.username, client_nonce: s.client_nonce, channel_binding: node.th, ...served, pk_e: eph.publicKey, c1: FAKE_SERVER_C1, issued_at: w.now() }, 'login challenge', w.relayKeys.secretKey);
    w.inject({ conn: node.conn, dir: 'down', bytes: encode(LoginChallenge, ch), origin: 'injected' });
    return 'drop';
  };
}

describe('the dictionary', () => {
  it('holds 10,000 distinct candidates', () => {
    expect(DICTIONARY.length).toBe(10_000);
    expect(new Set(DICTIONARY).size).toBe(10_000);
  });
});

describe('login oracles on honest runs', () => {
  for (const profile of ['hardened', 'compat'] as Profile[]) {
    it(`${profile}: registration and login under a passive adversary violate nothing`, () => {
      const r = runLoginAttack(undefined, { profile, seed: 2, backend: 'symbolic' });
      expect(r.violations).toEqual([]);
      expect(r.world.serverLogins.length).toBe(1);
    });
  }
});

describe('named login attacks (spec 11.4)', () => {
  for (const atk of LOGIN_ATTACKS) {
    describe(`${atk.id} ${atk.title}`, () => {
      it(`hardened: blocked (${atk.props.join(', ')} hold), every step carried out`, () => {
        const r = runLoginAttack(atk, { profile: 'hardened', seed: 1, backend: 'symbolic' });
        expect(r.fired.every((n) => n > 0)).toBe(true);
        expect(r.violations).toEqual([]);
        expect(r.detected.length).toBeGreaterThan(0);
      });
      it(`compat: ${atk.compat === 'blocked' ? `${atk.props.join(', ')} hold` : `${atk.props.join(', ')} broken through ${atk.weakness}`}, the same way on a second run`, () => {
        const a = runLoginAttack(atk, { profile: 'compat', seed: 1, backend: 'symbolic' });
        expect(a.fired.every((n) => n > 0)).toBe(true);
        const broken = new Set(a.violations.map((v) => v.prop));
        if (atk.compat === 'blocked') expect(atk.props.filter((p) => broken.has(p))).toEqual([]);
        else expect(atk.props.every((p) => broken.has(p)), [...broken].join(', ')).toBe(true);
        expect(runLoginAttack(atk, { profile: 'compat', seed: 1, backend: 'symbolic' }).violations).toEqual(a.violations);
      });
    });
  }
});

describe('ATK-24 the fake server (L1)', () => {
  const atk = LOGIN_ATTACKS.find((a) => a.id === 'ATK-24')!;
  it('compat: one login gives the fake server alice’s password, and it logs in as her', () => {
    const r = runLoginAttack(atk, { profile: 'compat', seed: 3, backend: 'symbolic' });
    const alice = r.world.clients.get('alice')!;
    expect(r.findings[0]).toContain(`"${alice.actor.getSnapshot().context.password}"`);
    expect(r.findings[1]).toBe('then logged in to the real server as alice with it');
    expect(r.world.serverLogins.filter((l) => l.conn === 'conn-thief').map((l) => l.username)).toEqual(['alice']);
  }, 60_000);
  it('hardened: alice aborts at REQ-LOG-010 and sends nothing that depends on her password', () => {
    const r = runLoginAttack(atk, { profile: 'hardened', seed: 3, backend: 'symbolic' });
    const alice = r.world.clients.get('alice')!;
    expect(alice.rejects.map((x) => x.reqId)).toEqual(['REQ-LOG-010']);
    expect(alice.passwordSends.map((s) => s.answered)).toEqual(['honest']); // the honest login before the attack only
    expect(r.findings).toEqual([]);
  });
  it('compat, on the real bytes (noble ML-KEM, Argon2id): the same password is recovered', () => {
    const sym = runLoginAttack(atk, { profile: 'compat', seed: 1, backend: 'symbolic' });
    const real = runLoginAttack(atk, { profile: 'compat', seed: 1, backend: 'real' });
    expect([...new Set(real.violations.map((v) => v.prop))]).toEqual(['PROP-21', 'PROP-28']);
    expect(real.findings).toEqual(sym.findings);
  }, 120_000);
});

describe('ATK-24b ATK-24c the relay itself serves the KDF parameters or the salt (PROP-28)', () => {
  it('REQ-LOG-012 the login world\'s clients have the spec\'s floor: a relay-signed challenge at the test profile, to a device with no pin, is refused (the world used to give them the test profile as their floor)', () => {
    const { w, phone } = aliceAndPhone(3);
    expect(w.kdfFloor).toEqual(DEFAULT_MIN_KDF);
    relaySigned(w, phone, { salt: w.registrations.get('alice')!.pin.salt, kdf: KDF_PROFILES.test });
    w.login('alice-phone');
    expect(phone.rejects.map((r) => r.reqId)).toEqual(['REQ-LOG-012']);
    expect(phone.passwordSends).toEqual([]);
  });
  it('ATK-24b hardened: the second device refuses at REQ-LOG-012, before its password; compat answers at the test profile', () => {
    const atk = LOGIN_ATTACKS.find((a) => a.id === 'ATK-24b')!;
    const h = runLoginAttack(atk, { profile: 'hardened', seed: 2, backend: 'symbolic' });
    expect(h.world.clients.get('alice-phone')!.rejects.map((r) => r.reqId)).toEqual(['REQ-LOG-012']);
    expect(h.world.clients.get('alice-phone')!.passwordSends).toEqual([]);
    const c = runLoginAttack(atk, { profile: 'compat', seed: 2, backend: 'symbolic' });
    expect(c.violations.filter((v) => v.prop === 'PROP-28').map((v) => v.party)).toEqual(['alice-phone']);
  });
  it('ATK-24c hardened: alice and bob, who registered, refuse the relay\'s salt at REQ-LOG-017; compat answers, and one table gives both passwords', () => {
    const atk = LOGIN_ATTACKS.find((a) => a.id === 'ATK-24c')!;
    const h = runLoginAttack(atk, { profile: 'hardened', seed: 2, backend: 'symbolic' });
    for (const name of ['alice', 'bob']) expect(h.world.clients.get(name)!.rejects.map((r) => r.reqId)).toEqual(['REQ-LOG-017']);
    const c = runLoginAttack(atk, { profile: 'compat', seed: 2, backend: 'symbolic' });
    expect(c.violations.filter((v) => v.prop === 'PROP-28').map((v) => v.party).sort()).toEqual(['alice', 'bob']);
    const passwords = ['alice', 'bob'].map((n) => c.world.clients.get(n)!.actor.getSnapshot().context.password);
    expect(c.findings).toHaveLength(1);
    for (const pw of passwords) expect(c.findings[0]).toContain(`"${pw}"`);
  }, 60_000);
  it('REQ-LOG-017 a device with no pin takes the salt of its first login and pins it (trust on first use), then refuses another salt at the account\'s own parameters', () => {
    const { w, phone } = aliceAndPhone(4);
    const registered = w.registrations.get('alice')!.pin;
    expect(phone.pin).toBeUndefined();
    w.login('alice-phone');
    expect(phone.sessions).toHaveLength(1);
    expect(phone.pin).toEqual(registered);
    relaySigned(w, phone, { salt: FAKE_SERVER_SALT, kdf: registered.kdf });
    w.login('alice-phone');
    expect(phone.rejects.map((r) => r.reqId)).toEqual(['REQ-LOG-017']);
    expect(phone.passwordSends).toHaveLength(1); // the honest first login only
    expect(loginViolations(w, new Set())).toEqual([]);
  });
});

describe('PROP-21 is judged by possession of the pinned relay key, not by provenance', () => {
  it('the relay itself, holding its key and the verifier, runs alice\'s login and completes it: PROP-21 allows it, nothing is violated (the old oracle reported PROP-21)', () => {
    const { w, alice } = aliceAndPhone(5);
    const verifier = w.server.getSnapshot().context.accounts.get('alice')!;
    let session: ServerSession | undefined;
    w.tap = (f) => {
      if (f.conn !== alice.conn || f.dir !== 'up') return 'deliver';
      if (peekType(f.bytes) === MsgType.LoginStart) {
        const ch = loginChallenge(w.crypto, w.rng, f.bytes, { relayKeys: w.relayKeys, serverSecret: w.rng.bytes(32), kdf: verifier.kdf, verifier, channelBinding: alice.th, now: w.now() });
        session = ch.session;
        w.inject({ conn: alice.conn, dir: 'down', bytes: ch.bytes, origin: 'injected' });
      } else if (session !== undefined) {
        w.inject({ conn: alice.conn, dir: 'down', bytes: loginFinish(w.crypto, session, f.bytes, w.now() + 60_000).bytes, origin: 'injected' });
      }
      return 'drop';
    };
    w.login('alice');
    expect(alice.sessions.map((s) => s.origin)).toEqual(['honest', 'injected']);
    expect(alice.passwordSends.map((s) => s.answered)).toEqual(['honest', 'injected']);
    expect(loginViolations(w, new Set())).toEqual([]);
  });
  it('a genuine relay-signed challenge replayed from another login proves nothing: with REQ-LOG-011 off, alice answers ATK-25\'s replay and PROP-21 breaks', () => {
    const r = withCheckOff('REQ-LOG-011', () => runLoginAttack(LOGIN_ATTACKS.find((a) => a.id === 'ATK-25'), { profile: 'hardened', seed: 1, backend: 'symbolic' }));
    const alice = r.world.clients.get('alice')!;
    const replayed = alice.passwordSends.find((s) => s.answered === 'replayed')!;
    const ch = decode(LoginChallenge, replayed.challenge);
    expect(verifyStruct(r.world.crypto, LoginChallenge, ch, 'login challenge', r.world.relayKeys.publicKey)).toBe(true); // the relay's own signature
    expect(equalBytes(ch.client_nonce, decode(LoginStart, replayed.start!).client_nonce)).toBe(false); // over another login's nonce
    expect(r.violations.map((v) => v.prop)).toEqual(['PROP-21']);
  });
});

describe('REQ-LOG-015 REQ-LOG-018 an unknown username looks like a held account', () => {
  it('every field an observer compares is alike: sizes, KDF parameters, a salt fixed per username, fresh session, pk_e and c1; and the Reject', () => {
    const w = createLoginWorld({ profile: 'hardened', seed: 7, crypto: backendCrypto('symbolic') });
    w.addClient('alice', 'hunter2');
    w.register('alice');
    const adv = w.adversaryConnection();
    const ask = (username: string): LoginChallenge => {
      w.inject({ conn: adv.conn, dir: 'up', bytes: loginStart(w.rng, username).startBytes, origin: 'injected' });
      w.settle();
      return decode(LoginChallenge, w.adversaryInbox.get(adv.conn)!.at(-1)!);
    };
    const [held1, held2, none1, none2] = [ask('alice'), ask('alice'), ask('alicf'), ask('alicf')]; // 'alicf': unknown, as long as 'alice'
    for (const [a, b] of [[held1, held2], [none1, none2]] as const) {
      expect(equalBytes(a.salt, b.salt)).toBe(true); // fixed per username
      for (const k of ['session_id', 'pk_e', 'c1'] as const) expect(equalBytes(a[k], b[k])).toBe(false); // fresh
    }
    expect(none1.kdf).toEqual(held1.kdf); // REQ-LOG-018: what every account of this relay has
    expect(held1.kdf).toEqual(DEFAULT_MIN_KDF);
    expect(encode(LoginChallenge, none1).length).toBe(encode(LoginChallenge, held1).length);
    // a failed login is refused alike: the same requirement and the same words
    const fail = (ch: LoginChallenge): { reqId: string; detail: string } => {
      w.inject({ conn: adv.conn, dir: 'up', bytes: encode(LoginResponse, { session_id: ch.session_id, c2: FAKE_SERVER_C1, confirm: new Uint8Array(32) }), origin: 'injected' });
      w.settle();
      const r = w.serverRejects.at(-1)!;
      return { reqId: r.reqId, detail: r.detail };
    };
    const heldReject = fail(ask('alice'));
    expect(fail(ask('alicf'))).toEqual(heldReject);
    expect(heldReject.reqId).toBe('REQ-LOG-013');
  });
});

describe('ATK-25 replay and reflection (L4)', () => {
  const atk = LOGIN_ATTACKS.find((a) => a.id === 'ATK-25')!;
  it('hardened: each replay is refused by its own check', () => {
    const r = runLoginAttack(atk, { profile: 'hardened', seed: 4, backend: 'symbolic' });
    expect(r.detected).toEqual(['REQ-LOG-011', 'REQ-LOG-013', 'REQ-LOG-014']);
  });
  it('compat: no replay logs anyone in, but alice answers the replayed challenge (PROP-21 broken, PROP-22 holds)', () => {
    const r = runLoginAttack(atk, { profile: 'compat', seed: 4, backend: 'symbolic' });
    expect([...new Set(r.violations.map((v) => v.prop))]).toEqual(['PROP-21']);
    expect(r.world.serverLogins.length).toBe(1);
  });
  it('compat: the seed protocol has no role labels, but its HMACs cover different challenges, so a reflected response_C is refused (REQ-LOG-005)', () => {
    const r = runLoginAttack(atk, { profile: 'compat', seed: 4, backend: 'symbolic' });
    expect(r.world.clients.get('alice')!.rejects.map((x) => x.reqId)).toContain('REQ-LOG-005');
  });
});

describe('L2 the stolen verifier (CAP-19): what it buys the thief', () => {
  it('an offline dictionary attack on the stored (salt, kdf, pk_pw), one KDF and one key generation per guess', () => {
    const r = runLoginAttack(undefined, { profile: 'hardened', seed: 3, backend: 'symbolic' });
    const verifier = r.world.server.getSnapshot().context.accounts.get('alice')!;
    expect(crackVerifier(r.world.crypto, verifier)?.password).toBe(r.world.clients.get('alice')!.actor.getSnapshot().context.password);
  }, 60_000);
  it('compat: with the verifier the thief completes alice’s login as the server (it can encapsulate to pk_pw)', () => {
    const r = runLoginAttack(undefined, { profile: 'compat', seed: 3, backend: 'symbolic' });
    const w = r.world;
    const verifier = w.server.getSnapshot().context.accounts.get('alice')!;
    const alice = w.clients.get('alice')!;
    // the thief answers alice's next login with a challenge built from the stolen verifier
    let thiefState: Parameters<typeof compatFinish>[1] | undefined;
    w.tap = (f) => {
      if (f.conn !== alice.conn || f.dir !== 'up') return 'deliver';
      if (thiefState === undefined) {
        const eph = w.crypto.kemKeygen(w.rng.bytes(64));
        const { ct, ss } = w.crypto.kemEncapsulate(verifier.pk_pw, w.rng.bytes(32));
        const challenge = w.rng.bytes(32);
        thiefState = { username: 'alice', ephSk: eph.secretKey, ss1: ss, challengeC: challenge };
        w.inject({ conn: alice.conn, dir: 'down', bytes: encode(CompatLoginChallenge, { pk_e: eph.publicKey, c1: ct, salt: verifier.salt, kdf: verifier.kdf, challenge }), origin: 'injected' });
      } else {
        w.inject({ conn: alice.conn, dir: 'down', bytes: compatFinish(w.crypto, thiefState, f.bytes).bytes, origin: 'injected' });
      }
      return 'drop';
    };
    w.login('alice');
    expect(alice.sessions.length).toBe(2); // her honest login, then the thief's
  });
  it('hardened: the thief cannot pose as the server, it lacks the relay key (REQ-LOG-010)', () => {
    const r = runLoginAttack(LOGIN_ATTACKS.find((a) => a.id === 'ATK-24'), { profile: 'hardened', seed: 3, backend: 'symbolic' });
    expect(r.detected).toContain('REQ-LOG-010');
  });
});

describe('login counterexamples replay', () => {
  it('ATK-24 compat: the trace of the counterexample replays byte for byte with pqroom replay', () => {
    const spec: RunSpec = { attack: 'ATK-24', profile: 'compat', seed: 2, backend: 'symbolic' };
    const trace = attackTrace(spec, runSpec(spec, true));
    expect(trace).toContain('"what":"offline dictionary attack"');
    expect(trace).toContain('PROP-21');
    const out = replayTrace(trace, [rebuildAuditTrace]);
    expect(out.identical).toBe(true);
  }, 60_000);
});
