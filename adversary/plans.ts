/**
 * Generated attack plans (fast-check): capability uses over the frames of the attack room,
 * each drawn from small domains (which client, which sender, which occurrence), so that
 * shrinking ends at a short, readable plan. The hardened profile must hold every property over
 * every generated plan; in compat generation finds the seed weaknesses on its own.
 */
import fc from 'fast-check';
import type { Profile } from '../impl/suite.ts';
import type { Plan, PlanStep } from './relay.ts';

const CLIENTS = ['owner', 'alice', 'bob', 'carol'] as const;

/** Arbitrary plans of 1 to `maxSteps` capability uses against the room of `runAttack`. */
export function arbPlan(profile: Profile, maxSteps = 2): fc.Arbitrary<Plan> {
  const chat = profile === 'hardened' ? 'RoomDelivery(AppMessage)' : 'RoomDelivery(CompatChat)';
  const rotation = profile === 'hardened' ? 'RoomDelivery(Commit)' : 'RoomDelivery(CompatRotation)';
  const client = fc.constantFrom(...CLIENTS);
  const nth = fc.integer({ min: 1, max: 6 });
  const roomMatch = fc.record({
    client,
    sender: fc.constantFrom(...CLIENTS),
    nth,
    msg: fc.constantFrom(chat, chat, rotation),
  });
  const down = (m: { client: string; sender: string; nth: number; msg: string }) =>
    m.msg === rotation ? { dir: 'down' as const, client: m.client, msg: m.msg, nth: m.nth } : { dir: 'down' as const, client: m.client, msg: m.msg, sender: m.sender, nth: m.nth };
  const step: fc.Arbitrary<PlanStep> = fc.oneof(
    roomMatch.map((m): PlanStep => ({ cap: 'CAP-02', op: 'drop', match: down(m) })),
    fc.tuple(roomMatch, fc.integer({ min: 50, max: 3_000 })).map(([m, ms]): PlanStep => ({ cap: 'CAP-03', op: 'delay', match: down(m), ms })),
    roomMatch.map((m): PlanStep => ({ cap: 'CAP-04', op: 'swap', match: down(m) })),
    fc.tuple(roomMatch, fc.integer({ min: 1, max: 40 })).map(([m, index]): PlanStep => ({ cap: 'CAP-04', op: 'reindex', match: down(m), index })),
    fc.tuple(roomMatch, fc.integer({ min: 10, max: 5_000 })).map(([m, afterMs]): PlanStep => ({ cap: 'CAP-05', op: 'replay', match: down(m), afterMs, reappend: true })),
    fc.tuple(roomMatch, client).map(([m, as]): PlanStep => ({ cap: 'CAP-07', op: 'mutate', match: down(m), path: 'payload.sender', mutation: { op: 'member', name: as } })),
    roomMatch.map((m): PlanStep => ({ cap: 'CAP-07', op: 'retype', match: down(m), to: profile === 'hardened' ? 'Commit' : 'CompatRotation' })),
    roomMatch.map((m): PlanStep => ({ cap: 'CAP-11', op: 'withhold', match: down(m) })),
    fc.tuple(client, fc.integer({ min: 0, max: 3 })).map(([c, keep]): PlanStep => ({ cap: 'CAP-11', op: 'truncate', match: { dir: 'down', client: c, msg: 'HistoryChunk' }, keep })),
  );
  return fc.array(step, { minLength: 1, maxLength: maxSteps });
}
