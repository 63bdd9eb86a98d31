/**
 * Conformance cases for the hardened login (spec 9.2, 9.4) over the wire: registration, the
 * challenge (signed by the relay key, bound to the connection), an unknown username answered
 * like an account (REQ-LOG-015, REQ-LOG-018), refusals as a `Reject` with `req_id` 0 naming the
 * requirement (REQ-LOG-023), and a login that completes. The suite learns the relay's KDF
 * parameters from the challenge for an unknown username, and derives password keys under them
 * (at the interactive profile, about a second and a half each in noble; the suite derives them in
 * WebAssembly first, see {@link withPasswordSeed}).
 */
import { toHex, type Bytes } from '../../../impl/bytes.ts';
import { decode, encode } from '../../../impl/codec.ts';
import { precomputedArgon2id } from '../../../impl/crypto/argon2.ts';
import type { CryptoProvider } from '../../../impl/crypto/provider.ts';
import { PqroomError } from '../../../impl/errors.ts';
import { LoginChallenge, LoginFinish, MsgType, Register, Reject } from '../../../impl/messages/index.ts';
import { checkChallenge, KDF_PROFILES, loginComplete, loginRespond, loginStart, passwordBytes, passwordKey, type ClientStartState } from '../../../impl/protocol/login.ts';
import { KEM_PK_BYTES, KEM_SEED_BYTES } from '../../../impl/suite.ts';
import { describe, type Peer } from './peer.ts';
import { Room } from './room.ts';
import { Mismatch, expectThat, type Case, type CaseContext } from './verdict.ts';

type Challenge = { readonly start: ClientStartState; readonly bytes: Bytes; readonly ch: LoginChallenge };

const isLoginAnswer = (m: Bytes): boolean => m[3] === MsgType.LoginChallenge || m[3] === MsgType.LoginFinish || (m[3] === MsgType.Reject && decode(Reject, m).req_id === 0);

/** Sends `bytes` and waits for the next login answer (a challenge, a finish, or a Reject with req_id 0). */
async function loginAnswer(p: Peer, bytes: Bytes): Promise<Bytes> {
  const before = p.inbox.length;
  p.sendInner(bytes);
  await p.until(() => p.inbox.slice(before).some(isLoginAnswer));
  const m = p.inbox.slice(before).find(isLoginAnswer);
  if (!m) throw new Mismatch('an answer to the login message', p.closedWith ? `the connection closed (${p.closedWith.code} ${p.closedWith.reason})` : 'nothing');
  return m;
}

/** A `LoginStart` for `username` and the relay's challenge, checked as a hardened client checks it (REQ-LOG-010, REQ-LOG-011). */
async function challenge(x: CaseContext, p: Peer, username: string): Promise<Challenge> {
  const start = loginStart(x.rng, username);
  const bytes = await loginAnswer(p, start.startBytes);
  if (bytes[3] !== MsgType.LoginChallenge) throw new Mismatch('a LoginChallenge', describe(bytes));
  try {
    // the floor is the test profile: the suite checks the relay, whatever parameters it was configured with
    return { start, bytes, ch: checkChallenge(x.crypto, start, bytes, { pinnedRelayPk: x.relayPk!, channelBinding: p.th, minKdf: KDF_PROFILES.test, pin: undefined }) };
  } catch (e) {
    if (e instanceof PqroomError) throw new Mismatch('a LoginChallenge signed by the relay key for this login and connection', `${e.reqId}: ${e.message}`);
    throw e;
  }
}

/**
 * `x.crypto` with the password's Argon2id under `salt` and `kdf` (REQ-LOG-001) derived beforehand,
 * asynchronously in WebAssembly (hash-wasm, about 4 times noble's speed: the same function of the
 * same inputs, held to it in impl/crypto/argon2.test.ts), so that the synchronous derivation of
 * the login functions finds it instead of computing it again; the bytes sent are the same.
 */
async function withPasswordSeed(x: CaseContext, password: string, salt: Bytes, kdf: LoginChallenge['kdf']): Promise<CryptoProvider> {
  const pre = precomputedArgon2id(x.crypto);
  if (kdf.algorithm === 'argon2id') await pre.precompute(passwordBytes(password), salt, { m: kdf.memory_kib, t: kdf.iterations, p: kdf.parallelism }, KEM_SEED_BYTES);
  return pre.provider;
}

const username = (x: CaseContext): string => `conformance-${toHex(x.rng.bytes(8))}`;
const kdfText = (ch: LoginChallenge): string => `m=${ch.kdf.memory_kib} t=${ch.kdf.iterations} p=${ch.kdf.parallelism}`;
/** Every field of a challenge that could tell an account from an unknown username, except the per-username salt. */
const shape = (ch: LoginChallenge): string => `${ch.kdf.algorithm} ${kdfText(ch)} salt ${ch.salt.length} session ${ch.session_id.length} pk_e ${ch.pk_e.length} c1 ${ch.c1.length}`;

/** Registers a new account for `who` under the relay's parameters (learned from an unknown username's challenge); returns its name, salt and password. */
async function registered(x: CaseContext, who: { id: { publicKey: Bytes }; peer: Peer }): Promise<{ name: string; salt: Bytes; password: string; kdf: LoginChallenge['kdf'] }> {
  const probe = await challenge(x, (await Room.principal(x)).peer, username(x));
  const name = username(x);
  const password = `pw ${toHex(x.rng.bytes(8))}`;
  const salt = x.rng.bytes(16);
  const pk = passwordKey(await withPasswordSeed(x, password, salt, probe.ch.kdf), password, salt, probe.ch.kdf).publicKey;
  who.peer.sendInner(encode(Register, { username: name, salt, kdf: probe.ch.kdf, pk_pw: pk, identity_pk: who.id.publicKey }));
  return { name, salt, password, kdf: probe.ch.kdf };
}

/** Why the login cases are not vectors: what a client sends depends on the relay's fresh challenge. */
const RELAY_RANDOM = "its requests and the relay's answers depend on the relay's fresh challenge (session values, signature), which a fixed script cannot hold";

export const LOGIN_CASES: readonly Case[] = [
  {
    id: 'REQ-LOG-015',
    name: 'login: an unknown username is challenged like an account: the same salt each time, the relay\'s KDF parameters, fresh session values',
    profiles: ['hardened'],
    notAVector: RELAY_RANDOM,
    async run(x) {
      const name = username(x);
      const a = await challenge(x, (await Room.principal(x)).peer, name);
      const b = await challenge(x, (await Room.principal(x)).peer, name);
      const other = await challenge(x, (await Room.principal(x)).peer, username(x));
      expectThat(toHex(a.ch.salt) === toHex(b.ch.salt), 'one salt per username', () => `${toHex(a.ch.salt)} then ${toHex(b.ch.salt)}`);
      expectThat(toHex(a.ch.salt) !== toHex(other.ch.salt), 'another salt for another username', () => 'the same salt');
      expectThat(shape(a.ch) === shape(other.ch) && shape(a.ch) === shape(b.ch), 'the same KDF parameters and sizes', () => `${shape(a.ch)}; ${shape(other.ch)}`);
      expectThat(toHex(a.ch.session_id) !== toHex(b.ch.session_id) && toHex(a.ch.c1) !== toHex(b.ch.c1), 'a fresh session_id and c1 per login (REQ-LOG-014)', () => 'repeated');
    },
  },
  {
    id: 'REQ-LOG-018',
    name: 'login: a Register with other KDF parameters than the relay\'s is refused with a Reject REQ-LOG-018, req_id 0',
    profiles: ['hardened'],
    notAVector: RELAY_RANDOM,
    async run(x) {
      const who = await Room.principal(x);
      const probe = await challenge(x, who.peer, username(x));
      const other = { ...probe.ch.kdf, iterations: probe.ch.kdf.iterations + 1 };
      const answer = await loginAnswer(who.peer, encode(Register, { username: username(x), salt: x.rng.bytes(16), kdf: other, pk_pw: x.rng.bytes(KEM_PK_BYTES), identity_pk: who.id.publicKey }));
      const r = answer[3] === MsgType.Reject ? decode(Reject, answer) : undefined;
      expectThat(r?.requirement === 'REQ-LOG-018' && r.req_id === 0, 'a Reject REQ-LOG-018 with req_id 0', () => describe(answer));
    },
  },
  {
    id: 'REQ-LOG-001',
    name: 'login: a registered account is challenged under its own salt, with nothing that tells it from an unknown username (REQ-LOG-015)',
    profiles: ['hardened'],
    notAVector: RELAY_RANDOM,
    async run(x) {
      const who = await Room.principal(x);
      const acct = await registered(x, who);
      const held = await challenge(x, who.peer, acct.name);
      const unknown = await challenge(x, (await Room.principal(x)).peer, username(x));
      expectThat(toHex(held.ch.salt) === toHex(acct.salt), 'the registered salt', () => toHex(held.ch.salt));
      expectThat(shape(held.ch) === shape(unknown.ch), `the shape of an unknown username's challenge (${shape(unknown.ch)})`, () => shape(held.ch));
    },
  },
  {
    id: 'REQ-LOG-023',
    name: 'login: a wrong password and an unknown username are refused alike (the same Reject, req_id 0); the right password completes (REQ-LOG-013)',
    profiles: ['hardened'],
    notAVector: RELAY_RANDOM,
    async run(x) {
      const who = await Room.principal(x);
      const acct = await registered(x, who);
      const refusal = async (p: Peer, name: string, password: string): Promise<string> => {
        const c = await challenge(x, p, name);
        const answer = await loginAnswer(p, loginRespond(await withPasswordSeed(x, password, c.ch.salt, c.ch.kdf), x.rng, c.start, c.bytes, c.ch, password).bytes);
        const r = answer[3] === MsgType.Reject ? decode(Reject, answer) : undefined;
        if (r?.req_id !== 0) throw new Mismatch('a Reject with req_id 0', describe(answer));
        return `${r.requirement} (${r.detail})`;
      };
      const wrong = await refusal(who.peer, acct.name, `${acct.password}!`);
      const unknown = await refusal((await Room.principal(x)).peer, username(x), acct.password);
      expectThat(wrong === unknown && wrong.startsWith('REQ-LOG-013'), 'the same Reject REQ-LOG-013 for both', () => `wrong password: ${wrong}; unknown username: ${unknown}`);
      // the account's own password completes, on a connection of the account's identity (REQ-LOG-022)
      const own = await x.connect(who.id);
      const c = await challenge(x, own, acct.name);
      const r = loginRespond(await withPasswordSeed(x, acct.password, c.ch.salt, c.ch.kdf), x.rng, c.start, c.bytes, c.ch, acct.password);
      const finish = await loginAnswer(own, r.bytes);
      if (finish[3] !== MsgType.LoginFinish) throw new Mismatch('a LoginFinish', describe(finish));
      try {
        loginComplete(x.crypto, r.state, finish);
      } catch (e) {
        if (e instanceof PqroomError) throw new Mismatch('a LoginFinish whose server_confirm verifies (REQ-LOG-013)', `${e.reqId}: ${e.message}`);
        throw e;
      }
      expectThat(decode(LoginFinish, finish).expires_at > Date.now(), 'a session that has not expired', () => `expires_at ${decode(LoginFinish, finish).expires_at}`);
    },
  },
];
