/** The malicious relay's plan steps (spec 11.2): each does what its capability says, once per step. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../impl/bytes.ts';
import { backendCrypto } from '../simulator/run.ts';
import { scenario, type ScenarioRun } from '../simulator/scenarios.ts';
import { messageLabel } from '../simulator/trace.ts';
import { createWorld } from '../simulator/world.ts';
import { payloadsOf } from './knowledge.ts';
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
