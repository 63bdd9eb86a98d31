import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempFolder } from '../impl/temp-testkit.ts';
import { requirements } from './spec.ts';
import { traceability, traceabilityMarkdown } from './traceability.ts';

describe('the traceability report', () => {
  it('has one row per requirement and property of the spec, with the code and tests of this checkout', () => {
    const traces = traceability();
    expect(traces.map((t) => t.id)).toEqual(requirements().map((r) => r.id));
    const dup = traces.find((t) => t.id === 'REQ-MEM-016')!;
    expect(dup.code.some((w) => w.startsWith('impl/protocol/group.ts:'))).toBe(true);
    expect(dup.tests.length).toBeGreaterThan(0);
    expect(dup.code.every((w) => !w.includes('.test.ts'))).toBe(true);
  });

  it('finds a citation where it is and nowhere else (a planted source tree)', () => {
    const root = tempFolder('pqroom-trace-');
    mkdirSync(join(root, 'impl'));
    writeFileSync(join(root, 'impl', 'x.ts'), '// nothing\ncheck(ok, "REQ-MEM-016", "duplicate");\n');
    writeFileSync(join(root, 'impl', 'x.test.ts'), "it('REQ-MEM-014 rejects a bad signature', () => {});\n");
    const traces = traceability(root);
    expect(traces.find((t) => t.id === 'REQ-MEM-016')!.code).toEqual(['impl/x.ts:2']);
    expect(traces.find((t) => t.id === 'REQ-MEM-016')!.tests).toEqual([]);
    expect(traces.find((t) => t.id === 'REQ-MEM-014')!.tests).toEqual(['impl/x.test.ts:1']);
    expect(traces.find((t) => t.id === 'REQ-MEM-014')!.code).toEqual([]);
    const md = traceabilityMarkdown(traces);
    expect(md).toMatch(/Requirements no code cites \(\d+\): .*REQ-MEM-014/);
  });

  it('counts a test only when its name carries the id: not an id in a comment, an assertion or a substitution (issue 30)', () => {
    const root = tempFolder('pqroom-trace-');
    mkdirSync(join(root, 'impl'));
    writeFileSync(
      join(root, 'impl', 'x.test.ts'),
      [
        '/** Covers REQ-MEM-001 (a comment). */',
        "describe('REQ-MEM-014 signatures', () => {",
        "  it('rejects a forged one', () => {",
        "    expect(check()).toBe('REQ-MEM-016'); // REQ-MEM-017",
        '  });',
        '});',
        "it(`${'REQ-MEM-018'} from a substitution`, () => {});",
        "it.skipIf(process.env.X === 'REQ-MEM-019')('REQ-MEM-020 under a modifier', () => {});",
        '',
      ].join('\n'),
    );
    const tests = new Map(traceability(root).map((t) => [t.id, t.tests]));
    expect(tests.get('REQ-MEM-014')).toEqual(['impl/x.test.ts:3']);
    expect(tests.get('REQ-MEM-020')).toEqual(['impl/x.test.ts:8']);
    for (const id of ['REQ-MEM-001', 'REQ-MEM-016', 'REQ-MEM-017', 'REQ-MEM-018', 'REQ-MEM-019']) expect(tests.get(id), id).toEqual([]);
  });

  it('every requirement of the spec is named by a test of this checkout (the audit fails otherwise)', () => {
    const untested = traceability().filter((t) => t.id.startsWith('REQ-') && t.tests.length === 0).map((t) => t.id);
    expect(untested).toEqual([]);
  });
});
