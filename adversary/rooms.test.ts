/**
 * Several rooms under the malicious relay (spec 7.11): the attack world with a second room whose
 * clients are the owner's and alice's people again (owner2, alice2), the oracles judging each
 * room on its own records, and frames of one room spliced into the other, as they were or rebound
 * to the receiver's room (plan mutation `room`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachSeed } from '../impl/fc-seeds.ts';
import type { Profile } from '../impl/suite.ts';
import { needsAnnex, runAttack, type Attack } from './attacks.ts';
import { chat, rotation } from './attacks/attack.ts';
import { checkPlan } from './plan-format.ts';
import { arbPlan, requireFired } from './plans.ts';
import type { Plan } from './relay.ts';

const attack = (plan: Plan): Attack => ({ id: 'rooms', title: 'two rooms', weakness: '-', props: [], plan: () => plan, annex: true });
const splice = (p: Profile, to: string, from: string, msg: string, rebind: boolean): Plan => [
  { cap: 'CAP-06', op: 'inject', match: { dir: 'down', client: to, msg: chat(p), nth: 3 }, bytes: { recorded: { dir: 'down', client: from, msg, nth: 1 }, ...(rebind ? { mutate: { path: 'room_id', mutation: { op: 'room', of: to } } } : {}) }, to },
];

describe('REQ-MEM-064 several rooms under the malicious relay', () => {
  for (const profile of ['hardened', 'compat'] as const) {
    it(`REQ-MEM-064 ${profile}: with an honest relay both rooms run, each room's messages stay in it, and no property fails`, () => {
      const r = runAttack(attack([]), { profile, seed: 5, backend: 'symbolic' });
      expect(r.violations).toEqual([]);
      const texts = (n: string) => r.world.clients.get(n)!.deliveries.map((d) => d.text);
      expect(texts('alice2').length).toBeGreaterThan(0);
      expect(texts('alice2').every((t) => t.startsWith('in the second room'))).toBe(true);
      expect(texts('owner2').every((t) => t.startsWith('in the second room'))).toBe(true);
      for (const n of ['owner', 'alice', 'bob', 'carol']) expect(texts(n).some((t) => t.startsWith('in the second room'))).toBe(false);
    });
  }

  it('REQ-MEM-010 REQ-MEM-040 hardened: another room\'s message or commit rebound to this room is refused by the checks inside the envelope; as it was, it is routed away; nothing is judged broken', () => {
    const p: Profile = 'hardened';
    const cases: [Plan, string | undefined][] = [
      [splice(p, 'bob', 'alice2', chat(p), true), 'REQ-MEM-010'],
      [splice(p, 'bob', 'owner2', rotation(p), true), 'REQ-MEM-040'],
      [splice(p, 'alice', 'alice2', chat(p), false), undefined],
      [splice(p, 'alice2', 'carol', chat(p), true), 'REQ-MEM-010'],
    ];
    for (const [plan, refusedBy] of cases) {
      const r = runAttack(attack(plan), { profile: p, seed: 3, backend: 'symbolic' });
      expect(r.fired).toEqual([1]);
      expect(r.violations).toEqual([]);
      if (refusedBy) expect(r.detected).toContain(refusedBy);
    }
  });

  it('REQ-MEM-064 a plan naming a client of the second room runs with it, and the plan format takes the room mutation', () => {
    const p = splice('hardened', 'bob', 'alice2', chat('hardened'), true);
    expect(needsAnnex({ ...attack(p), annex: false }, p)).toBe(true);
    expect(needsAnnex({ ...attack([]), annex: false }, [])).toBe(false);
    expect(checkPlan(JSON.parse(JSON.stringify(p)))).toEqual(p);
    expect(() => checkPlan([{ ...p[0]!, bytes: { recorded: { dir: 'down' }, mutate: { path: 'room_id', mutation: { op: 'room' } } } }])).toThrow(/room needs a client "of"/);
  });

  it('REQ-MEM-064 hardened: generated plans that splice the two rooms hold every property', () => {
    const spliced = arbPlan('hardened', 2).filter((plan) => plan.some((s) => s.op === 'inject' && JSON.stringify(s).match(/"(owner2|alice2)"/) !== null));
    forEachSeed(import.meta.url, 20261206, 12, ({ seed: fcSeed, numRuns }) => {
      fc.assert(
        fc.property(spliced, fc.integer({ min: 1, max: 1_000 }), (plan, seed) => {
          const r = runAttack(attack(plan), { profile: 'hardened', seed, backend: 'symbolic' });
          requireFired(r.fired); // a plan that fired nothing is drawn again, not counted
          return r.violations.length === 0;
        }),
        { numRuns, seed: fcSeed },
      );
    });
  });
});
