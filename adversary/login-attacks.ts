/**
 * Login attacks (spec 11.4 ATK-24, ATK-25) and the login property oracles (spec 12 PROP-21,
 * PROP-22), run in the login world (simulator/login-world.ts) with the adversary holding the
 * network between the clients and the login server.
 *
 * In every run alice registers and logs in once honestly, the adversary recording it all; then
 * the attack. The oracles judge what honest parties did with what the adversary sent them:
 * - PROP-21: an honest client sent a password-dependent message (a login response) in answer to
 *   a challenge the adversary injected or replayed;
 * - PROP-22: the server or an honest client accepted a login on a replayed or edited message.
 */
import { toHex, type Bytes } from '../impl/bytes.ts';
import { decode, encode, peekType } from '../impl/codec.ts';
import type { ReqId } from '../impl/errors.ts';
import { CompatLoginChallenge, CompatLoginFinish, CompatLoginResponse, LoginChallenge, LoginFinish, LoginResponse, LoginStart, MsgType } from '../impl/messages/index.ts';
import { signStruct } from '../impl/protocol/identity.ts';
import { compatStart, KDF_PROFILES, loginStart } from '../impl/protocol/login.ts';
import type { Profile } from '../impl/suite.ts';
import { backendCrypto, type Backend } from '../simulator/run.ts';
import { createLoginWorld, type LoginFrame, type LoginWorld } from '../simulator/login-world.ts';
import { crackCompatResponse, DICTIONARY, FAKE_SERVER_C1, FAKE_SERVER_KDF, FAKE_SERVER_SALT } from './dictionary.ts';
import type { NamedAttack, RunVerdict } from './attacks.ts';
import type { PropId, Violation } from './oracles.ts';

/** A login attack. */
export interface LoginAttack extends NamedAttack {
  /** The attack, after alice's honest login; returns how often each of its steps fired. */
  readonly run: (w: LoginWorld, recorded: Recorded, found: (finding: string) => void) => number[];
}

/** What the adversary recorded of alice's honest login. */
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

/** The properties the login oracles check. */
export const LOGIN_PROPERTIES: readonly PropId[] = ['PROP-21', 'PROP-22'];

/** The login oracles over a finished world (PROP-21, PROP-22). */
export function loginViolations(w: LoginWorld, controlled: ReadonlySet<string>): Violation[] {
  const out: Violation[] = [];
  for (const node of w.clients.values()) {
    if (controlled.has(node.name)) continue;
    for (const s of node.passwordSends) {
      if (s.answered !== 'honest') out.push({ prop: 'PROP-21', party: node.name, t: s.t, detail: `${node.name} sent a password-dependent login response in answer to a challenge the adversary ${s.answered}` });
    }
    for (const s of node.sessions) {
      if (s.origin === 'replayed') out.push({ prop: 'PROP-22', party: node.name, t: s.t, detail: `${node.name} accepted a login on a replayed or reflected message` });
    }
  }
  for (const l of w.serverLogins) {
    if (l.origin === 'replayed') out.push({ prop: 'PROP-22', party: 'server', t: l.t, detail: `the server accepted a login as ${l.username} on a replayed message (${l.conn})` });
  }
  return out.sort((a, b) => a.t - b.t);
}

function fakeChallenge(w: LoginWorld, profile: Profile, start: Bytes, th: Bytes, advSk: Bytes): { bytes: Bytes; ephSk: Bytes; challengeC: Bytes } {
  const c = w.crypto;
  const eph = c.kemKeygen(w.rng.bytes(64));
  if (profile === 'compat') {
    const challengeC = w.rng.bytes(32);
    const bytes = encode(CompatLoginChallenge, { pk_e: eph.publicKey, c1: FAKE_SERVER_C1, salt: FAKE_SERVER_SALT, kdf: FAKE_SERVER_KDF, challenge: challengeC });
    return { bytes, ephSk: eph.secretKey, challengeC };
  }
  // hardened: everything the client checks after the signature is right (it is the connection's
  // end, so it knows th), and the KDF meets the minimum; only the relay key is missing
  const s = decode(LoginStart, start);
  const ch = signStruct(
    c,
    w.rng,
    LoginChallenge,
    { session_id: w.rng.bytes(32), username: s.username, client_nonce: s.client_nonce, channel_binding: th, salt: FAKE_SERVER_SALT, kdf: KDF_PROFILES.test, pk_e: eph.publicKey, c1: FAKE_SERVER_C1, issued_at: w.now() },
    'login challenge',
    advSk,
  );
  return { bytes: encode(LoginChallenge, ch), ephSk: eph.secretKey, challengeC: new Uint8Array(0) };
}

/** The login attacks of spec 11.4. */
export const LOGIN_ATTACKS: readonly LoginAttack[] = [
  {
    id: 'ATK-24',
    title: 'a fake login server answers the login and runs an offline dictionary attack on the response',
    weakness: 'L1',
    props: ['PROP-21'],
    run(w, _rec, found) {
      const fired = [0];
      const alice = w.clients.get('alice')!;
      const adv = w.crypto.sigKeygen(w.rng.bytes(32)); // the fake server's own signing key: it lacks the relay's
      let fake: ReturnType<typeof fakeChallenge> | undefined;
      let captured: Bytes | undefined;
      w.tap = (f: LoginFrame) => {
        if (f.conn !== alice.conn || f.dir !== 'up') return 'deliver';
        const t = peekType(f.bytes);
        if (t === MsgType.CompatLoginStart || t === MsgType.LoginStart) {
          fake = fakeChallenge(w, w.profile, f.bytes, alice.th, adv.secretKey);
          w.inject({ conn: f.conn, dir: 'down', bytes: fake.bytes, origin: 'injected' }); // CAP-14: pose as the login server
          fired[0]!++;
          return 'drop';
        }
        if (t === MsgType.CompatLoginResponse || t === MsgType.LoginResponse) {
          captured = f.bytes; // the fake server keeps the answer; the real one never sees this login
          return 'drop';
        }
        return 'deliver';
      };
      w.login('alice');
      if (captured && fake && w.profile === 'compat') {
        const r = decode(CompatLoginResponse, captured);
        const ss2 = w.crypto.kemDecapsulate(r.c2, fake.ephSk);
        const hit = crackCompatResponse(w.crypto, captured, fake.challengeC, ss2);
        w.tap = () => 'deliver';
        if (hit) {
          w.note('offline dictionary attack', `recovered alice's password after ${hit.index + 1} of ${DICTIONARY.length} guesses`);
          found(`recovered alice's password "${hit.password}" from one login after ${hit.index + 1} of ${DICTIONARY.length} guesses`);
          const thief = w.addClient('thief', hit.password, 'alice');
          w.login(thief.name);
          if (thief.sessions.length > 0) found('then logged in to the real server as alice with it');
        }
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

/** Requirement ids of the rejections the server and the honest clients of a login world raised. */
export function loginDetected(w: LoginWorld): ReqId[] {
  return [...new Set([...w.serverRejects.map((r) => r.reqId), ...[...w.clients.values()].flatMap((n) => n.rejects.map((r) => r.reqId))])].sort() as ReqId[];
}

/** Runs a login attack (or, with `attack` undefined, only the honest registration and login). */
export function runLoginAttack(attack: LoginAttack | undefined, o: { profile: Profile; seed: number; backend: Backend; trace?: boolean }): LoginAttackResult {
  const w = createLoginWorld({ profile: o.profile, seed: o.seed, crypto: backendCrypto(o.backend), trace: o.trace ?? false });
  const password = DICTIONARY[Number(BigInt(`0x${toHex(w.rng.bytes(4))}`) % BigInt(DICTIONARY.length))]!; // a weak password, drawn by the seed
  w.addClient('alice', password);
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
