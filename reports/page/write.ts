/**
 * Writes the audit report (spec 12) beside a result: `index.html` with `mermaid.min.js` copied
 * next to it (the page loads nothing else and needs no network), `audit.md` and `junit.xml`.
 * `pqroom audit` calls it after a campaign, `pqroom report` on a saved result.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import type { AuditResult } from '../../adversary/audit.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { reportModel, type ReportModel } from './model.ts';
import { renderPage } from './page.ts';

/** The Mermaid build the page loads, from the `mermaid` package. */
export function mermaidScript(): string {
  return join(createRequire(import.meta.url).resolve('mermaid/package.json'), '..', 'dist', 'mermaid.min.js');
}

/** What was written, and what the report found. */
export interface Written {
  readonly files: readonly string[];
  readonly model: ReportModel;
}

/** Writes the report of the result in `auditFile` into `outDir`; `now` is the generation date shown. */
export function writeReport(auditFile: string, outDir: string, now: Date = new Date()): Written {
  const bytes = readFileSync(auditFile);
  const result = JSON.parse(bytes.toString('utf8')) as AuditResult;
  if (typeof result !== 'object' || result === null || typeof result.profiles !== 'object' || !Array.isArray(result.mutants)) throw new Error(`${auditFile} is not a pqroom audit result`);
  mkdirSync(outDir, { recursive: true });
  const model = reportModel({ result, auditFile: basename(auditFile), auditSha256: createHash('sha256').update(bytes).digest('hex'), outDir, generatedAt: now.toISOString() });
  const files = [join(outDir, 'index.html'), join(outDir, 'audit.md'), join(outDir, 'junit.xml'), join(outDir, 'mermaid.min.js')];
  writeFileSync(files[0]!, renderPage(model));
  writeFileSync(files[1]!, renderMarkdown(model));
  writeFileSync(files[2]!, renderJunit(model));
  copyFileSync(mermaidScript(), files[3]!);
  return { files, model };
}
