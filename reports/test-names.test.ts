import { describe, expect, it } from 'vitest';
import { testNames } from './test-names.ts';

describe('test names read from a test file (traceability, issue 30)', () => {
  it('reads each test with the describe titles around it, across modifiers, templates and nested calls', () => {
    const src = [
      "const suite = ok ? describe : describe.skip;",
      "describe('outer', () => {",
      "  suite(\"inner\", () => {",
      "    it('one, with a \\'quote\\'', () => {});",
      '  });',
      "  it.each([[1], [2]])('two %s', (n) => { expect(n).toBeGreaterThan(0); });",
      '});',
      "it.skipIf(f('x'))(`three ${a ? `b` : 'c'} end`, async () => {});",
      "test('four', () => {});",
      "// it('not a test', () => {});",
      "expect(/a/.test('x')).toBe(true);",
      "it(name, () => {});",
      '',
    ].join('\n');
    expect(testNames(src)).toEqual([
      { line: 4, title: "one, with a 'quote'", name: "outer > inner > one, with a 'quote'" },
      { line: 6, title: 'two %s', name: 'outer > two %s' },
      { line: 8, title: 'three ${} end', name: 'three ${} end' },
      { line: 9, title: 'four', name: 'four' },
    ]);
  });
});
