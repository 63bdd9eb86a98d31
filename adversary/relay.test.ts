/** The malicious relay's plan steps (spec 11.2): each does what its capability says, once per step. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../impl/bytes.ts';
import { backendCrypto } from '../simulator/run.ts';
import { scenario, type ScenarioRun } from '../simulator/scenarios.ts';
import { messageLabel } from '../simulator/message-label.ts';
import { createWorld } from '../simulator/world.ts';
import { payloadsOf } from './knowledge.ts';
import { mutate } from './mutate.ts';
import { maliciousRelay, type Plan } from './relay.ts';

/** A room of owner, alice and bob under `plan`; `act` runs once the plan is armed. */
function room(plan: Plan, act: (r: ScenarioRun) => void) {
  let ids = new Map<string, string>();
  const relay = maliciousRelay(plan, (n) => ids.get(n));
  const world = createWorld({ seed: 5, profile: 'hardened', crypto: backendCrypto('symbolic'), tap: relay });
  const run: ScenarioRun = { world, members: [], removed: [], speakers: new Set(), next: 0, extraChecks: [] };
  const s = scenario('plan steps', 'a room under one plan')
    .members('alice', 'bob')
    .create()
    .admit('alice', 'bob')
    .step((r) => {
      ids = new Map([...r.world.clients].map(([n, c]) => [n, toHex(c.identity.fp)]));
      relay.arm();
      act(r);
    });
  for (const step of s.steps) step(run);
  return { relay, world };
}

/** How many room deliveries of alice's message `text` reached bob live (not through history). */
function liveCopies(world: ReturnType<typeof room>['world'], payload: string): number {
  return world.clients.get('bob')!.inbox.filter((b) => messageLabel(b).startsWith('RoomDelivery') && payloadsOf(b).some((p) => toHex(p) === payload)).length;
}

/** The payload of alice's first chat as the relay forwarded it to bob. */
function alicesChat(relay: ReturnType<typeof room>['relay']): string {
  const o = relay.observed.find((x) => x.dir === 'down' && x.client === 'bob' && messageLabel(x.bytes) === 'RoomDelivery(AppMessage)');
  return toHex(payloadsOf(o!.bytes)[0]!);
}

describe('maliciousRelay plan steps', () => {
  it('replay: two replay steps on one frame each replay it once, and each counts as fired once', () => {
    const match = { dir: 'down', client: 'bob', msg: 'RoomDelivery(AppMessage)', nth: 1 } as const;
    const { relay, world } = room(
      [
        { cap: 'CAP-05', op: 'replay', match, afterMs: 300 },
        { cap: 'CAP-05', op: 'replay', match, afterMs: 600 },
      ],
      (r) => {
        r.world.user('alice', { type: 'user.send', text: 'hello' });
        r.world.runUntil(r.world.now() + 3_000);
      },
    );
    expect(relay.fired).toEqual([1, 1]);
    // the original and one copy per step (the steps used to share one set, so the second did nothing yet counted)
    expect(liveCopies(world, alicesChat(relay))).toBe(3);
  });
  it('replay: a step that meets an entry it already re-appended does not fire again', () => {
    const { relay } = room([{ cap: 'CAP-05', op: 'replay', match: { dir: 'down', client: 'bob', msg: 'RoomDelivery(AppMessage)' }, afterMs: 300, reappend: true }], (r) => {
      r.world.user('alice', { type: 'user.send', text: 'hello' });
      r.world.runUntil(r.world.now() + 3_000);
    });
    // the re-appended copy reaches bob through the same step: it is not replayed again, and not counted
    expect(relay.fired).toEqual([1]);
  });
  it('delay: a delayed frame reaches its client on the connection it has when the frame is let go', () => {
    const { relay, world } = room([{ cap: 'CAP-03', op: 'delay', match: { dir: 'down', client: 'bob', msg: 'RoomDelivery(AppMessage)', nth: 1 }, ms: 4_000 }], (r) => {
      r.world.user('alice', { type: 'user.send', text: 'hello' });
      r.world.runUntil(r.world.now() + 500);
      r.world.disconnect('bob');
      r.world.runUntil(r.world.now() + 500);
      r.world.connect('bob');
      r.world.runUntil(r.world.now() + 6_000);
    });
    expect(relay.fired).toEqual([1]);
    expect(world.clients.get('bob')!.connections).toBe(2);
    // it used to be bound to the first connection and lost with it
    expect(liveCopies(world, alicesChat(relay))).toBe(1);
  });
});

describe('maliciousRelay plan steps as data (spec 11.2.1)', () => {
  const chatToBob = { dir: 'down', client: 'bob', msg: 'RoomDelivery(AppMessage)' } as const;
  const chatTwice = (r: ScenarioRun) => {
    r.world.user('alice', { type: 'user.send', text: 'one' });
    r.world.runUntil(r.world.now() + 1_000);
    r.world.user('alice', { type: 'user.send', text: 'two' });
    r.world.runUntil(r.world.now() + 3_000);
  };
  it('match.before: a step acts only on frames before its time', () => {
    let cut = 0;
    const { relay, world } = room([{ cap: 'CAP-02', op: 'drop', match: { ...chatToBob, before: 0 } }], (r) => {
      cut = r.world.now() - r.world.startTime + 500; // between the two chats
      chatTwice(r);
    });
    // the plan was made before the run knew its times: the step above acts on nothing (before 0)
    expect(relay.fired).toEqual([0]);
    expect(world.clients.get('bob')!.deliveries.map((d) => d.text)).toEqual(['one', 'two']);
    const second = room([{ cap: 'CAP-02', op: 'drop', match: { ...chatToBob, before: cut } }], chatTwice);
    expect(second.relay.fired).toEqual([1]);
  });
  it('inject: a recorded frame sent to a client as the relay (CAP-06), under a fresh log index: hardened owner refuses it as a replay', () => {
    const bytes = { recorded: { ...chatToBob, nth: 1 }, mutate: { path: 'index', mutation: { op: 'add', by: 100 } } } as const;
    const { relay, world } = room([{ cap: 'CAP-06', op: 'inject', match: { ...chatToBob, nth: 2 }, bytes, to: 'owner' }], chatTwice);
    expect(relay.fired).toEqual([1]);
    expect(world.raised.filter((x) => x.party === 'owner').map((x) => x.reqId)).toContain('REQ-MEM-016');
    expect(world.clients.get('owner')!.deliveries.filter((d) => d.text === 'one')).toHaveLength(1);
  });
  it('inject: written-out bytes with one field changed (hex and mutate) reach the client byte for byte', () => {
    const first = room([], chatTwice);
    const frame = first.relay.observed.find((o) => o.dir === 'down' && o.client === 'bob' && messageLabel(o.bytes) === 'RoomDelivery(AppMessage)')!;
    const mutation = { path: 'payload.ciphertext', mutation: { op: 'flip' } } as const;
    const { relay, world } = room([{ cap: 'CAP-06', op: 'inject', match: { ...chatToBob, nth: 2 }, bytes: { hex: toHex(frame.bytes), mutate: mutation } }], chatTwice);
    expect(relay.fired).toEqual([1]);
    const changed = toHex(mutate(frame.bytes, mutation.path, mutation.mutation));
    expect(world.clients.get('bob')!.inbox.filter((b) => toHex(b) === changed)).toHaveLength(1);
  });
  it("post: alice's recorded Send given to the relay again as alice (CAP-13): appended again, every member refuses the copy", () => {
    // a fresh req_id: the same one would be a retransmission, answered from the relay's memory (REQ-REL-004)
    const bytes = { recorded: { dir: 'up', client: 'alice', msg: 'Send' }, mutate: { path: 'req_id', mutation: { op: 'add', by: 1_000 } } } as const;
    const { relay, world } = room([{ cap: 'CAP-13', op: 'post', match: { ...chatToBob, nth: 2 }, bytes, as: 'alice' }], chatTwice);
    expect(relay.fired).toEqual([1]);
    for (const who of ['owner', 'bob']) expect(world.raised.filter((x) => x.party === who).map((x) => x.reqId), who).toContain('REQ-MEM-016');
  });
  it('rollback: the second roster bob is served is the first one (CAP-09); after a rotation hardened bob raises the stale view', () => {
    // nth counts the frames the step can act on: the first roster has nothing to roll back to
    const { relay, world } = room([{ cap: 'CAP-09', op: 'rollback', match: { dir: 'down', client: 'bob', msg: 'RosterInfo', nth: 1 } }], (r) => {
      r.world.user('bob', { type: 'user.roster' });
      r.world.runUntil(r.world.now() + 1_000);
      r.world.user('owner', { type: 'user.rotate' });
      r.world.runUntil(r.world.now() + 2_000);
      r.world.user('bob', { type: 'user.roster' });
      r.world.runUntil(r.world.now() + 2_000);
    });
    expect(relay.fired).toEqual([1]);
    expect(world.raised.filter((x) => x.party === 'bob' && x.kind === 'alarm').map((x) => x.reqId)).toEqual(['REQ-MEM-060']);
  });
  it('crash and restart-relay: faults timed by the plan', () => {
    const { relay, world } = room(
      [
        { cap: 'FAULT', op: 'crash', match: { ...chatToBob, nth: 1 }, downtimeMs: 2_000 },
        { cap: 'FAULT', op: 'restart-relay', match: { dir: 'down', client: 'owner', msg: 'RoomDelivery(AppMessage)', nth: 2 }, downtimeMs: 1_000 },
      ],
      (r) => {
        chatTwice(r);
        r.world.runUntil(r.world.now() + 60_000);
      },
    );
    expect(relay.fired).toEqual([1, 1]);
    expect(world.clients.get('bob')!.restarts).toBe(1);
    expect(world.faultCounts['relay-restart']).toBe(1);
    // and the room recovers: bob has both messages in the end
    expect(world.clients.get('bob')!.deliveries.map((d) => d.text).sort()).toEqual(['one', 'two']);
  });
});
