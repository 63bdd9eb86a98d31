/**
 * The login server (spec 9.2 to 9.5), the relay's half of registration and login, as a machine.
 * It serves many connections at once: each has at most one login under way, keyed by the
 * connection's name. hardened signs its challenges with the relay key (REQ-LOG-010), binds them
 * to the connection (REQ-LOG-011), answers unknown usernames with a fake verifier (REQ-LOG-015),
 * registers accounts with its own KDF parameters only, the ones it announces for an unknown
 * username (REQ-LOG-018), accepts one response per session (REQ-LOG-014) and limits failures per
 * account (REQ-LOG-016).
 */
import { enqueueActions, setup } from 'xstate';
import type { Bytes } from '../impl/bytes.ts';
import { decode, peekType } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { attempt, ProtocolError, type ReqId } from '../impl/errors.ts';
import { enforced } from '../impl/mutants.ts';
import { CompatLoginStart, LoginStart, MsgType, Register, type KdfParams } from '../impl/messages/index.ts';
import {
  acceptRegister,
  isRegisterRetransmission,
  compatChallenge,
  compatFinish,
  DEFAULT_MIN_KDF,
  loginChallenge,
  loginFinish,
  SESSION_LIFETIME_MS,
  type CompatServerState,
  type ServerSession,
  type Verifier,
} from '../impl/protocol/login.ts';
import { drbgInstantiate, rngFromState, type DrbgState } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import { fromInput } from './driver.ts';

/** Failures per account before further attempts are refused (REQ-LOG-016). */
export const MAX_LOGIN_FAILURES = 5;
/** The window those failures are counted in (REQ-LOG-016): 15 minutes. */
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;

/** What a login server is started with. */
export interface LoginServerInput {
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  /** The relay's ML-DSA key pair: clients pin its public key. */
  readonly relayKeys: { readonly publicKey: Bytes; readonly secretKey: Bytes };
  /** The secret fake verifiers derive from (REQ-LOG-015). */
  readonly serverSecret: Bytes;
  /** hardened: the KDF parameters accounts register with and unknown usernames are announced with (REQ-LOG-018); default the interactive profile. */
  readonly kdf?: KdfParams;
  readonly rngSeed: Bytes;
  /** Session lifetime (REQ-LOG-020); default 4 hours. */
  readonly lifetimeMs?: number;
  /** The accounts registered before (a relay restarting from its database). */
  readonly accounts?: ReadonlyMap<string, Verifier>;
}

/** Events of a login server. */
export type LoginServerEvent =
  /** A login or registration message on connection `conn`, whose transcript hash is `th`. */
  | { readonly type: 'login.receive'; readonly conn: string; readonly th: Bytes; readonly bytes: Bytes; readonly now: number }
  | { readonly type: 'conn.closed'; readonly conn: string };

/** Effects of a login server. */
export type LoginServerEffect =
  | { readonly type: 'effect.send'; readonly conn: string; readonly bytes: Bytes }
  | { readonly type: 'effect.registered'; readonly conn: string; readonly username: string }
  /** The connection logged in: rekey it with `sessionKey`; its principal must be `identityPk` (REQ-LOG-020, 022). */
  | { readonly type: 'effect.loggedIn'; readonly conn: string; readonly username: string; readonly sessionKey: Bytes; readonly expiresAt: number; readonly identityPk: Bytes }
  | { readonly type: 'effect.reject'; readonly conn: string; readonly reqId: ReqId; readonly detail: string };

type Pending = { readonly kind: 'compat'; readonly state: CompatServerState } | { readonly kind: 'hardened'; readonly session: ServerSession };

/** A login server's context. */
export interface LoginServerContext {
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  readonly relayKeys: { readonly publicKey: Bytes; readonly secretKey: Bytes };
  readonly serverSecret: Bytes;
  /** hardened: the relay's KDF parameters (REQ-LOG-018). */
  readonly kdf: KdfParams;
  readonly rng: DrbgState;
  readonly lifetimeMs: number;
  /** Verifiers by username (REQ-LOG-001). */
  readonly accounts: ReadonlyMap<string, Verifier>;
  /** The login under way on each connection. */
  readonly pending: ReadonlyMap<string, Pending>;
  /** Times of recent failed logins per username (REQ-LOG-016). */
  readonly failures: ReadonlyMap<string, readonly number[]>;
}

type Step = { readonly patch: Partial<LoginServerContext>; readonly effects: readonly LoginServerEffect[] };

const without = <K, V>(m: ReadonlyMap<K, V>, k: K): ReadonlyMap<K, V> => {
  const n = new Map(m);
  n.delete(k);
  return n;
};
const withEntry = <K, V>(m: ReadonlyMap<K, V>, k: K, v: V): ReadonlyMap<K, V> => new Map(m).set(k, v);

function recentFailures(ctx: LoginServerContext, username: string, now: number): readonly number[] {
  return (ctx.failures.get(username) ?? []).filter((t) => now - t < FAILURE_WINDOW_MS);
}

/** A login that succeeded: the finish goes out, and the relay rekeys the connection (REQ-LOG-020). */
function loggedIn(ctx: LoginServerContext, e: { readonly conn: string }, pending: ReadonlyMap<string, Pending>, username: string, fin: { bytes: Bytes; sessionKey: Bytes }, expiresAt: number): Step {
  const v = ctx.accounts.get(username)!;
  return {
    patch: { pending },
    effects: [
      { type: 'effect.send', conn: e.conn, bytes: fin.bytes },
      { type: 'effect.loggedIn', conn: e.conn, username: v.username, sessionKey: fin.sessionKey, expiresAt, identityPk: v.identity_pk },
    ],
  };
}

/** One message of one connection. Everything it refuses leaves the context as it was, except the counts of REQ-LOG-016. */
function serve(ctx: LoginServerContext, e: Extract<LoginServerEvent, { type: 'login.receive' }>): Step {
  const reject = (reqId: ReqId, detail: string, patch: Partial<LoginServerContext> = {}): Step => ({ patch, effects: [{ type: 'effect.reject', conn: e.conn, reqId, detail }] });
  const type = attempt(() => peekType(e.bytes));
  if (!type.ok) return reject(type.reqId, type.error);
  const rng = rngFromState(ctx.rng, ctx.crypto.hmacSha256);
  const hardened = ctx.profile === 'hardened';
  const r = attempt((): Step => {
    switch (type.value) {
      case MsgType.Register: {
        if (isRegisterRetransmission(e.bytes, ctx.accounts.get(decode(Register, e.bytes).username))) return { patch: {}, effects: [] }; // REQ-LOG-001
        const v = acceptRegister(e.bytes, (u) => ctx.accounts.has(u), hardened ? ctx.kdf : undefined); // REQ-LOG-018: one set of parameters for every account
        return { patch: { accounts: withEntry(ctx.accounts, v.username, v) }, effects: [{ type: 'effect.registered', conn: e.conn, username: v.username }] };
      }
      case MsgType.CompatLoginStart: {
        if (hardened) throw new ProtocolError('REQ-ENC-004', 'a compat login message on a hardened relay');
        const { username } = decode(CompatLoginStart, e.bytes);
        const v = ctx.accounts.get(username);
        if (!v) throw new ProtocolError('REQ-LOG-006', `no account ${username}`); // the seed has no fake verifier: accounts can be enumerated
        const ch = compatChallenge(ctx.crypto, rng, v); // REQ-LOG-003: fresh for every login
        return { patch: { rng: rng.state(), pending: withEntry(ctx.pending, e.conn, { kind: 'compat', state: ch.state }) }, effects: [{ type: 'effect.send', conn: e.conn, bytes: ch.bytes }] };
      }
      case MsgType.CompatLoginResponse: {
        const p = ctx.pending.get(e.conn);
        if (hardened || p?.kind !== 'compat') throw new ProtocolError('REQ-LOG-003', 'no compat login under way on this connection');
        const pending = without(ctx.pending, e.conn); // REQ-LOG-003: each login state is used once
        const fin = attempt(() => compatFinish(ctx.crypto, p.state, e.bytes));
        if (!fin.ok) return { patch: { pending }, effects: [{ type: 'effect.reject', conn: e.conn, reqId: fin.reqId, detail: fin.error }] };
        return loggedIn(ctx, e, pending, p.state.username, fin.value, e.now + ctx.lifetimeMs);
      }
      case MsgType.LoginStart: {
        if (!hardened) throw new ProtocolError('REQ-ENC-004', 'a hardened login message on a compat relay');
        const { username } = decode(LoginStart, e.bytes);
        if (recentFailures(ctx, username, e.now).length >= MAX_LOGIN_FAILURES && enforced('REQ-LOG-016')) {
          throw new ProtocolError('REQ-LOG-016', `too many failed logins for ${username}; try later`); // before any KEM work
        }
        const ch = loginChallenge(ctx.crypto, rng, e.bytes, { relayKeys: ctx.relayKeys, serverSecret: ctx.serverSecret, kdf: ctx.kdf, verifier: ctx.accounts.get(username), channelBinding: e.th, now: e.now });
        return { patch: { rng: rng.state(), pending: withEntry(ctx.pending, e.conn, { kind: 'hardened', session: ch.session }) }, effects: [{ type: 'effect.send', conn: e.conn, bytes: ch.bytes }] };
      }
      case MsgType.LoginResponse: {
        const p = ctx.pending.get(e.conn);
        if (!hardened || p?.kind !== 'hardened') throw new ProtocolError('REQ-LOG-014', 'no login session under way on this connection');
        // REQ-LOG-014: the session accepts one response; the mutant keeps it for another
        const pending = enforced('REQ-LOG-014') ? without(ctx.pending, e.conn) : ctx.pending;
        const expiresAt = e.now + ctx.lifetimeMs;
        const fin = attempt(() => loginFinish(ctx.crypto, p.session, e.bytes, expiresAt));
        if (!fin.ok) {
          const failures = withEntry(ctx.failures, p.session.username, [...recentFailures(ctx, p.session.username, e.now), e.now]);
          return { patch: { pending, failures }, effects: [{ type: 'effect.reject', conn: e.conn, reqId: fin.reqId, detail: fin.error }] };
        }
        return loggedIn(ctx, e, pending, p.session.username, fin.value, expiresAt);
      }
      default:
        throw new ProtocolError('REQ-ENC-004', `message type 0x${type.value.toString(16)} is not a login message`);
    }
  });
  return r.ok ? r.value : reject(r.reqId, r.error);
}

/** The login server machine. */
export const loginServerMachine = setup({
  types: { context: {} as LoginServerContext, events: {} as LoginServerEvent, input: {} as LoginServerInput, emitted: {} as LoginServerEffect },
  actions: {
    serve: enqueueActions(({ context, event, enqueue }) => {
      const s = serve(context, event as Extract<LoginServerEvent, { type: 'login.receive' }>);
      if (Object.keys(s.patch).length > 0) enqueue.assign(s.patch);
      for (const e of s.effects) enqueue.emit(e);
    }),
    forget: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ pending: without(context.pending, (event as Extract<LoginServerEvent, { type: 'conn.closed' }>).conn) });
    }),
  },
}).createMachine({
  id: 'loginServer',
  context: fromInput(
    (input: LoginServerInput): LoginServerContext => ({
      crypto: input.crypto,
      profile: input.profile,
      relayKeys: input.relayKeys,
      serverSecret: input.serverSecret,
      kdf: input.kdf ?? DEFAULT_MIN_KDF,
      rng: drbgInstantiate(input.rngSeed, input.crypto.hmacSha256),
      lifetimeMs: input.lifetimeMs ?? SESSION_LIFETIME_MS,
      accounts: new Map(input.accounts ?? []),
      pending: new Map(),
      failures: new Map(),
    }),
  ),
  initial: 'serving',
  states: {
    serving: { on: { 'login.receive': { actions: 'serve' }, 'conn.closed': { actions: 'forget' } } },
  },
});
