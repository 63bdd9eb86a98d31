/** The spec readers of reports/spec.ts on the real spec: properties with names (spec 12), seed weaknesses (spec 11.6). */
import { describe, expect, it } from 'vitest';
import { readSpec, requirements, specProperties, specTable, specWeaknesses } from './spec.ts';

describe('the spec readers', () => {
  it('read every property of spec 12 with a name, its sentence (also the requirement summary) and what compat shows', () => {
    const props = specProperties();
    expect(props.map((p) => p.id)).toEqual(requirements().filter((r) => r.id.startsWith('PROP-')).map((r) => r.id));
    for (const p of props) {
      expect(p.name, p.id).toMatch(/^[\w -]{3,40}$/);
      expect(p.statement, p.id).toMatch(/\.$/);
      expect(requirements().find((r) => r.id === p.id)!.summary).toBe(p.statement);
      expect(p.compat, p.id).toMatch(/^(holds|broken)/);
    }
    expect(props.find((p) => p.id === 'PROP-01')!.weaknesses).toEqual(['W1', 'W2']);
  });
  it('read the seed weaknesses of spec 11.6, and every weakness 11.4 and 12 name is there', () => {
    const ws = new Map(specWeaknesses().map((w) => [w.id, w]));
    expect([...ws.keys()]).toEqual([...Array.from({ length: 15 }, (_, i) => `W${i + 1}`), 'L1', 'L2', 'L3', 'L4', 'T1', 'T2', 'T3']);
    for (const w of ws.values()) expect(w.text, w.id).toMatch(/\.$/);
    const named = [...specTable('11-threat-model.md', ['id', 'seed weakness']).map((r) => r['seed weakness']!), ...specProperties().map((p) => p.compat)].join(' ');
    for (const m of named.matchAll(/\b([WLT]\d+)\b/g)) expect(ws.has(m[1]!), m[1]).toBe(true);
    expect(readSpec().length).toBe(13);
  });
});
