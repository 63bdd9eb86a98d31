/**
 * Model-based coverage with xstate/graph: for every role, shortest paths from the initial state
 * reach every state the machine defines, and simple paths reach each error state. The events
 * are real protocol inputs built by fixtures that play the other side from the current snapshot.
 * The counts are asserted, so a change to a machine shows up here.
 */
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { utf8, type Bytes } from '../impl/bytes.ts';
import { encode } from '../impl/codec.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { createInvite } from '../impl/invite.ts';
import { groupContextOf, INITIAL_INIT_SECRET, loginServerConfirm, welcomeHash } from '../impl/keyschedule.ts';
import { ClientAuth, LoginFinish, Welcome } from '../impl/messages/index.ts';
import { acceptRegister, KDF_PROFILES, loginChallenge, register } from '../impl/protocol/login.ts';
import { buildCommit, ownerEpochKeys, ZERO_HASH } from '../impl/protocol/commit.ts';
import { currentEpoch } from '../impl/protocol/group.ts';
import { createIdentity, memberRecordOf } from '../impl/protocol/identity.ts';
import { buildJoinConfirm, buildJoinRequest, buildWelcome } from '../impl/protocol/join.ts';
import { clientAuth, clientHello, sealFrame, serverHello } from '../impl/protocol/transport.ts';
import { deterministicRng, type StatefulRng } from '../impl/rng.ts';
import { clientConnectionMachine, relayConnectionMachine, type ClientConnContext, type RelayConnContext } from './connection.ts';
import { describeMachine } from './describe.ts';
import { loginClientMachine, type LoginClientContext } from './login-client.ts';
import type { MemberContext } from './member.ts';
import { memberMachine } from './member.ts';
import type { OwnerContext } from './owner.ts';
import { ownerMachine } from './owner.ts';
import { relayMachine } from './relay.ts';

const T0 = 1_790_000_000_000;
/** An event with any fields, as the generators build them. */
type AnyEvent = EventObject & Record<string, unknown>;
const valueOf = (s: AnyMachineSnapshot): string => {
  const v = s.value as unknown;
  if (typeof v === 'string') return v;
  const [k, sub] = Object.entries(v as Record<string, string>)[0]!;
  return `${k}.${sub}`;
};

/** Caches a fixture built from a snapshot's context, so each state builds its events once. */
function cached<K extends object, V>(f: (k: K) => V): (k: K) => V {
  const m = new WeakMap<K, V>();
  return (k) => {
    if (!m.has(k)) m.set(k, f(k));
    return m.get(k)!;
  };
}

function reached(paths: readonly { state: AnyMachineSnapshot }[]): string[] {
  return [...new Set(paths.map((p) => valueOf(p.state)))].sort();
}

// ------------------------------------------------------------------ member

function memberModel() {
  const rng: StatefulRng = deterministicRng(utf8('coverage member'));
  const owner = createIdentity(c, rng);
  const me = createIdentity(c, rng);
  const roomId = rng.bytes(16);
  const genesis = buildCommit(c, rng, { roomId, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(owner, 'owner', 0)], removes: [], roster: [], heads: [], owner });
  const k0 = ownerEpochKeys(c, genesis, INITIAL_INIT_SECRET);
  const { invite } = createInvite(c, rng, { profile: 'hardened', roomId, ownerFp: owner.fp, now: T0, lifetimeMs: 3_600_000 });
  const welcomeFor = cached((ctx: MemberContext) => {
    const jr = ctx.joinRequest!;
    const add = buildCommit(c, rng, { roomId, epoch: 1, prevEpochHash: currentEpochHash(), reason: 'add', inviteId: jr.value.invite_id, adds: [{ ...memberRecordOf(me, 'member', 1), kem_cert: jr.value.kem_cert }], removes: [], roster: genesis.roster, heads: [], owner });
    const k1 = ownerEpochKeys(c, add, k0.initSecret);
    return buildWelcome(c, rng, { joinRequest: jr, token: invite.token, groupInfo: { epoch_secret: k1.epochSecret, commit: add.commit.value, roster: add.roster }, owner }).bytes;
  });
  function currentEpochHash(): Bytes {
    return groupContextOf(c, genesis.commit.value, genesis.commit.bytes).epoch_hash;
  }
  const removalFor = cached((ctx: MemberContext) => {
    const cur = currentEpoch(ctx.group!);
    return buildCommit(c, rng, { roomId, epoch: cur.epoch + 1, prevEpochHash: cur.epochHash, reason: 'remove', inviteId: ZERO_HASH, adds: [], removes: [me.fp], roster: cur.roster, heads: [], owner }).commit.bytes;
  });
  const events = (s: AnyMachineSnapshot): AnyEvent[] => {
    const ctx = s.context as MemberContext;
    const now = T0 + 10;
    switch (valueOf(s)) {
      case 'idle':
        return [{ type: 'user.join', invite, now }, { type: 'user.join', invite: { ...invite, expires_at: T0 }, now }];
      case 'joining': {
        const join = ctx.outbox.find((p) => p.kind === 'join')!;
        return [
          { type: 'net.mailbox', entry: { index: 1, room_id: roomId, invite_id: ctx.inviteId!, payload: welcomeFor(ctx) }, now },
          { type: 'net.mailbox', entry: { index: 1, room_id: roomId, invite_id: ctx.inviteId!, payload: encode(Welcome, { room_id: roomId, invite_id: ctx.inviteId!, join_hash: new Uint8Array(32), epoch: 1, kem_ct: new Uint8Array(1088), nonce: new Uint8Array(24), sealed: new Uint8Array(16), signature: new Uint8Array(3309) }) }, now },
          { type: 'net.reject', reqId: join.reqId, requirement: 'REQ-REL-012', detail: 'invite claimed', now },
        ];
      }
      case 'confirming':
        return [
          { type: 'net.room', roomId, index: 2, payload: ctx.pendingGroup!.commitBytes, now },
          { type: 'net.room', roomId, index: 3, payload: utf8('not the add'), now },
        ];
      case 'member':
        return [{ type: 'net.room', roomId, index: 9, payload: removalFor(ctx), now }, { type: 'user.send', text: 'hi', now }];
      case 'removed':
        return [{ type: 'user.send', text: 'still here?', now }];
      default:
        return [];
    }
  };
  return { input: { crypto: c, profile: 'hardened' as const, identity: me, rngSeed: utf8('member coverage') }, events };
}

// ------------------------------------------------------------------ owner

function ownerModel() {
  const rng = deterministicRng(utf8('coverage owner'));
  const me = createIdentity(c, rng);
  const bob = createIdentity(c, rng);
  const now = T0 + 10;
  const joinFor = cached((ctx: OwnerContext) => {
    const rec = ctx.invites.find((i) => i.status === 'open' && i.invite)!;
    return { entry: { index: 1, room_id: ctx.roomId!, invite_id: rec.inviteId, payload: buildJoinRequest(c, rng, rec.invite!, bob, rec.inviteId).bytes }, rec };
  });
  const confirmFor = cached((ctx: OwnerContext) => {
    const p = ctx.pending!;
    const conf = buildJoinConfirm(c, rng, { roomId: ctx.roomId!, inviteId: p.inviteId, epoch: p.built.commit.value.epoch, epochSecret: p.keys.epochSecret, welcomeHash: welcomeHash(c, p.welcome), identity: bob });
    return { index: 2, room_id: ctx.roomId!, invite_id: p.inviteId, payload: conf.bytes };
  });
  const events = (s: AnyMachineSnapshot): AnyEvent[] => {
    const ctx = s.context as OwnerContext;
    const out: AnyEvent[] = [];
    const v = valueOf(s);
    if (v === 'idle') return [{ type: 'user.create', now }, { type: 'user.invite', now }];
    if (v === 'creating') {
      const create = ctx.outbox.find((p) => p.kind === 'create')!;
      return [{ type: 'net.ack', reqId: create.reqId, index: 1, now }, { type: 'net.reject', reqId: create.reqId, requirement: 'REQ-REL-010', detail: 'in use', now }];
    }
    if (v === 'active.ready') {
      if (ctx.invites.length === 0) out.push({ type: 'user.invite', now });
      const posting = ctx.outbox.find((p) => p.kind === 'invite');
      if (posting) out.push({ type: 'net.ack', reqId: posting.reqId, index: 0, now });
      if (ctx.invites.some((i) => i.status === 'open')) out.push({ type: 'net.mailbox', entry: joinFor(ctx).entry, now });
      if (!ctx.rotationWanted && (ctx.group?.epoch ?? 0) < 2) out.push({ type: 'user.rotate', now });
    }
    if (v === 'active.awaitingConfirm') out.push({ type: 'net.mailbox', entry: confirmFor(ctx), now }, { type: 'timer.tick', now: ctx.pending!.since + ctx.config.joinTimeoutMs });
    if (v === 'active.publishing') {
      const pub = ctx.publishing!;
      if (pub.retryAt === undefined) out.push({ type: 'net.ack', reqId: pub.reqId, index: 5, now }, { type: 'net.reject', reqId: pub.reqId, requirement: 'REQ-REL-017', detail: 'no', now });
      else out.push({ type: 'timer.tick', now: pub.retryAt }); // REQ-OWN-024: the same commit again
    }
    return out;
  };
  const serializeState = (s: AnyMachineSnapshot): string => {
    const ctx = s.context as OwnerContext;
    return [valueOf(s), ctx.nextReqId > 1 ? 'asked' : 'new', ctx.invites.map((i) => i.status).join(','), ctx.pending ? 'P' : '', ctx.publishing ? (ctx.publishing.retryAt === undefined ? 'U' : 'T') : '', ctx.rotationWanted ? 'R' : '', ctx.group?.epoch ?? '-'].join('|');
  };
  return { input: { crypto: c, profile: 'hardened' as const, identity: me, rngSeed: utf8('owner coverage') }, events, serializeState };
}

// ------------------------------------------------------------------ connections

function clientConnModel() {
  const rng = deterministicRng(utf8('coverage client connection'));
  const relayKeys = c.sigKeygen(rng.bytes(32));
  const mitm = c.sigKeygen(rng.bytes(32));
  const me = createIdentity(c, rng);
  const answer = cached((ctx: ClientConnContext) => serverHello(c, rng, ctx.hello!.helloBytes, relayKeys).helloBytes);
  const forged = cached((ctx: ClientConnContext) => serverHello(c, rng, ctx.hello!.helloBytes, mitm).helloBytes);
  const events = (s: AnyMachineSnapshot): AnyEvent[] => {
    const ctx = s.context as ClientConnContext;
    switch (valueOf(s)) {
      case 'closed':
      case 'failed':
        return [{ type: 'conn.start', now: 1 }];
      case 'helloSent':
        return [{ type: 'net.wire', bytes: answer(ctx), now: 2 }, { type: 'net.wire', bytes: forged(ctx), now: 2 }, { type: 'conn.lost', now: 2 }];
      case 'open':
        return [{ type: 'app.send', bytes: utf8('x'), now: 3 }, { type: 'conn.lost', now: 3 }];
      default:
        return [];
    }
  };
  return { input: { crypto: c, profile: 'hardened' as const, identity: me, pinnedRelayPk: relayKeys.publicKey, rngSeed: utf8('client conn') }, events };
}

function relayConnModel() {
  const rng = deterministicRng(utf8('coverage relay connection'));
  const relayKeys = c.sigKeygen(rng.bytes(32));
  const me = createIdentity(c, rng);
  const hello = clientHello(c, rng).helloBytes;
  const authFrame = cached((ctx: RelayConnContext) => sealFrame(c, ctx.keys!.c2r, 0, clientAuth(c, rng, ctx.th!, me, 'hardened')));
  const unsignedFrame = cached((ctx: RelayConnContext) => sealFrame(c, ctx.keys!.c2r, 0, encode(ClientAuth, { identity_pk: me.publicKey, signature: new Uint8Array(0) })));
  const events = (s: AnyMachineSnapshot): AnyEvent[] => {
    const ctx = s.context as RelayConnContext;
    switch (valueOf(s)) {
      case 'awaitingHello':
        return [{ type: 'net.wire', bytes: hello, now: 1 }, { type: 'net.wire', bytes: utf8('garbage'), now: 1 }];
      case 'awaitingAuth':
        return [{ type: 'net.wire', bytes: authFrame(ctx), now: 2 }, { type: 'net.wire', bytes: unsignedFrame(ctx), now: 2 }];
      case 'open':
        return [{ type: 'app.send', bytes: utf8('y'), now: 3 }, { type: 'conn.lost', now: 3 }];
      default:
        return [];
    }
  };
  return { input: { crypto: c, profile: 'hardened' as const, relayKeys, rngSeed: utf8('relay conn') }, events };
}

// ------------------------------------------------------------------ login client

function loginClientModel() {
  const rng = deterministicRng(utf8('coverage login client'));
  const relayKeys = c.sigKeygen(rng.bytes(32));
  const other = c.sigKeygen(rng.bytes(32));
  const th = rng.bytes(32);
  const verifier = acceptRegister(register(c, rng, 'alice', 'pw', KDF_PROFILES.test, new Uint8Array(1952)), () => false);
  const challenge = cached((ctx: LoginClientContext) => loginChallenge(c, rng, ctx.start!.startBytes, { relayKeys, serverSecret: th, kdf: KDF_PROFILES.test, verifier, channelBinding: th, now: 1 }));
  const forged = cached((ctx: LoginClientContext) => loginChallenge(c, rng, ctx.start!.startBytes, { relayKeys: other, serverSecret: th, kdf: KDF_PROFILES.test, verifier, channelBinding: th, now: 1 }).bytes);
  // the server's finish, made from the client's own transcript state (a fixture may play the other side)
  const finish = (ctx: LoginClientContext): Uint8Array => encode(LoginFinish, { session_id: ctx.response!.sessionId, confirm: loginServerConfirm(c, ctx.response!.k, ctx.response!.h3, 9), expires_at: 9 });
  const events = (s: AnyMachineSnapshot): AnyEvent[] => {
    const ctx = s.context as LoginClientContext;
    switch (valueOf(s)) {
      case 'idle':
      case 'failed':
      case 'loggedIn':
        return [{ type: 'login.start', th, now: 1 }];
      case 'awaitingChallenge':
        return [{ type: 'net.receive', bytes: challenge(ctx).bytes, now: 2 }, { type: 'net.receive', bytes: forged(ctx), now: 2 }];
      case 'awaitingFinish':
        return [{ type: 'net.receive', bytes: finish(ctx), now: 3 }, { type: 'net.receive', bytes: utf8('not a finish'), now: 3 }];
      default:
        return [];
    }
  };
  return { input: { crypto: c, profile: 'hardened' as const, username: 'alice', password: 'pw', pinnedRelayPk: relayKeys.publicKey, rngSeed: utf8('login client'), insecureTestKdf: true }, events };
}

// ------------------------------------------------------------------ tests

describe('model-based coverage (xstate/graph)', () => {
  it('member: shortest paths reach all 6 states; simple paths reach failed and removed', () => {
    const m = memberModel();
    const shortest = getShortestPaths(memberMachine, { input: m.input, events: m.events as never, serializeState: (s) => valueOf(s) });
    expect(reached(shortest)).toEqual([...describeMachine('member', memberMachine).atomic].sort());
    expect(shortest).toHaveLength(6);
    const toFailed = getSimplePaths(memberMachine, { input: m.input, events: m.events as never, serializeState: (s) => valueOf(s), toState: (s) => valueOf(s) === 'failed' });
    expect(toFailed.map((p) => p.steps.map((x) => x.event.type).join(' > '))).toEqual(['xstate.init > user.join > net.reject']);
    const toRemoved = getSimplePaths(memberMachine, { input: m.input, events: m.events as never, serializeState: (s) => valueOf(s), toState: (s) => valueOf(s) === 'removed' });
    expect(toRemoved).toHaveLength(1);
  });

  it('owner: shortest paths reach every state, through invite, admission, confirmation and rotation', () => {
    const m = ownerModel();
    const shortest = getShortestPaths(ownerMachine, { input: m.input, events: m.events as never, serializeState: m.serializeState });
    expect(reached(shortest)).toEqual([...describeMachine('owner', ownerMachine).atomic].sort());
    expect(shortest.length).toBe(38);
    // REQ-OWN-024: a refused commit keeps the owner publishing it (the re-post is in simulator/world-owner.test.ts)
    expect(shortest.some((p) => valueOf(p.state) === 'active.publishing' && p.steps.at(-1)!.event.type === 'net.reject')).toBe(true);
    const refused = getSimplePaths(ownerMachine, { input: m.input, events: m.events as never, serializeState: m.serializeState, toState: (s) => valueOf(s) === 'idle' && (s.context as OwnerContext).outbox.length === 0 && (s.context as OwnerContext).nextReqId > 1 });
    expect(refused.map((p) => p.steps.map((x) => x.event.type).join(' > '))).toEqual(['xstate.init > user.create > net.reject']);
  });

  it('relay: shortest paths reach serving and draining', () => {
    const shortest = getShortestPaths(relayMachine, { input: { crypto: c }, events: [{ type: 'admin.shutdown', now: 1 }, { type: 'conn.open', conn: 'c1', principal: new Uint8Array(32), now: 1 }], serializeState: (s) => valueOf(s) });
    expect(reached(shortest)).toEqual(['draining', 'serving']);
  });

  it('client connection: all 4 states, and both simple paths to failed', () => {
    const m = clientConnModel();
    const shortest = getShortestPaths(clientConnectionMachine, { input: m.input, events: m.events as never, serializeState: (s) => valueOf(s) });
    expect(reached(shortest)).toEqual([...describeMachine('client connection', clientConnectionMachine).atomic].sort());
    const toFailed = getSimplePaths(clientConnectionMachine, { input: m.input, events: m.events as never, serializeState: (s) => valueOf(s), toState: (s) => valueOf(s) === 'failed' });
    expect(toFailed.map((p) => p.steps.map((x) => x.event.type).join(' > '))).toEqual(['xstate.init > conn.start > net.wire']);
  });

  it('relay connection: all 4 states, and the simple paths to closed (bad hello, bad auth)', () => {
    const m = relayConnModel();
    const shortest = getShortestPaths(relayConnectionMachine, { input: m.input, events: m.events as never, serializeState: (s) => valueOf(s) });
    expect(reached(shortest)).toEqual([...describeMachine('relay connection', relayConnectionMachine).atomic].sort());
    const toClosed = getSimplePaths(relayConnectionMachine, { input: m.input, events: m.events as never, serializeState: (s) => valueOf(s), toState: (s) => valueOf(s) === 'closed' });
    expect(toClosed.map((p) => p.steps.map((x) => x.event.type).join(' > ')).sort()).toEqual(['xstate.init > net.wire', 'xstate.init > net.wire > net.wire', 'xstate.init > net.wire > net.wire > conn.lost'].sort());
  });

  it('login client: all 5 states; the simple paths to failed are a bad challenge and a bad finish', () => {
    const m = loginClientModel();
    const shortest = getShortestPaths(loginClientMachine, { input: m.input, events: m.events as never, serializeState: (s) => valueOf(s) });
    expect(reached(shortest)).toEqual([...describeMachine('login client', loginClientMachine).atomic].sort());
    const toFailed = getSimplePaths(loginClientMachine, { input: m.input, events: m.events as never, serializeState: (s) => valueOf(s), toState: (s) => valueOf(s) === 'failed' });
    expect(toFailed.map((p) => p.steps.map((x) => x.event.type).join(' > ')).sort()).toEqual(['xstate.init > login.start > net.receive', 'xstate.init > login.start > net.receive > net.receive'].sort());
  });
});
