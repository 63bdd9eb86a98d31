/**
 * What the audit report shows (spec 12), gathered once for the page, audit.md and junit.xml: the
 * audit result, the spec's names for what it judged (spec 11.4, 11.6, 12), the traceability of
 * this checkout, the role machines' definitions, benchmark results found beside the result, and
 * every problem that must show as a failure (a property checked in zero runs, a mutant never run,
 * a vector file with zero cases, a traceability gap, ...).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitState, type AuditResult } from '../../adversary/audit.ts';
import { COVERED_MACHINES, transitionKeys } from '../../adversary/coverage.ts';
import { describeMachine, mermaid, type MachineInfo } from '../../machines/describe.ts';
import { specProperties, specWeaknesses, type SpecProperty } from '../spec.ts';
import { traceability, unknownCitations, type Citation, type Trace } from '../traceability.ts';
import type { Glossary } from './explain.ts';

/** The checkout's root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the report is made from. */
export interface PageInput {
  readonly result: AuditResult;
  /** The result file's name as shown in the header. */
  readonly auditFile: string;
  /** SHA-256 of the result file, hex. */
  readonly auditSha256: string;
  /** Where the page is written (links are relative to it; benchmark results are read from it). */
  readonly outDir: string;
  /** When the page was generated (ISO 8601): the only thing that differs between two renderings of one result. */
  readonly generatedAt: string;
}

/** Something that must show as a failure, with a link to where the page shows it. */
export interface Problem {
  readonly text: string;
  /** `#anchor` in the page. */
  readonly href: string;
}

/** A benchmark result found in the output folder. */
export interface Bench {
  readonly file: string;
  /** A Markdown report, as written. */
  readonly markdown?: string;
  /** A JSON report: its command and its result rows (scalar fields only). */
  readonly json?: { readonly command: string; readonly rows: readonly Readonly<Record<string, string | number | boolean>>[] };
}

/** One role machine: its definition now, its transition keys, its state diagram. */
export interface MachineView {
  readonly info: MachineInfo;
  readonly keys: readonly string[];
  readonly diagram: string;
}

/** Everything the renderers need. */
export interface ReportModel {
  readonly input: PageInput;
  readonly result: AuditResult;
  readonly glossary: Glossary;
  readonly properties: readonly SpecProperty[];
  /** The checkout the page was generated in. */
  readonly current: { readonly commit: string; readonly dirty: boolean };
  /** The result came from another commit than the checkout's. */
  readonly otherCommit: boolean;
  readonly traces: readonly Trace[];
  readonly unknown: readonly Citation[];
  readonly machines: readonly MachineView[];
  readonly benches: readonly Bench[];
  readonly problems: readonly Problem[];
  /** The repository root relative to the page, ending in `/` (for links to spec and code). */
  readonly root: string;
}

/** The page's anchors, shared by the renderers and the problem links. */
export const ids = {
  prop: (profile: string, id: string): string => `ce-${profile}-${id}`.toLowerCase(),
  attack: (profile: string, id: string): string => `ce-${profile}-${id}`.toLowerCase(),
  mutant: (id: string): string => `mutant-${id}`,
  machine: (role: string): string => `machine-${role.replace(/\s+/g, '-')}`,
  req: (id: string): string => id.toLowerCase(),
  reqRow: (id: string): string => `guard-${id.toLowerCase()}`,
  vector: (file: string): string => `vector-${file.replace(/\W+/g, '-')}`,
};

/** Requirement traces with a gap: a requirement no code cites or no test names, a property no oracle cites. */
export function gaps(traces: readonly Trace[]): { readonly id: string; readonly what: string }[] {
  const out: { id: string; what: string }[] = [];
  for (const t of traces) {
    if (t.code.length === 0) out.push({ id: t.id, what: t.id.startsWith('PROP-') ? 'no oracle or check cites it' : 'no code cites it' });
    if (t.tests.length === 0 && t.id.startsWith('REQ-')) out.push({ id: t.id, what: 'no test names it' });
  }
  return out;
}

function benches(dir: string): Bench[] {
  if (!existsSync(dir)) return [];
  const out: Bench[] = [];
  for (const f of readdirSync(dir).filter((n) => /^bench.*\.(md|json)$/.test(n)).sort()) {
    const text = readFileSync(join(dir, f), 'utf8');
    if (f.endsWith('.md')) out.push({ file: f, markdown: text });
    else if (!existsSync(join(dir, f.replace(/\.json$/, '.md')))) {
      try {
        const j = JSON.parse(text) as { command?: string; results?: unknown[] };
        const rows = (j.results ?? []).map((r) => Object.fromEntries(Object.entries(r as Record<string, unknown>).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)))) as Record<string, string | number | boolean>[];
        out.push({ file: f, json: { command: j.command ?? '', rows } });
      } catch {
        out.push({ file: f, markdown: `${f} is not JSON.` });
      }
    }
  }
  return out;
}

function problems(r: AuditResult, traces: readonly Trace[], unknown: readonly Citation[]): Problem[] {
  const out: Problem[] = [];
  for (const [profile, prof] of Object.entries(r.profiles)) {
    for (const p of prof.properties) {
      const at = `#${p.holds === false ? ids.prop(profile, p.id) : 'properties'}`;
      if (p.holds === null) out.push({ text: `${p.id} ${profile}: not checked (${p.pending ?? 'no oracle'})`, href: at });
      else if (p.runs === 0) out.push({ text: `${p.id} ${profile}: checked in zero runs`, href: at });
      else if (!p.asSpecified) out.push({ text: `${p.id} ${profile}: ${p.holds ? 'holds' : 'broken'}, spec 12 says ${p.expected}`, href: at });
    }
    for (const a of prof.attacks) {
      const at = `#${a.blocked ? 'attacks' : ids.attack(profile, a.id)}`;
      if (!a.asSpecified) out.push({ text: `${a.id} ${profile}: ${a.blocked ? 'blocked' : 'broken'}, the spec says ${a.expected}`, href: at });
      if (a.realAgrees === false) out.push({ text: `${a.id} ${profile}: the real backend's verdict differs from the symbolic one`, href: at });
    }
    if (prof.generatedRuns === 0) out.push({ text: `${profile}: no generated plan ran`, href: '#properties' });
  }
  if (r.mutants.length === 0) out.push({ text: 'no mutant ran', href: '#mutants' });
  for (const m of r.mutants) {
    if (m.runs === 0) out.push({ text: `mutant ${m.id}: never run`, href: `#${ids.mutant(m.id)}` });
    else if (!m.killed) out.push({ text: `mutant ${m.id} (${m.removes}) survived: a hole in the harness`, href: `#${ids.mutant(m.id)}` });
  }
  for (const e of r.equivalentMutants) {
    if (e.refuted === true) out.push({ text: `equivalent mutant ${e.id} (${e.removes}) refuted: ${e.by ?? '?'} broke a property against it`, href: `#${ids.mutant(e.id)}` });
    else if ((e.runs ?? 0) === 0) out.push({ text: `equivalent mutant ${e.id} (${e.removes}): never hunted`, href: `#${ids.mutant(e.id)}` });
  }
  if (r.requirementTable === undefined) out.push({ text: 'the result has no requirement table (spec 12.3)', href: '#requirements' });
  for (const q of r.requirementTable ?? []) {
    if (q.status === 'gap') out.push({ text: `${q.id} (${q.properties.join(', ')} rest on it): no mutant guards it and spec 12.4 states no reason: an unexplained gap`, href: `#${ids.reqRow(q.id)}` });
    else if (q.status === 'stale') out.push({ text: `${q.id}: spec 12.4 says why no mutant guards it, but ${q.mutants.join(', ')} does`, href: `#${ids.reqRow(q.id)}` });
  }
  if (r.vectors === undefined || r.vectors.length === 0) out.push({ text: 'the result has no vector files', href: '#vectors' });
  for (const v of r.vectors ?? []) {
    if (v.cases === 0) out.push({ text: `vector file ${v.file}: zero cases`, href: `#${ids.vector(v.file)}` });
    else if (v.failed > 0) out.push({ text: `vector file ${v.file}: ${v.failed} of ${v.cases} cases fail`, href: `#${ids.vector(v.file)}` });
  }
  for (const g of gaps(traces)) out.push({ text: `traceability: ${g.id}: ${g.what}`, href: `#${ids.req(g.id)}` });
  for (const u of unknown) out.push({ text: `traceability: ${u.where} cites ${u.id}, which the spec does not define`, href: '#traceability' });
  return out;
}

/** Gathers the model of the report from a result and this checkout. */
export function reportModel(input: PageInput): ReportModel {
  const r = input.result;
  const properties = specProperties();
  const glossary: Glossary = {
    properties: new Map(properties.map((p) => [p.id, p])),
    weaknesses: new Map(specWeaknesses().map((w) => [w.id, w])),
    attacks: new Map((r.attackInfo ?? []).map((a) => [a.id, a])),
  };
  const current = gitState();
  const traces = traceability(ROOT);
  const unknown = unknownCitations(ROOT);
  const machines = COVERED_MACHINES.map(({ role, machine }) => {
    const info = describeMachine(role, machine);
    return { info, keys: transitionKeys(info), diagram: mermaid(info) };
  });
  const rel = relative(input.outDir, ROOT).split('\\').join('/');
  return {
    input,
    result: r,
    glossary,
    properties,
    current,
    otherCommit: current.commit !== r.commit,
    traces,
    unknown,
    machines,
    benches: benches(input.outDir),
    problems: problems(r, traces, unknown),
    root: rel === '' ? '' : `${rel}/`,
  };
}
