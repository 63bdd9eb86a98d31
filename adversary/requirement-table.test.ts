import { describe, expect, it } from 'vitest';
import { requirements } from '../reports/spec.ts';
import { specRequirementTable, specRestsOn } from './audit.ts';
import { EQUIVALENT_MUTANTS, MUTANTS } from './mutants.ts';
import { requirementTable, unexplained } from './requirement-table.ts';

describe('the requirement → mutant table (spec 12.3, 12.4; issue 29 F3)', () => {
  const { restsOn, reasons } = specRestsOn();
  it('spec 12.3 gives every property of spec 12 a row, and every id in 12.3 and 12.4 is one the spec defines', () => {
    const defined = new Set(requirements().map((r) => r.id));
    const props = [...defined].filter((id) => id.startsWith('PROP-')).sort();
    expect([...restsOn.keys()].sort()).toEqual(props);
    for (const id of [...[...restsOn.values()].flat(), ...reasons.keys()]) expect(defined.has(id), id).toBe(true);
  });
  it("every mutant's requirement is listed under the property it pins, every equivalent mutant's under some property", () => {
    for (const m of MUTANTS) expect(restsOn.get(m.breaks!), `${m.id}: ${m.removes} under ${m.breaks}`).toContain(m.removes);
    const listed = new Set([...restsOn.values()].flat());
    for (const m of EQUIVALENT_MUTANTS) expect(listed.has(m.removes), `${m.id}: ${m.removes}`).toBe(true);
  });
  it('the table of this checkout has no unexplained gap and no stale reason: every requirement a property rests on has a mutant, an equivalent mutant or a reason', () => {
    const rows = specRequirementTable();
    expect(rows.length).toBeGreaterThan(30);
    expect(unexplained(rows).map((r) => `${r.id}: ${r.status}`)).toEqual([]);
    expect(rows.find((r) => r.id === 'REQ-MEM-013')).toMatchObject({ status: 'mutant', mutants: ['no-epoch-roster-check'], properties: ['PROP-04', 'PROP-30'] });
    expect(rows.find((r) => r.id === 'REQ-MEM-019')).toMatchObject({ status: 'equivalent', equivalent: { stoppedBy: 'REQ-MEM-018' } });
    expect(rows.find((r) => r.id === 'REQ-OWN-011')?.status).toBe('reason');
  });
  it('a mutant taken away leaves its requirement an unexplained gap; a reason given where a mutant exists is stale', () => {
    const without = specRequirementTable(MUTANTS.filter((m) => m.id !== 'no-login-kdf-floor'));
    expect(unexplained(without).map((r) => [r.id, r.status, r.properties])).toEqual([['REQ-LOG-012', 'gap', ['PROP-28']]]);
    const stale = requirementTable({ restsOn, reasons: new Map([...reasons, ['REQ-LOG-012', 'no switch']]), mutants: MUTANTS, equivalents: EQUIVALENT_MUTANTS });
    expect(unexplained(stale).map((r) => [r.id, r.status])).toEqual([['REQ-LOG-012', 'stale']]);
  });
});
