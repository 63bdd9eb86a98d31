/**
 * `pqroom vectors verify [DIR]`: recomputes every case of every vector file in DIR. A file
 * fails if it cannot be parsed, is not canonical, has a digest mismatch, has zero cases, is of
 * an unknown kind, or any case does not recompute.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseVectorFile } from './format.ts';
import { VECTOR_KINDS } from './kinds/index.ts';

/** The outcome for one file. */
export interface FileReport {
  /** File name. */
  readonly file: string;
  /** Cases found. */
  readonly cases: number;
  /** Cases that recomputed. */
  readonly passed: number;
  /** Cases that failed, or 1 when only the file itself is at fault (unparsable, empty, header). */
  readonly failed: number;
  /** One line per failure: `case #i (id)` or `file`, then the reason. */
  readonly failures: readonly string[];
}

/** Verifies one file's text: form and digests first, then every case recomputed. */
export function verifyVectorText(file: string, text: string): FileReport {
  const { file: parsed, problems } = parseVectorFile(text);
  const cases = parsed && Array.isArray(parsed.cases) ? parsed.cases : [];
  const failedCases = new Set<number>();
  const failures: string[] = [];
  const fail = (index: number, message: string): void => {
    const c = cases[index];
    failures.push(`${c === undefined ? 'file' : `case #${index} (${String(c.id)})`}: ${message}`);
    if (c !== undefined) failedCases.add(index);
  };
  for (const p of problems) fail(p.index, p.message);
  const kind = parsed ? VECTOR_KINDS.find((k) => k.kind === parsed.kind) : undefined;
  if (parsed && !kind) fail(-1, `unknown kind ${String(parsed.kind)}`);
  if (cases.length === 0) fail(-1, 'the file has zero cases');
  if (kind) {
    cases.forEach((c, i) => {
      try {
        kind.verify(c);
      } catch (e) {
        fail(i, (e as Error).message);
      }
    });
  }
  const fileLevel = failures.length > 0 && failedCases.size === 0 ? 1 : 0;
  return { file, cases: cases.length, passed: cases.length - failedCases.size, failed: failedCases.size + fileLevel, failures };
}

/** Verifies every `*.json` vector file of `dir`. */
export function verifyVectorDir(dir: string): FileReport[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  return files.map((f) => verifyVectorText(f, readFileSync(join(dir, f), 'utf8')));
}

/** Every `*.json` vector file of `dir` verified, with the file's SHA-256 (what an audit records). */
export function vectorSummary(dir: string): { file: string; cases: number; passed: number; failed: number; sha256: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      const r = verifyVectorText(f, text);
      return { file: f, cases: r.cases, passed: r.passed, failed: r.failed, sha256: createHash('sha256').update(text).digest('hex') };
    });
}
