/**
 * The traceability report (spec 1): for every requirement and property the spec defines, the
 * lines of code that cite it, the tests that name it, and, for properties, the latest audit
 * verdict. A test names a requirement when its name (its title, after the titles of the
 * `describe` blocks around it) carries the id; an id elsewhere in a test file (a comment, an
 * assertion) does not count (issue 30, `test-names.ts`). Generated from the sources, never edited: `pqroom traceability`, and `pqroom audit`
 * writes it next to its result.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkInputFile, checkOutputDir, parseCommand, runCommand } from '../impl/cli-args.ts';
import { requirements, type Requirement } from './spec.ts';
import { testNames } from './test-names.ts';

/** The checkout's root. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The folders whose code may cite requirements. */
const CODE_DIRS = ['impl', 'machines', 'simulator', 'adversary', 'vectors', 'reports'];

/** Where one requirement is enforced and tested. */
export interface Trace {
  readonly id: string;
  readonly file: string;
  readonly summary: string;
  /** `path:line` of each code line that cites it (tests excluded). */
  readonly code: readonly string[];
  /** `path:line` of each test whose name carries it. */
  readonly tests: readonly string[];
  /** For a property: its audit verdict per profile, when an audit result is at hand. */
  readonly audit?: Readonly<Record<string, string>>;
}

function sources(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'node_modules' && name !== 'out') walk(p);
      } else if (p.endsWith('.ts')) out.push(p);
    }
  };
  for (const d of CODE_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
  return out.sort();
}

/** A requirement or property id. */
const ID_RE = /\b(REQ-[A-Z]+-\d{3}|PROP-\d\d)\b/g;

/** One place a requirement id appears in the sources. */
export interface Citation {
  readonly id: string;
  /** `path:line`. */
  readonly where: string;
  /** In a test file (`*.test.ts`). */
  readonly test: boolean;
}

/** Every requirement or property id the sources mention, with where (one entry per id and line). */
export function citations(root: string = ROOT): Citation[] {
  const out: Citation[] = [];
  for (const file of sources(root)) {
    const rel = relative(root, file);
    const test = rel.endsWith('.test.ts');
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const seen = new Set<string>();
        for (const m of line.matchAll(ID_RE)) {
          if (seen.has(m[1]!)) continue;
          seen.add(m[1]!);
          out.push({ id: m[1]!, where: `${rel}:${i + 1}`, test });
        }
      });
  }
  return out;
}

/** Every requirement or property id a test's name carries, with the test's `path:line` (one entry per id and test). */
export function namedTests(root: string = ROOT): { readonly id: string; readonly where: string }[] {
  const out: { id: string; where: string }[] = [];
  for (const file of sources(root).filter((f) => f.endsWith('.test.ts'))) {
    const rel = relative(root, file);
    for (const t of testNames(readFileSync(file, 'utf8'))) {
      for (const id of new Set([...t.name.matchAll(ID_RE)].map((m) => m[1]!))) out.push({ id, where: `${rel}:${t.line}` });
    }
  }
  return out;
}

/** Ids the sources cite that the spec does not define (a typo, or a requirement that was removed). */
export function unknownCitations(root: string = ROOT): Citation[] {
  const known = new Set(requirements().map((r) => r.id));
  return citations(root).filter((c) => !known.has(c.id));
}

/** Builds the traces; `auditJson` is a `pqroom audit` result to fold in (optional). */
export function traceability(root: string = ROOT, auditJson?: string): Trace[] {
  const reqs: Requirement[] = requirements();
  const byId = new Map<string, { code: string[]; tests: string[] }>(reqs.map((r) => [r.id, { code: [], tests: [] }]));
  for (const c of citations(root)) {
    const t = byId.get(c.id);
    if (t && !c.test) t.code.push(c.where);
  }
  for (const n of namedTests(root)) byId.get(n.id)?.tests.push(n.where);
  let verdicts: Map<string, Record<string, string>> | undefined;
  if (auditJson !== undefined && existsSync(auditJson)) {
    const a = JSON.parse(readFileSync(auditJson, 'utf8')) as { profiles: Record<string, { properties: { id: string; holds: boolean | null; counterexample?: { replay: string } }[] }> };
    verdicts = new Map();
    for (const [profile, p] of Object.entries(a.profiles)) {
      for (const x of p.properties) {
        const v = verdicts.get(x.id) ?? {};
        v[profile] = x.holds === null ? 'not checked' : x.holds ? 'holds' : `broken (${x.counterexample?.replay ?? '?'})`;
        verdicts.set(x.id, v);
      }
    }
  }
  return reqs.map((r) => {
    const t = byId.get(r.id)!;
    const audit = verdicts?.get(r.id);
    return { id: r.id, file: r.file, summary: r.summary, code: t.code, tests: t.tests, ...(audit ? { audit } : {}) };
  });
}

/** The report as Markdown: totals, the gaps, then one row per requirement. */
export function traceabilityMarkdown(traces: readonly Trace[]): string {
  const reqs = traces.filter((t) => t.id.startsWith('REQ-'));
  const props = traces.filter((t) => t.id.startsWith('PROP-'));
  const uncited = reqs.filter((t) => t.code.length === 0);
  const untested = reqs.filter((t) => t.tests.length === 0);
  const lines = [
    '# pqroom traceability',
    '',
    'Generated by `pqroom traceability` from `spec/` and the sources; do not edit.',
    '',
    `- ${reqs.length} requirements: ${reqs.length - uncited.length} cited by code, ${reqs.length - untested.length} named by tests.`,
    `- ${props.length} properties: ${props.filter((p) => p.code.length > 0).length} with an oracle or check citing them, ${props.filter((p) => p.tests.length > 0).length} named by tests.`,
    '',
    `Requirements no code cites (${uncited.length}): ${uncited.map((t) => t.id).join(', ') || 'none'}.`,
    '',
    `Requirements no test names (${untested.length}): ${untested.map((t) => t.id).join(', ') || 'none'}.`,
    '',
    '| id | spec | summary | code | tests | audit |',
    '|---|---|---|---|---|---|',
  ];
  const cell = (xs: readonly string[]): string => (xs.length === 0 ? '–' : xs.length <= 3 ? xs.join('<br>') : `${xs.slice(0, 3).join('<br>')}<br>+${xs.length - 3} more`);
  for (const t of traces) {
    const audit = t.audit ? Object.entries(t.audit).map(([p, v]) => `${p}: ${v}`).join('<br>') : '';
    lines.push(`| ${t.id} | ${t.file} | ${t.summary.replace(/\|/g, '\\|')} | ${cell(t.code)} | ${cell(t.tests)} | ${audit} |`);
  }
  return lines.join('\n') + '\n';
}

/** Writes `traceability.md` and `traceability.json` into `dir`; returns the Markdown path. */
export function writeTraceability(dir: string, auditJson?: string): string {
  const traces = traceability(ROOT, auditJson);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'traceability.json'), `${JSON.stringify(traces, null, 2)}\n`);
  const md = join(dir, 'traceability.md');
  writeFileSync(md, traceabilityMarkdown(traces));
  return md;
}

const HELP = `usage: pqroom traceability [--out DIR] [--audit FILE]

Writes the traceability report: for every requirement and property of spec/, the code lines
that cite it, the tests that name it, and (with an audit result) each property's verdict.
Writes DIR/traceability.md and DIR/traceability.json (default DIR: reports/out; the audit
result is read from DIR/audit.json when present).`;

/** Runs `pqroom traceability ...`; returns the exit code (errors in one line on `err`). */
export function main(argv: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): number {
  return runCommand('traceability', err, () => {
    const p = parseCommand('traceability', argv, { out: { type: 'string' }, audit: { type: 'string' } });
    if (p.help) {
      out(HELP);
      return 0;
    }
    const dir = p.str('out') ?? 'reports/out';
    const audit = p.str('audit');
    checkOutputDir('--out', dir);
    if (audit !== undefined) checkInputFile('--audit', audit);
    const md = writeTraceability(dir, audit ?? join(dir, 'audit.json'));
    const traces = traceability(ROOT);
    const reqs = traces.filter((t) => t.id.startsWith('REQ-'));
    out(`${reqs.length} requirements, ${reqs.filter((t) => t.code.length > 0).length} cited by code, ${reqs.filter((t) => t.tests.length > 0).length} named by tests; ${traces.length - reqs.length} properties`);
    out(`written: ${md}, ${join(dir, 'traceability.json')}`);
    return 0;
  });
}
