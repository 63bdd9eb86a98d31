/**
 * What the owner and member machines share (spec 7.4 to 7.9, 8.5, 8.6): the request outbox with
 * retransmission, room log and mailbox tracking, processing of room entries in both profiles,
 * history synchronisation and gap alarms. Pure functions over the machine context; each returns
 * the new context and the effects to emit.
 */
import { enforced } from '../impl/mutants.ts';
import { equalBytes, toHex, type Bytes } from '../impl/bytes.ts';
import { encode } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { ReqId } from '../impl/errors.ts';
import { fingerprint } from '../impl/keyschedule.ts';
import { FetchHistory, FetchMailbox, MsgType, PublishKeys, type AppContent, type LogEntry } from '../impl/messages/index.ts';
import { entryType, parseRoomEntry, type ParsedLogEntry, type RoomEntry } from '../impl/protocol/entry.ts';
import { newestKem, type Identity } from '../impl/protocol/identity.ts';
import {
  currentCompatKey,
  prepareCompatChat,
  receiveCompatChat,
  receiveCompatRotation,
  type CompatEvent,
  type CompatView,
} from '../impl/protocol/compat-group.ts';
import { gaps, hasEntry, prepareMessage, receiveAppMessage, receiveCommit, type GroupEvent, type GroupView } from '../impl/protocol/group.ts';
import { DEFAULT_UPDATE_POLICY, UPDATE_COMMIT_DELAY_MS } from '../impl/protocol/key-update.ts';
import { rngFromState, type DrbgState, type StatefulRng } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import type { ClientEffect, Status } from './events.ts';

/** Tunables of a client (spec 6.6, 7.6, 8.4). */
export interface ClientConfig {
  /** Retransmit an unanswered request after this long (REQ-INV-003, REQ-MEM-002). */
  readonly retryMs: number;
  /** Fetch history this often while online, to catch dropped deliveries. */
  readonly syncMs: number;
  /** A gap still open this long after it appeared, and after a full history fetch, is an alarm (REQ-MEM-020). */
  readonly gapGraceMs: number;
  /** Rotate after this many messages (REQ-OWN-030, REQ-OWN-042). */
  readonly rotateEvery: number;
  /** Give up a pending join after this long (REQ-OWN-021). */
  readonly joinTimeoutMs: number;
  /** Lifetime of an invite (REQ-OWN-005). */
  readonly inviteLifetimeMs: number;
  /** Entries per history request. */
  readonly historyLimit: number;
  /** hardened: a member updates its ML-KEM key once it was committed this many epochs ago (REQ-MEM-052, `K`). */
  readonly keyUpdateEpochs: number;
  /** hardened: or this long ago by its clock (REQ-MEM-052, `T`). */
  readonly keyUpdateMs: number;
  /** hardened: the owner commits a pending update that is not urgent by a rotation of its own after this long (REQ-OWN-053). */
  readonly keyUpdateDelayMs: number;
}

/** Defaults: 2 s retries, 15 s sync, 30 s gap grace, rotation every 100 messages, 10 min joins, 7-day invites; key updates every 4 epochs or 24 h, committed within 1 h (spec 6.11, 7.12). */
export const DEFAULT_CLIENT_CONFIG: ClientConfig = {
  retryMs: 2_000,
  syncMs: 15_000,
  gapGraceMs: 30_000,
  rotateEvery: 100,
  joinTimeoutMs: 600_000,
  inviteLifetimeMs: 7 * 24 * 3600 * 1000,
  historyLimit: 256,
  keyUpdateEpochs: DEFAULT_UPDATE_POLICY.epochs,
  keyUpdateMs: DEFAULT_UPDATE_POLICY.ms,
  keyUpdateDelayMs: UPDATE_COMMIT_DELAY_MS,
};

/** What a pending request is for: how its answer is handled. */
export type PendingKind =
  | 'create'
  | 'publish'
  | 'invite'
  | 'join'
  | 'keys'
  | 'welcome'
  | 'confirm'
  | 'commit'
  | 'send'
  | 'rotate'
  | 'add'
  | 'remove'
  | 'freeze'
  | 'history'
  | 'roster'
  | 'mailbox'
  | 'keyUpdate';

/** A request waiting for its answer. */
export interface Pending {
  /** Request id. */
  readonly reqId: number;
  /** Its encoding, retransmitted identically. */
  readonly bytes: Bytes;
  /** What it is for. */
  readonly kind: PendingKind;
  /** When it was last sent. */
  readonly sentAt: number;
  /** Machine-specific data needed when the answer comes. */
  readonly meta?: unknown;
}

/** Contiguous progress through an indexed stream (room log, mailbox): everything up to `index` was seen. */
export interface Progress {
  /** Highest index such that every index up to it was processed. */
  readonly index: number;
  /** Indexes above `index` already processed. */
  readonly above: readonly number[];
}

/** History synchronisation state. */
export interface SyncState {
  /** A history request in flight. */
  readonly inFlight: number | undefined;
  /** Whether the request in flight started from the beginning of the window. */
  readonly full: boolean;
  /** When a full fetch last reached the end of the window. */
  readonly fullDoneAt: number | undefined;
  /** When each open gap was first seen, by gap key (REQ-MEM-020). */
  readonly gapSince: Readonly<Record<string, number>>;
  /** When the last history fetch completed. */
  readonly lastSyncAt: number;
  /** A mailbox request in flight. */
  readonly mailInFlight: number | undefined;
}

/** The part of a client machine's context that the core functions manage. */
export interface ClientCore {
  /** Crypto backend. */
  readonly crypto: CryptoProvider;
  /** Profile of the room. */
  readonly profile: Profile;
  /** This client's keys. */
  readonly identity: Identity;
  /** Deterministic generator state (REQ-CRY-011, REQ-CRY-015). */
  readonly rng: DrbgState;
  /** Tunables. */
  readonly config: ClientConfig;
  /** Next request id. */
  readonly nextReqId: number;
  /** Requests awaiting an answer. */
  readonly outbox: readonly Pending[];
  /** Whether the connection to the relay is up. */
  readonly online: boolean;
  /** The room, once known. */
  readonly roomId: Bytes | undefined;
  /** Progress through the room log. */
  readonly log: Progress;
  /** Progress through the mailbox. */
  readonly mail: Progress;
  /** hardened: the group view. */
  readonly group: GroupView | undefined;
  /** compat: the compat view. */
  readonly compat: CompatView | undefined;
  /** History synchronisation. */
  readonly sync: SyncState;
  /** Alarms already raised (not repeated). */
  readonly alarmed: readonly string[];
  /** Whether the keys were published to the directory. */
  readonly published: boolean;
}

/** Context and effects after a core function. */
export interface Out<C> {
  /** New context. */
  readonly ctx: C;
  /** Effects to emit, in order. */
  readonly effects: readonly ClientEffect[];
}

/** The core's initial values. */
export function initialCore(p: { crypto: CryptoProvider; profile: Profile; identity: Identity; rng: DrbgState; config?: Partial<ClientConfig> }): ClientCore {
  return {
    crypto: p.crypto,
    profile: p.profile,
    identity: p.identity,
    rng: p.rng,
    config: { ...DEFAULT_CLIENT_CONFIG, ...p.config },
    nextReqId: 1,
    outbox: [],
    online: false,
    roomId: undefined,
    log: { index: 0, above: [] },
    mail: { index: 0, above: [] },
    group: undefined,
    compat: undefined,
    sync: { inFlight: undefined, full: false, fullDoneAt: undefined, gapSince: {}, lastSyncAt: 0, mailInFlight: undefined },
    alarmed: [],
    published: false,
  };
}

/** Runs `f` with the context's generator and stores the generator's new state. */
export function withRng<C extends ClientCore, T>(ctx: C, f: (rng: StatefulRng) => T): { ctx: C; value: T } {
  const rng = rngFromState(ctx.rng, ctx.crypto.hmacSha256);
  const value = f(rng);
  return { ctx: { ...ctx, rng: rng.state() }, value };
}

/** A typed rejection effect (spec 1.4). */
export function rejection(reqId: ReqId, detail: string, input: string): ClientEffect {
  return { type: 'effect.reject', reqId, detail, input };
}

/** A status effect. */
export function status(s: Status): ClientEffect {
  return { type: 'effect.status', status: s };
}

/**
 * Queues a request: allocates its id, records it for retransmission, and sends it if online.
 * `build` encodes the request with the id it is given.
 */
export function request<C extends ClientCore>(ctx: C, now: number, kind: PendingKind, build: (reqId: number) => Bytes, meta?: unknown): Out<C> {
  const reqId = ctx.nextReqId;
  const bytes = build(reqId);
  const pending: Pending = meta === undefined ? { reqId, bytes, kind, sentAt: now } : { reqId, bytes, kind, sentAt: now, meta };
  const next = { ...ctx, nextReqId: reqId + 1, outbox: [...ctx.outbox, pending] };
  return { ctx: next, effects: ctx.online ? [{ type: 'effect.send', bytes, reqId }] : [] };
}

/** Like `request`, but the first transmission waits for the next retry tick (a request to ask again later). */
export function requestLater<C extends ClientCore>(ctx: C, now: number, kind: PendingKind, build: (reqId: number) => Bytes, meta?: unknown): C {
  const reqId = ctx.nextReqId;
  const bytes = build(reqId);
  const pending: Pending = meta === undefined ? { reqId, bytes, kind, sentAt: now } : { reqId, bytes, kind, sentAt: now, meta };
  return { ...ctx, nextReqId: reqId + 1, outbox: [...ctx.outbox, pending] };
}

/** The pending request answered by `reqId`, and the outbox without it. */
export function settle<C extends ClientCore>(ctx: C, reqId: number): { ctx: C; pending: Pending | undefined } {
  const pending = ctx.outbox.find((p) => p.reqId === reqId);
  if (!pending) return { ctx, pending: undefined };
  return { ctx: { ...ctx, outbox: ctx.outbox.filter((p) => p.reqId !== reqId) }, pending };
}

/** What a sent message's pending request remembers, so that a refusal can name the message. */
export interface SendMeta {
  readonly seq: number;
  readonly epoch: number;
  readonly text: string;
}

/** The status telling the application that the relay refused one of its messages, if `pending` was a send (REQ-MEM-027). */
export function sendRefused(pending: Pending | undefined, requirement: string): ClientEffect[] {
  if (pending?.kind !== 'send' || pending.meta === undefined) return [];
  const m = pending.meta as SendMeta;
  return [{ type: 'effect.status', status: { kind: 'send-refused', seq: m.seq, epoch: m.epoch, text: m.text, reqId: requirement } }];
}

/** The first pending request of a kind, if any. */
export function pendingOf(ctx: ClientCore, kind: PendingKind): Pending | undefined {
  return ctx.outbox.find((p) => p.kind === kind);
}

/** Marks `index` processed in a progress record; returns whether it was new. */
export function advance(p: Progress, index: number): { progress: Progress; fresh: boolean } {
  if (index <= p.index || p.above.includes(index)) return { progress: p, fresh: false };
  let cur = p.index;
  const above = [...p.above, index].sort((a, b) => a - b);
  while (above[0] === cur + 1) {
    cur++;
    above.shift();
  }
  return { progress: { index: cur, above }, fresh: true };
}

/** Progress after learning that everything up to `index` has been seen. */
export function skipTo(p: Progress, index: number): Progress {
  if (index <= p.index) return p;
  let cur = index;
  const above = p.above.filter((i) => i > index).sort((a, b) => a - b);
  while (above[0] === cur + 1) {
    cur++;
    above.shift();
  }
  return { index: cur, above };
}

/** The connection came up: retransmit everything pending, publish keys once, resynchronise (REQ-MEM-025). */
export function onUp<C extends ClientCore>(ctx: C, now: number): Out<C> {
  // Reads in flight are asked again afresh below; everything else is retransmitted as it was.
  const kept = ctx.outbox.filter((p) => p.kind !== 'history' && p.kind !== 'mailbox');
  let c: C = { ...ctx, online: true, outbox: kept.map((p) => ({ ...p, sentAt: now })), sync: { ...ctx.sync, inFlight: undefined, mailInFlight: undefined } };
  const effects: ClientEffect[] = kept.map((p) => ({ type: 'effect.send', bytes: p.bytes, reqId: p.reqId }));
  if (!c.published) {
    const r = request(c, now, 'publish', (req_id) => encode(PublishKeys, { req_id, identity_pk: c.identity.publicKey, kem_cert: newestKem(c.identity).cert }));
    c = { ...r.ctx, published: true };
    effects.push(...r.effects);
  }
  const m = fetchMailbox(c, now);
  effects.push(...m.effects);
  return { ctx: m.ctx, effects };
}

/** The connection went down: requests stay in the outbox until it comes back. */
export function onDown<C extends ClientCore>(ctx: C): C {
  return { ...ctx, online: false };
}

/** Asks the relay for the mailbox from the first index not yet seen (REQ-REL-024). */
export function fetchMailbox<C extends ClientCore>(ctx: C, now: number): Out<C> {
  if (ctx.sync.mailInFlight !== undefined) return { ctx, effects: [] };
  const r = request(ctx, now, 'mailbox', (req_id) => encode(FetchMailbox, { req_id, from_index: ctx.mail.index + 1 }));
  return { ctx: { ...r.ctx, sync: { ...r.ctx.sync, mailInFlight: r.ctx.nextReqId - 1 } }, effects: r.effects };
}

/**
 * REQ-REL-036: a `MailboxChunk` that is not complete (it holds at most 256 entries, REQ-REL-024)
 * is continued at once from its `next_index`; progress jumps there, as it does for history (a
 * fetch hint, never evidence). Anything else asks nothing.
 */
export function continueMailbox<C extends ClientCore>(ctx: C, e: { readonly type: string; readonly complete?: boolean; readonly nextIndex?: number }, now: number): Out<C> {
  if (e.type !== 'net.mailboxChunk' || e.complete !== false || e.nextIndex === undefined) return { ctx, effects: [] };
  return fetchMailbox({ ...ctx, mail: skipTo(ctx.mail, e.nextIndex - 1) }, now);
}

/** Asks the relay for room history: from the start of the window (`full`) or after the last contiguous index. */
export function fetchHistory<C extends ClientCore>(ctx: C, now: number, full: boolean, from?: number): Out<C> {
  if (ctx.roomId === undefined || ctx.sync.inFlight !== undefined) return { ctx, effects: [] };
  const roomId = ctx.roomId;
  const start = from ?? (full ? 0 : ctx.log.index + 1);
  const r = request(ctx, now, 'history', (req_id) => encode(FetchHistory, { req_id, room_id: roomId, from_index: start, limit: ctx.config.historyLimit }), { full });
  return { ctx: { ...r.ctx, sync: { ...r.ctx.sync, inFlight: r.ctx.nextReqId - 1, full } }, effects: r.effects };
}

/** Signals from processing a room entry that only a particular machine acts on. */
export interface EntrySignals {
  /** A commit removed this member. */
  readonly removed: boolean;
}

function groupEffects(events: readonly GroupEvent[], input: string): { effects: ClientEffect[]; removed: boolean } {
  const effects: ClientEffect[] = [];
  let removed = false;
  for (const e of events) {
    switch (e.kind) {
      case 'delivered':
        effects.push({ type: 'effect.deliver', sender: e.sender, seq: e.seq, epoch: e.epoch, text: e.content.text, sentAt: e.content.sent_at });
        break;
      case 'rejected':
        effects.push(rejection(e.reqId, e.detail, input));
        break;
      case 'alarm':
        effects.push({ type: 'effect.alarm', reqId: e.reqId, detail: e.detail });
        break;
      case 'epoch':
        effects.push(status({ kind: 'epoch', epoch: e.epoch, reason: e.reason }));
        break;
      case 'removed':
        removed = true;
        effects.push(status({ kind: 'removed', epoch: e.epoch }));
        break;
      case 'key-updated':
        effects.push(status({ kind: 'key-updated', epoch: e.epoch, version: e.version }));
        break;
      default:
        break;
    }
  }
  return { effects, removed };
}

function compatEffects(events: readonly CompatEvent[], input: string): ClientEffect[] {
  return events.map((e): ClientEffect => {
    switch (e.kind) {
      case 'delivered':
        return { type: 'effect.deliver', sender: e.sender, seq: -1, epoch: e.generation, text: e.text, sentAt: 0 };
      case 'rotated':
        return status({ kind: 'epoch', epoch: e.generation, reason: 'rotate' });
      case 'rejected':
        return rejection(e.reqId, e.detail, input);
    }
  });
}

const ENTRY_CACHE = new WeakMap<object, RoomEntry>();
const HISTORY_CACHE = new WeakMap<object, readonly ParsedLogEntry[]>();

/**
 * The room entry a `net.room` event carries, parsed once where it enters the client (spec 7.6):
 * every guard and action of the event, and every protocol step after them, take this one parsed
 * value (events are never mutated, so the parse is kept per event).
 */
export function roomEntryOf(ctx: { readonly profile: Profile }, event: { readonly payload: Bytes }): RoomEntry {
  let entry = ENTRY_CACHE.get(event);
  if (entry === undefined) {
    entry = parseRoomEntry(event.payload, ctx.profile);
    ENTRY_CACHE.set(event, entry);
  }
  return entry;
}

/** The entries of a `net.history` event, each parsed once where it enters the client (as `roomEntryOf`). */
export function historyEntriesOf(ctx: { readonly profile: Profile }, event: { readonly entries: readonly LogEntry[] }): readonly ParsedLogEntry[] {
  let entries = HISTORY_CACHE.get(event);
  if (entries === undefined) {
    entries = event.entries.map((x) => ({ index: x.index, entry: parseRoomEntry(x.payload, ctx.profile) }));
    HISTORY_CACHE.set(event, entries);
  }
  return entries;
}

/**
 * Processes one room log entry, live or from history (spec 7.6, 7.7, 7.9), parsed where it
 * entered. compat skips an entry at a log index already processed. hardened skips it only when
 * it already has the entry: the index is a hint, never evidence (REQ-MEM-061), so a message the
 * relay serves under a reused index, or serves genuine after a changed copy was refused, is
 * processed; the end-to-end checks decide everything else.
 */
export function processRoomEntry<C extends ClientCore>(ctx: C, index: number, entry: RoomEntry, addIndex?: number): Out<C> & EntrySignals {
  const adv = advance(ctx.log, index);
  if (!adv.fresh && (ctx.profile !== 'hardened' || !ctx.group || !enforced('REQ-MEM-061') || hasEntry(ctx.group, entry))) return { ctx, effects: [], removed: false };
  let c: C = { ...ctx, log: adv.progress };
  const payload = entry.bytes;
  const type = entryType(payload);
  const input = `room entry ${index}`;
  if (c.profile === 'hardened' && c.group) {
    if (entry.kind === 'Commit') {
      const r = receiveCommit(c.crypto, c.group, entry.parsed, c.identity);
      c = { ...c, group: r.view };
      // REQ-MEM-054: once its update is installed, the member erases the room's older ML-KEM private keys
      const updated = r.events.filter((e) => e.kind === 'key-updated').map((e) => e.version);
      if (updated.length > 0) c = { ...c, identity: { ...c.identity, kemKeys: c.identity.kemKeys.filter((k) => k.version >= Math.max(...updated)) } };
      const g = groupEffects(r.events, input);
      return { ctx: c, effects: g.effects, removed: g.removed };
    }
    if (entry.kind === 'AppMessage') {
      const r = receiveAppMessage(c.crypto, c.group, entry.parsed);
      return { ctx: { ...c, group: r.view }, effects: groupEffects(r.events, input).effects, removed: false };
    }
    return { ctx: c, effects: [rejection('REQ-REL-003', `unexpected entry of type ${String(type)} in a hardened room`, input)], removed: false };
  }
  if (c.profile === 'compat' && c.compat) {
    const preJoin = addIndex !== undefined && index < addIndex;
    if (entry.kind === 'CompatChat') {
      const r = receiveCompatChat(c.crypto, c.compat, entry.parsed);
      return { ctx: { ...c, compat: r.view }, effects: compatEffects(r.events, input), removed: false };
    }
    if (entry.kind === 'CompatRotation') {
      if (equalBytes(payload.subarray(20, 52), c.identity.fp)) return { ctx: c, effects: [], removed: false }; // own rotation, installed when made
      const r = receiveCompatRotation(c.crypto, c.compat, entry.parsed);
      if (preJoin && r.events.some((e) => e.kind === 'rejected')) return { ctx: c, effects: [], removed: false }; // a rotation of a generation before ours
      return { ctx: { ...c, compat: r.view }, effects: compatEffects(r.events, input), removed: false };
    }
    if (entry.kind === 'CompatMemberAdd' || (type === MsgType.CompatMember && index === 1)) return { ctx: c, effects: [], removed: false }; // roster changes: the relay's business in compat (W10)
    return { ctx: c, effects: [rejection('REQ-MEM-072', `unexpected entry of type ${String(type)} in a compat room`, input)], removed: false };
  }
  return { ctx: c, effects: [], removed: false };
}

/** Whether a compat log entry, parsed where it entered (or bytes), is this member's own add (REQ-INV-032). */
export function isOwnCompatAdd(crypto: CryptoProvider, input: Bytes | RoomEntry, me: Bytes): boolean {
  const entry = input instanceof Uint8Array ? parseRoomEntry(input, 'compat') : input;
  if (entry.kind !== 'CompatMemberAdd' || !entry.parsed.ok) return false;
  return equalBytes(fingerprint(crypto, entry.parsed.value.member.identity_pk), me);
}

/** Processes a history chunk, its entries parsed where they entered: every entry exactly as a live delivery (REQ-MEM-061), then continues or finishes the fetch. */
export function processHistory<C extends ClientCore>(
  ctx: C,
  now: number,
  chunk: { reqId: number; entries: readonly ParsedLogEntry[]; nextIndex: number; complete: boolean },
  addIndex?: number,
): Out<C> & EntrySignals {
  let c = ctx;
  const effects: ClientEffect[] = [];
  let removed = false;
  for (const e of chunk.entries) {
    const r = processRoomEntry(c, e.index, e.entry, addIndex);
    c = r.ctx;
    effects.push(...r.effects);
    removed ||= r.removed;
  }
  const full = c.sync.full;
  // The relay served every entry of this client's window up to next_index - 1: progress jumps
  // there. Entries below the window are not this client's; progress is a fetch hint, never
  // evidence (REQ-MEM-061).
  c = { ...c, log: skipTo(c.log, chunk.nextIndex - 1), sync: { ...c.sync, inFlight: undefined } };
  if (!chunk.complete) {
    const r = fetchHistory(c, now, full, chunk.nextIndex);
    return { ctx: r.ctx, effects: [...effects, ...r.effects], removed };
  }
  c = { ...c, sync: { ...c.sync, lastSyncAt: now, fullDoneAt: full ? now : c.sync.fullDoneAt } };
  const g = checkGaps(c, now);
  return { ctx: g.ctx, effects: [...effects, ...g.effects], removed };
}

/**
 * Gap handling (REQ-MEM-020, REQ-MEM-030): a gap starts a full history fetch; a gap still open
 * after a full fetch that finished at least `gapGraceMs` after the gap appeared is an alarm.
 */
export function checkGaps<C extends ClientCore>(ctx: C, now: number): Out<C> {
  if (!ctx.group) return { ctx, effects: [] };
  const open = gaps(ctx.group);
  if (open.length === 0) return Object.keys(ctx.sync.gapSince).length === 0 ? { ctx, effects: [] } : { ctx: { ...ctx, sync: { ...ctx.sync, gapSince: {} } }, effects: [] };
  // Each gap keeps the time it first appeared while it stays open: a gap that opens while an
  // older one is still open gets its own grace period
  const since: Record<string, number> = {};
  for (const g of open) since[g.key] = ctx.sync.gapSince[g.key] ?? now;
  let c: C = { ...ctx, sync: { ...ctx.sync, gapSince: since } };
  const effects: ClientEffect[] = [];
  const grace = c.config.gapGraceMs;
  const fullDoneAt = c.sync.fullDoneAt;
  let fetch = false;
  for (const g of open) {
    const from = since[g.key]!;
    if (fullDoneAt !== undefined && fullDoneAt >= from + grace) {
      if (c.alarmed.includes(g.key)) continue;
      const reqId: ReqId = g.sender === 'commits' ? 'REQ-MEM-030' : 'REQ-MEM-020';
      if (!enforced(reqId)) continue; // a mutant that never raises this alarm
      c = { ...c, alarmed: [...c.alarmed, g.key] };
      effects.push({ type: 'effect.alarm', reqId, detail: g.sender === 'commits' ? g.detail : `sender ${g.sender.slice(0, 16)}: ${g.detail}` });
    } else if (fullDoneAt === undefined || fullDoneAt < from || now >= from + grace) {
      // a full fetch right after the gap appears, and another once its grace has passed
      fetch = true;
    }
  }
  if (fetch) {
    const r = fetchHistory(c, now, true);
    c = r.ctx;
    effects.push(...r.effects);
  }
  return { ctx: c, effects };
}

/**
 * A timer tick: retransmit overdue requests, synchronise periodically, recheck gaps (REQ-MEM-025).
 * Returns the effects, the wake-up request included.
 */
export function onTick<C extends ClientCore>(ctx: C, now: number, extraWake?: number): Out<C> {
  let c = ctx;
  const effects: ClientEffect[] = [];
  if (c.online) {
    const due = c.outbox.filter((p) => now - p.sentAt >= c.config.retryMs);
    if (due.length > 0) {
      c = { ...c, outbox: c.outbox.map((p) => (now - p.sentAt >= c.config.retryMs ? { ...p, sentAt: now } : p)) };
      for (const p of due) effects.push({ type: 'effect.send', bytes: p.bytes, reqId: p.reqId });
    }
    if (now - c.sync.lastSyncAt >= c.config.syncMs) {
      // Pushes can be lost: poll the mailbox always (joins, welcomes, confirmations), and the room
      // log once in a room (REQ-MEM-025)
      c = { ...c, sync: { ...c.sync, lastSyncAt: now } };
      const r = fetchHistory(c, now, false);
      c = r.ctx;
      effects.push(...r.effects);
      const m = fetchMailbox(c, now);
      c = m.ctx;
      effects.push(...m.effects);
    }
    const g = checkGaps(c, now);
    c = g.ctx;
    effects.push(...g.effects);
  }
  effects.push(wake(c, now, extraWake));
  return { ctx: c, effects };
}

/** The next time this client needs a tick. */
export function wake(ctx: ClientCore, now: number, extra?: number): ClientEffect {
  const times: number[] = [];
  if (ctx.online) {
    for (const p of ctx.outbox) times.push(p.sentAt + ctx.config.retryMs);
    times.push(ctx.sync.lastSyncAt + ctx.config.syncMs);
    // a gap's grace period ending (past ones are handled when the fetch they started returns)
    for (const [key, at] of Object.entries(ctx.sync.gapSince)) if (at + ctx.config.gapGraceMs > now && !ctx.alarmed.includes(key)) times.push(at + ctx.config.gapGraceMs);
  }
  if (extra !== undefined) times.push(extra);
  const at = times.length === 0 ? now + ctx.config.syncMs : Math.max(now + 1, Math.min(...times));
  return { type: 'effect.wake', at };
}

/** Seals an application message in whichever profile the room has (REQ-MEM-001, REQ-MEM-070). */
export function sealOutgoing<C extends ClientCore>(ctx: C, text: string, now: number): { ctx: C; bytes: Bytes; seq: number; epoch: number } {
  if (ctx.profile === 'hardened') {
    const group = ctx.group!;
    const content: AppContent = { sent_at: now, text };
    const { ctx: c2, value } = withRng(ctx, (rng) => prepareMessage(ctx.crypto, rng, group, ctx.identity, content));
    return { ctx: { ...c2, group: value.view }, bytes: value.message.bytes, seq: value.message.value.seq, epoch: group.epoch };
  }
  const compat = ctx.compat!;
  const { ctx: c2, value } = withRng(ctx, (rng) => prepareCompatChat(ctx.crypto, rng, compat, text));
  return { ctx: { ...c2, compat: value.view }, bytes: value.message.bytes, seq: -1, epoch: currentCompatKey(compat).generation };
}

/** Hex of a member id, for maps and traces. */
export function idHex(b: Bytes): string {
  return toHex(b);
}
