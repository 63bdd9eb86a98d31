/**
 * Fixtures for the role machine tests (spec 6, 7, 8): fresh machines, one step through the pure
 * driver, and the "security state" of each role, which a rejected input must leave unchanged
 * (spec 1.4). (A world advanced to a joined room is simulator/testkit.ts's.)
 */
import { expect } from 'vitest';
import { utf8 } from '../impl/bytes.ts';
import { valuesEqual } from '../impl/codec.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { simSeed } from '../impl/keyschedule.ts';
import { createIdentity } from '../impl/protocol/identity.ts';
import { deterministicRng } from '../impl/rng.ts';
import type { Profile } from '../impl/suite.ts';
import { start, step } from './driver.ts';
import type { ClientEffect, MemberEvent, OwnerEvent } from './events.ts';
import { memberMachine, type MemberContext } from './member.ts';
import { ownerMachine, type OwnerContext } from './owner.ts';
import type { RelayContext } from './relay.ts';

/** A snapshot of the owner machine. */
export type OwnerSnap = ReturnType<typeof start<typeof ownerMachine, ClientEffect>>['snapshot'];

/** A snapshot of the member machine. */
export type MemberSnap = ReturnType<typeof start<typeof memberMachine, ClientEffect>>['snapshot'];

/** What a member must not lose or change on a rejected input (spec 1.4). */
export function memberSecurityState(ctx: MemberContext): unknown {
  return { group: ctx.group, compat: ctx.compat, pendingGroup: ctx.pendingGroup, pendingCompat: ctx.pendingCompat, invite: ctx.invite, joinRequest: ctx.joinRequest, identity: ctx.identity };
}

/** What an owner must not lose or change on a rejected input (spec 1.4). */
export function ownerSecurityState(ctx: OwnerContext): unknown {
  return { group: ctx.group, compat: ctx.compat, invites: ctx.invites, pending: ctx.pending, publishing: ctx.publishing, compatJoins: ctx.compatJoins, identity: ctx.identity };
}

/** What the relay must not change on a rejected request: everything but its remembered answers. */
export function relaySecurityState(ctx: RelayContext): unknown {
  const { answered: _a, ...rest } = ctx.state;
  return rest;
}

/** Deep equality of security states (byte strings compared bytewise). */
export function sameState(a: unknown, b: unknown): boolean {
  return valuesEqual(a, b);
}

/** One step of the owner machine. */
export function feedOwner(snapshot: OwnerSnap, event: OwnerEvent) {
  return step<typeof ownerMachine, ClientEffect>(ownerMachine, snapshot, event);
}

/** One step of the member machine. */
export function feedMember(snapshot: MemberSnap, event: MemberEvent) {
  return step<typeof memberMachine, ClientEffect>(memberMachine, snapshot, event);
}

/** The requirement ids of the rejections among `effects`. */
export function rejectionsOf(effects: readonly ClientEffect[]): string[] {
  return effects.filter((e) => e.type === 'effect.reject').map((e) => (e as { reqId: string }).reqId);
}

/** The requirement ids of the alarms among `effects`. */
export function alarmsOf(effects: readonly ClientEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'effect.alarm' ? [e.reqId] : []));
}

/** Feeds `event` to the owner and checks it is rejected with `reqId` and its security state unchanged. */
export function expectOwnerRejected(snapshot: OwnerSnap, event: OwnerEvent, reqId: string) {
  const r = feedOwner(snapshot, event);
  expect(rejectionsOf(r.effects), JSON.stringify(r.effects.map((e) => e.type))).toContain(reqId);
  expect(sameState(ownerSecurityState(r.snapshot.context), ownerSecurityState(snapshot.context))).toBe(true);
  return r;
}

/** Feeds `event` to a member and checks it is rejected with `reqId`, its security state and machine state unchanged. */
export function expectMemberRejected(snapshot: MemberSnap, event: MemberEvent, reqId: string) {
  const r = feedMember(snapshot, event);
  expect(rejectionsOf(r.effects), JSON.stringify(r.effects.map((e) => e.type))).toContain(reqId);
  expect(sameState(memberSecurityState(r.snapshot.context), memberSecurityState(snapshot.context))).toBe(true);
  expect(r.snapshot.value).toEqual(snapshot.value);
  return r;
}

/** An owner machine that has done nothing yet. */
export function freshOwner(profile: Profile = 'hardened'): OwnerSnap {
  return start<typeof ownerMachine, ClientEffect>(ownerMachine, { crypto: c, profile, identity: createIdentity(c, deterministicRng(utf8('fresh owner'))), rngSeed: simSeed(c, 2, 'owner', 0) }).snapshot;
}

/** A member machine that has not joined yet, with keys of its own (`name` seeds them). */
export function freshMember(name: string, profile: Profile = 'hardened'): MemberSnap {
  return start<typeof memberMachine, ClientEffect>(memberMachine, {
    crypto: c,
    profile,
    identity: createIdentity(c, deterministicRng(utf8(`fresh ${name}`))),
    rngSeed: simSeed(c, 1, name, 0),
  }).snapshot;
}
