/**
 * The login property oracles (spec 12 PROP-21, PROP-22, PROP-28; spec 9.6), over a finished login
 * world (simulator/login-world.ts). They judge what honest parties did with what reached them,
 * from the parties' own records: the challenge each password-dependent message answered, the
 * start message of that login, the sessions accepted, and the registrations the world made.
 */
import { equalBytes } from '../impl/bytes.ts';
import { decode, peekType } from '../impl/codec.ts';
import { attempt, type ReqId } from '../impl/errors.ts';
import { CompatLoginChallenge, LoginChallenge, LoginStart, MsgType } from '../impl/messages/index.ts';
import { verifyStruct } from '../impl/protocol/identity.ts';
import { kdfAtLeast, matchesPin, type LoginPin } from '../impl/protocol/login.ts';
import type { LoginClientNode, LoginWorld, PasswordSend } from '../simulator/login-world.ts';
import type { PropId, Violation } from './oracles/index.ts';

/** The properties the login oracles check. */
export const LOGIN_PROPERTIES: readonly PropId[] = ['PROP-21', 'PROP-22', 'PROP-28'];

/**
 * PROP-21: whether the challenge a client answered came from a party that proved possession of
 * the pinned relay key to this login: a hardened challenge that verifies under that key and echoes
 * the client nonce of the login under way (a fresh signature: a replayed one proves nothing). A
 * compat challenge carries no signature, so only the relay's own challenge counts there (the
 * relay holds the key; what the client cannot tell apart from it is L1).
 */
function fromRelayKeyHolder(w: LoginWorld, s: PasswordSend): boolean {
  if (peekType(s.challenge) !== MsgType.LoginChallenge) return s.answered === 'honest';
  const r = attempt(() => {
    const ch = decode(LoginChallenge, s.challenge);
    const fresh = s.start !== undefined && peekType(s.start) === MsgType.LoginStart && equalBytes(ch.client_nonce, decode(LoginStart, s.start).client_nonce);
    return fresh && verifyStruct(w.crypto, LoginChallenge, ch, 'login challenge', w.relayKeys.publicKey);
  });
  return r.ok && r.value;
}

/** The salt and KDF parameters of the challenge a client answered, if it decodes. */
function servedParameters(challenge: Uint8Array): LoginPin | undefined {
  const r = attempt(() => (peekType(challenge) === MsgType.LoginChallenge ? decode(LoginChallenge, challenge) : decode(CompatLoginChallenge, challenge)));
  return r.ok ? { salt: r.value.salt, kdf: r.value.kdf } : undefined;
}

/**
 * PROP-28: the client answered under KDF parameters below the floor, or, holding a pin (it
 * registered the account, or logged in to it before), under a salt or KDF parameters other than
 * the ones the account registered with.
 */
function kdfViolations(w: LoginWorld, node: LoginClientNode): Violation[] {
  const out: Violation[] = [];
  const registration = w.registrations.get(node.username);
  for (const s of node.passwordSends) {
    const served = servedParameters(s.challenge);
    if (served === undefined) continue;
    const k = served.kdf;
    if (!kdfAtLeast(k, w.kdfFloor)) {
      out.push({ prop: 'PROP-28', party: node.name, t: s.t, detail: `${node.name} answered a login under Argon2id m=${k.memory_kib} KiB, t=${k.iterations}, p=${k.parallelism}, below the floor` });
      continue;
    }
    const pinned = registration !== undefined && (registration.by === node.name || node.sessions.some((x) => x.t < s.t));
    if (pinned && !matchesPin(served, registration.pin)) {
      out.push({ prop: 'PROP-28', party: node.name, t: s.t, detail: `${node.name} answered a login for ${node.username} under a salt or KDF parameters other than the ones the account registered with` });
    }
  }
  return out;
}

/** The login oracles over a finished world (PROP-21, PROP-22, PROP-28); `controlled` clients are the adversary's. */
export function loginViolations(w: LoginWorld, controlled: ReadonlySet<string>): Violation[] {
  const out: Violation[] = [];
  for (const node of w.clients.values()) {
    if (controlled.has(node.name)) continue;
    for (const s of node.passwordSends) {
      if (!fromRelayKeyHolder(w, s)) out.push({ prop: 'PROP-21', party: node.name, t: s.t, detail: `${node.name} sent a password-dependent login response in answer to a challenge (${s.answered}) that does not prove possession of the pinned relay key` });
    }
    out.push(...kdfViolations(w, node));
    for (const s of node.sessions) {
      if (s.origin === 'replayed') out.push({ prop: 'PROP-22', party: node.name, t: s.t, detail: `${node.name} accepted a login on a replayed or reflected message` });
    }
  }
  for (const l of w.serverLogins) {
    if (l.origin === 'replayed') out.push({ prop: 'PROP-22', party: 'server', t: l.t, detail: `the server accepted a login as ${l.username} on a replayed message (${l.conn})` });
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Requirement ids of the rejections the server and the honest clients of a login world raised. */
export function loginDetected(w: LoginWorld): ReqId[] {
  return [...new Set([...w.serverRejects.map((r) => r.reqId), ...[...w.clients.values()].flatMap((n) => n.rejects.map((r) => r.reqId))])].sort() as ReqId[];
}
