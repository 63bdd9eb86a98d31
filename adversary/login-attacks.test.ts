/** Login attacks ATK-24, ATK-25 (spec 11.4) and the login oracles PROP-21, PROP-22 (spec 12, 9.6). */
import { describe, expect, it } from 'vitest';
import { encode } from '../impl/codec.ts';
import { CompatLoginChallenge } from '../impl/messages/index.ts';
import { compatFinish } from '../impl/protocol/login.ts';
import type { Profile } from '../impl/suite.ts';
import { replayTrace } from '../simulator/replay.ts';
import { attackTrace, rebuildAuditTrace, runSpec, type RunSpec } from './audit.ts';
import { crackVerifier, DICTIONARY } from './dictionary.ts';
import { LOGIN_ATTACKS, runLoginAttack } from './login-attacks.ts';

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
    expect(real.violations.map((v) => v.prop)).toEqual(['PROP-21']);
    expect(real.findings).toEqual(sym.findings);
  }, 120_000);
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
