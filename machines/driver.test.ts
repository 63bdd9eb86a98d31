/**
 * The pure driver steps machines with one reused inert actor scope per machine instead of
 * xstate's `transition()` (which builds a throwaway actor per call). Both must give the same
 * snapshots and the same effects: checked here on a handshake and traffic through both
 * connection machines, and on an owner creating a room.
 */
import { transition, type AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../impl/bytes.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { createIdentity } from '../impl/protocol/identity.ts';
import { deterministicRng } from '../impl/rng.ts';
import { clientConnectionMachine, relayConnectionMachine, type ConnEffect, type ConnEvent } from './connection.ts';
import { start, step } from './driver.ts';
import type { ClientEffect } from './events.ts';
import { ownerMachine } from './owner.ts';

type Snap = { readonly value: unknown; readonly context: unknown };

function both<M extends AnyStateMachine>(machine: M, snapshot: unknown, event: unknown) {
  const ours = step(machine, snapshot as never, event as never);
  const [snap, actions] = transition(machine, snapshot as never, event as never) as unknown as [Snap, { type: string; params?: unknown }[]];
  const theirs = actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: unknown }).event);
  const mine = ours.snapshot as unknown as Snap;
  expect(mine.value).toEqual(snap.value);
  expect(mine.context).toEqual(snap.context);
  expect(ours.effects).toEqual(theirs);
  return ours;
}

describe('the pure driver', () => {
  it('should step the connection machines exactly as xstate’s transition() does', () => {
    const id = createIdentity(c, deterministicRng(utf8('driver test')));
    const relayKeys = c.sigKeygen(new Uint8Array(32).fill(3));
    let cl = start(clientConnectionMachine, { crypto: c, profile: 'hardened', identity: id, pinnedRelayPk: relayKeys.publicKey, rngSeed: new Uint8Array(32) }).snapshot;
    let rl = start(relayConnectionMachine, { crypto: c, profile: 'hardened', relayKeys, rngSeed: new Uint8Array(32).fill(1) }).snapshot;
    const wire = (effects: readonly ConnEffect[]) => effects.filter((e) => e.type === 'effect.wire').map((e) => (e as { bytes: Uint8Array }).bytes);
    let r = both(clientConnectionMachine, cl, { type: 'conn.start', now: 0 } satisfies ConnEvent);
    cl = r.snapshot;
    let toClient: Uint8Array[] = [];
    for (const b of wire(r.effects as ConnEffect[])) {
      const q = both(relayConnectionMachine, rl, { type: 'net.wire', bytes: b, now: 1 } satisfies ConnEvent);
      rl = q.snapshot;
      toClient = wire(q.effects as ConnEffect[]);
    }
    r = both(clientConnectionMachine, cl, { type: 'net.wire', bytes: toClient[0]!, now: 2 } satisfies ConnEvent);
    cl = r.snapshot;
    let toRelay = wire(r.effects as ConnEffect[]);
    for (let i = 0; i < 20; i++) {
      const s = both(clientConnectionMachine, cl, { type: 'app.send', bytes: utf8(`frame ${i}`), now: 3 + i } satisfies ConnEvent);
      cl = s.snapshot;
      toRelay = [...toRelay, ...wire(s.effects as ConnEffect[])];
    }
    const received: string[] = [];
    for (const b of [...toRelay].reverse()) {
      const q = both(relayConnectionMachine, rl, { type: 'net.wire', bytes: b, now: 30 } satisfies ConnEvent);
      rl = q.snapshot;
      for (const e of q.effects as ConnEffect[]) if (e.type === 'effect.receive') received.push(new TextDecoder().decode(e.bytes));
    }
    expect(rl.value).toBe('open');
    expect(received).toHaveLength(20); // reordered frames held until ClientAuth, then delivered
  });
  it('should step the owner machine exactly as xstate’s transition() does', () => {
    const owner = start<typeof ownerMachine, ClientEffect>(ownerMachine, { crypto: c, profile: 'hardened', identity: createIdentity(c, deterministicRng(utf8('driver owner'))), rngSeed: new Uint8Array(32).fill(9) }).snapshot;
    const a = both(ownerMachine, owner, { type: 'net.up', now: 1 });
    const b = both(ownerMachine, a.snapshot, { type: 'user.create', now: 2 });
    both(ownerMachine, b.snapshot, { type: 'user.invite', now: 3 });
    both(ownerMachine, b.snapshot, { type: 'timer.tick', now: 10_000 });
  });
});
