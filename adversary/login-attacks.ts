/**
 * Login attacks (spec 11.4 ATK-24, ATK-24b, ATK-24c, ATK-25), run in the login world
 * (simulator/login-world.ts) with the adversary holding the network between the clients and the
 * login server; for ATK-24b and ATK-24c it is the relay itself and signs with the relay's key
 * (spec 9.6). The oracles are adversary/login-oracles.ts.
 *
 * In every run alice registers and logs in once honestly, the adversary recording it all; then
 * the attack.
 */
import { toHex, type Bytes } from '../impl/bytes.ts';
import { decode, encode, peekType } from '../impl/codec.ts';
import { CompatLoginChallenge, CompatLoginFinish, CompatLoginResponse, LoginChallenge, LoginFinish, LoginResponse, LoginStart, MsgType } from '../impl/messages/index.ts';
import { signStruct } from '../impl/protocol/identity.ts';
import { compatStart, KDF_PROFILES, loginStart, registrationPin, type LoginPin } from '../impl/protocol/login.ts';
import type { Profile } from '../impl/suite.ts';
import { backendCrypto, type Backend } from '../simulator/run.ts';
import { createLoginWorld, type LoginClientNode, type LoginFrame, type LoginWorld } from '../simulator/login-world.ts';
import { crackCompatResponse, DICTIONARY, FAKE_SERVER_C1, FAKE_SERVER_KDF, FAKE_SERVER_SALT } from './dictionary.ts';
import type { NamedAttack, RunVerdict } from './attacks.ts';
import { loginDetected, loginViolations } from './login-oracles.ts';

/** A login attack. */
export interface LoginAttack extends NamedAttack {
  /** The attack, after alice's honest login; returns how often each of its steps fired. */
  readonly run: (w: LoginWorld, recorded: Recorded, found: (finding: string) => void) => number[];
}

/** What the adversary recorded of alice's honest registration and login. */
export interface Recorded {
  readonly up: readonly Bytes[];
  readonly down: readonly Bytes[];
}

/** The outcome of a login attack run. */
export interface LoginAttackResult extends RunVerdict {
  readonly id: string;
  readonly profile: Profile;
  readonly seed: number;
  /** What the attack achieved beyond the property (a recovered password, a stolen login). */
  readonly findings: readonly string[];
  readonly world: LoginWorld;
}

/** Drops the first honest frame that `match`es, after `act` on it; every other frame goes through. */
function interceptOnce(w: LoginWorld, match: (f: LoginFrame) => boolean, act: (f: LoginFrame) => void): void {
  w.tap = (f) => {
    if (!match(f)) return 'deliver';
    w.tap = () => 'deliver';
    act(f);
    return 'drop';
  };
}

/** A weak password drawn by the world's generator (the dictionary attack's targets). */
function weakPassword(w: LoginWorld): string {
  return DICTIONARY[Number(BigInt(`0x${toHex(w.rng.bytes(4))}`) % BigInt(DICTIONARY.length))]!;
}

/** The salt and KDF parameters alice registered with, as the adversary saw her `Register` go by (CAP-01). */
function registeredWith(rec: Recorded): LoginPin {
  return registrationPin(rec.up.find((b) => peekType(b) === MsgType.Register)!);
}

/** What a fake challenge serves: the salt and KDF parameters, and `c1` (any bytes: decapsulation never fails). */
type Served = LoginPin & { readonly c1: Bytes };

/** A fake server's challenge and what it keeps to read the answer. */
interface Fake {
  readonly bytes: Bytes;
  readonly ephSk: Bytes;
  readonly challengeC: Bytes;
}

/**
 * A challenge of the adversary's for the login `start` on the connection whose binding is `th`:
 * compat, unsigned; hardened, everything the client checks right except what `served` names,
 * signed with `signKey` (its own key, or the relay's when the adversary is the relay).
 */
function fakeChallenge(w: LoginWorld, start: Bytes, th: Bytes, signKey: Bytes, served: Served): Fake {
  const c = w.crypto;
  const eph = c.kemKeygen(w.rng.bytes(64));
  if (w.profile === 'compat') {
    const challengeC = w.rng.bytes(32);
    return { bytes: encode(CompatLoginChallenge, { pk_e: eph.publicKey, c1: served.c1, salt: served.salt, kdf: served.kdf, challenge: challengeC }), ephSk: eph.secretKey, challengeC };
  }
  const s = decode(LoginStart, start);
  const ch = signStruct(
    c,
    w.rng,
    LoginChallenge,
    { session_id: w.rng.bytes(32), username: s.username, client_nonce: s.client_nonce, channel_binding: th, salt: served.salt, kdf: served.kdf, pk_e: eph.publicKey, c1: served.c1, issued_at: w.now() },
    'login challenge',
    signKey,
  );
  return { bytes: encode(LoginChallenge, ch), ephSk: eph.secretKey, challengeC: new Uint8Array(0) };
}

/**
 * Answers the next login of each of `clients` with the fake challenge `make` builds (CAP-14), and
 * keeps each client's answer; the real server never sees these logins. Counts the challenges in
 * `fired[0]`. Returns, per client name, the fake and the answer captured.
 */
function answerLogins(w: LoginWorld, clients: readonly LoginClientNode[], make: (node: LoginClientNode, start: Bytes) => Fake, fired: number[]): Map<string, { fake: Fake; answer?: Bytes }> {
  const got = new Map<string, { fake: Fake; answer?: Bytes }>();
  w.tap = (f: LoginFrame) => {
    const node = clients.find((n) => n.conn === f.conn);
    if (node === undefined || f.dir !== 'up') return 'deliver';
    const t = peekType(f.bytes);
    if ((t === MsgType.CompatLoginStart || t === MsgType.LoginStart) && !got.has(node.name)) {
      const fake = make(node, f.bytes);
      got.set(node.name, { fake });
      w.inject({ conn: f.conn, dir: 'down', bytes: fake.bytes, origin: 'injected' });
      fired[0]!++;
      return 'drop';
    }
    const mine = got.get(node.name);
    if ((t === MsgType.CompatLoginResponse || t === MsgType.LoginResponse) && mine) {
      got.set(node.name, { ...mine, answer: f.bytes });
      return 'drop';
    }
    return 'deliver';
  };
  return got;
}

/** compat: tests the dictionary against a captured answer to a challenge made with the FAKE_SERVER_* choices. */
function crack(w: LoginWorld, got: { fake: Fake; answer?: Bytes } | undefined): ReturnType<typeof crackCompatResponse> {
  if (w.profile !== 'compat' || got?.answer === undefined) return undefined;
  const ss2 = w.crypto.kemDecapsulate(decode(CompatLoginResponse, got.answer).c2, got.fake.ephSk);
  return crackCompatResponse(w.crypto, got.answer, got.fake.challengeC, ss2);
}

/** The login attacks of spec 11.4. */
export const LOGIN_ATTACKS: readonly LoginAttack[] = [
  {
    id: 'ATK-24',
    title: 'a fake login server answers the login and runs an offline dictionary attack on the response',
    weakness: 'L1',
    props: ['PROP-21', 'PROP-28'],
    run(w, rec, found) {
      const fired = [0];
      const alice = w.clients.get('alice')!;
      const adv = w.crypto.sigKeygen(w.rng.bytes(32)); // the fake server's own signing key: it lacks the relay's
      // compat: the choices its precomputed table is made for; hardened: alice's own salt and parameters (only the relay key is missing)
      const served: Served = w.profile === 'compat' ? { salt: FAKE_SERVER_SALT, kdf: FAKE_SERVER_KDF, c1: FAKE_SERVER_C1 } : { ...registeredWith(rec), c1: FAKE_SERVER_C1 };
      const got = answerLogins(w, [alice], (node, start) => fakeChallenge(w, start, node.th, adv.secretKey, served), fired);
      w.login('alice');
      w.tap = () => 'deliver';
      const hit = crack(w, got.get('alice'));
      if (hit) {
        w.note('offline dictionary attack', `recovered alice's password after ${hit.index + 1} of ${DICTIONARY.length} guesses`);
        found(`recovered alice's password "${hit.password}" from one login after ${hit.index + 1} of ${DICTIONARY.length} guesses`);
        const thief = w.addClient('thief', hit.password, 'alice');
        w.login(thief.name);
        if (thief.sessions.length > 0) found('then logged in to the real server as alice with it');
      }
      return fired;
    },
  },
  {
    id: 'ATK-24b',
    title: "the relay, with its own key, answers the login of alice's second device (no pin there) with KDF parameters below the floor",
    weakness: 'L3',
    props: ['PROP-28'],
    run(w, rec) {
      const fired = [0];
      const alice = w.clients.get('alice')!;
      // the same person on a device without her vault: it holds no pin (REQ-LOG-017), only the floor protects it
      const phone = w.addClient('alice-phone', alice.actor.getSnapshot().context.password, 'alice');
      const served: Served = { salt: registeredWith(rec).salt, kdf: KDF_PROFILES.test, c1: FAKE_SERVER_C1 };
      answerLogins(w, [phone], (node, start) => fakeChallenge(w, start, node.th, w.relayKeys.secretKey, served), fired);
      w.login(phone.name);
      w.tap = () => 'deliver';
      return fired;
    },
  },
  {
    id: 'ATK-24c',
    title: "the relay, with its own key, answers alice's and bob's logins under one salt of its choosing, for one precomputed table",
    weakness: 'L1',
    props: ['PROP-28'],
    run(w, rec, found) {
      const fired = [0];
      const bob = w.addClient('bob', weakPassword(w));
      w.register('bob');
      w.login('bob');
      const alice = w.clients.get('alice')!;
      // hardened: the accounts' own parameters, so that only the salt is the relay's choice; compat: the cheapest ones
      const served: Served = { salt: FAKE_SERVER_SALT, kdf: w.profile === 'compat' ? FAKE_SERVER_KDF : registeredWith(rec).kdf, c1: FAKE_SERVER_C1 };
      const got = answerLogins(w, [alice, bob], (node, start) => fakeChallenge(w, start, node.th, w.relayKeys.secretKey, served), fired);
      w.login('alice');
      w.login('bob');
      w.tap = () => 'deliver';
      const hits = [alice, bob].map((n) => [n.name, crack(w, got.get(n.name))] as const).filter(([, h]) => h !== undefined);
      if (hits.length === 2) {
        const table = Math.max(...hits.map(([, h]) => h!.index + 1));
        w.note('offline dictionary attack', `one table of ${table} entries recovered ${hits.map(([n]) => n).join(' and ')}'s passwords`);
        found(`recovered ${hits.map(([n, h]) => `${n}'s password "${h!.password}"`).join(' and ')} from one login each, with one precomputed table of ${table} entries`);
      }
      return fired;
    },
  },
  {
    id: 'ATK-25',
    title: "replay of a client's login response, of the server's challenge, and reflection of a confirmation",
    weakness: 'L4',
    props: ['PROP-22'],
    compat: 'blocked',
    run(w, rec) {
      const fired = [0, 0, 0, 0];
      const alice = w.clients.get('alice')!;
      const recResponse = rec.up.find((b) => peekType(b) === MsgType.CompatLoginResponse || peekType(b) === MsgType.LoginResponse)!;
      const recChallenge = rec.down.find((b) => peekType(b) === MsgType.CompatLoginChallenge || peekType(b) === MsgType.LoginChallenge)!;
      // (a) the recorded response again on alice's own connection, right after the login it belongs to (the session it answered is used up: REQ-LOG-014)
      w.inject({ conn: alice.conn, dir: 'up', bytes: recResponse, origin: 'replayed' });
      w.settle();
      fired[0]!++;
      // (b) the adversary starts a login as alice on its own connection and replays her recorded response
      const own = w.adversaryConnection();
      const start = w.profile === 'compat' ? compatStart('alice') : loginStart(w.rng, 'alice').startBytes;
      w.inject({ conn: own.conn, dir: 'up', bytes: start, origin: 'injected' });
      w.settle();
      const challenge = w.adversaryInbox.get(own.conn)!.at(-1);
      if (challenge !== undefined) {
        let replay = recResponse;
        if (w.profile === 'hardened' && peekType(challenge) === MsgType.LoginChallenge) {
          const sid = decode(LoginChallenge, challenge).session_id; // the recorded response, edited into the new session
          replay = encode(LoginResponse, { ...decode(LoginResponse, recResponse), session_id: sid });
        }
        w.inject({ conn: own.conn, dir: 'up', bytes: replay, origin: 'replayed' });
        w.settle();
        fired[1]!++;
      }
      // (c) alice logs in again; the adversary drops the server's fresh challenge and replays the recorded one
      interceptOnce(
        w,
        (f) => f.conn === alice.conn && f.dir === 'down' && (peekType(f.bytes) === MsgType.CompatLoginChallenge || peekType(f.bytes) === MsgType.LoginChallenge),
        () => {
          w.inject({ conn: alice.conn, dir: 'down', bytes: recChallenge, origin: 'replayed' });
          fired[2]!++;
        },
      );
      w.login('alice');
      w.tap = () => 'deliver';
      // (d) alice logs in; the adversary drops her response and reflects her own confirmation to her as the server's
      interceptOnce(
        w,
        (f) => f.conn === alice.conn && f.dir === 'up' && (peekType(f.bytes) === MsgType.CompatLoginResponse || peekType(f.bytes) === MsgType.LoginResponse),
        (f) => {
          const reflected =
            peekType(f.bytes) === MsgType.CompatLoginResponse
              ? encode(CompatLoginFinish, { response: decode(CompatLoginResponse, f.bytes).response })
              : encode(LoginFinish, { session_id: decode(LoginResponse, f.bytes).session_id, confirm: decode(LoginResponse, f.bytes).confirm, expires_at: w.now() + 3_600_000 });
          w.inject({ conn: alice.conn, dir: 'down', bytes: reflected, origin: 'replayed' });
          fired[3]!++;
        },
      );
      w.login('alice');
      w.tap = () => 'deliver';
      return fired;
    },
  },
];

/** Runs a login attack (or, with `attack` undefined, only the honest registration and login). */
export function runLoginAttack(attack: LoginAttack | undefined, o: { profile: Profile; seed: number; backend: Backend; trace?: boolean }): LoginAttackResult {
  const w = createLoginWorld({ profile: o.profile, seed: o.seed, crypto: backendCrypto(o.backend), trace: o.trace ?? false });
  w.addClient('alice', weakPassword(w)); // a weak password, drawn by the seed
  w.register('alice');
  w.login('alice');
  const rec = { up: w.observed.filter((f) => f.dir === 'up').map((f) => f.bytes), down: w.observed.filter((f) => f.dir === 'down').map((f) => f.bytes) };
  const findings: string[] = [];
  const fired = attack ? attack.run(w, rec, (f) => findings.push(f)) : [];
  const violations = loginViolations(w, new Set(['thief']));
  const detected = loginDetected(w);
  return { id: attack?.id ?? 'honest', profile: o.profile, seed: o.seed, violations, blocked: violations.length === 0, detected, fired, findings, world: w };
}

/** The login attack named `id`. */
export function findLoginAttack(id: string): LoginAttack | undefined {
  return LOGIN_ATTACKS.find((a) => a.id === id);
}
