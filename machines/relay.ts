/**
 * The honest relay machine (spec 8): authenticated connections come and go; each request is
 * checked against the authorization matrix and its operation's rules (impl/protocol/relay-state),
 * with per-connection rate limits and malformed-input counting (spec 8.9). It emits store effects
 * before the replies and deliveries that report them (REQ-REL-050).
 */
import { and, enqueueActions, setup } from 'xstate';
import { toHex, type Buffers, type Bytes } from '../impl/bytes.ts';
import { encode, encodeTaken } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { ReqId } from '../impl/errors.ts';
import { enforced } from '../impl/mutants.ts';
import { withEntry, withoutEntry } from '../impl/shared-record.ts';
import { MailboxDelivery, RoomDelivery } from '../impl/messages/index.ts';
import { appendForwardedMail, EMPTY_RELAY, handleRequest, rejectBytes, type RelayState, type RelayStep } from '../impl/protocol/relay-state.ts';
import type { RelayEffect, RelayEvent } from './events.ts';
import { fastStepped, fromInput } from './driver.ts';

/** Robustness limits (spec 8.9). */
export interface RelayConfig {
  /** Requests per second per connection (REQ-REL-041). */
  readonly rate: number;
  /** Burst size of the token bucket (REQ-REL-041). */
  readonly burst: number;
  /** Malformed frames tolerated on one connection before it is closed (REQ-REL-040). */
  readonly maxMalformed: number;
  /** Requests over the rate tolerated before the connection is closed (REQ-REL-041). */
  readonly maxOverLimit: number;
}

/** Defaults of spec 8.9: 200 requests/s, burst 400, 16 malformed frames. */
export const DEFAULT_RELAY_CONFIG: RelayConfig = { rate: 200, burst: 400, maxMalformed: 16, maxOverLimit: 100 };

/** One authenticated connection. */
export interface RelayConn {
  /** Its principal (REQ-TRN-004). */
  readonly principal: Bytes;
  /** The principal in hex, as the relay state keys principals. */
  readonly key: string;
  /** Malformed frames seen (REQ-REL-040). */
  readonly malformed: number;
  /** Token bucket (REQ-REL-041). */
  readonly tokens: number;
  /** When the bucket was last refilled. */
  readonly at: number;
  /** Requests refused for the rate so far. */
  readonly overLimit: number;
}

/** What a relay machine is started with. */
export interface RelayInput {
  /** Crypto backend. */
  readonly crypto: CryptoProvider;
  /** State to resume from (after a restart, REQ-REL-050), or a fresh one. */
  readonly state?: RelayState;
  /** Limits. */
  readonly config?: Partial<RelayConfig>;
  /**
   * Where the `RoomDelivery`s pushed are encoded (the live relay's arena, issue 23): its buffers are
   * reused once the host has sealed every delivery held (RelayHostOptions.deliveries). Default: new buffers.
   */
  readonly deliveries?: Buffers;
}

/** The relay machine's context. */
export interface RelayContext {
  /** Crypto backend. */
  readonly crypto: CryptoProvider;
  /** Rooms, invites, mailboxes counters, directory, remembered answers. */
  readonly state: RelayState;
  /** Authenticated connections (a shared record: one changed without copying the others, issue 23). */
  readonly conns: Readonly<Record<string, RelayConn>>;
  /** The connections of each principal (hex), in the order they opened: who a delivery goes to, without walking every connection. */
  readonly byPrincipal: Readonly<Record<string, readonly string[]>>;
  /** Limits. */
  readonly config: RelayConfig;
  /** Where deliveries are encoded ({@link RelayInput.deliveries}). */
  readonly deliveries: Buffers | undefined;
}

type Ev<T extends RelayEvent['type']> = Extract<RelayEvent, { type: T }>;

/** The connections index with `conn` (of `principal`) added, or removed when `principal` is undefined. */
function indexed(ctx: RelayContext, conn: string, principal: string | undefined): RelayContext['byPrincipal'] {
  const prev = ctx.conns[conn];
  let idx = ctx.byPrincipal;
  if (prev && prev.key === principal) return idx;
  if (prev) {
    const rest = (idx[prev.key] ?? []).filter((c) => c !== conn);
    idx = rest.length > 0 ? withEntry(idx, prev.key, rest) : withoutEntry(idx, prev.key);
  }
  return principal === undefined ? idx : withEntry(idx, principal, [...(idx[principal] ?? []), conn]);
}

/** Turns the outputs of one request into effects: stores first (REQ-REL-050), then the reply, then deliveries (REQ-REL-035: the answer before the echo). */
function effectsOf(ctx: RelayContext, conn: string, step: RelayStep): RelayEffect[] {
  // no named closure here: under tsx (esbuild's keepNames) each one costs a defineProperty per step (issue 23)
  const byPrincipal = ctx.byPrincipal;
  const stores: RelayEffect[] = [];
  const replies: RelayEffect[] = [];
  const pushes: RelayEffect[] = [];
  for (const o of step.outputs) {
    switch (o.kind) {
      case 'reply':
        replies.push({ type: 'effect.reply', conn, bytes: o.bytes });
        break;
      case 'append': {
        // two literals rather than a spread of `{ epoch }` (and of `{ lateBefore }` below): each shape is then kept by its
        // literal, not made anew in each run after the last object of the old one died (issue 24: the code reading it was
        // optimized and thrown away again)
        stores.push(o.epoch === undefined ? { type: 'effect.append', roomId: o.roomId, index: o.index, payload: o.payload } : { type: 'effect.append', roomId: o.roomId, index: o.index, payload: o.payload, epoch: o.epoch });
        const delivery = { room_id: o.roomId, index: o.index, payload: o.payload };
        const bytes = ctx.deliveries ? encodeTaken(RoomDelivery, delivery, ctx.deliveries) : encode(RoomDelivery, delivery);
        const conns = o.recipients.flatMap((p) => byPrincipal[p] ?? []);
        if (conns.length > 0) pushes.push({ type: 'effect.push', conns, bytes });
        break;
      }
      case 'mail': {
        stores.push({ type: 'effect.storeMail', principal: o.to, entry: o.entry });
        const conns = byPrincipal[toHex(o.to)] ?? [];
        if (conns.length > 0) pushes.push({ type: 'effect.push', conns, bytes: encode(MailboxDelivery, { entry: o.entry }) });
        break;
      }
      case 'history':
        replies.push(
          o.lateBefore === undefined
            ? { type: 'effect.serveHistory', conn, reqId: o.reqId, roomId: o.roomId, from: o.from, to: o.to, limit: o.limit }
            : { type: 'effect.serveHistory', conn, reqId: o.reqId, roomId: o.roomId, from: o.from, to: o.to, limit: o.limit, lateBefore: o.lateBefore },
        );
        break;
      case 'mailbox':
        replies.push({ type: 'effect.serveMailbox', conn, reqId: o.reqId, principal: o.principal, from: o.from });
        break;
    }
  }
  const rej: RelayEffect[] = step.rejected ? [{ type: 'effect.reject', conn, reqId: step.rejected, detail: 'request refused' }] : [];
  return [...stores, ...replies, ...pushes, ...rej];
}

function refill(conn: RelayConn, now: number, cfg: RelayConfig): RelayConn {
  const tokens = Math.min(cfg.burst, conn.tokens + (Math.max(0, now - conn.at) * cfg.rate) / 1000);
  return { ...conn, tokens, at: now };
}

/** The relay machine (its requests taken by the driver's simple step, issue 23). */
export const relayMachine = fastStepped(setup({
  types: {
    context: {} as RelayContext,
    events: {} as RelayEvent,
    input: {} as RelayInput,
    emitted: {} as RelayEffect,
  },
  guards: {
    knownConn: ({ context, event }) => context.conns[(event as Ev<'net.request'>).conn] !== undefined,
    overLimit: ({ context, event }) => {
      const e = event as Ev<'net.request'>;
      return refill(context.conns[e.conn]!, e.now, context.config).tokens < 1 && enforced('REQ-REL-041');
    },
  },
  actions: {
    open: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'conn.open'>;
      const conn: RelayConn = { principal: e.principal, key: toHex(e.principal), malformed: 0, tokens: context.config.burst, at: e.now, overLimit: 0 };
      enqueue.assign({ conns: withEntry(context.conns, e.conn, conn), byPrincipal: indexed(context, e.conn, conn.key) });
    }),
    refuseOpen: enqueueActions(({ event, enqueue }) => {
      enqueue.emit({ type: 'effect.close', conn: (event as Ev<'conn.open'>).conn, reason: 'relay shutting down' });
    }),
    close: enqueueActions(({ context, event, enqueue }) => {
      const conn = (event as Ev<'conn.close'>).conn;
      enqueue.assign({ conns: withoutEntry(context.conns, conn), byPrincipal: indexed(context, conn, undefined) });
    }),
    handle: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.request'>;
      const conn = refill(context.conns[e.conn]!, e.now, context.config);
      const step = handleRequest(context.crypto, context.state, conn.principal, e.request, e.now, e.digest);
      const next: RelayContext = { ...context, state: step.state, conns: withEntry(context.conns, e.conn, { ...conn, tokens: conn.tokens - 1 }) };
      enqueue.assign(next);
      for (const fx of effectsOf(next, e.conn, step)) enqueue.emit(fx);
    }),
    // REQ-REL-051: a forwarded mailbox entry is appended and pushed like one of this relay's own
    forwardedMail: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'mail.forwarded'>;
      const step = appendForwardedMail(context.state, e.to, e.roomId, e.inviteId, e.payload);
      const next: RelayContext = { ...context, state: step.state };
      enqueue.assign(next);
      for (const fx of effectsOf(next, '', step)) enqueue.emit(fx);
    }),
    refuseUnknown: enqueueActions(({ event, enqueue }) => {
      const e = event as Ev<'net.request'>;
      enqueue.emit({ type: 'effect.reply', conn: e.conn, bytes: rejectBytes(e.request.value.req_id, 'REQ-TRN-006', 'request before authentication') });
      enqueue.emit({ type: 'effect.close', conn: e.conn, reason: 'request before authentication (REQ-TRN-006)' });
    }),
    rateLimit: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.request'>;
      const conn = refill(context.conns[e.conn]!, e.now, context.config);
      const overLimit = conn.overLimit + 1;
      enqueue.assign({ conns: withEntry(context.conns, e.conn, { ...conn, overLimit }) });
      enqueue.emit({ type: 'effect.reply', conn: e.conn, bytes: rejectBytes(e.request.value.req_id, 'REQ-REL-041', 'rate limit exceeded') });
      enqueue.emit({ type: 'effect.reject', conn: e.conn, reqId: 'REQ-REL-041', detail: 'rate limit exceeded' });
      if (overLimit > context.config.maxOverLimit) enqueue.emit({ type: 'effect.close', conn: e.conn, reason: 'rate limit exceeded repeatedly (REQ-REL-041)' });
    }),
    malformed: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.malformed'>;
      const conn = context.conns[e.conn];
      const malformed = (conn?.malformed ?? 0) + 1;
      if (conn) enqueue.assign({ conns: withEntry(context.conns, e.conn, { ...conn, malformed }) });
      enqueue.emit({ type: 'effect.reply', conn: e.conn, bytes: rejectBytes(e.requestId ?? 0, e.reqId, e.detail) }); // REQ-REL-040: the req_id the bytes show, or 0
      enqueue.emit({ type: 'effect.reject', conn: e.conn, reqId: e.reqId as ReqId, detail: e.detail });
      if (malformed >= context.config.maxMalformed && enforced('REQ-REL-040')) enqueue.emit({ type: 'effect.close', conn: e.conn, reason: 'too many malformed frames (REQ-REL-040)' });
    }),
  },
}).createMachine({
  id: 'relay',
  /** The initial context, from the machine's input. */
  context: fromInput((input: RelayInput): RelayContext => ({
    crypto: input.crypto,
    state: input.state ?? EMPTY_RELAY,
    conns: {},
    byPrincipal: {},
    config: { ...DEFAULT_RELAY_CONFIG, ...input.config },
    deliveries: input.deliveries,
  })),
  initial: 'serving',
  on: {
    'conn.close': { actions: 'close' },
    'mail.forwarded': { actions: 'forwardedMail' },
    'net.malformed': { actions: 'malformed' },
  },
  states: {
    serving: {
      on: {
        'conn.open': { actions: 'open' },
        'net.request': [
          { guard: and(['knownConn', 'overLimit']), actions: 'rateLimit' },
          { guard: 'knownConn', actions: 'handle' },
          { actions: 'refuseUnknown' },
        ],
        'admin.shutdown': { target: 'draining' },
      },
    },
    draining: {
      on: {
        'conn.open': { actions: 'refuseOpen' },
        'net.request': [
          { guard: and(['knownConn', 'overLimit']), actions: 'rateLimit' },
          { guard: 'knownConn', actions: 'handle' },
          { actions: 'refuseUnknown' },
        ],
      },
    },
  },
}));
