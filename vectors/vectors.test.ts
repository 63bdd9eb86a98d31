/** The committed vectors: regeneration is byte-identical, they verify, and corruption is caught and named. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main, VECTORS_DIR } from './cli.ts';
import { makeVectorFile, serializeVectorFile } from './format.ts';
import { generateVectorTexts } from './generate.ts';
import { VECTOR_KINDS } from './kinds/index.ts';
import { verifyVectorDir, verifyVectorText } from './verify.ts';

const committed = new Map(VECTOR_KINDS.map((k) => [k.file, readFileSync(join(VECTORS_DIR, k.file), 'utf8')]));

describe('pqroom vectors generate', () => {
  it('should regenerate every committed file byte for byte', () => {
    const fresh = generateVectorTexts();
    // the recorded kind (relay-conformance) is regenerated against a relay: simulator/live/conformance/vectors/
    expect([...fresh.keys()].sort()).toEqual(VECTOR_KINDS.filter((k) => k.generate).map((k) => k.file).sort());
    for (const [file, text] of fresh) expect(text === committed.get(file), `${file} differs from a fresh generation: run 'pqroom vectors generate'`).toBe(true);
  });
});

describe('pqroom vectors verify', () => {
  it('should pass every committed file with at least one case each', () => {
    const reports = verifyVectorDir(VECTORS_DIR);
    expect(reports.map((r) => r.file).sort()).toEqual([...committed.keys()].sort());
    for (const r of reports) {
      expect(r.failures, r.file).toEqual([]);
      expect(r.cases).toBeGreaterThan(0);
      expect(r.passed).toBe(r.cases);
    }
  });

  it('should print one line per file and a final total, exiting 0', async () => {
    const lines: string[] = [];
    expect(await main(['verify', VECTORS_DIR], (s) => lines.push(s))).toBe(0);
    expect(lines).toHaveLength(committed.size + 1);
    expect(lines.at(-1)).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('should fail a file with zero cases and a file of unknown kind', () => {
    expect(verifyVectorText('empty.json', serializeVectorFile(makeVectorFile('labels', 'x', []))).failed).toBeGreaterThan(0);
    const unknown = verifyVectorText('x.json', serializeVectorFile(makeVectorFile('nonsense', 'x', [{ id: 'a' }])));
    expect(unknown.failed).toBeGreaterThan(0);
    expect(unknown.failures.join('\n')).toMatch(/unknown kind/);
  });

  it('should name exactly the case whose expected output was changed', () => {
    const text = committed.get('labels.json')!;
    const parsed = JSON.parse(text) as { cases: { id: string; output: string }[] };
    const target = parsed.cases[5]!;
    const flipped = (target.output[0] === '0' ? '1' : '0') + target.output.slice(1);
    const r = verifyVectorText('labels.json', text.replace(`"output": "${target.output}"`, `"output": "${flipped}"`));
    expect(r.failed).toBe(1);
    expect(r.passed).toBe(parsed.cases.length - 1);
    expect(r.failures.every((f) => f.startsWith(`case #5 (${target.id}): `))).toBe(true);
  });

  for (const [file, text] of committed) {
    it(`should fail ${file} when any byte is changed, naming a case`, () => {
      const count = (JSON.parse(text) as { cases: unknown[] }).cases.length;
      fc.assert(
        fc.property(fc.integer({ min: 0, max: text.length - 1 }), fc.integer({ min: 1, max: 94 }), (offset, delta) => {
          const ch = String.fromCharCode(((text.charCodeAt(offset) - 32 + delta) % 95) + 32);
          const corrupted = text.slice(0, offset) + ch + text.slice(offset + 1);
          if (corrupted === text) return;
          const r = verifyVectorText(file, corrupted);
          expect(r.failed, `offset ${offset}`).toBeGreaterThan(0);
          for (const f of r.failures) {
            const m = /^(?:file|case #(\d+) \(.*?\)): /.exec(f);
            expect(m, f).not.toBeNull();
            if (m![1] !== undefined) expect(Number(m![1])).toBeLessThan(count);
          }
        }),
        { numRuns: file === 'messages.json' || file === 'handshake.json' || file === 'relay-conformance.json' ? 10 : 30 },
      );
    });
  }
});
