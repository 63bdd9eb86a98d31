/**
 * The login client (spec 9.3, 9.4) as a machine: one login at a time over a relay connection
 * whose transcript hash `th` is its channel binding. compat runs the seed's protocol and answers
 * whatever challenge arrives (L1, L3); hardened checks the challenge's signature, its echo of
 * this login and connection, the KDF minimum and the account's pinned salt and KDF parameters
 * before it touches the password (REQ-LOG-010..012, REQ-LOG-017).
 *
 * The pin is the host's to keep (the vault, or the client's state: REQ-LOG-017): it comes with
 * `login.start`, and a login that succeeded without one reports the salt and KDF parameters it
 * used in `effect.loggedIn`, for the host to pin (trust on first use).
 *
 * The machine does no I/O: it emits `effect.send` for bytes to put on the connection and
 * `effect.loggedIn` with the session key the connection is then rekeyed with (REQ-LOG-020).
 */
import { enqueueActions, setup } from 'xstate';
import type { Bytes } from '../impl/bytes.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { attempt, type ReqId, type Result } from '../impl/errors.ts';
import type { KdfParams } from '../impl/messages/index.ts';
import {
  checkChallenge,
  configuredKdf,
  compatComplete,
  compatRespond,
  compatStart,
  loginComplete,
  loginRespond,
  loginStart,
  type ClientResponseState,
  type ClientStartState,
  type CompatClientState,
  type LoginPin,
} from '../impl/protocol/login.ts';
import { drbgInstantiate, rngFromState, type DrbgState } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import { fromInput } from './driver.ts';
import { once } from './memo.ts';

/** What a login client is started with. */
export interface LoginClientInput {
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  readonly username: string;
  readonly password: string;
  /** The relay key configured out of band (hardened, REQ-LOG-010). */
  readonly pinnedRelayPk: Bytes | undefined;
  /** Generator seed for this client's randomness. */
  readonly rngSeed: Bytes;
  /**
   * INSECURE, tests and the demo only: lower the KDF floor from the interactive profile to the test
   * profile (REQ-LOG-012, REQ-LOG-019). A real client never sets it.
   */
  readonly insecureTestKdf?: boolean;
}

/** Events of a login client. */
export type LoginClientEvent =
  /** Begin a login on the connection whose transcript hash is `th`, with the account's pin if the host holds one (REQ-LOG-017). */
  | { readonly type: 'login.start'; readonly th: Bytes; readonly now: number; readonly pin?: LoginPin }
  /** A login message from the connection. */
  | { readonly type: 'net.receive'; readonly bytes: Bytes; readonly now: number };

/** Effects of a login client. */
export type LoginClientEffect =
  | { readonly type: 'effect.send'; readonly bytes: Bytes }
  /**
   * The login succeeded: rekey the connection with `sessionKey` (REQ-LOG-020). hardened: `pin` is the
   * salt and KDF parameters the login used, which the host keeps if it held no pin (REQ-LOG-017).
   */
  | { readonly type: 'effect.loggedIn'; readonly sessionKey: Bytes; readonly expiresAt: number | undefined; readonly pin: LoginPin | undefined }
  /** A message was refused and the login aborted. */
  | { readonly type: 'effect.reject'; readonly reqId: ReqId; readonly detail: string };

/** A login client's context. */
export interface LoginClientContext {
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  readonly username: string;
  readonly password: string;
  readonly pinnedRelayPk: Bytes | undefined;
  /** hardened: the least KDF parameters accepted (REQ-LOG-012), from the configuration only (REQ-LOG-019). */
  readonly minKdf: KdfParams;
  readonly rng: DrbgState;
  /** The channel binding of the login under way. */
  readonly th: Bytes | undefined;
  /** The pin the host gave the login under way (REQ-LOG-017). */
  readonly pin: LoginPin | undefined;
  /** hardened: the salt and KDF parameters of the challenge answered, until the login completes. */
  readonly served: LoginPin | undefined;
  readonly start: ClientStartState | undefined;
  readonly compat: CompatClientState | undefined;
  readonly response: ClientResponseState | undefined;
  /** When the last successful login's session expires (its key is handed over in `effect.loggedIn` and not kept: REQ-LOG-021). */
  readonly expiresAt: number | undefined;
  /** Logins completed. */
  readonly logins: number;
}

type Answer = { readonly bytes: Bytes; readonly rng: DrbgState; readonly compat?: CompatClientState; readonly response?: ClientResponseState; readonly served?: LoginPin };

/** Step 3 of either profile; in hardened the checks come first and the password after them. */
function answer(ctx: LoginClientContext, bytes: Bytes): Result<Answer> {
  return attempt(() => {
    const rng = rngFromState(ctx.rng, ctx.crypto.hmacSha256);
    if (ctx.profile === 'compat') {
      const r = compatRespond(ctx.crypto, rng, ctx.password, bytes); // REQ-LOG-004: salt and KDF as served
      return { bytes: r.bytes, rng: rng.state(), compat: r.state };
    }
    const ch = checkChallenge(ctx.crypto, ctx.start!, bytes, { pinnedRelayPk: ctx.pinnedRelayPk!, channelBinding: ctx.th!, minKdf: ctx.minKdf, pin: ctx.pin });
    const r = loginRespond(ctx.crypto, rng, ctx.start!, bytes, ch, ctx.password);
    return { bytes: r.bytes, rng: rng.state(), response: r.state, served: { salt: ch.salt, kdf: ch.kdf } };
  });
}

/** Step 5: the server's confirmation (REQ-LOG-005 compat, REQ-LOG-013 hardened). */
function complete(ctx: LoginClientContext, bytes: Bytes): Result<{ sessionKey: Bytes; expiresAt: number | undefined }> {
  return attempt(() => {
    if (ctx.profile === 'compat') return { sessionKey: compatComplete(ctx.crypto, ctx.compat!, bytes), expiresAt: undefined };
    return loginComplete(ctx.crypto, ctx.response!, bytes);
  });
}

const bytesOf = (e: LoginClientEvent): Bytes => (e as Extract<LoginClientEvent, { type: 'net.receive' }>).bytes;

/** The login client machine. */
export const loginClientMachine = setup({
  types: { context: {} as LoginClientContext, events: {} as LoginClientEvent, input: {} as LoginClientInput, emitted: {} as LoginClientEffect },
  guards: {
    challengeAccepted: ({ context, event }) => once(context, event, 'answer', () => answer(context, bytesOf(event))).ok,
    finishAccepted: ({ context, event }) => once(context, event, 'complete', () => complete(context, bytesOf(event))).ok,
  },
  actions: {
    start: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Extract<LoginClientEvent, { type: 'login.start' }>;
      if (context.profile === 'compat') {
        enqueue.assign({ th: e.th, start: undefined, compat: undefined, response: undefined, pin: undefined, served: undefined }); // REQ-LOG-004: no pin
        enqueue.emit({ type: 'effect.send', bytes: compatStart(context.username) });
        return;
      }
      const rng = rngFromState(context.rng, context.crypto.hmacSha256);
      const start = loginStart(rng, context.username);
      enqueue.assign({ th: e.th, start, rng: rng.state(), compat: undefined, response: undefined, pin: e.pin, served: undefined });
      enqueue.emit({ type: 'effect.send', bytes: start.startBytes });
    }),
    respond: enqueueActions(({ context, event, enqueue }) => {
      const a = once(context, event, 'answer', () => answer(context, bytesOf(event)));
      if (!a.ok) return;
      enqueue.assign({ rng: a.value.rng, compat: a.value.compat, response: a.value.response, served: a.value.served });
      enqueue.emit({ type: 'effect.send', bytes: a.value.bytes });
    }),
    loggedIn: enqueueActions(({ context, event, enqueue }) => {
      const r = once(context, event, 'complete', () => complete(context, bytesOf(event)));
      if (!r.ok) return;
      // REQ-LOG-021: the session key is handed over for the rekey and not kept; REQ-LOG-017: the salt
      // and KDF parameters go to the host, which pins them if it held no pin (trust on first use)
      enqueue.assign({ expiresAt: r.value.expiresAt, logins: context.logins + 1, start: undefined, compat: undefined, response: undefined, served: undefined });
      enqueue.emit({ type: 'effect.loggedIn', sessionKey: r.value.sessionKey, expiresAt: r.value.expiresAt, pin: context.served });
    }),
    refuseChallenge: enqueueActions(({ context, event, enqueue }) => {
      const a = once(context, event, 'answer', () => answer(context, bytesOf(event)));
      if (!a.ok) enqueue.emit({ type: 'effect.reject', reqId: a.reqId, detail: a.error });
    }),
    refuseFinish: enqueueActions(({ context, event, enqueue }) => {
      const r = once(context, event, 'complete', () => complete(context, bytesOf(event)));
      if (!r.ok) enqueue.emit({ type: 'effect.reject', reqId: r.reqId, detail: r.error });
    }),
    stray: enqueueActions(({ enqueue }) => {
      enqueue.emit({ type: 'effect.reject', reqId: 'REQ-LOG-011', detail: 'a login message outside a login' });
    }),
  },
}).createMachine({
  id: 'loginClient',
  context: fromInput(
    (input: LoginClientInput): LoginClientContext => ({
      crypto: input.crypto,
      profile: input.profile,
      username: input.username,
      password: input.password,
      pinnedRelayPk: input.pinnedRelayPk,
      minKdf: configuredKdf(input.insecureTestKdf), // REQ-LOG-019: never from the network
      rng: drbgInstantiate(input.rngSeed, input.crypto.hmacSha256),
      th: undefined,
      pin: undefined,
      served: undefined,
      start: undefined,
      compat: undefined,
      response: undefined,
      expiresAt: undefined,
      logins: 0,
    }),
  ),
  initial: 'idle',
  // a new login may begin at any time; one under way is abandoned (its state is dropped)
  on: { 'net.receive': { actions: 'stray' }, 'login.start': { target: '.awaitingChallenge', actions: 'start' } },
  states: {
    idle: {},
    /** Nothing password-dependent has been computed or sent. */
    awaitingChallenge: {
      on: { 'net.receive': [{ guard: 'challengeAccepted', target: 'awaitingFinish', actions: 'respond' }, { target: 'failed', actions: 'refuseChallenge' }] },
    },
    awaitingFinish: {
      on: { 'net.receive': [{ guard: 'finishAccepted', target: 'loggedIn', actions: 'loggedIn' }, { target: 'failed', actions: 'refuseFinish' }] },
    },
    loggedIn: {},
    /** The login was aborted. */
    failed: {},
  },
});
