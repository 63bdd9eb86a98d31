import { describe, expect, it } from 'vitest';
import { ROOT, runInWorker } from './run.ts';
import { score } from './score.ts';
import { generateMutants, mutantsOf, mutatedText } from './sites.ts';
import { ARGUED_SURVIVORS } from './survivors.ts';

const ALL = generateMutants(ROOT);
const find = (file: string, req: string, operator: string, text: string) => {
  const m = ALL.find((x) => x.file === file && x.req === req && x.operator === operator && x.original.includes(text));
  if (!m) throw new Error(`no ${operator} mutant of ${req} at \`${text}\` in ${file}`);
  return m;
};

describe('generated mutants (spec 12.2, issue 30): check sites of impl/ and machines/', () => {
  it('REQ-MEM-016: the replay checks of receiveAppMessage yield negated, removed and moved-bound mutants', () => {
    const sites = ALL.filter((m) => m.file === 'impl/protocol/group.ts' && m.req === 'REQ-MEM-016');
    expect(new Set(sites.map((m) => m.operator))).toEqual(new Set(['negate', 'no-guard', 'boundary']));
    expect(sites.some((m) => m.operator === 'no-guard' && m.original.startsWith('replayCheck && s.next !== undefined && msg.seq < s.next'))).toBe(true);
    expect(sites.some((m) => m.operator === 'boundary' && m.original === 'msg.seq < s.next' && m.replacement === 'msg.seq <= s.next')).toBe(true);
  });

  it('finds sites by the requirement cited on the line or in the comment above, and nothing in uncited code', () => {
    // made-up ids, spelled so that no scan of the tests takes them for the spec's
    const [A, B, C] = ['099', '098', '097'].map((n) => `REQ-MEM-${n}`);
    const text = [
      'export function f(a: number, b: number): number {',
      `  // ${A}: the bound`,
      '  if (a > 3) return 1;',
      `  if (a < b) return 2; // ${B}`,
      '  if (a === b) return 3;',
      `  check(a); // ${C}`,
      '  return 0;',
      '}',
    ].join('\n');
    const ms = mutantsOf('x.ts', text);
    expect(ms.map((m) => `${m.id} ${m.req} ${m.replacement}`)).toEqual([
      `x.ts:3:negate ${A} !(a > 3)`,
      `x.ts:3:no-guard ${A} false`,
      `x.ts:3:boundary ${A} a >= 3`,
      `x.ts:3:bound+1 ${A} a > 4`,
      `x.ts:3:bound-1 ${A} a > 2`,
      `x.ts:4:negate ${B} !(a < b)`,
      `x.ts:4:no-guard ${B} false`,
      `x.ts:4:boundary ${B} a <= b`,
      `x.ts:6:drop-call ${C} ;`,
    ]);
  });

  it('every generated id is unique, and each mutant changes its file at its site only', () => {
    expect(new Set(ALL.map((m) => m.id)).size).toBe(ALL.length);
    const m = find('impl/protocol/group.ts', 'REQ-MEM-016', 'no-guard', 'replayCheck && s.next');
    const mutated = mutatedText(ROOT, m);
    expect(mutated).toContain('globalThis.__pqroomMutant.guard(replayCheck && s.next !== undefined && msg.seq < s.next)');
  });

  it('REQ-OWN-014: the join request check dropped is killed by a property (ATK-01b, PROP-16) in a run that completes; the unmutated code passes the same budget', async () => {
    const budget = { seeds: [1], plans: 0 };
    const control = await runInWorker(undefined, { seeds: [], plans: 0 }, 60_000);
    expect(control.verdict).toEqual({ status: 'survived' });
    const m = find('machines/owner/joins.ts', 'REQ-OWN-014', 'drop-call', 'verifyJoinRequest');
    const r = await runInWorker(m, budget, 60_000);
    expect(r.verdict).toMatchObject({ status: 'killed', by: 'ATK-01b seed 1', prop: 'PROP-16' });
    expect(r.reached).toBeGreaterThan(0);
    expect(r.infected).toBeGreaterThan(0);
  }, 90_000);

  it('REQ-MEM-016: a negated duplicate test breaks the honest scenarios, which is no property kill', async () => {
    const m = find('impl/protocol/group.ts', 'REQ-MEM-016', 'negate', 'dup');
    expect(m.original).toBe('dup');
    const r = await runInWorker(m, { seeds: [], plans: 0 }, 60_000);
    expect(r.verdict.status).toBe('broke-honest');
  }, 90_000);

  it('scores kills, honest breaks and hangs against all but the argued survivors, and reports stale arguments', () => {
    const [a, b, c] = ALL;
    const o = (status: 'killed' | 'survived' | 'timeout') => ({ verdict: status === 'killed' ? { status, by: 'ATK-01 seed 1', prop: 'PROP-01', detail: '' } : status === 'timeout' ? { status, detail: '' } : { status }, runs: 1, refused: [], reached: 1, infected: 1, ms: 1 }) as never;
    const results = [
      { mutant: a!, outcome: o('killed') },
      { mutant: b!, outcome: o('survived') },
      { mutant: c!, outcome: o('survived') },
    ];
    const s = score(results, [{ id: b!.id, original: b!.original, kind: 'equivalent', why: 'w' }, { id: 'gone.ts:1:negate', original: 'x', kind: 'equivalent', why: 'w' }], ALL);
    expect(s.score).toBe(1 / 2);
    expect(score(results, [{ id: b!.id, original: b!.original, kind: 'killed-by-test', why: 't' }], ALL).score).toBe(2 / 3);
    expect(s.unexplained).toBe(1);
    expect(s.survivors.find((x) => x.id === b!.id)?.argued?.why).toBe('w');
    expect(s.stale).toEqual(['gone.ts:1:negate: no such mutant is generated any more']);
    expect(score(results, [{ id: a!.id, original: a!.original, kind: 'equivalent', why: 'w' }], ALL).stale[0]).toContain('but it is killed');
  });

  it('every argued survivor names a generated mutant with the text it argues about', () => {
    const byId = new Map(ALL.map((m) => [m.id, m]));
    expect(ARGUED_SURVIVORS.filter((a) => byId.get(a.id)?.original !== a.original).map((a) => a.id)).toEqual([]);
  });
});
