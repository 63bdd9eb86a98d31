/** The plan format of spec 11.2.1: every operation as data, every named and generated plan in it, and wrong plans named precisely. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATTACKS } from './attacks.ts';
import { checkPlan, PLAN_OPS } from './plan-format.ts';
import { arbPlan } from './plans.ts';
import type { PlanStep } from './relay.ts';

const m = { dir: 'down', client: 'bob', msg: 'RoomDelivery(AppMessage)', nth: 2, after: 10, before: 90_000 } as const;

/** One step of every operation of spec 11.2.1, with every optional field. */
const EVERY_OP: readonly PlanStep[] = [
  { cap: 'CAP-02', op: 'drop', match: m },
  { cap: 'CAP-03', op: 'delay', match: m, ms: 300 },
  { cap: 'CAP-04', op: 'swap', match: m },
  { cap: 'CAP-04', op: 'reindex', match: m, index: 3 },
  { cap: 'CAP-05', op: 'replay', match: m, afterMs: 10, to: 'carol', reappend: true },
  { cap: 'CAP-07', op: 'mutate', match: m, path: 'payload.sender', mutation: { op: 'member', name: 'carol' } },
  { cap: 'CAP-08', op: 'mutate', match: m, path: 'index', mutation: { op: 'set', value: { hex: '00ff' } } },
  { cap: 'CAP-07', op: 'retype', match: m, to: 'Commit' },
  { cap: 'CAP-11', op: 'withhold', match: m },
  { cap: 'CAP-11', op: 'truncate', match: { dir: 'down', msg: 'HistoryChunk' }, keep: 0 },
  { cap: 'CAP-11', op: 'freeze', match: m },
  { cap: 'CAP-09', op: 'substitute', match: m, craft: 'forged-commit' },
  { cap: 'CAP-09', op: 'rewrite', match: m, craft: 'ghost' },
  { cap: 'CAP-09', op: 'rollback', match: { dir: 'down', msg: 'RosterInfo' }, to: 1 },
  { cap: 'CAP-06', op: 'inject', match: m, bytes: { recorded: { dir: 'down', client: 'alice', nth: 1 }, mutate: { path: 'index', mutation: { op: 'add', by: 5 } } }, to: 'carol' },
  { cap: 'CAP-13', op: 'post', match: m, bytes: { hex: '0001020304' }, as: 'alice' },
  { cap: 'FAULT', op: 'crash', match: m, downtimeMs: 2_000, client: 'carol' },
  { cap: 'FAULT', op: 'restart-relay', match: m, downtimeMs: 1_000 },
];

describe('checkPlan', () => {
  it('should take one step of every operation, each round-tripped through JSON', () => {
    expect(new Set(EVERY_OP.map((s) => s.op))).toEqual(new Set(PLAN_OPS));
    expect(checkPlan(JSON.parse(JSON.stringify(EVERY_OP)))).toEqual(EVERY_OP);
  });
  it('should take the plan of every named attack and every generated plan', () => {
    for (const a of ATTACKS) for (const p of ['hardened', 'compat'] as const) expect(() => checkPlan(JSON.parse(JSON.stringify(a.plan(p)))), a.id).not.toThrow();
    fc.assert(fc.property(arbPlan('hardened'), (plan) => void checkPlan(JSON.parse(JSON.stringify(plan)))), { numRuns: 300 });
  });
  it.each([
    [{}, 'a plan is a JSON list'],
    [[1], 'step 1: must be an object'],
    [[{ cap: 'CAP-02', op: 'teleport', match: m }], 'step 1: op must be one of drop, delay'],
    [[{ cap: 'CAP-03', op: 'drop', match: m }], 'step 1: drop is a use of CAP-02, not CAP-03'],
    [[{ cap: 'CAP-02', op: 'drop', match: { client: 'bob' } }], 'step 1: match dir must be "down" or "up"'],
    [[{ cap: 'CAP-02', op: 'drop', match: { dir: 'down', nth: 0 } }], 'step 1: match nth counts from 1'],
    [[{ cap: 'CAP-02', op: 'drop', match: { dir: 'down', when: 3 } }], 'step 1: match has an unknown field when'],
    [[{ cap: 'CAP-02', op: 'drop', match: m }, { cap: 'CAP-03', op: 'delay', match: m }], 'step 2: delay needs "ms"'],
    [[{ cap: 'CAP-03', op: 'delay', match: m, ms: -1 }], 'step 1: ms must be a whole number'],
    [[{ cap: 'CAP-07', op: 'retype', match: m, to: 'Nothing' }], 'step 1: to must name a message type'],
    [[{ cap: 'CAP-07', op: 'mutate', match: m, path: 'x', mutation: { op: 'set' } }], 'step 1: mutation set needs a value'],
    [[{ cap: 'CAP-06', op: 'inject', match: m, bytes: { hex: 'abc' } }], 'step 1: bytes hex must be lower-case hex'],
    [[{ cap: 'CAP-06', op: 'inject', match: m, bytes: { hex: '00', recorded: m } }], 'step 1: bytes needs exactly one of'],
    [[{ cap: 'CAP-13', op: 'post', match: m, bytes: { recorded: { dir: 'sideways' } }, as: 'alice' }], 'step 1: bytes recorded dir must be'],
    [[{ cap: 'CAP-02', op: 'drop', match: m, ms: 3 }], 'step 1: drop has no field "ms"'],
  ])('should refuse %j naming what is wrong', (plan, message) => {
    expect(() => checkPlan(plan)).toThrow(message);
  });
});
