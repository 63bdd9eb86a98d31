/**
 * The owner machine (spec 6): creates the room, issues invites, admits one invitee at a time
 * (welcome, confirmation, then the owner-signed add commit), rotates every N messages, commits
 * members' key updates (hardened), removes members (hardened), and is a member of its own room.
 * compat runs 0FC's flows on the same states: automatic welcomes, owner-signed member adds,
 * rotation sealed under the old key.
 * This file is the machine; the steps of its phases are in machines/owner/: genesis.ts (the
 * room), joins.ts (invites and joins), commits.ts (commits and removals), updates.ts (members'
 * key updates, spec 6.11), context.ts (its state).
 */
import { enqueueActions, setup } from 'xstate';
import { equalBytes, type Bytes } from '../impl/bytes.ts';
import { encode } from '../impl/codec.ts';
import type { ReqId } from '../impl/errors.ts';
import { inviteToText } from '../impl/invite.ts';
import { Send } from '../impl/messages/index.ts';
import { currentEpoch } from '../impl/protocol/group.ts';
import { drbgInstantiate } from '../impl/rng.ts';
import { advance, continueMailbox, fetchHistory, fetchMailbox, historyEntriesOf, initialCore, onDown, onTick, onUp, processHistory, processRoomEntry, rejection, request, roomEntryOf, sealOutgoing, sendRefused, settle, status, wake, type Out, type SendMeta } from './client-core.ts';
import { fastStepped, fromInput } from './driver.ts';
import type { ClientEffect, OwnerEvent } from './events.ts';
import { once } from './memo.ts';
import { afterEntries, commitChange, commitDue, compatRemove, compatRotate, freezeDue, installPublished, isPublishedCommit, noteLog, publishSigned, requestFreeze } from './owner/commits.ts';
import { setInvite, type Ev, type OwnerContext, type OwnerInput } from './owner/context.ts';
import { updateDeadline, withoutUpdates } from './owner/updates.ts';
import { createRoom, type CreateMeta } from './owner/genesis.ts';
import { admit, compatMail, freshMail, hardenedMail, issueInvite, mailEntries } from './owner/joins.ts';

export { type CompatJoin, type Freeze, type IssuedInvite, type OwnerContext, type OwnerInput, type PendingJoin, type PendingUpdate, type Publishing } from './owner/context.ts';

function emitAll(enqueue: { emit: (e: ClientEffect) => void }, effects: readonly ClientEffect[]): void {
  for (const fx of effects) enqueue.emit(fx);
}

/** The owner machine. */
export const ownerMachine = fastStepped(setup({
  types: {
    context: {} as OwnerContext,
    events: {} as OwnerEvent,
    input: {} as OwnerInput,
    emitted: {} as ClientEffect,
  },
  guards: {
    isCreateAnswer: ({ context, event }) => context.outbox.some((p) => p.kind === 'create' && p.reqId === (event as Ev<'net.ack'>).reqId),
    isCommitAnswer: ({ context, event }) => context.publishing?.reqId === (event as Ev<'net.ack'>).reqId,
    isCreateEcho: ({ context, event }) => {
      const create = context.outbox.find((p) => p.kind === 'create');
      return create !== undefined && (event as Ev<'net.room'>).index === 1 && equalBytes((create.meta as CreateMeta).payload, (event as Ev<'net.room'>).payload);
    },
    isPublishedEcho: ({ context, event }) => isPublishedCommit(context, (event as Ev<'net.room'>).payload),
    historyHasPublished: ({ context, event }) => {
      const e = event as Ev<'net.history'>;
      return context.sync.inFlight === e.reqId && e.entries.some((x) => isPublishedCommit(context, x.payload));
    },
    isHardened: ({ context }) => context.profile === 'hardened',
    mailAwaitsConfirm: ({ context, event }) => once(context, event, 'mail', () => hardenedMail(context, event as Ev<'net.mailbox'>)).next === 'awaitingConfirm',
    mailPublishes: ({ context, event }) => once(context, event, 'mail', () => hardenedMail(context, event as Ev<'net.mailbox'>)).next === 'publishing',
    queuedAdmits: ({ context, event }) => context.queue.length > 0 && once(context, event, 'queue', () => admit({ ...context, queue: context.queue.slice(1) }, context.queue[0]!, (event as { now: number }).now)).kind === 'admitted',
    queuedInvalid: ({ context }) => context.queue.length > 0,
    commitDue: ({ context, event }) => commitDue(context, (event as { now: number }).now),
    freezeDue: ({ context, event }) => freezeDue(context, (event as { now: number }).now),
    retryDue: ({ context, event }) => context.publishing?.retryAt !== undefined && (event as Ev<'timer.tick'>).now >= context.publishing.retryAt,
    joinTimedOut: ({ context, event }) => context.pending !== undefined && (event as Ev<'timer.tick'>).now - context.pending.since >= context.config.joinTimeoutMs,
  },
  actions: {
    create: enqueueActions(({ context, event, enqueue }) => {
      const now = (event as Ev<'user.create'>).now;
      const out = createRoom(context, now);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(wake(out.ctx, now));
    }),
    roomCreated: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.ack'>;
      const s = settle(context, e.reqId);
      const roomId = (s.pending!.meta as CreateMeta).roomId;
      const log = advance(s.ctx.log, e.index).progress;
      const m = fetchMailbox({ ...s.ctx, roomId, log }, e.now);
      enqueue.assign(m.ctx);
      enqueue.emit(status({ kind: 'room-created', roomId }));
      emitAll(enqueue, m.effects);
      enqueue.emit(wake(m.ctx, e.now));
    }),
    createRefused: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.reject'>;
      const s = settle(context, e.reqId);
      enqueue.assign({ ...s.ctx, group: undefined, compat: undefined, roomId: undefined }); // REQ-OWN-003
      enqueue.emit(rejection(e.requirement as ReqId, `room creation refused: ${e.detail}`, 'CreateRoom'));
    }),
    invite: enqueueActions(({ context, event, enqueue }) => {
      const out = issueInvite(context, event as Ev<'user.invite'>);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(wake(out.ctx, (event as Ev<'user.invite'>).now));
    }),
    ack: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.ack'>;
      const s = settle(context, e.reqId);
      let ctx = s.ctx;
      if (s.pending?.kind === 'invite') {
        const id = (s.pending.meta as { inviteId: Bytes }).inviteId;
        const rec = ctx.invites.find((i) => equalBytes(i.inviteId, id));
        if (rec?.status === 'posting' && rec.invite) {
          ctx = setInvite(ctx, id, (i) => ({ ...i, status: 'open' }));
          enqueue.emit(status({ kind: 'invite', text: inviteToText(ctx.crypto, rec.invite), invite: rec.invite, inviteId: id }));
        }
      }
      if (s.pending?.kind === 'freeze' && ctx.freeze && ctx.freeze.atIndex === undefined) {
        // REQ-OWN-035: the removal waits until the owner has processed the log up to the freeze
        ctx = { ...ctx, freeze: { ...ctx.freeze, atIndex: e.index } };
        if (ctx.log.index < e.index) {
          const h = fetchHistory(ctx, e.now, false);
          ctx = h.ctx;
          emitAll(enqueue, h.effects);
        }
      }
      enqueue.assign(ctx);
    }),
    refused: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.reject'>;
      const s = settle(context, e.reqId);
      let ctx = s.ctx;
      if (s.pending?.kind === 'invite') ctx = { ...ctx, invites: ctx.invites.filter((i) => !equalBytes(i.inviteId, (s.pending!.meta as { inviteId: Bytes }).inviteId)) };
      if (s.pending?.kind === 'history') ctx = { ...ctx, sync: { ...ctx.sync, inFlight: undefined } };
      if (s.pending?.kind === 'mailbox') ctx = { ...ctx, sync: { ...ctx.sync, mailInFlight: undefined } };
      if (s.pending?.kind === 'freeze' && ctx.freeze?.atIndex === undefined) {
        // REQ-OWN-035: an honest relay freezes a current member; ask again after one retry interval
        ctx = { ...ctx, freeze: undefined, commitHoldUntil: e.now + ctx.config.retryMs };
        enqueue.assign(ctx);
        enqueue.emit({ type: 'effect.alarm', reqId: 'REQ-OWN-035', detail: `relay refused to freeze a member before its removal: ${e.requirement} ${e.detail}` });
        enqueue.emit(wake(ctx, e.now, ctx.commitHoldUntil));
        return;
      }
      enqueue.assign(ctx);
      enqueue.emit(rejection(e.requirement as ReqId, `relay refused ${s.pending?.kind ?? 'an unknown request'}: ${e.detail}`, `request ${e.reqId}`));
      emitAll(enqueue, sendRefused(s.pending, e.requirement));
    }),
    commitAcked: enqueueActions(({ context, event, enqueue }) => {
      const out = installPublished(context);
      const done = afterEntries((event as { now: number }).now, out);
      enqueue.assign(done.ctx);
      emitAll(enqueue, done.effects);
    }),
    commitEcho: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.room'>;
      const out = installPublished({ ...context, log: advance(context.log, e.index).progress });
      const done = afterEntries(e.now, out);
      enqueue.assign(done.ctx);
      emitAll(enqueue, done.effects);
    }),
    commitRefused: enqueueActions(({ context, event, enqueue }) => {
      // REQ-OWN-023: an honest relay never refuses the owner's commit (REQ-OWN-035 rules out the
      // removal race), so a refusal is an alarm. REQ-OWN-024: the commit stays the only one the
      // owner will ever sign for its epoch; the same bytes are posted again after a retry interval.
      const e = event as Ev<'net.reject'>;
      const pub = context.publishing!;
      const retryAt = e.now + context.config.retryMs;
      const ctx: OwnerContext = { ...settle(context, e.reqId).ctx, publishing: { ...pub, retryAt } };
      enqueue.assign(ctx);
      enqueue.emit({ type: 'effect.alarm', reqId: 'REQ-OWN-023', detail: `relay refused the commit for epoch ${pub.built.commit.value.epoch}: ${e.requirement} ${e.detail}` });
      enqueue.emit(wake(ctx, e.now, retryAt));
    }),
    repost: enqueueActions(({ context, event, enqueue }) => {
      // REQ-OWN-024: the refused commit again, byte for byte (its mutant signs a fresh one, as the owner once did)
      const pub = context.publishing!;
      const now = (event as Ev<'timer.tick'>).now;
      const out = publishSigned({ ...context, publishing: undefined }, pub, now, 'REQ-OWN-024');
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(wake(out.ctx, now));
    }),
    freeze: enqueueActions(({ context, event, enqueue }) => {
      const out = requestFreeze(context, (event as { now: number }).now);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
    }),
    hardenedMail: enqueueActions(({ context, event, enqueue }) => {
      const plan = once(context, event, 'mail', () => hardenedMail(context, event as Ev<'net.mailbox'>));
      enqueue.assign(plan.out.ctx);
      emitAll(enqueue, plan.out.effects);
      enqueue.emit(wake(plan.out.ctx, (event as { now: number }).now));
    }),
    compatMail: enqueueActions(({ context, event, enqueue }) => {
      const out = compatMail(context, event as Ev<'net.mailbox'>);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(wake(out.ctx, (event as { now: number }).now));
    }),
    admitQueued: enqueueActions(({ context, event, enqueue }) => {
      const r = once(context, event, 'queue', () => admit({ ...context, queue: context.queue.slice(1) }, context.queue[0]!, (event as { now: number }).now));
      enqueue.assign(r.out.ctx);
      emitAll(enqueue, r.out.effects);
    }),
    dropQueued: enqueueActions(({ context, event, enqueue }) => {
      const r = once(context, event, 'queue', () => admit({ ...context, queue: context.queue.slice(1) }, context.queue[0]!, (event as { now: number }).now));
      enqueue.assign(r.out.ctx);
      emitAll(enqueue, r.out.effects);
    }),
    commitChange: enqueueActions(({ context, event, enqueue }) => {
      const out = commitChange(context, (event as { now: number }).now);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
    }),
    publishUnconfirmed: enqueueActions(({ context, event, enqueue }) => {
      // REQ-OWN-021, REQ-OWN-024: the pending add commit is signed and travelled in the welcome;
      // the owner never signs another commit for its epoch, so it publishes this one unconfirmed
      const p = context.pending!;
      const now = (event as Ev<'timer.tick'>).now;
      // the mutant of REQ-OWN-021 signs a fresh add commit instead of the one the welcome carried
      const out = publishSigned({ ...context, pending: undefined }, p, now, 'REQ-OWN-021');
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(status({ kind: 'join-unconfirmed', reqId: 'REQ-OWN-021', memberId: p.built.commit.value.adds[0]!.member_id, detail: 'no confirmation before the join timeout: the add commit is published unconfirmed' }));
      enqueue.emit(wake(out.ctx, now));
    }),
    wantRotation: enqueueActions(({ context, event, enqueue }) => {
      if (context.profile === 'compat') {
        const out = compatRotate(context, (event as { now: number }).now);
        enqueue.assign(out.ctx);
        emitAll(enqueue, out.effects);
        return;
      }
      enqueue.assign({ ...context, rotationWanted: true });
    }),
    wantRemoval: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'user.remove'>;
      if (equalBytes(e.memberId, context.identity.fp)) {
        enqueue.emit(rejection('REQ-OWN-031', 'the owner cannot remove itself', 'user.remove'));
        return;
      }
      if (context.profile === 'compat') {
        const out = compatRemove(context, e.memberId, e.now);
        enqueue.assign(out.ctx);
        emitAll(enqueue, out.effects);
        return;
      }
      const inRoster = currentEpoch(context.group!).roster.some((r) => equalBytes(r.member_id, e.memberId));
      if (!inRoster) {
        enqueue.emit(rejection('REQ-OWN-031', 'not a member', 'user.remove'));
        return;
      }
      // REQ-OWN-053: beginning a member's removal drops its pending key update
      enqueue.assign(withoutUpdates({ ...context, removals: [...context.removals, e.memberId] }, [], e.memberId));
    }),
    send: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'user.send'>;
      const sealed = sealOutgoing(context, e.text, e.now);
      const roomId = context.roomId!;
      const meta: SendMeta = { seq: sealed.seq, epoch: sealed.epoch, text: e.text };
      const r = request(sealed.ctx, e.now, 'send', (req_id) => encode(Send, { req_id, room_id: roomId, payload: sealed.bytes }), meta);
      enqueue.assign(r.ctx);
      emitAll(enqueue, r.effects);
      enqueue.emit(status({ kind: 'sent', seq: sealed.seq, epoch: sealed.epoch, text: e.text, payload: sealed.bytes }));
      enqueue.emit(wake(r.ctx, e.now));
    }),
    applyEntry: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.room'>;
      const entry = roomEntryOf(context, e);
      const r = processRoomEntry(noteLog(context, [entry]), e.index, entry);
      let out: Out<OwnerContext> = { ctx: r.ctx, effects: r.effects };
      if (r.ctx.log.above.length > 0) {
        const h = fetchHistory(out.ctx, e.now, false);
        out = { ctx: h.ctx, effects: [...out.effects, ...h.effects] };
      }
      const done = afterEntries(e.now, out);
      enqueue.assign(done.ctx);
      emitAll(enqueue, done.effects);
    }),
    applyHistory: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.history'>;
      if (context.sync.inFlight !== e.reqId) {
        enqueue.assign(settle(context, e.reqId).ctx);
        return;
      }
      const echo = context.publishing && e.entries.find((x) => isPublishedCommit(context, x.payload));
      const entries = historyEntriesOf(context, e);
      let base = noteLog(settle(context, e.reqId).ctx, entries.map((x) => x.entry));
      const pre: ClientEffect[] = [];
      if (echo) {
        const inst = installPublished({ ...base, log: advance(base.log, echo.index).progress });
        base = inst.ctx;
        pre.push(...inst.effects);
      }
      const r = processHistory(base, e.now, { ...e, entries });
      const done = afterEntries(e.now, { ctx: r.ctx, effects: [...pre, ...r.effects] });
      enqueue.assign(done.ctx);
      emitAll(enqueue, done.effects);
    }),
    sync: enqueueActions(({ context, event, enqueue }) => {
      const r = fetchHistory(context, (event as { now: number }).now, false);
      enqueue.assign(r.ctx);
      emitAll(enqueue, r.effects);
    }),
    up: enqueueActions(({ context, event, enqueue }) => {
      const now = (event as Ev<'net.up'>).now;
      let out = onUp(context, now);
      if (out.ctx.roomId !== undefined) {
        const h = fetchHistory(out.ctx, now, false);
        out = { ctx: h.ctx, effects: [...out.effects, ...h.effects] };
      }
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
      enqueue.emit(wake(out.ctx, now));
    }),
    down: enqueueActions(({ context, enqueue }) => {
      enqueue.assign(onDown(context));
    }),
    tick: enqueueActions(({ context, event, enqueue }) => {
      const now = (event as Ev<'timer.tick'>).now;
      const extra = context.pending
        ? context.pending.since + context.config.joinTimeoutMs
        : context.publishing?.retryAt ?? (context.commitHoldUntil > now ? context.commitHoldUntil : updateDeadline(context, now)); // REQ-OWN-053: the update delay
      const out = onTick(context, now, extra);
      enqueue.assign(out.ctx);
      emitAll(enqueue, out.effects);
    }),
    rejectUser: enqueueActions(({ event, enqueue }) => {
      enqueue.emit(rejection('REQ-OWN-007', `${event.type} needs a created room`, event.type));
    }),
    rejectEntry: enqueueActions(({ event, enqueue }) => {
      enqueue.emit(rejection('REQ-MEM-010', 'room entry for a room this owner does not have yet', `room entry ${(event as Ev<'net.room'>).index}`));
    }),
    noteMail: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Ev<'net.mailbox'> | Ev<'net.mailboxChunk'>;
      const settled = e.type === 'net.mailboxChunk' ? { ...settle(context, e.reqId).ctx, sync: { ...context.sync, mailInFlight: undefined } } : context;
      const { ctx, fresh } = freshMail(settled, mailEntries(e));
      const more = continueMailbox(ctx, e, e.now); // REQ-REL-036
      enqueue.assign(more.ctx);
      for (const m of fresh) enqueue.emit(rejection('REQ-OWN-007', 'mail before the room exists', `mailbox ${m.index}`));
      for (const fx of more.effects) enqueue.emit(fx);
    }),
    malformed: enqueueActions(({ event, enqueue }) => {
      const e = event as Ev<'net.malformed'>;
      enqueue.emit(rejection(e.reqId, e.detail, 'relay message'));
    }),
    noteKeys: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign(settle(context, (event as Ev<'net.keys'>).reqId).ctx);
    }),
  },
}).createMachine({
  id: 'owner',
  /** The initial context, from the machine's input. */
  context: fromInput((input: OwnerInput): OwnerContext => ({
    ...initialCore({ crypto: input.crypto, profile: input.profile, identity: input.identity, rng: drbgInstantiate(input.rngSeed, input.crypto.hmacSha256), config: input.config ?? {} }),
    invites: [],
    queue: [],
    pending: undefined,
    publishing: undefined,
    compatJoins: {},
    removals: [],
    rotationWanted: false,
    freeze: undefined,
    commitHoldUntil: 0,
    logHeads: {},
    updates: {},
  })),
  initial: 'idle',
  on: {
    'net.up': { actions: 'up' },
    'net.down': { actions: 'down' },
    'net.ack': { actions: 'ack' },
    'net.reject': { actions: 'refused' },
    'net.keys': { actions: 'noteKeys' },
    'net.malformed': { actions: 'malformed' },
    'net.room': { actions: 'rejectEntry' },
    'net.history': { actions: 'applyHistory' },
    'net.mailbox': { actions: 'noteMail' },
    'net.mailboxChunk': { actions: 'noteMail' },
    'timer.tick': { actions: 'tick' },
    'user.create': { actions: 'rejectUser' },
    'user.invite': { actions: 'rejectUser' },
    'user.send': { actions: 'rejectUser' },
    'user.rotate': { actions: 'rejectUser' },
    'user.remove': { actions: 'rejectUser' },
    'user.sync': { actions: 'sync' },
  },
  states: {
    idle: {
      on: {
        'user.create': { target: 'creating', actions: 'create' },
      },
    },
    creating: {
      on: {
        'net.room': [{ guard: 'isCreateEcho' }, { actions: 'rejectEntry' }],
        'net.ack': [{ guard: 'isCreateAnswer', target: 'active', actions: 'roomCreated' }, { actions: 'ack' }],
        'net.reject': [{ guard: 'isCreateAnswer', target: 'idle', actions: 'createRefused' }, { actions: 'refused' }],
      },
    },
    active: {
      initial: 'ready',
      on: {
        'user.invite': { actions: 'invite' },
        'user.send': { actions: 'send' },
        'user.sync': { actions: 'sync' },
        'user.rotate': { actions: 'wantRotation' },
        'user.remove': { actions: 'wantRemoval' },
        'net.room': { actions: 'applyEntry' },
        'net.history': { actions: 'applyHistory' },
      },
      states: {
        ready: {
          always: [
            { guard: 'queuedAdmits', target: 'awaitingConfirm', actions: 'admitQueued' },
            { guard: 'queuedInvalid', actions: 'dropQueued' },
            { guard: 'freezeDue', actions: 'freeze' },
            { guard: 'commitDue', target: 'publishing', actions: 'commitChange' },
          ],
          on: {
            'net.mailbox': [
              { guard: 'mailAwaitsConfirm', target: 'awaitingConfirm', actions: 'hardenedMail' },
              { guard: 'mailPublishes', target: 'publishing', actions: 'hardenedMail' },
              { guard: 'isHardened', actions: 'hardenedMail' },
              { actions: 'compatMail' },
            ],
            'net.mailboxChunk': [
              { guard: 'mailAwaitsConfirm', target: 'awaitingConfirm', actions: 'hardenedMail' },
              { guard: 'mailPublishes', target: 'publishing', actions: 'hardenedMail' },
              { guard: 'isHardened', actions: 'hardenedMail' },
              { actions: 'compatMail' },
            ],
          },
        },
        awaitingConfirm: {
          on: {
            'net.mailbox': [{ guard: 'mailPublishes', target: 'publishing', actions: 'hardenedMail' }, { actions: 'hardenedMail' }],
            'net.mailboxChunk': [{ guard: 'mailPublishes', target: 'publishing', actions: 'hardenedMail' }, { actions: 'hardenedMail' }],
            'timer.tick': [{ guard: 'joinTimedOut', target: 'publishing', actions: 'publishUnconfirmed' }, { actions: 'tick' }],
          },
        },
        publishing: {
          on: {
            'net.ack': [{ guard: 'isCommitAnswer', target: 'ready', actions: 'commitAcked' }, { actions: 'ack' }],
            'net.reject': [{ guard: 'isCommitAnswer', actions: 'commitRefused' }, { actions: 'refused' }],
            'timer.tick': [{ guard: 'retryDue', actions: 'repost' }, { actions: 'tick' }],
            'net.room': [{ guard: 'isPublishedEcho', target: 'ready', actions: 'commitEcho' }, { actions: 'applyEntry' }],
            'net.history': [{ guard: 'historyHasPublished', target: 'ready', actions: 'applyHistory' }, { actions: 'applyHistory' }],
            'net.mailbox': { actions: 'hardenedMail' },
            'net.mailboxChunk': { actions: 'hardenedMail' },
          },
        },
      },
    },
  },
}));
