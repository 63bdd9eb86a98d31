/**
 * The pure driver steps machines with one reused inert actor scope per machine instead of
 * xstate's `transition()` (which builds a throwaway actor per call), and takes the simple steps of
 * the relay's machines without xstate's macrostep at all (issue 23). Both must give the same
 * snapshots and the same effects: checked here on a handshake and traffic through both
 * connection machines, on every kind of event of the relay machine, and on an owner creating a room;
 * that the relay's simple steps skip xstate's macrostep unless an observer watches; and on small
 * machines, that what the simple step does not take (functions computing an assignment or an
 * event, raise, eventless and delayed transitions) goes to xstate.
 */
import { enqueueActions, setup, transition, type AnyStateMachine } from 'xstate';
import { describe, expect, it, vi } from 'vitest';
import { utf8 } from '../impl/bytes.ts';
import { buildCommit, ZERO_HASH } from '../impl/protocol/commit.ts';
import { memberRecordOf } from '../impl/protocol/identity.ts';
import { emptyRelay, type RelayRequest } from '../impl/protocol/relay-state.ts';
import { nodeCrypto as c } from '../impl/crypto/node.ts';
import { createIdentity } from '../impl/protocol/identity.ts';
import { deterministicRng } from '../impl/rng.ts';
import { clientConnectionMachine, relayConnectionMachine, type ConnEffect, type ConnEvent } from './connection.ts';
import { fastStepped, simpleStep, start, step, xstateStep } from './driver.ts';
import type { ClientEffect, RelayEffect, RelayEvent } from './events.ts';
import { withTransitionObserver } from './observe.ts';
import { ownerMachine } from './owner.ts';
import { relayMachine } from './relay.ts';

type Snap = { readonly value: unknown; readonly context: unknown };

function both<M extends AnyStateMachine>(machine: M, snapshot: unknown, event: unknown) {
  const ours = step(machine, snapshot as never, event as never);
  const [snap, actions] = transition(machine, snapshot as never, event as never) as unknown as [Snap, { type: string; params?: unknown }[]];
  const theirs = actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: unknown }).event);
  const mine = ours.snapshot as unknown as Snap;
  expect(mine.value).toEqual(snap.value);
  expect(mine.context).toEqual(snap.context);
  expect(ours.effects).toEqual(theirs);
  // the driver's own xstate path gives the same, and so does the simple step where it takes one
  const slow = xstateStep(machine, snapshot as never, event as never);
  expect((slow.snapshot as unknown as Snap).context).toEqual(snap.context);
  expect(slow.effects).toEqual(theirs);
  return ours;
}

/** The simple step took this one (it does not hand it to xstate). */
function simple<M extends AnyStateMachine>(machine: M, snapshot: unknown, event: unknown): void {
  expect(simpleStep(machine, snapshot as never, event as never), JSON.stringify((event as { type: string }).type)).toBeDefined();
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
      if (i === 19) toRelay.push(toRelay[1]!); // a replayed frame (REQ-TRN-005): refused by both
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
    // the open connection: frames, a replay, garbage, a repeated hello, sends one and many (REQ-TRN-010), a rekey, then lost
    const more: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const s = both(clientConnectionMachine, cl, { type: 'app.send', bytes: utf8(`late ${i}`), now: 60 + i } satisfies ConnEvent);
      cl = s.snapshot;
      more.push(...wire(s.effects as ConnEffect[]));
    }
    for (const b of [more[0]!, more[2]!, more[1]!, more[1]!, new Uint8Array(40).fill(7)]) {
      const ev = { type: 'net.wire', bytes: b, now: 70 } satisfies ConnEvent;
      simple(relayConnectionMachine, rl, ev);
      rl = both(relayConnectionMachine, rl, ev).snapshot;
    }
    const sends: ConnEvent[] = [
      { type: 'app.send', bytes: utf8('one'), now: 80 },
      { type: 'app.sendMany', bytes: [utf8('a'), utf8('b'), utf8('c')], now: 81 },
      { type: 'conn.rekey', sessionKey: new Uint8Array(32).fill(4), now: 82 },
      { type: 'app.sendMany', bytes: [utf8('d')], now: 83 },
    ];
    for (const ev of sends) {
      simple(relayConnectionMachine, rl, ev);
      rl = both(relayConnectionMachine, rl, ev).snapshot;
    }
    rl = both(relayConnectionMachine, rl, { type: 'conn.lost', now: 90 } satisfies ConnEvent).snapshot; // a target: xstate's step
    expect(rl.value).toBe('closed');
    both(relayConnectionMachine, rl, { type: 'app.send', bytes: utf8('after'), now: 91 } satisfies ConnEvent);
  });
  it('REQ-REL-050 REQ-REL-041 REQ-REL-040 REQ-TRN-006 should step the relay machine exactly as xstate’s transition() does', () => {
    const rng = deterministicRng(utf8('driver relay'));
    const owner = createIdentity(c, rng);
    const roomId = rng.bytes(16);
    const genesis = buildCommit(c, rng, { roomId, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(owner, 'owner', 0)], removes: [], roster: [], heads: [], owner });
    const create: RelayRequest = { name: 'CreateRoom', value: { req_id: 1, room_id: roomId, profile: 'hardened', payload: genesis.commit.bytes } };
    const send = (reqId: number): RelayRequest => ({ name: 'Send', value: { req_id: reqId, room_id: roomId, payload: utf8(`not a message ${reqId}`) } });
    let s = start(relayMachine, { crypto: c, state: emptyRelay('hardened'), config: { rate: 1, burst: 3, maxOverLimit: 2, maxMalformed: 2 } }).snapshot;
    const events: RelayEvent[] = [
      { type: 'net.request', conn: 'nobody', request: create, digest: c.sha256(utf8('x')), now: 0 },
      { type: 'conn.open', conn: 'c1', principal: owner.fp, now: 0 },
      { type: 'conn.open', conn: 'c2', principal: owner.fp, now: 0 },
      { type: 'net.request', conn: 'c1', request: create, digest: c.sha256(utf8('create')), now: 1 },
      { type: 'net.request', conn: 'c1', request: create, digest: c.sha256(utf8('create')), now: 2 }, // a retransmission (REQ-REL-004)
      { type: 'net.request', conn: 'c2', request: send(2), digest: c.sha256(utf8('send 2')), now: 3 },
      { type: 'net.request', conn: 'c2', request: send(3), digest: c.sha256(utf8('send 3')), now: 3 },
      { type: 'net.request', conn: 'c2', request: send(4), digest: c.sha256(utf8('send 4')), now: 3 }, // over the rate
      { type: 'net.request', conn: 'c2', request: send(5), digest: c.sha256(utf8('send 5')), now: 3 },
      { type: 'net.request', conn: 'c2', request: send(6), digest: c.sha256(utf8('send 6')), now: 3 },
      { type: 'net.malformed', conn: 'c1', reqId: 'REQ-ENC-006', detail: 'truncated', requestId: 9, now: 4 },
      { type: 'net.malformed', conn: 'c1', reqId: 'REQ-ENC-004', detail: 'unknown type', now: 5 },
      { type: 'net.malformed', conn: 'gone', reqId: 'REQ-ENC-004', detail: 'unknown type', now: 5 },
      { type: 'conn.close', conn: 'c1', now: 6 },
      { type: 'admin.shutdown', now: 7 }, // a target: xstate's step
      { type: 'conn.open', conn: 'c3', principal: owner.fp, now: 8 },
      { type: 'net.request', conn: 'c2', request: send(7), digest: c.sha256(utf8('send 7')), now: 9_000 },
    ];
    const kinds = new Set<string>();
    for (const ev of events) {
      if (ev.type !== 'admin.shutdown') simple(relayMachine, s, ev);
      const r = both(relayMachine, s, ev);
      for (const fx of r.effects as RelayEffect[]) kinds.add(fx.type);
      s = r.snapshot;
    }
    expect(s.value).toBe('draining');
    expect([...kinds].sort()).toEqual(['effect.append', 'effect.close', 'effect.push', 'effect.reject', 'effect.reply']);
  });
  it('should step the owner machine exactly as xstate’s transition() does', () => {
    const owner = start<typeof ownerMachine, ClientEffect>(ownerMachine, { crypto: c, profile: 'hardened', identity: createIdentity(c, deterministicRng(utf8('driver owner'))), rngSeed: new Uint8Array(32).fill(9) }).snapshot;
    const a = both(ownerMachine, owner, { type: 'net.up', now: 1 });
    const b = both(ownerMachine, a.snapshot, { type: 'user.create', now: 2 });
    both(ownerMachine, b.snapshot, { type: 'user.invite', now: 3 });
    both(ownerMachine, b.snapshot, { type: 'timer.tick', now: 10_000 });
  });

  it("should take the relay's simple steps without xstate's macrostep, also while an observer (the audit's machine coverage) watches, and tell it of the transition xstate would take", () => {
    const owner = createIdentity(c, deterministicRng(utf8('driver dispatch')));
    const s = start(relayMachine, { crypto: c, state: emptyRelay('hardened'), config: { rate: 1, burst: 3, maxOverLimit: 2, maxMalformed: 2 } }).snapshot;
    const open = { type: 'conn.open', conn: 'c1', principal: owner.fp, now: 0 } satisfies RelayEvent;
    const watching = (took: (readonly object[])[]) => ({ started: () => undefined, took: (m: AnyStateMachine, ts: readonly object[]) => (m === relayMachine ? took.push([...ts]) : undefined) });
    const macrostep = vi.spyOn(relayMachine, 'transition');
    const tookSimple: (readonly object[])[] = [];
    let fast, watched;
    try {
      fast = step(relayMachine, s, open);
      watched = withTransitionObserver(watching(tookSimple), () => step(relayMachine, s, open));
      expect(macrostep).not.toHaveBeenCalled();
    } finally {
      macrostep.mockRestore();
    }
    const tookXstate: (readonly object[])[] = [];
    const theirs = withTransitionObserver(watching(tookXstate), () => xstateStep(relayMachine, s, open));
    expect(tookSimple.map((ts) => ts.length)).toEqual([1]);
    expect(tookSimple).toEqual(tookXstate);
    expect(tookSimple[0]![0]).toBe(tookXstate[0]![0]);
    expect(watched.snapshot.context).toEqual(fast.snapshot.context);
    expect(watched.effects).toEqual(theirs.effects);
  });
  it('should hand to xstate what the simple step does not take (an assignment or an emitted event computed by a function, raise, eventless and delayed transitions) and take the rest as xstate does', () => {
    type Toy = { type: 'inc' } | { type: 'byFunction' } | { type: 'byProperty' } | { type: 'emitByFunction' } | { type: 'raise' };
    const toy = fastStepped(
      setup({ types: { context: {} as { n: number }, events: {} as Toy, emitted: {} as { type: 'n'; n: number } } }).createMachine({
        id: 'toy',
        initial: 'counting',
        context: { n: 0 },
        states: {
          counting: {
            on: {
              inc: { actions: enqueueActions(({ context, enqueue }) => (enqueue.assign({ n: context.n + 1 }), enqueue.emit({ type: 'n', n: context.n + 1 }))) },
              byFunction: { actions: enqueueActions(({ enqueue }) => enqueue.assign(({ context }) => ({ n: context.n + 10 }))) },
              byProperty: { actions: enqueueActions(({ enqueue }) => enqueue.assign({ n: ({ context }) => context.n + 100 })) },
              emitByFunction: { actions: enqueueActions(({ enqueue }) => enqueue.emit(({ context }) => ({ type: 'n', n: context.n }))) },
              raise: { actions: enqueueActions(({ enqueue }) => enqueue.raise({ type: 'inc' })) },
            },
          },
        },
      }),
    );
    let s = start(toy, undefined).snapshot;
    simple(toy, s, { type: 'inc' });
    s = both(toy, s, { type: 'inc' }).snapshot;
    for (const type of ['byFunction', 'byProperty', 'emitByFunction', 'raise'] as const) {
      expect(simpleStep(toy, s, { type }), type).toBeUndefined();
      s = both(toy, s, { type }).snapshot;
    }
    expect(s.context.n).toBe(1 + 10 + 100 + 1);
    // a machine with an eventless or a delayed transition anywhere: no step of it is simple
    const counter = setup({ types: { context: {} as { n: number }, events: {} as { type: 'inc' } }, actions: { inc: enqueueActions(({ context, enqueue }) => enqueue.assign({ n: context.n + 1 })) } });
    const settling = fastStepped(counter.createMachine({ id: 'settling', initial: 'counting', context: { n: 0 }, states: { counting: { on: { inc: { actions: 'inc' } }, always: { guard: ({ context }) => context.n >= 2, target: 'full' } }, full: {} } }));
    const delayed = fastStepped(counter.createMachine({ id: 'delayed', initial: 'counting', context: { n: 0 }, states: { counting: { on: { inc: { actions: 'inc' } } }, waiting: { after: { 1000: 'counting' } } } }));
    for (const m of [settling, delayed] as AnyStateMachine[]) {
      let x = start(m, undefined as never).snapshot;
      for (let i = 0; i < 2; i++) {
        expect(simpleStep(m, x, { type: 'inc' }), m.id).toBeUndefined();
        x = both(m, x, { type: 'inc' }).snapshot;
      }
      expect(x.value).toBe(m === settling ? 'full' : 'counting');
    }
  });
  it('should run an action that throws once, its exception going up as xstate raises it; a guard that throws, and an action using self, go to xstate', () => {
    let runs = 0;
    type Ev = { type: 'fails' } | { type: 'guardFails' } | { type: 'usesSelf' };
    const failing = fastStepped(
      setup({ types: { context: {} as { n: number }, events: {} as Ev, emitted: {} as { type: 'n'; n: number } } }).createMachine({
        id: 'failing',
        initial: 'on',
        context: { n: 0 },
        states: {
          on: {
            on: {
              // an action that did work (numbered a ciphertext, say) and then failed
              fails: {
                actions: enqueueActions(({ context, enqueue }) => {
                  runs++;
                  enqueue.emit({ type: 'n', n: context.n });
                  throw new TypeError(`action failed after ${runs} run(s)`);
                }),
              },
              guardFails: {
                guard: () => {
                  throw new RangeError('guard failed');
                },
                actions: enqueueActions(({ enqueue }) => enqueue.assign({ n: 1 })),
              },
              usesSelf: { actions: enqueueActions(({ enqueue, self }) => enqueue.assign({ n: self.id === '' ? 2 : 3 })) },
            },
          },
        },
      }),
    );
    const s = start(failing, undefined).snapshot;
    const raised = (f: () => unknown): Error => {
      try {
        f();
      } catch (e) {
        return e as Error;
      }
      throw new Error('nothing raised');
    };
    // xstate's own step raises the action's exception unwrapped, after one run; the driver's step the same, after one run
    const theirs = raised(() => xstateStep(failing, s, { type: 'fails' }));
    expect([theirs.constructor, theirs.message, runs]).toEqual([TypeError, 'action failed after 1 run(s)', 1]);
    runs = 0;
    const ours = raised(() => step(failing, s, { type: 'fails' }));
    expect([ours.constructor, ours.message, runs]).toEqual([TypeError, 'action failed after 1 run(s)', 1]);
    runs = 0;
    expect(() => simpleStep(failing, s, { type: 'fails' })).toThrow(new TypeError('action failed after 1 run(s)'));
    expect(runs).toBe(1);
    // a guard that throws: no action has run, xstate takes the step and raises its own (wrapped) error
    expect(simpleStep(failing, s, { type: 'guardFails' })).toBeUndefined();
    const g = raised(() => step(failing, s, { type: 'guardFails' }));
    const gx = raised(() => xstateStep(failing, s, { type: 'guardFails' }));
    expect([g.constructor, g.message]).toEqual([gx.constructor, gx.message]);
    expect(g.message).toMatch(/Unable to evaluate guard .*guardFails.*\n.*guard failed/s);
    // the simple step has no actor: an action that reads self is xstate's, with xstate's self
    expect(simpleStep(failing, s, { type: 'usesSelf' })).toBeUndefined();
    expect(both(failing, s, { type: 'usesSelf' }).snapshot.context).toEqual({ n: 3 });
  });
});
