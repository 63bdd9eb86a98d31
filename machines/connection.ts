/**
 * The relay connection (spec 8.2), both ends, as machines: the ML-KEM/ML-DSA handshake with
 * the pinned relay key (REQ-TRN-002, 003), client authentication (REQ-TRN-004), then sealed
 * frames with sequence numbers and a replay window (REQ-TRN-005..008). Role machines exchange
 * plaintext relay messages; these machines turn them into frames and back.
 */
import { enqueueActions, setup } from 'xstate';
import { equalBytes, type Bytes } from '../impl/bytes.ts';
import { peekType } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { PqroomError, type ReqId } from '../impl/errors.ts';
import { transportRekey, type TransportKeys } from '../impl/keyschedule.ts';
import { MsgType } from '../impl/messages/index.ts';
import type { Identity } from '../impl/protocol/identity.ts';
import {
  clientAuth,
  clientFinish,
  clientHello,
  EMPTY_WINDOW,
  openFrame,
  sealBatched,
  sealFrame,
  serverHello,
  unbatch,
  verifyClientAuth,
  type ClientHelloState,
  type FrameBuffers,
  type ReplayWindow,
} from '../impl/protocol/transport.ts';
import { drbgInstantiate, rngFromState, type DrbgState } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import { fastStepped, fromInput } from './driver.ts';
import { once } from './memo.ts';

/** Events of a connection machine (either end). */
export type ConnEvent =
  | { readonly type: 'conn.start'; readonly now: number }
  | { readonly type: 'conn.lost'; readonly now: number }
  | { readonly type: 'net.wire'; readonly bytes: Bytes; readonly now: number }
  | { readonly type: 'app.send'; readonly bytes: Bytes; readonly now: number }
  /** relay: several inner messages for this connection at once, batched and sealed in order in one step (the live relay's group commit, REQ-TRN-010). */
  | { readonly type: 'app.sendMany'; readonly bytes: readonly Bytes[]; readonly now: number }
  /** A login succeeded on this connection: from now on it is keyed by the session too (REQ-LOG-020, spec 5.8). */
  | { readonly type: 'conn.rekey'; readonly sessionKey: Bytes; readonly now: number };

/** Effects of a connection machine. */
export type ConnEffect =
  /** Put bytes on the wire. */
  | { readonly type: 'effect.wire'; readonly bytes: Bytes }
  /** client: the connection is up (the role machine gets `net.up`). */
  | { readonly type: 'effect.up' }
  /** client: the connection is down. */
  | { readonly type: 'effect.down' }
  /** relay: the client authenticated as `principal` (the relay machine gets `conn.open`). */
  | { readonly type: 'effect.authenticated'; readonly principal: Bytes }
  /** An inner message for the role machine. */
  | { readonly type: 'effect.receive'; readonly bytes: Bytes }
  /** A rejected frame or handshake message. */
  | { readonly type: 'effect.reject'; readonly reqId: ReqId; readonly detail: string }
  /** relay: close the connection. */
  | { readonly type: 'effect.close'; readonly reason: string };

interface Channel {
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  readonly rng: DrbgState;
  readonly th: Bytes | undefined;
  readonly keys: TransportKeys | undefined;
  readonly sendSeq: number;
  readonly window: ReplayWindow;
}

type Opened = { readonly ok: true; readonly inner: Bytes; readonly window: ReplayWindow; readonly seq: number } | { readonly ok: false; readonly reqId: ReqId; readonly detail: string };

function openWith(ch: Channel, key: Bytes, bytes: Bytes): Opened {
  try {
    const r = openFrame(ch.crypto, key, bytes, ch.window);
    return { ok: true, inner: r.inner, window: r.window, seq: r.seq };
  } catch (e) {
    if (e instanceof PqroomError) return { ok: false, reqId: e.reqId, detail: e.message };
    throw e;
  }
}

type OpenedMany = { readonly ok: true; readonly inners: readonly Bytes[]; readonly window: ReplayWindow } | { readonly ok: false; readonly reqId: ReqId; readonly detail: string };

/** The client's frames: a `FrameBatch` is opened into its messages, or refused whole (REQ-TRN-010). */
function openInners(ch: Channel, key: Bytes, bytes: Bytes): OpenedMany {
  const r = openWith(ch, key, bytes);
  if (!r.ok) return r;
  try {
    return { ok: true, inners: unbatch(r.inner), window: r.window };
  } catch (e) {
    if (e instanceof PqroomError) return { ok: false, reqId: e.reqId, detail: e.message };
    throw e;
  }
}

function seal(ch: Channel, key: Bytes, inner: Bytes, out?: FrameBuffers): { bytes: Bytes; sendSeq: number } {
  return { bytes: sealFrame(ch.crypto, key, ch.sendSeq, inner, out), sendSeq: ch.sendSeq + 1 }; // REQ-TRN-008
}

/** What the client end is started with. */
export interface ClientConnInput {
  /** Crypto backend. */
  readonly crypto: CryptoProvider;
  /** hardened pins the relay key (REQ-TRN-002); compat takes what is served (W12). */
  readonly profile: Profile;
  /** The client's identity, for ClientAuth. */
  readonly identity: Identity;
  /** The relay key configured out of band (hardened). */
  readonly pinnedRelayPk: Bytes | undefined;
  /** Generator seed for this connection's randomness. */
  readonly rngSeed: Bytes;
}

/** The client end's context. */
export interface ClientConnContext extends Channel {
  /** This client. */
  readonly identity: Identity;
  /** Pinned relay key. */
  readonly pinnedRelayPk: Bytes | undefined;
  /** The ClientHello state while waiting. */
  readonly hello: ClientHelloState | undefined;
  /** The relay key of the established connection. */
  readonly relayPk: Bytes | undefined;
  /** The ServerHello accepted, to ignore a repeated copy (the network may duplicate it). */
  readonly serverHello: Bytes | undefined;
}

type Handshake = { readonly ok: true; readonly ctx: ClientConnContext; readonly wire: Bytes } | { readonly ok: false; readonly reqId: ReqId; readonly detail: string };

/** REQ-TRN-002, REQ-TRN-003, REQ-TRN-004: check the ServerHello, derive keys, authenticate. */
function finishHandshake(ctx: ClientConnContext, bytes: Bytes): Handshake {
  try {
    const fin = clientFinish(ctx.crypto, ctx.hello!, bytes, ctx.profile, ctx.pinnedRelayPk);
    const rng = rngFromState(ctx.rng, ctx.crypto.hmacSha256);
    const auth = clientAuth(ctx.crypto, rng, fin.th, ctx.identity, ctx.profile);
    const ch: ClientConnContext = { ...ctx, rng: rng.state(), th: fin.th, keys: fin.keys, relayPk: fin.relayPk, hello: undefined, sendSeq: 0, window: EMPTY_WINDOW, serverHello: bytes };
    const s = seal(ch, fin.keys.c2r, auth);
    return { ok: true, ctx: { ...ch, sendSeq: s.sendSeq }, wire: s.bytes };
  } catch (e) {
    if (e instanceof PqroomError) return { ok: false, reqId: e.reqId, detail: e.message };
    throw e;
  }
}

/** The client end of the relay connection. */
export const clientConnectionMachine = fastStepped(setup({
  types: { context: {} as ClientConnContext, events: {} as ConnEvent, input: {} as ClientConnInput, emitted: {} as ConnEffect },
  guards: {
    serverHelloValid: ({ context, event }) => once(context, event, 'hs', () => finishHandshake(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes)).ok,
    frameValid: ({ context, event }) => once(context, event, 'frame', () => openInners(context, context.keys!.r2c, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes)).ok,
    repeatedServerHello: ({ context, event }) => context.serverHello !== undefined && equalBytes((event as Extract<ConnEvent, { type: 'net.wire' }>).bytes, context.serverHello),
  },
  actions: {
    sendHello: enqueueActions(({ context, enqueue }) => {
      const rng = rngFromState(context.rng, context.crypto.hmacSha256);
      const hello = clientHello(context.crypto, rng); // REQ-TRN-001: fresh ephemeral key per connection
      enqueue.assign({ hello, rng: rng.state(), keys: undefined, th: undefined });
      enqueue.emit({ type: 'effect.wire', bytes: hello.helloBytes });
    }),
    established: enqueueActions(({ context, event, enqueue }) => {
      const hs = once(context, event, 'hs', () => finishHandshake(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!hs.ok) return;
      enqueue.assign(hs.ctx);
      enqueue.emit({ type: 'effect.wire', bytes: hs.wire });
      enqueue.emit({ type: 'effect.up' });
    }),
    refuseHello: enqueueActions(({ context, event, enqueue }) => {
      const hs = once(context, event, 'hs', () => finishHandshake(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!hs.ok) enqueue.emit({ type: 'effect.reject', reqId: hs.reqId, detail: hs.detail });
    }),
    receive: enqueueActions(({ context, event, enqueue }) => {
      const r = once(context, event, 'frame', () => openInners(context, context.keys!.r2c, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!r.ok) return;
      enqueue.assign({ window: r.window });
      for (const bytes of r.inners) enqueue.emit({ type: 'effect.receive', bytes }); // REQ-TRN-010: in order
    }),
    refuseFrame: enqueueActions(({ context, event, enqueue }) => {
      const r = once(context, event, 'frame', () => openInners(context, context.keys!.r2c, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!r.ok) enqueue.emit({ type: 'effect.reject', reqId: r.reqId, detail: r.detail });
    }),
    send: enqueueActions(({ context, event, enqueue }) => {
      const s = seal(context, context.keys!.c2r, (event as Extract<ConnEvent, { type: 'app.send' }>).bytes);
      enqueue.assign({ sendSeq: s.sendSeq });
      enqueue.emit({ type: 'effect.wire', bytes: s.bytes });
    }),
    rekey: enqueueActions(({ context, event, enqueue }) => {
      // REQ-LOG-020: transport_secret' = LabeledExtract(transport_secret, "login rekey", session_key); seq numbers continue
      enqueue.assign({ keys: transportRekey(context.crypto, context.keys!, context.th!, (event as Extract<ConnEvent, { type: 'conn.rekey' }>).sessionKey) });
    }),
    refuseSend: enqueueActions(({ enqueue }) => {
      enqueue.emit({ type: 'effect.reject', reqId: 'REQ-TRN-006', detail: 'no established connection to send on' });
    }),
    down: enqueueActions(({ enqueue }) => {
      enqueue.assign({ keys: undefined, th: undefined, hello: undefined });
      enqueue.emit({ type: 'effect.down' });
    }),
    stray: enqueueActions(({ enqueue }) => {
      enqueue.emit({ type: 'effect.reject', reqId: 'REQ-TRN-006', detail: 'bytes on a connection that is not open' });
    }),
  },
}).createMachine({
  id: 'clientConnection',
  /** The initial context, from the machine's input. */
  context: fromInput((input: ClientConnInput): ClientConnContext => ({
    crypto: input.crypto,
    profile: input.profile,
    identity: input.identity,
    pinnedRelayPk: input.pinnedRelayPk,
    rng: drbgInstantiate(input.rngSeed, input.crypto.hmacSha256),
    th: undefined,
    keys: undefined,
    sendSeq: 0,
    window: EMPTY_WINDOW,
    hello: undefined,
    relayPk: undefined,
    serverHello: undefined,
  })),
  initial: 'closed',
  on: { 'app.send': { actions: 'refuseSend' }, 'net.wire': { actions: 'stray' } },
  states: {
    closed: { on: { 'conn.start': { target: 'helloSent', actions: 'sendHello' } } },
    helloSent: {
      on: {
        'net.wire': [{ guard: 'serverHelloValid', target: 'open', actions: 'established' }, { target: 'failed', actions: 'refuseHello' }],
        'conn.lost': { target: 'closed', actions: 'down' },
      },
    },
    open: {
      on: {
        'net.wire': [{ guard: 'repeatedServerHello' }, { guard: 'frameValid', actions: 'receive' }, { actions: 'refuseFrame' }],
        'app.send': { actions: 'send' },
        'conn.rekey': { actions: 'rekey' },
        'conn.lost': { target: 'closed', actions: 'down' },
      },
    },
    failed: { on: { 'conn.start': { target: 'helloSent', actions: 'sendHello' }, 'conn.lost': { target: 'closed' } } },
  },
}));

/** What the relay end is started with. */
export interface RelayConnInput {
  /** Crypto backend. */
  readonly crypto: CryptoProvider;
  /** The relay's profile: hardened requires a signed ClientAuth (REQ-TRN-004). */
  readonly profile: Profile;
  /** The relay's ML-DSA key pair. */
  readonly relayKeys: { readonly publicKey: Bytes; readonly secretKey: Bytes };
  /** Generator seed for this connection. */
  readonly rngSeed: Bytes;
  /**
   * Where the frames this end seals after the handshake are written (the live relay's frame pool,
   * whose buffers are reused once the socket has taken them, issue 23); default: new buffers.
   */
  readonly frames?: FrameBuffers;
}

/** The relay end's context. */
export interface RelayConnContext extends Channel {
  /** Where sealed frames are written ({@link RelayConnInput.frames}). */
  readonly frames: FrameBuffers | undefined;
  /** The relay's key pair. */
  readonly relayKeys: { readonly publicKey: Bytes; readonly secretKey: Bytes };
  /** The authenticated principal. */
  readonly principal: Bytes | undefined;
  /** The ClientHello answered and the ServerHello sent, to answer a repeated hello (REQ-TRN-006). */
  readonly hello: { readonly client: Bytes; readonly server: Bytes } | undefined;
  /** Frames that arrived before ClientAuth, with their sequence numbers (REQ-TRN-006). */
  readonly held: readonly { readonly seq: number; readonly inner: Bytes }[];
}

/** Frames a relay holds while waiting for ClientAuth (REQ-TRN-006). */
export const MAX_HELD_FRAMES = 64;

type Answered = { readonly ok: true; readonly ctx: RelayConnContext; readonly wire: Bytes } | { readonly ok: false; readonly reqId: ReqId; readonly detail: string };

function answerHello(ctx: RelayConnContext, bytes: Bytes): Answered {
  try {
    const rng = rngFromState(ctx.rng, ctx.crypto.hmacSha256);
    const sh = serverHello(ctx.crypto, rng, bytes, ctx.relayKeys);
    return { ok: true, ctx: { ...ctx, rng: rng.state(), th: sh.th, keys: sh.keys, sendSeq: 0, window: EMPTY_WINDOW, hello: { client: bytes, server: sh.helloBytes } }, wire: sh.helloBytes };
  } catch (e) {
    if (e instanceof PqroomError) return { ok: false, reqId: e.reqId, detail: e.message };
    throw e;
  }
}

type Authed =
  | { readonly ok: true; readonly kind: 'auth'; readonly principal: Bytes; readonly window: ReplayWindow }
  | { readonly ok: true; readonly kind: 'held'; readonly seq: number; readonly inner: Bytes; readonly window: ReplayWindow }
  | { readonly ok: true; readonly kind: 'repeat-hello' }
  | { readonly ok: true; readonly kind: 'dropped'; readonly reqId: ReqId; readonly detail: string }
  | { readonly ok: false; readonly reqId: ReqId; readonly detail: string };

/**
 * REQ-TRN-004, REQ-TRN-006: the frame with seq 0 must be a valid ClientAuth; frames with a higher
 * seq that arrive before it are held; a repeated ClientHello is answered again.
 */
function authenticate(ctx: RelayConnContext, bytes: Bytes): Authed {
  if (ctx.hello && equalBytes(bytes, ctx.hello.client)) return { ok: true, kind: 'repeat-hello' };
  const opened = openWith(ctx, ctx.keys!.c2r, bytes);
  // a replayed or forged frame is dropped and counted, as at any time (REQ-TRN-005): the
  // network may duplicate a frame held while ClientAuth is on its way
  if (!opened.ok) return { ok: true, kind: 'dropped', reqId: opened.reqId, detail: opened.detail };
  if (opened.seq !== 0) {
    if (ctx.held.length >= MAX_HELD_FRAMES) return { ok: false, reqId: 'REQ-TRN-006', detail: 'too many frames before ClientAuth' };
    return { ok: true, kind: 'held', seq: opened.seq, inner: opened.inner, window: opened.window };
  }
  try {
    if (peekType(opened.inner) !== MsgType.ClientAuth) return { ok: false, reqId: 'REQ-TRN-006', detail: 'the first frame must be ClientAuth' };
    return { ok: true, kind: 'auth', principal: verifyClientAuth(ctx.crypto, opened.inner, ctx.th!, ctx.profile), window: opened.window };
  } catch (e) {
    if (e instanceof PqroomError) return { ok: false, reqId: e.reqId, detail: e.message };
    throw e;
  }
}

/** The relay end of a client connection (its frames taken by the driver's simple step, issue 23). */
export const relayConnectionMachine = fastStepped(setup({
  types: { context: {} as RelayConnContext, events: {} as ConnEvent, input: {} as RelayConnInput, emitted: {} as ConnEffect },
  guards: {
    helloValid: ({ context, event }) => once(context, event, 'hello', () => answerHello(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes)).ok,
    authValid: ({ context, event }) => {
      const a = once(context, event, 'auth', () => authenticate(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      return a.ok && a.kind === 'auth';
    },
    authPending: ({ context, event }) => {
      const a = once(context, event, 'auth', () => authenticate(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      return a.ok && a.kind !== 'auth';
    },
    repeatedHello: ({ context, event }) => context.hello !== undefined && equalBytes((event as Extract<ConnEvent, { type: 'net.wire' }>).bytes, context.hello.client),
    frameValid: ({ context, event }) => once(context, event, 'frame', () => openWith(context, context.keys!.c2r, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes)).ok,
  },
  actions: {
    answer: enqueueActions(({ context, event, enqueue }) => {
      const a = once(context, event, 'hello', () => answerHello(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!a.ok) return;
      enqueue.assign(a.ctx);
      enqueue.emit({ type: 'effect.wire', bytes: a.wire });
    }),
    refuseHello: enqueueActions(({ context, event, enqueue }) => {
      const a = once(context, event, 'hello', () => answerHello(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!a.ok) enqueue.emit({ type: 'effect.reject', reqId: a.reqId, detail: a.detail });
      enqueue.emit({ type: 'effect.close', reason: 'invalid ClientHello' });
    }),
    authenticated: enqueueActions(({ context, event, enqueue }) => {
      const a = once(context, event, 'auth', () => authenticate(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!a.ok || a.kind !== 'auth') return;
      enqueue.assign({ principal: a.principal, window: a.window, held: [] });
      enqueue.emit({ type: 'effect.authenticated', principal: a.principal });
      for (const h of [...context.held].sort((x, y) => x.seq - y.seq)) enqueue.emit({ type: 'effect.receive', bytes: h.inner });
    }),
    holdOrRepeat: enqueueActions(({ context, event, enqueue }) => {
      const a = once(context, event, 'auth', () => authenticate(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!a.ok) return;
      if (a.kind === 'repeat-hello') enqueue.emit({ type: 'effect.wire', bytes: context.hello!.server });
      if (a.kind === 'dropped') enqueue.emit({ type: 'effect.reject', reqId: a.reqId, detail: a.detail });
      if (a.kind === 'held') enqueue.assign({ window: a.window, held: [...context.held, { seq: a.seq, inner: a.inner }] });
    }),
    answerAgain: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'effect.wire', bytes: context.hello!.server });
    }),
    refuseAuth: enqueueActions(({ context, event, enqueue }) => {
      const a = once(context, event, 'auth', () => authenticate(context, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!a.ok) enqueue.emit({ type: 'effect.reject', reqId: a.reqId, detail: a.detail });
      enqueue.emit({ type: 'effect.close', reason: 'client authentication failed' });
    }),
    receive: enqueueActions(({ context, event, enqueue }) => {
      const r = once(context, event, 'frame', () => openWith(context, context.keys!.c2r, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!r.ok) return;
      enqueue.assign({ window: r.window });
      enqueue.emit({ type: 'effect.receive', bytes: r.inner });
    }),
    refuseFrame: enqueueActions(({ context, event, enqueue }) => {
      const r = once(context, event, 'frame', () => openWith(context, context.keys!.c2r, (event as Extract<ConnEvent, { type: 'net.wire' }>).bytes));
      if (!r.ok) enqueue.emit({ type: 'effect.reject', reqId: r.reqId, detail: r.detail });
    }),
    send: enqueueActions(({ context, event, enqueue }) => {
      const s = seal(context, context.keys!.r2c, (event as Extract<ConnEvent, { type: 'app.send' }>).bytes, context.frames);
      enqueue.assign({ sendSeq: s.sendSeq });
      enqueue.emit({ type: 'effect.wire', bytes: s.bytes });
    }),
    sendMany: enqueueActions(({ context, event, enqueue }) => {
      // REQ-TRN-010: consecutive messages batched into as few frames as the limits allow, in order; REQ-TRN-008: one seq each
      const frames = sealBatched(context.crypto, context.keys!.r2c, context.sendSeq, (event as Extract<ConnEvent, { type: 'app.sendMany' }>).bytes, undefined, context.frames);
      for (const bytes of frames) enqueue.emit({ type: 'effect.wire', bytes });
      enqueue.assign({ sendSeq: context.sendSeq + frames.length });
    }),
    rekey: enqueueActions(({ context, event, enqueue }) => {
      // REQ-LOG-020: transport_secret' = LabeledExtract(transport_secret, "login rekey", session_key); seq numbers continue
      enqueue.assign({ keys: transportRekey(context.crypto, context.keys!, context.th!, (event as Extract<ConnEvent, { type: 'conn.rekey' }>).sessionKey) });
    }),
    refuseSend: enqueueActions(({ enqueue }) => {
      enqueue.emit({ type: 'effect.reject', reqId: 'REQ-TRN-006', detail: 'no established connection to send on' });
    }),
  },
}).createMachine({
  id: 'relayConnection',
  /** The initial context, from the machine's input. */
  context: fromInput((input: RelayConnInput): RelayConnContext => ({
    crypto: input.crypto,
    profile: input.profile,
    relayKeys: input.relayKeys,
    frames: input.frames,
    rng: drbgInstantiate(input.rngSeed, input.crypto.hmacSha256),
    th: undefined,
    keys: undefined,
    sendSeq: 0,
    window: EMPTY_WINDOW,
    principal: undefined,
    hello: undefined,
    held: [],
  })),
  initial: 'awaitingHello',
  on: { 'app.send': { actions: 'refuseSend' }, 'app.sendMany': { actions: 'refuseSend' }, 'conn.lost': { target: '.closed' } },
  states: {
    awaitingHello: { on: { 'net.wire': [{ guard: 'helloValid', target: 'awaitingAuth', actions: 'answer' }, { target: 'closed', actions: 'refuseHello' }] } },
    awaitingAuth: {
      on: {
        'net.wire': [
          { guard: 'authValid', target: 'open', actions: 'authenticated' },
          { guard: 'authPending', actions: 'holdOrRepeat' },
          { target: 'closed', actions: 'refuseAuth' },
        ],
      },
    },
    open: {
      on: {
        'net.wire': [{ guard: 'repeatedHello', actions: 'answerAgain' }, { guard: 'frameValid', actions: 'receive' }, { actions: 'refuseFrame' }],
        'app.send': { actions: 'send' },
        'app.sendMany': { actions: 'sendMany' },
        'conn.rekey': { actions: 'rekey' },
      },
    },
    closed: {},
  },
}));
