/**
 * The invitee / member machine (spec 7): accepts an invite, runs the join handshake in either
 * profile, becomes a member when its own add appears in the room log, then sends, receives,
 * synchronises history, updates its ML-KEM key by the policy of spec 7.12 (hardened), and stops
 * at removal. Checks run in impl/ steps that cite their
 * requirement ids; a failed check is an `effect.reject` and leaves the security state as it was.
 */
import { enqueueActions, setup } from 'xstate';
import { equalBytes, type Bytes } from '../impl/bytes.ts';
import { decode, encode } from '../impl/codec.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { PqroomError, ProtocolError, type ReqId } from '../impl/errors.ts';
import { enforced } from '../impl/mutants.ts';
import { epochKeys, fingerprint, groupContextOf, inviteId as inviteIdOf } from '../impl/keyschedule.ts';
import {
  CompatWelcome,
  GetKeys,
  GetRoster,
  Send,
  SubmitConfirm,
  SubmitJoin,
  Welcome,
  type Invite,
  type JoinRequest,
  type MailboxEntry,
} from '../impl/messages/index.ts';
import { buildCompatConfirm, buildCompatJoinRequest, compatOpenWelcome } from '../impl/protocol/compat.ts';
import { currentCompatKey, newCompatView, type CompatView } from '../impl/protocol/compat-group.ts';
import { checkServedRoster, currentEpoch, epochRecordOf, knownEpochCommit, newGroupView, type GroupEvent, type GroupView } from '../impl/protocol/group.ts';
import { newestKem, verifyKemCert, type Identity } from '../impl/protocol/identity.ts';
import type { RoomEntry } from '../impl/protocol/entry.ts';
import { buildJoinConfirm, buildJoinRequest, openWelcome, type Encoded } from '../impl/protocol/join.ts';
import { drbgInstantiate, type DrbgState } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import {
  advance,
  checkGaps,
  fetchHistory,
  historyEntriesOf,
  initialCore,
  isOwnCompatAdd,
  continueMailbox,
  onDown,
  onTick,
  onUp,
  processHistory,
  processRoomEntry,
  rejection,
  roomEntryOf,
  request,
  sealOutgoing,
  settle,
  status,
  wake,
  withRng,
  type ClientConfig,
  type ClientCore,
  type Out,
  requestLater,
  sendRefused,
  type SendMeta,
} from './client-core.ts';
import type { ClientEffect, MemberEvent } from './events.ts';
import { fastStepped, fromInput } from './driver.ts';
import { keyPolicy, withKeyPolicy, type KeyAgeState } from './member-keys.ts';
export type { KeyAgeState } from './member-keys.ts';
import { once } from './memo.ts';

/** What a member machine is started with. */
export interface MemberInput {
  /** Crypto backend (real or symbolic). */
  readonly crypto: CryptoProvider;
  /** The profile this client speaks. */
  readonly profile: Profile;
  /** This person's keys. */
  readonly identity: Identity;
  /** Seed of the deterministic generator (REQ-CRY-011); a restart gets a fresh one (REQ-CRY-015). */
  readonly rngSeed: Bytes;
  /** Tunables. */
  readonly config?: Partial<ClientConfig>;
}

/** The member machine's context. */
export interface MemberContext extends ClientCore {
  /** The invite being redeemed. */
  readonly invite: Invite | undefined;
  /** Its id. */
  readonly inviteId: Bytes | undefined;
  /** hardened: the join request sent. */
  readonly joinRequest: Encoded<JoinRequest> | undefined;
  /** compat: the connection key of the join request sent. */
  readonly connectionKey: Bytes | undefined;
  /** hardened: the view the welcome gives, installed when the add commit appears (REQ-INV-016). */
  readonly pendingGroup: { readonly view: GroupView; readonly commitBytes: Bytes } | undefined;
  /** compat: the view the welcome gives. */
  readonly pendingCompat: CompatView | undefined;
  /** compat: log index of this member's own add (entries before it are pre-join, W15). */
  readonly addIndex: number | undefined;
  /** hardened, once a member: the age of its ML-KEM key in the room, for the update policy (spec 7.4, REQ-MEM-052). */
  readonly keyAge?: KeyAgeState;
}

type Ev<T extends MemberEvent['type']> = Extract<MemberEvent, { type: T }>;

/** The outcome of a welcome found in the mailbox. */
type WelcomeOutcome = { readonly ok: true; readonly out: Out<MemberContext> } | { readonly ok: false; readonly out: Out<MemberContext> };

function rejected(e: unknown, input: string): ClientEffect {
  if (e instanceof PqroomError) return rejection(e.reqId, e.message, input);
  throw e;
}

/** REQ-INV-001, REQ-INV-002 */
function inviteProblem(ctx: MemberContext, e: Ev<'user.join'>): { reqId: ReqId; detail: string } | undefined {
  if (e.invite.profile !== ctx.profile) return { reqId: 'REQ-INV-001', detail: `a ${e.invite.profile} invite for a ${ctx.profile} client` };
  if (ctx.profile === 'hardened' && (e.invite.expires_at === 0 || (e.now > e.invite.expires_at && enforced('REQ-INV-002'))))
    return { reqId: 'REQ-INV-002', detail: e.invite.expires_at === 0 ? 'hardened invites must expire' : 'invite expired' };
  return undefined;
}

function beginJoin(ctx: MemberContext, e: Ev<'user.join'>): Out<MemberContext> {
  const inviteId = inviteIdOf(ctx.crypto, e.invite.token);
  const base: MemberContext = { ...ctx, invite: e.invite, inviteId };
  if (ctx.profile === 'compat') {
    // REQ-INV-030: the owner's keys come from the directory and are checked against the invite
    return request(base, e.now, 'keys', (req_id) => encode(GetKeys, { req_id, member_id: e.invite.owner_fp }), { until: e.now + ctx.config.joinTimeoutMs });
  }
  const { ctx: c1, value: jr } = withRng(base, (rng) => buildJoinRequest(ctx.crypto, rng, e.invite, ctx.identity, inviteId)); // REQ-INV-003
  return request({ ...c1, joinRequest: jr }, e.now, 'join', (req_id) =>
    encode(SubmitJoin, { req_id, room_id: e.invite.room_id, invite_id: inviteId, payload: jr.bytes }),
  );
}

/** REQ-INV-030: check the owner's keys, then send the compat join request. */
function compatKeys(ctx: MemberContext, e: Ev<'net.keys'>): Out<MemberContext> {
  const s = settle(ctx, e.reqId);
  const invite = ctx.invite!;
  try {
    if (!equalBytes(fingerprint(ctx.crypto, e.identityPk), invite.owner_fp)) throw new PqroomError('REQ-INV-030', "served owner key does not match the invite's fingerprint");
    verifyKemCert(ctx.crypto, e.kemCert, e.identityPk, 'REQ-INV-030');
  } catch (err) {
    return { ctx: s.ctx, effects: [rejected(err, 'owner keys')] };
  }
  const { ctx: c1, value } = withRng(s.ctx, (rng) =>
    buildCompatJoinRequest(ctx.crypto, rng, { invite, inviteId: ctx.inviteId!, identity: ctx.identity, ownerKemPk: e.kemCert.kem_pk }),
  );
  return request({ ...c1, connectionKey: value.connectionKey }, e.now, 'join', (req_id) =>
    encode(SubmitJoin, { req_id, room_id: invite.room_id, invite_id: ctx.inviteId!, payload: value.request.bytes }),
  );
}

/**
 * Looks for a valid welcome among mailbox entries (REQ-INV-010..015, REQ-INV-031): the first one
 * that passes is accepted and confirmed; the others are rejected.
 */
function welcomeOutcome(ctx: MemberContext, entries: readonly MailboxEntry[], now: number): WelcomeOutcome {
  let c = ctx;
  const effects: ClientEffect[] = [];
  for (const entry of entries) {
    const adv = advance(c.mail, entry.index);
    if (!adv.fresh) continue;
    c = { ...c, mail: adv.progress };
    const input = `mailbox entry ${entry.index}`;
    const invite = c.invite;
    if (invite && !equalBytes(entry.room_id, invite.room_id)) continue; // REQ-MEM-064: another room's entry (the mailbox is the principal's)
    if (!invite || !c.inviteId || !equalBytes(entry.invite_id, c.inviteId)) {
      effects.push(rejection('REQ-INV-010', 'mailbox entry for another invite', input));
      continue;
    }
    try {
      if (c.profile === 'hardened') {
        if (now > invite.expires_at && enforced('REQ-INV-017')) throw new ProtocolError('REQ-INV-017', 'welcome after the invite expired');
        const welcome: Encoded<Welcome> = { value: decode(Welcome, entry.payload), bytes: entry.payload };
        const kem = newestKem(c.identity);
        const opened = openWelcome(c.crypto, welcome, invite, c.joinRequest!, kem.secretKey);
        const gi = opened.groupInfo;
        const keys = epochKeys(c.crypto, gi.epoch_secret, groupContextOf(c.crypto, gi.commit, opened.commitBytes));
        const view = newGroupView(invite.room_id, c.identity.fp, epochRecordOf(c.crypto, { value: gi.commit, bytes: opened.commitBytes }, gi.roster, keys));
        const { ctx: c1, value: conf } = withRng(c, (rng) =>
          buildJoinConfirm(c.crypto, rng, { roomId: invite.room_id, inviteId: c.inviteId!, epoch: gi.commit.epoch, epochSecret: gi.epoch_secret, welcomeHash: opened.welcomeHash, identity: c.identity }),
        ); // REQ-INV-015
        const r = request({ ...c1, pendingGroup: { view, commitBytes: opened.commitBytes } }, now, 'confirm', (req_id) =>
          encode(SubmitConfirm, { req_id, room_id: invite.room_id, invite_id: c.inviteId!, payload: conf.bytes }),
        );
        return { ok: true, out: { ctx: r.ctx, effects: [...effects, ...r.effects] } };
      }
      const w = decode(CompatWelcome, entry.payload);
      const content = compatOpenWelcome(c.crypto, w, c.connectionKey!, invite.token); // REQ-INV-031
      const { ctx: c1, value: conf } = withRng(c, (rng) =>
        buildCompatConfirm(c.crypto, rng, { roomId: invite.room_id, inviteId: c.inviteId!, memberId: c.identity.fp, roomKey: content.room_key }),
      );
      const view = newCompatView(invite.room_id, c.identity.fp, { generation: content.generation, key: content.room_key });
      const r = request({ ...c1, pendingCompat: view }, now, 'confirm', (req_id) =>
        encode(SubmitConfirm, { req_id, room_id: invite.room_id, invite_id: c.inviteId!, payload: conf.bytes }),
      );
      return { ok: true, out: { ctx: r.ctx, effects: [...effects, ...r.effects] } };
    } catch (err) {
      effects.push(rejected(err, input));
    }
  }
  return { ok: false, out: { ctx: c, effects } };
}

/** REQ-INV-016, REQ-INV-032: the room log shows this member's own add. */
function isOwnAdd(ctx: MemberContext, entry: RoomEntry): boolean {
  if (ctx.profile === 'hardened') return ctx.pendingGroup !== undefined && equalBytes(entry.bytes, ctx.pendingGroup.commitBytes);
  return ctx.pendingCompat !== undefined && isOwnCompatAdd(ctx.crypto, entry, ctx.identity.fp);
}

/**
 * REQ-INV-016 (hardened): a room entry that is an owner-signed commit for the epoch of the
 * welcome's add commit, but not that commit, is a fork: the alarm a member raises for it
 * (REQ-MEM-049, `knownEpochCommit`), since the welcome's view already holds that epoch.
 */
function forkOfOwnAdd(ctx: MemberContext, entry: RoomEntry): Extract<GroupEvent, { kind: 'alarm' }> | undefined {
  const pending = ctx.pendingGroup;
  if (ctx.profile !== 'hardened' || pending === undefined) return undefined;
  if (entry.kind !== 'Commit' || !entry.parsed.ok) return undefined;
  try {
    const events = knownEpochCommit(ctx.crypto, pending.view, entry.parsed.value, entry.bytes).events;
    return events.find((e): e is Extract<GroupEvent, { kind: 'alarm' }> => e.kind === 'alarm');
  } catch {
    return undefined;
  }
}

/** Becomes a member at log entry `index`, then fetches the whole window (spec 8.6). */
function becomeMember(ctx: MemberContext, index: number, now: number): Out<MemberContext> {
  const roomId = ctx.invite!.room_id;
  const c: MemberContext =
    ctx.profile === 'hardened'
      ? { ...ctx, roomId, group: ctx.pendingGroup!.view, pendingGroup: undefined }
      : { ...ctx, roomId, compat: ctx.pendingCompat, pendingCompat: undefined, addIndex: index };
  const epoch = ctx.profile === 'hardened' ? ctx.pendingGroup!.view.epoch : (ctx.pendingCompat?.keys[0]?.generation ?? 0);
  // REQ-MEM-052: the key it joined with was committed by its add
  const aged: MemberContext = ctx.profile === 'hardened' ? { ...c, keyAge: { committedEpoch: epoch, committedAt: now, alarm: false } } : c;
  const r = fetchHistory({ ...aged, sync: { ...aged.sync, inFlight: undefined } }, now, true);
  return { ctx: r.ctx, effects: [status({ kind: 'joined', epoch }), ...r.effects] };
}

/** While confirming, poll the history until the add is published (the push may be lost). */
function pollForAdd(ctx: MemberContext, now: number): Out<MemberContext> {
  if (!ctx.online || ctx.sync.inFlight !== undefined || now - ctx.sync.lastSyncAt < ctx.config.retryMs) return { ctx, effects: [] };
  const roomId = ctx.invite!.room_id;
  const r = fetchHistory({ ...ctx, roomId, sync: { ...ctx.sync, lastSyncAt: now } }, now, true);
  return { ctx: { ...r.ctx, roomId: undefined }, effects: r.effects };
}

function historyAddIndex(ctx: MemberContext, e: Ev<'net.history'>): number | undefined {
  return historyEntriesOf(ctx, e).find((x) => isOwnAdd(ctx, x.entry))?.index;
}

function afterEntries(now: number, out: Out<MemberContext>): Out<MemberContext> {
  const g = checkGaps(out.ctx, now);
  return { ctx: g.ctx, effects: [...out.effects, ...g.effects, wake(g.ctx, now)] };
}

/** The member machine. */
export const memberMachine = fastStepped(setup({
  types: {
    context: {} as MemberContext,
    events: {} as MemberEvent,
    input: {} as MemberInput,
    emitted: {} as ClientEffect,
  },
  guards: {
    inviteUsable: ({ context, event }) => inviteProblem(context, event as Ev<'user.join'>) === undefined,
    isKeysAnswer: ({ context, event }) => context.outbox.some((p) => p.kind === 'keys' && p.reqId === (event as Ev<'net.keys'>).reqId),
    welcomeAccepted: ({ context, event }) => {
      const e = event as Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>;
      const entries = e.type === 'net.mailbox' ? [e.entry] : e.entries;
      return once(context, event, 'welcome', () => welcomeOutcome(context, entries, e.now)).ok;
    },
    ownerKeysNotYet: ({ context, event }) => {
      // REQ-INV-030: the owner's keys may reach the directory after its invite: ask again later
      const e = event as Ev<'net.reject'>;
      const p = context.outbox.find((x) => x.reqId === e.reqId);
      return p?.kind === 'keys' && e.requirement === 'REQ-REL-023' && e.now < (p.meta as { until: number }).until;
    },
    joinRefused: ({ context, event }) => {
      const p = context.outbox.find((x) => x.reqId === (event as Ev<'net.reject'>).reqId);
      return p?.kind === 'join' || p?.kind === 'keys' || p?.kind === 'confirm';
    },
    ownAddSeen: ({ context, event }) => isOwnAdd(context, roomEntryOf(context, event as Ev<'net.room'>)),
    historyHasOwnAdd: ({ context, event }) => historyAddIndex(context, event as Ev<'net.history'>) !== undefined,
    canUpdate: ({ context }) => context.profile === 'hardened' && context.group !== undefined && !context.group.removed && context.keyAge !== undefined,
    canSend: ({ context }) => (context.profile === 'hardened' ? context.group !== undefined && !context.group.removed : context.compat !== undefined),
    entryRemovesMe: ({ context, event }) => {
      const e = event as Ev<'net.room'>;
      return once(context, event, 'entry', () => processRoomEntry(context, e.index, roomEntryOf(context, e), context.addIndex)).removed;
    },
    historyRemovesMe: ({ context, event }) => {
      const e = event as Ev<'net.history'>;
      return once(context, event, 'history', () => processHistory(context, e.now, { ...e, entries: historyEntriesOf(context, e) }, context.addIndex)).removed;
    },
  },
  actions: {
    rejectInvite: enqueueActions(({ context, event, enqueue }) => {
      const p = inviteProblem(context, event as Ev<'user.join'>)!;
      enqueue.emit(rejection(p.reqId, p.detail, 'invite'));
    }),
    beginJoin: enqueueActions(({ context, event, enqueue }) => {
      const out = beginJoin(context, event as Ev<'user.join'>);
      enqueue.assign(out.ctx);
      for (const fx of out.effects) enqueue.emit(fx);
      enqueue.emit(wake(out.ctx, (event as Ev<'user.join'>).now));
    }),
    submitCompatJoin: enqueueActions(({ context, event, enqueue }) => {
      const out = compatKeys(context, event as Ev<'net.keys'>);
      enqueue.assign(out.ctx);
      for (const fx of out.effects) enqueue.emit(fx);
    }),
    acceptWelcome: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>;
      const entries = e.type === 'net.mailbox' ? [e.entry] : e.entries;
      const r = once(context, event, 'welcome', () => welcomeOutcome(context, entries, e.now));
      const after = e.type === 'net.mailboxChunk' ? { ...r.out.ctx, sync: { ...r.out.ctx.sync, mailInFlight: undefined } } : r.out.ctx;
      const more = continueMailbox(after, e, e.now); // REQ-REL-036
      const ctx = more.ctx;
      enqueue.assign(ctx);
      for (const fx of [...r.out.effects, ...more.effects]) enqueue.emit(fx);
      enqueue.emit(wake(ctx, e.now));
    }),
    retryKeys: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.reject'>;
      const s = settle(context, e.reqId);
      const ctx = requestLater(s.ctx, e.now, 'keys', (req_id) => encode(GetKeys, { req_id, member_id: context.invite!.owner_fp }), s.pending!.meta);
      enqueue.assign(ctx);
      enqueue.emit(wake(ctx, e.now));
    }),
    failJoin: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.reject'>;
      const s = settle(context, e.reqId);
      enqueue.assign(s.ctx);
      enqueue.emit(status({ kind: 'join-failed', reqId: e.requirement, detail: e.detail }));
    }),
    becomeMember: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.room'>;
      const out = becomeMember(context, e.index, e.now);
      const entry = processRoomEntry(out.ctx, e.index, roomEntryOf(context, e), out.ctx.addIndex);
      enqueue.assign(entry.ctx);
      for (const fx of [...out.effects, ...entry.effects]) enqueue.emit(fx);
      enqueue.emit(wake(entry.ctx, e.now));
    }),
    becomeMemberFromHistory: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.history'>;
      const index = historyAddIndex(context, e)!;
      const s = settle(context, e.reqId);
      const out = becomeMember({ ...s.ctx, sync: { ...s.ctx.sync, inFlight: undefined } }, index, e.now);
      enqueue.assign(out.ctx);
      for (const fx of out.effects) enqueue.emit(fx);
      enqueue.emit(wake(out.ctx, e.now));
    }),
    /** REQ-INV-016: a history answer that shows another commit for the welcome's epoch is a fork. */
    alarmForks: enqueueActions(({ context, event, enqueue }) => {
      for (const x of historyEntriesOf(context, event as Ev<'net.history'>)) {
        const fork = forkOfOwnAdd(context, x.entry);
        if (fork !== undefined) enqueue.emit({ type: 'effect.alarm', reqId: fork.reqId, detail: fork.detail });
      }
    }),
    settleAnswer: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.history'> | Ev<'net.mailboxChunk'> | Ev<'net.ack'>;
      const s = settle(context, e.reqId);
      const sync = e.type === 'net.history' ? { ...s.ctx.sync, inFlight: undefined } : e.type === 'net.mailboxChunk' ? { ...s.ctx.sync, mailInFlight: undefined } : s.ctx.sync;
      enqueue.assign({ ...s.ctx, sync });
    }),
    applyEntry: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.room'>;
      const r = once(context, event, 'entry', () => processRoomEntry(context, e.index, roomEntryOf(context, e), context.addIndex));
      let out: Out<MemberContext> = { ctx: r.ctx, effects: r.effects };
      if (r.ctx.log.above.length > 0) {
        const h = fetchHistory(out.ctx, e.now, false);
        out = { ctx: h.ctx, effects: [...out.effects, ...h.effects] };
      }
      const done = withKeyPolicy(e.now, afterEntries(e.now, out));
      enqueue.assign(done.ctx);
      for (const fx of done.effects) enqueue.emit(fx);
    }),
    applyHistory: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.history'>;
      const s = settle(context, e.reqId);
      if (context.sync.inFlight !== e.reqId) {
        enqueue.assign(s.ctx);
        return;
      }
      const r = once(context, event, 'history', () => processHistory(context, e.now, { ...e, entries: historyEntriesOf(context, e) }, context.addIndex));
      const done = withKeyPolicy(e.now, { ctx: { ...r.ctx, outbox: r.ctx.outbox.filter((p) => p.reqId !== e.reqId) }, effects: r.effects });
      enqueue.assign(done.ctx);
      for (const fx of done.effects) enqueue.emit(fx);
      enqueue.emit(wake(done.ctx, e.now));
    }),
    sendMessage: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'user.send'>;
      const sealed = sealOutgoing(context, e.text, e.now);
      const roomId = context.roomId!;
      const meta: SendMeta = { seq: sealed.seq, epoch: sealed.epoch, text: e.text };
      const r = request(sealed.ctx, e.now, 'send', (req_id) => encode(Send, { req_id, room_id: roomId, payload: sealed.bytes }), meta); // REQ-MEM-002: stored before it leaves
      enqueue.assign(r.ctx);
      for (const fx of r.effects) enqueue.emit(fx);
      enqueue.emit(status({ kind: 'sent', seq: sealed.seq, epoch: sealed.epoch, text: e.text, payload: sealed.bytes }));
      enqueue.emit(wake(r.ctx, e.now));
    }),
    rejectSend: enqueueActions(({ enqueue }) => {
      enqueue.emit(rejection('REQ-MEM-003', 'only a current member sends', 'user.send'));
    }),
    sync: enqueueActions(({ context, event, enqueue }) => {
      const r = fetchHistory(context, (event as Ev<'user.sync'>).now, false);
      enqueue.assign(r.ctx);
      for (const fx of r.effects) enqueue.emit(fx);
    }),
    up: enqueueActions(({ context, event, enqueue }) => {
      const now = (event as Ev<'net.up'>).now;
      let out = onUp(context, now);
      if (out.ctx.roomId !== undefined) {
        const h = fetchHistory(out.ctx, now, false);
        out = { ctx: h.ctx, effects: [...out.effects, ...h.effects] };
      }
      enqueue.assign(out.ctx);
      for (const fx of out.effects) enqueue.emit(fx);
      enqueue.emit(wake(out.ctx, now));
    }),
    down: enqueueActions(({ context, enqueue }) => {
      enqueue.assign(onDown(context));
    }),
    tick: enqueueActions(({ context, event, enqueue }) => {
      const now = (event as Ev<'timer.tick'>).now;
      const out = withKeyPolicy(now, onTick(context, now));
      enqueue.assign(out.ctx);
      for (const fx of out.effects) enqueue.emit(fx);
    }),
    pollTick: enqueueActions(({ context, event, enqueue }) => {
      const now = (event as Ev<'timer.tick'>).now;
      const p = pollForAdd(context, now);
      const out = onTick(p.ctx, now, p.ctx.sync.lastSyncAt + p.ctx.config.retryMs);
      enqueue.assign(out.ctx);
      for (const fx of [...p.effects, ...out.effects]) enqueue.emit(fx);
    }),
    noteAck: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign(settle(context, (event as Ev<'net.ack'>).reqId).ctx);
    }),
    noteReject: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.reject'>;
      const s = settle(context, e.reqId);
      // an invitee's poll for its add is answered with its empty window (spec 8.4), so a Reject of it is the relay's to explain
      const sync = s.pending?.kind === 'history' ? { ...s.ctx.sync, inFlight: undefined } : s.pending?.kind === 'mailbox' ? { ...s.ctx.sync, mailInFlight: undefined } : s.ctx.sync;
      enqueue.assign({ ...s.ctx, sync });
      enqueue.emit(rejection(e.requirement as ReqId, `relay refused ${s.pending?.kind ?? 'an unknown request'}: ${e.detail}`, `request ${e.reqId}`));
      for (const fx of sendRefused(s.pending, e.requirement)) enqueue.emit(fx);
    }),
    noteMailbox: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>;
      const entries = e.type === 'net.mailbox' ? [e.entry] : e.entries;
      let mail = context.mail;
      for (const x of entries) mail = advance(mail, x.index).progress;
      const sync = e.type === 'net.mailboxChunk' ? { ...context.sync, mailInFlight: undefined } : context.sync;
      const ctx = { ...(e.type === 'net.mailboxChunk' ? settle(context, e.reqId).ctx : context), mail, sync };
      const more = continueMailbox(ctx, e, e.now); // REQ-REL-036
      enqueue.assign(more.ctx);
      for (const fx of more.effects) enqueue.emit(fx);
    }),
    checkRoster: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.roster'>;
      const s = settle(context, e.reqId);
      if (context.group && 'head' in e.info) {
        const found = checkServedRoster(context.crypto, context.group, e.info);
        for (const g of found.events) {
          if (g.kind === 'alarm') enqueue.emit({ type: 'effect.alarm', reqId: g.reqId, detail: g.detail });
          if (g.kind === 'rejected') enqueue.emit(rejection(g.reqId, g.detail, 'served roster'));
        }
        // REQ-MEM-062: what it shows is its own epoch's roster, and only when the served head is its own commit
        const own = currentEpoch(context.group);
        if (found.events.length === 0 && s.pending?.kind === 'roster') enqueue.emit(status({ kind: 'roster', epoch: context.group.epoch, members: own.roster.map((r) => r.member_id), served: false }));
        // REQ-MEM-063: a newer head opens a gap in the commits: fetched now, alarmed if history cannot fill it (REQ-MEM-030)
        if (found.view === context.group) enqueue.assign(s.ctx);
        else {
          const out = afterEntries(e.now, { ctx: { ...s.ctx, group: found.view }, effects: [] });
          enqueue.assign(out.ctx);
          for (const fx of out.effects) enqueue.emit(fx);
        }
      } else {
        enqueue.assign(s.ctx);
        if (context.compat && !('head' in e.info) && s.pending?.kind === 'roster') {
          // REQ-MEM-073 (W10): the list as the relay served it
          const members = e.info.members.map((m) => fingerprint(context.crypto, m.identity_pk));
          enqueue.emit(status({ kind: 'roster', epoch: currentCompatKey(context.compat).generation, members, served: true }));
        }
      }
    }),
    askRoster: enqueueActions(({ context, event, enqueue }) => {
      const roomId = context.roomId!;
      const r = request(context, (event as Ev<'user.roster'>).now, 'roster', (req_id) => encode(GetRoster, { req_id, room_id: roomId })); // REQ-MEM-062
      enqueue.assign(r.ctx);
      for (const fx of r.effects) enqueue.emit(fx);
    }),
    updateKey: enqueueActions(({ context, event, enqueue }) => {
      // REQ-MEM-052: the user asks for an update: urgent, at once
      const out = keyPolicy(context, (event as Ev<'user.update'>).now, [], true);
      enqueue.assign(out.ctx);
      for (const fx of out.effects) enqueue.emit(fx);
    }),
    rejectUpdate: enqueueActions(({ enqueue }) => {
      enqueue.emit(rejection('REQ-MEM-052', 'only a current member of a hardened room updates its key', 'user.update'));
    }),
    rejectRoster: enqueueActions(({ enqueue }) => {
      enqueue.emit(rejection('REQ-MEM-062', 'only a current member asks for the roster', 'user.roster'));
    }),
    rejectJoin: enqueueActions(({ enqueue }) => {
      enqueue.emit(rejection('REQ-INV-004', 'this client already redeemed an invite', 'user.join'));
    }),
    rejectEntry: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.room'>;
      const fork = forkOfOwnAdd(context, roomEntryOf(context, e)); // REQ-INV-016
      if (fork !== undefined) enqueue.emit({ type: 'effect.alarm', reqId: fork.reqId, detail: fork.detail });
      else enqueue.emit(rejection('REQ-INV-004', 'room entry before this client was added', `room entry ${e.index}`));
    }),
    malformed: enqueueActions(({ event, enqueue }) => {
      const e = event as Ev<'net.malformed'>;
      enqueue.emit(rejection(e.reqId, e.detail, 'relay message'));
    }),
  },
}).createMachine({
  id: 'member',
  /** The initial context, from the machine's input. */
  context: fromInput((input: MemberInput): MemberContext => ({
    ...initialCore({ crypto: input.crypto, profile: input.profile, identity: input.identity, rng: drbgInstantiate(input.rngSeed, input.crypto.hmacSha256) as DrbgState, config: input.config ?? {} }),
    invite: undefined,
    inviteId: undefined,
    joinRequest: undefined,
    connectionKey: undefined,
    pendingGroup: undefined,
    pendingCompat: undefined,
    addIndex: undefined,
  })),
  initial: 'idle',
  on: {
    'net.up': { actions: 'up' },
    'net.down': { actions: 'down' },
    'net.ack': { actions: 'noteAck' },
    'net.reject': { actions: 'noteReject' },
    'net.mailbox': { actions: 'noteMailbox' },
    'net.mailboxChunk': { actions: 'noteMailbox' },
    'net.history': { actions: 'settleAnswer' },
    'net.roster': { actions: 'checkRoster' },
    'net.keys': { actions: 'noteAck' },
    'net.malformed': { actions: 'malformed' },
    'timer.tick': { actions: 'tick' },
    'user.send': { actions: 'rejectSend' },
    'user.join': { actions: 'rejectJoin' },
    'user.sync': { actions: 'sync' },
    'user.roster': { actions: 'rejectRoster' },
    'user.update': { actions: 'rejectUpdate' },
    'net.room': { actions: 'rejectEntry' },
  },
  states: {
    idle: {
      on: {
        'user.join': [{ guard: 'inviteUsable', target: 'joining', actions: 'beginJoin' }, { actions: 'rejectInvite' }],
      },
    },
    joining: {
      on: {
        'net.keys': [{ guard: 'isKeysAnswer', actions: 'submitCompatJoin' }, { actions: 'noteAck' }],
        'net.mailbox': [{ guard: 'welcomeAccepted', target: 'confirming', actions: 'acceptWelcome' }, { actions: 'acceptWelcome' }],
        'net.mailboxChunk': [{ guard: 'welcomeAccepted', target: 'confirming', actions: 'acceptWelcome' }, { actions: 'acceptWelcome' }],
        'net.reject': [{ guard: 'ownerKeysNotYet', actions: 'retryKeys' }, { guard: 'joinRefused', target: 'failed', actions: 'failJoin' }, { actions: 'noteReject' }],
      },
    },
    confirming: {
      on: {
        'net.room': [{ guard: 'ownAddSeen', target: 'member', actions: 'becomeMember' }, { actions: 'rejectEntry' }],
        'net.history': [{ guard: 'historyHasOwnAdd', target: 'member', actions: 'becomeMemberFromHistory' }, { actions: ['alarmForks', 'settleAnswer'] }],
        'net.reject': [{ guard: 'joinRefused', target: 'failed', actions: 'failJoin' }, { actions: 'noteReject' }],
        'timer.tick': { actions: 'pollTick' },
      },
    },
    member: {
      on: {
        'user.send': [{ guard: 'canSend', actions: 'sendMessage' }, { actions: 'rejectSend' }],
        'user.sync': { actions: 'sync' },
        'user.roster': { actions: 'askRoster' },
        'user.update': [{ guard: 'canUpdate', actions: 'updateKey' }, { actions: 'rejectUpdate' }],
        'net.room': [{ guard: 'entryRemovesMe', target: 'removed', actions: 'applyEntry' }, { actions: 'applyEntry' }],
        'net.history': [{ guard: 'historyRemovesMe', target: 'removed', actions: 'applyHistory' }, { actions: 'applyHistory' }],
      },
    },
    removed: {
      on: {
        'net.room': { actions: 'applyEntry' },
        'net.history': { actions: 'applyHistory' },
      },
    },
    failed: {},
  },
}));
