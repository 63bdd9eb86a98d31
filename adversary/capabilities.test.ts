import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PENDING_ATTACKS } from './attacks.ts';
import { LOGIN_PROPERTIES } from './login-oracles.ts';
import { TRUST_PROPERTIES } from './trust-attacks.ts';
import { NAMED_ATTACKS } from './named.ts';
import { CAPABILITIES } from './capabilities.ts';
import { CHECKED_PROPERTIES } from './oracles/index.ts';

const threat = readFileSync(new URL('../spec/11-threat-model.md', import.meta.url), 'utf8');
const props = readFileSync(new URL('../spec/12-properties.md', import.meta.url), 'utf8');
const ids = (text: string, re: RegExp): string[] => [...text.matchAll(re)].map((m) => m[1]!);

describe('the adversary model follows spec 11 and 12', () => {
  it('one capability entry per CAP-nn of spec 11.2, in order', () => {
    expect(CAPABILITIES.map((c) => c.id)).toEqual(ids(threat, /^\| (CAP-\d+) \|/gm));
  });
  it('a capability the harness does not exercise says what is pending', () => {
    for (const c of CAPABILITIES) if (c.via.length === 0) expect(c.pending, c.id).toBeTruthy();
  });
  it('every attack a capability names as exercising it is a named attack that runs', () => {
    const run = new Set(NAMED_ATTACKS.map((a) => a.id));
    for (const c of CAPABILITIES) for (const id of c.via.join(' ').match(/ATK-\d+[a-z]?/g) ?? []) expect(run.has(id), `${c.id} ${id}`).toBe(true);
  });
  it('every named attack is an ATK-nn of spec 11.4 and targets properties of its row', () => {
    const rows = new Map(ids(threat, /^\| (ATK-\d+[a-z]? \|.*)$/gm).map((r) => [r.split(' ')[0]!, r] as const));
    for (const a of NAMED_ATTACKS) {
      const row = rows.get(a.id);
      expect(row, a.id).toBeDefined();
      for (const p of a.props) expect(row!.includes(p), `${a.id} ${p}`).toBe(true);
    }
  });
  it('every attack of spec 11.4 is either run or listed as pending with what it needs', () => {
    const run = new Set(NAMED_ATTACKS.map((a) => a.id));
    const pending = Object.keys(PENDING_ATTACKS);
    expect(pending.filter((id) => run.has(id))).toEqual([]);
    expect([...run, ...pending].sort()).toEqual(ids(threat, /^\| (ATK-\d+[a-z]?) \|/gm).sort());
  });
  it('every checked property is a PROP-nn of spec 12', () => {
    const known = new Set(ids(props, /^\| (PROP-\d+) \|/gm));
    for (const p of [...CHECKED_PROPERTIES, ...LOGIN_PROPERTIES, ...TRUST_PROPERTIES]) expect(known.has(p), p).toBe(true);
  });
});
