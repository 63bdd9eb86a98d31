/**
 * Fixtures for the machine tests: a world advanced to a chosen point, snapshots to step from,
 * and the "security state" of each role, which a rejected input must leave unchanged.
 */
import { valuesEqual } from '../impl/codec.ts';
import { nodeCrypto } from '../impl/crypto/node.ts';
import type { Profile } from '../impl/suite.ts';
import { createWorld, type World } from '../simulator/world.ts';
import type { MemberContext } from './member.ts';
import type { OwnerContext } from './owner.ts';
import type { RelayContext } from './relay.ts';

/** A world with an owner and `members` who joined, ready to chat. */
export function joinedWorld(profile: Profile, members: readonly string[] = ['alice'], seed = 7): World {
  const w = createWorld({ seed, profile, crypto: nodeCrypto });
  w.addOwner('owner');
  for (const m of members) w.addMember(m);
  for (const n of ['owner', ...members]) w.connect(n);
  w.user('owner', { type: 'user.create' });
  if (!w.runUntilTrue(() => w.stateOf('owner').startsWith('active'), 30_000)) throw new Error('room not created');
  for (const m of members) {
    const n = w.invites().length;
    w.user('owner', { type: 'user.invite' });
    if (!w.runUntilTrue(() => w.invites().length > n, 30_000)) throw new Error('no invite');
    w.user(m, { type: 'user.join', invite: w.invites()[n]! });
    if (!w.runUntilTrue(() => w.stateOf(m) === 'member', 60_000)) throw new Error(`${m} did not join`);
  }
  w.runUntil(w.now() + 1_000);
  return w;
}

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
