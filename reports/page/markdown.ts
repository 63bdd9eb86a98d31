/**
 * audit.md: the audit report (spec 12) for a terminal or a pull request, with the page's content
 * as text: names and statements, every counterexample described, mutants, coverage, traceability
 * errors, capabilities, vectors and benchmarks. A function of the model, like the page.
 */
import type { AttackVerdict, PropertyResult } from '../../adversary/audit.ts';
import { capabilityTable } from '../../adversary/capabilities.ts';
import type { Drawn } from '../../adversary/counterexample.ts';
import { describePlan, explainAttack, explainProperty, propName, weaknessesOf } from './explain.ts';
import { gaps, type ReportModel } from './model.ts';

const PROFILES = ['hardened', 'compat'] as const;

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const row = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
const tableMd = (head: readonly string[], rows: readonly (readonly string[])[]): string => [row(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(row)].join('\n');

function propText(p: PropertyResult | undefined): string {
  if (!p) return 'not run';
  if (p.holds === null) return `NOT CHECKED ✗ ${p.pending ?? ''}`;
  if (p.runs === 0) return 'CHECKED IN 0 RUNS ✗';
  const mark = p.asSpecified ? '✓' : `✗ spec: ${p.expected}`;
  const partial = p.partial === undefined ? '' : ` (only partly checked: ${p.partial})`;
  return p.holds ? `holds (${p.runs} runs) ${mark}${partial}` : `BROKEN by ${p.counterexample?.attack ?? '?'} (seed ${p.counterexample?.seed ?? '?'}) ${mark}${partial}`;
}

function attackText(a: AttackVerdict | undefined): string {
  if (!a) return 'not run';
  const mark = a.asSpecified ? '✓' : `✗ spec: ${a.expected}`;
  const real = a.realAgrees === false ? ' (REAL BACKEND DIFFERS)' : '';
  return a.blocked ? `blocked ${mark}${a.detected.length > 0 ? ` (raised ${[...new Set(a.detected)].join(', ')})` : ''}${real}` : `broken: ${a.broken.join(', ')} ${mark}${real}`;
}

function drawnMd(m: ReportModel, ce: Drawn, replay: string | undefined, weak: readonly string[], steps: readonly string[]): string[] {
  return [
    ...(weak.length > 0 ? weak.map((w) => `- Seed weakness ${w}`) : ['- Seed weakness: none; the seeds do not name this one (spec 11.4).']),
    ...(steps.length > 0 ? ['- The shrunk plan:', ...steps.map((s, i) => `  ${i + 1}. ${s}`)] : []),
    '- Violations:',
    ...ce.violations.map((v) => `  - ${v.t} ms, ${propName(m.glossary, v.prop)} at ${v.party}: ${v.detail}`),
    ...(ce.moreViolations > 0 ? [`  - and ${ce.moreViolations} more in the trace`] : []),
    ...(ce.moves.length > 0 ? ["- The adversary's moves:", ...ce.moves.map((x) => `  - ${x}`), ...(ce.moreMoves > 0 ? [`  - and ${ce.moreMoves} more`] : [])] : []),
    `- Reproduce it, in the folder of audit.json: \`${replay ?? ''}\` (trace \`${ce.trace}\`)`,
  ];
}

function counterexamplesMd(m: ReportModel): string[] {
  const r = m.result;
  const out: string[] = ['## Counterexamples', ''];
  for (const profile of PROFILES) {
    for (const p of r.profiles[profile]?.properties.filter((x) => x.holds === false && x.counterexample) ?? []) {
      const ce = p.counterexample!;
      out.push(`### ${p.id} ${m.glossary.properties.get(p.id)?.name ?? ''} (${profile})`, '');
      for (const t of explainProperty(m.glossary, r, profile, p)) out.push(t, '');
      out.push(...drawnMd(m, ce, ce.replay, weaknessesOf(m.glossary, ce.attack, p.id), ce.attack.startsWith('generated') ? describePlan(ce.plan, ce.loginPlan) : []), '');
    }
  }
  for (const profile of PROFILES) {
    for (const a of r.profiles[profile]?.attacks.filter((x) => !x.blocked) ?? []) {
      out.push(`### ${a.id} ${m.glossary.attacks.get(a.id)?.title ?? ''} (${profile})`, '');
      for (const t of explainAttack(m.glossary, r, profile, a)) out.push(t, '');
      if (a.findings && a.findings.length > 0) out.push(`What else the attack achieved: ${a.findings.join('; ')}`, '');
      if (a.counterexample) out.push(...drawnMd(m, a.counterexample, a.replay, weaknessesOf(m.glossary, a.id, a.counterexample.violation.prop), []), '');
    }
  }
  return out;
}

/** The whole of audit.md. */
export function renderMarkdown(m: ReportModel): string {
  const r = m.result;
  const ps = PROFILES.filter((p) => r.profiles[p] !== undefined);
  const first = r.profiles[ps[0]!];
  const out: string[] = [];
  out.push(`# pqroom audit: ${m.problems.length === 0 ? 'PASS' : `FAIL (${m.problems.length} problem${m.problems.length === 1 ? '' : 's'})`}`, '');
  out.push(
    tableMd(
      ['', ''],
      [
        ['pqroom', r.versions.pqroom ?? '?'],
        ['commit', `${r.commit}${r.dirty ? ' (dirty: uncommitted changes)' : ''}`],
        ...(m.otherCommit ? [['checkout', `RESULT FROM ANOTHER COMMIT: this checkout is ${m.current.commit}${m.current.dirty ? ' (dirty)' : ''}`]] : []),
        ['node', r.versions.node ?? '?'],
        ['machine', `${r.machine?.platform ?? '?'} ${r.machine?.release ?? ''} ${r.machine?.arch ?? ''}, ${r.machine?.cpu ?? '?'} × ${r.machine?.cores ?? '?'}, ${r.machine?.memoryGiB ?? '?'} GiB`],
        ['seed', String(r.seed)],
        ['runs', `${r.runs} generated plans + ${first?.generatedLoginRuns ?? 0} login adversaries per profile`],
        ['profiles', ps.join(', ')],
        ['backend', r.backend],
        ['duration', `${r.seconds} s`],
        ['audit run', r.startedAt ?? 'unknown'],
        ['report generated', m.input.generatedAt],
        [`SHA-256 of ${m.input.auditFile}`, m.input.auditSha256],
        ['dependencies', Object.entries(r.versions).filter(([k]) => k !== 'pqroom' && k !== 'node').map(([k, v]) => `${k} ${v}`).join(', ')],
      ],
    ),
    '',
  );
  out.push(m.problems.length === 0 ? '**No problems.** Everything came out as the spec says.' : `## Problems (${m.problems.length})\n\n${m.problems.map((p) => `- ${p.text}`).join('\n')}`, '');
  out.push('A property checked in zero runs, a mutant never run, a vector file with zero cases, a traceability gap or an id the spec does not define is counted as a failure, never as a pass. A compat property that breaks is a pass when spec 12 says compat breaks it.', '');
  out.push('The same report as a page: `index.html` (open it from disk; it needs `mermaid.min.js` beside it). As JUnit XML: `junit.xml`. Machine-readable: `audit.json`.', '');
  out.push('## Properties × profiles (spec 12)', '');
  out.push(tableMd(['id', 'property', ...ps, 'spec 12: compat'], m.properties.map((sp) => [sp.id, `**${sp.name}**: ${sp.statement}`, ...ps.map((p) => propText(r.profiles[p]!.properties.find((x) => x.id === sp.id))), sp.compat])), '');
  out.push('## Attacks × profiles (spec 11.4)', '');
  const attackIds = [...new Set(ps.flatMap((p) => r.profiles[p]!.attacks.map((a) => a.id)))];
  out.push(tableMd(['id', 'attack', 'weakness', ...ps], attackIds.map((id) => [id, m.glossary.attacks.get(id)?.title ?? '', m.glossary.attacks.get(id)?.weakness ?? '', ...ps.map((p) => attackText(r.profiles[p]!.attacks.find((x) => x.id === id)))])), '');
  for (const [id, why] of Object.entries(r.pendingAttacks)) out.push(`- ${id} not run yet: ${why}`);
  out.push(...counterexamplesMd(m));
  out.push('## Mutants (spec 12.2)', '');
  out.push(`Mutation score ${(r.mutationScore * 100).toFixed(0)}% (${r.mutants.filter((x) => x.killed).length} of ${r.mutants.length}).`, '');
  out.push(tableMd(['mutant', 'removes', 'the check', 'result', 'killed by → property', 'runs', 'time to kill'], r.mutants.map((x) => [x.id, x.removes, x.check ?? '', x.runs === 0 ? 'NEVER RUN' : x.killed ? 'killed' : 'SURVIVED', x.by ?? '–', String(x.runs ?? '?'), x.ms === undefined ? '?' : `${(x.ms / 1000).toFixed(1)} s`])), '');
  out.push('Equivalent mutants (a second check stops the same attacks; kept out of the score; each hunted with every named attack, a property broken refutes the claim):', '');
  for (const x of r.equivalentMutants)
    out.push(`- ${x.id} (${x.removes}: ${x.check ?? ''}): ${x.stoppedBy} stops ${x.attack ?? 'the same attack'} instead; ${x.why}. ${x.refuted === true ? `**REFUTED** by ${x.by ?? '?'}: ${x.detail ?? ''}` : (x.runs ?? 0) === 0 ? '**NEVER HUNTED**' : `Hunted: ${x.runs} runs on seeds ${(x.seeds ?? []).join(', ')}, no property broken.`}`);
  out.push('', 'Requirements the properties rest on (spec 12.3), and what guards each check (spec 12.4 states why some have no mutant; an unexplained gap is a failure):', '');
  out.push(
    tableMd(
      ['requirement', 'properties', 'guarded by'],
      (r.requirementTable ?? []).map((q) => [
        q.id,
        q.properties.join(', '),
        q.status === 'mutant' ? `mutant ${q.mutants.join(', ')}` : q.status === 'equivalent' ? `equivalent ${q.equivalent!.id} (${q.equivalent!.stoppedBy})` : q.status === 'reason' ? `no mutant: ${q.reason ?? ''}` : q.status === 'stale' ? `STALE REASON: mutant ${q.mutants.join(', ')} guards it` : 'UNEXPLAINED GAP',
      ]),
    ),
    '',
  );
  out.push('', '## Coverage of the role machines', '');
  out.push(
    tableMd(
      ['machine', ...ps, 'never entered or taken in any profile'],
      m.machines.map((v) => {
        const covs = ps.map((p) => r.profiles[p]!.coverage?.find((c) => c.role === v.info.role));
        const never = [...v.info.states.filter((s) => covs.every((c) => !c || (c.states[s] ?? 0) === 0)).map((s) => `state ${s}`), ...v.keys.filter((k) => covs.every((c) => !c || (c.transitions[k] ?? 0) === 0))];
        return [v.info.role, ...covs.map((c) => (c ? `${v.info.states.filter((s) => (c.states[s] ?? 0) > 0).length}/${v.info.states.length} states, ${v.keys.filter((k) => (c.transitions[k] ?? 0) > 0).length}/${v.keys.length} transitions` : 'not recorded')), never.join('; ') || '–'];
      }),
    ),
    '',
  );
  const gs = gaps(m.traces);
  const reqs = m.traces.filter((t) => t.id.startsWith('REQ-'));
  out.push('## Requirement traceability', '');
  out.push(`${reqs.length} requirements: ${reqs.filter((t) => t.code.length > 0).length} cited by code, ${reqs.filter((t) => t.tests.length > 0).length} named by tests; ${m.traces.length - reqs.length} properties, each judged by the campaign. Every row: \`traceability.md\`.`, '');
  out.push(gs.length + m.unknown.length === 0 ? 'No gaps, and no unknown ids.' : ['Errors:', ...gs.map((g) => `- ${g.id}: ${g.what}`), ...m.unknown.map((u) => `- ${u.where} cites ${u.id}, which the spec does not define`)].join('\n'), '');
  out.push("## The adversary's capabilities (spec 11.2)", '', capabilityTable(), '');
  out.push('## Conformance vectors', '');
  out.push((r.vectors ?? []).length === 0 ? 'The result has no vector summary (a failure).' : tableMd(['file', 'cases', 'passed', 'failed', 'SHA-256'], (r.vectors ?? []).map((v) => [v.file, String(v.cases), String(v.passed), String(v.failed), v.sha256])), '');
  out.push('## Benchmarks', '');
  if (m.benches.length === 0) out.push('No benchmark results beside this result.', '');
  for (const b of m.benches) {
    out.push(`### ${b.file}`, '');
    if (b.markdown !== undefined) out.push(b.markdown.replace(/^#+ .*\n+/gm, '').trim(), '');
    else {
      const cols = [...new Set((b.json?.rows ?? []).flatMap((x) => Object.keys(x)))];
      out.push(`\`${b.json?.command ?? ''}\``, '', tableMd(cols, (b.json?.rows ?? []).map((x) => cols.map((c) => (typeof x[c] === 'number' && !Number.isInteger(x[c]) ? (x[c] as number).toFixed(2) : String(x[c] ?? ''))))), '');
    }
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
