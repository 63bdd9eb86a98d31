import { describe, expect, it } from 'vitest';
import { ROOT, runInWorker } from './run.ts';
import { score } from './score.ts';
import { testsOf } from './unit.ts';
import { generateMutants, mutantsOf, mutatedText } from './sites.ts';
import { ARGUED_SURVIVORS, argumentKey } from './survivors.ts';

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

  it('scores kills and honest breaks against all but the argued survivors, a hang as a survivor, and reports stale arguments', () => {
    const [a, b, c] = ALL;
    const o = (status: 'killed' | 'survived' | 'timeout') => ({ verdict: status === 'killed' ? { status, by: 'ATK-01 seed 1', prop: 'PROP-01', detail: '' } : status === 'timeout' ? { status, detail: '' } : { status }, runs: 1, refused: [], reached: 1, infected: 1, ms: 1 }) as never;
    const results = [
      { mutant: a!, outcome: o('killed') },
      { mutant: b!, outcome: o('survived') },
      { mutant: c!, outcome: o('survived') },
    ];
    const about = (m: typeof a, kind: 'equivalent' | 'killed-by-test', why: string) => ({ file: m!.file, fn: m!.fn, operator: m!.operator, original: m!.original, kind, why });
    const s = score(results, [about(b, 'equivalent', 'w'), { file: 'gone.ts', fn: 'f', operator: 'negate', original: 'x', kind: 'equivalent', why: 'w' }], ALL);
    expect(s.score).toBe(1 / 2);
    expect(score(results, [about(b, 'killed-by-test', 't')], ALL).score).toBe(2 / 3);
    expect(s.unexplained).toBe(1);
    expect(s.survivors.find((x) => x.id === b!.id)?.argued?.why).toBe('w');
    expect(s.stale).toEqual(['gone.ts f negate `x`: no such mutant is generated any more (the code changed: f has no negate mutant of that text)']);
    expect(score(results, [about(a, 'equivalent', 'w')], ALL).stale[0]).toContain('but it is killed');
    // a unit test's kill of a mutant the campaign kills too is no wrong argument
    expect(score(results, [about(a, 'killed-by-test', 't')], ALL).stale).toEqual([]);
    // a mutant that hung is no kill: it is unexplained until argued, and a unit test's kill counts
    const hung = [{ mutant: a!, outcome: o('killed') }, { mutant: b!, outcome: o('timeout') }];
    expect(score(hung, [], ALL)).toMatchObject({ score: 1 / 2, unexplained: 1 });
    expect(score(hung, [], ALL).survivors[0]).toMatchObject({ id: b!.id, hung: true });
    expect(score(hung, [about(b, 'killed-by-test', 't')], ALL)).toMatchObject({ score: 1, unexplained: 0 });
    // an argument about the same text in another function is stale, and says where the text went
    expect(score(results, [{ ...about(b, 'equivalent', 'w'), fn: 'elsewhere' }], ALL).stale[0]).toContain(`that text is now in ${b!.fn}`);
  });

  it('every argued survivor names a generated mutant with the text it argues about, in its function', () => {
    const keys = new Set(ALL.map((m) => m.key));
    expect(ARGUED_SURVIVORS.map(argumentKey).filter((k) => !keys.has(k))).toEqual([]);
    expect(new Set(ARGUED_SURVIVORS.map(argumentKey)).size).toBe(ARGUED_SURVIVORS.length);
  });

  it('keys a mutant by its function and text: lines added above keep the key (the id moves), a changed check or a check moved to another function does not', () => {
    const A = `REQ-MEM-${'099'}`; // made up, as above
    const text = [
      'export function f(a: number): number {',
      `  if (a > 3) return 1; // ${A}`,
      '  return 0;',
      '}',
      `export const o = { g: (b: number) => { if (b < 2) return 1; /* ${A} */ return 0; } };`,
    ].join('\n');
    const keys = (t: string) => mutantsOf('x.ts', t).map((m) => m.key);
    const before = mutantsOf('x.ts', text);
    expect(before.find((m) => m.operator === 'no-guard' && m.original === 'a > 3')).toMatchObject({ fn: 'f', key: 'x.ts f no-guard `a > 3`', id: 'x.ts:2:no-guard' });
    expect(before.find((m) => m.operator === 'no-guard' && m.original === 'b < 2')?.fn).toBe('o.g');
    const moved = mutantsOf('x.ts', `// a comment\nconst unrelated = 1;\n${text}`);
    expect(moved.map((m) => m.key)).toEqual(before.map((m) => m.key));
    expect(moved.find((m) => m.key === 'x.ts f no-guard `a > 3`')?.id).toBe('x.ts:4:no-guard');
    expect(keys(text.replace('a > 3', 'a > 4'))).not.toContain('x.ts f no-guard `a > 3`');
    expect(keys(text.replace('function f', 'function h'))).not.toContain('x.ts f no-guard `a > 3`');
    // the same text twice in one function: ranked by position
    expect(keys(`function f(a: number) {\n  if (a > 3) return 1; // ${A}\n  if (a > 3) return 2; // ${A}\n}`).filter((k) => k.includes('no-guard'))).toEqual(['x.ts f no-guard `a > 3`', 'x.ts f no-guard `a > 3`#1']);
  });
});

describe('the unit tests a generated mutant runs against (mutate --tests)', () => {
  it("should reach a role's world-level tests through the test kit, and give an impl/ module its own tests only", () => {
    // machines/owner/joins.ts is behind machines/owner.ts, which machines/testkit.ts imports: the owner's join tests drive it
    expect(testsOf(ROOT, 'machines/owner/joins.ts')).toEqual(expect.arrayContaining(['machines/owner.test.ts', 'simulator/world-owner-joins.test.ts', 'simulator/world-owner.test.ts']));
    expect(testsOf(ROOT, 'impl/codec/wire.ts')).toEqual(['impl/codec/wire.test.ts']);
  });
});
