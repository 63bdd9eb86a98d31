/**
 * The audit report as one self-contained HTML page (spec 12): a header that makes the report
 * checkable, the verdict matrix, every counterexample drawn and explained, then the sections of
 * reports/page/sections.ts. A function of the model; only the generation date varies.
 */
import { readFileSync } from 'node:fs';
import type { AttackVerdict, AuditResult, PropertyResult } from '../../adversary/audit.ts';
import type { Drawn } from '../../adversary/counterexample.ts';
import { describePlan, explainAttack, explainProperty, propName, weaknessesOf } from './explain.ts';
import { diagram, esc, h, raw, type Html, type Part } from './html.ts';
import { ids, type ReportModel } from './model.ts';
import { capabilitySection, coverageSection, mutantSection, traceabilitySection, vectorAndBenchSection } from './sections.ts';

const PROFILES = ['hardened', 'compat'] as const;
const CSS = readFileSync(new URL('./page.css', import.meta.url), 'utf8');
const SCRIPT = readFileSync(new URL('./page.js', import.meta.url), 'utf8');

const short = (commit: string): string => commit.slice(0, 12);

function profilesOf(r: AuditResult): (typeof PROFILES)[number][] {
  return PROFILES.filter((p) => r.profiles[p] !== undefined);
}

function header(m: ReportModel): Html {
  const r = m.result;
  const ok = m.problems.length === 0;
  const ps = profilesOf(r);
  const first = r.profiles[ps[0]!];
  const fact = (k: string, v: Part, title?: string, wide = false): Html => h`<div${wide ? raw(' class="wide"') : ''}${title ? raw(` title="${esc(title)}"`) : ''}><span class="k">${k}</span>${v}</div>`;
  const deps = Object.entries(r.versions).filter(([k]) => k !== 'pqroom' && k !== 'node');
  return h`<header class="top"><div class="inner">
<h1>pqroom audit report <span class="verdict ${ok ? 'pass' : 'fail'}">${ok ? 'PASS: everything as the spec says' : `FAIL: ${m.problems.length} problem${m.problems.length === 1 ? '' : 's'}`}</span></h1>
<div class="facts">
${fact('pqroom', r.versions.pqroom ?? '?')}
${fact('commit', h`<span class="mono">${short(r.commit)}</span>${r.dirty ? h` <span class="label warn">dirty: uncommitted changes</span>` : ''}`, r.commit)}
${m.otherCommit ? fact('checkout', h`<span class="label bad">result from another commit</span> <span class="mono">${short(m.current.commit)}</span>${m.current.dirty ? ' (dirty)' : ''}`, 'the spec, code, machines and traceability shown are this checkout\'s') : fact('checkout', m.current.dirty ? 'the same commit, with uncommitted changes' : 'the same commit')}
${fact('node', r.versions.node ?? '?')}
${fact('machine', `${r.machine?.platform ?? '?'} ${r.machine?.release ?? ''} ${r.machine?.arch ?? ''}, ${r.machine?.cpu ?? '?'} × ${r.machine?.cores ?? '?'}, ${r.machine?.memoryGiB ?? '?'} GiB`, undefined, true)}
${fact('seed', r.seed)}
${fact('runs', `${r.runs} generated plans + ${first?.generatedLoginRuns ?? 0} login adversaries per profile`)}
${fact('profiles', ps.join(', '))}
${fact('backend', r.backend === 'both' ? 'symbolic, named attacks again on real crypto' : r.backend)}
${fact('duration', `${r.seconds} s`)}
${fact('audit run', r.startedAt ?? 'unknown')}
${fact('page generated', m.input.generatedAt)}
${fact(`SHA-256 of ${m.input.auditFile}`, h`<span class="mono">${m.input.auditSha256}</span>`, undefined, true)}
</div>
<details><summary>dependency versions (${deps.length}) and vector file hashes (${r.vectors?.length ?? 0})</summary>
<div class="facts">${deps.map(([k, v]) => fact(k, v))}</div>
<div class="facts">${(r.vectors ?? []).map((v) => fact(v.file, h`<span class="mono">${v.sha256}</span>`, undefined, true))}</div>
</details>
</div></header>`;
}

function problemBox(m: ReportModel): Html {
  const honesty = h`<p class="honesty">A property checked in zero runs, a mutant never run, a vector file with zero cases, a traceability gap or an id the spec does not define is counted here as a failure, never as a pass. A compat property that breaks is a pass when spec 12 says compat breaks it: the harness found the weakness.</p>`;
  if (m.problems.length === 0) return h`<div class="allgood"><strong>No problems.</strong> Every property came out as spec 12 says in every profile, every attack as spec 11.4 says, every mutant was killed, every vector file has cases that verify, and every requirement is cited by code and named by a test.${honesty}</div>`;
  return h`<div class="problems"><h2>Problems (${m.problems.length})</h2><ul>${m.problems.map((p) => h`<li><a href="${p.href}">${p.text}</a></li>`)}</ul>${honesty}</div>`;
}

function propCell(profile: string, p: PropertyResult | undefined): Html {
  if (!p) return h`<span class="cell absent">not run</span>`;
  if (p.holds === null) return h`<span class="cell unchecked">not checked</span> <span class="small">${p.pending ?? ''}</span>`;
  if (p.runs === 0) return h`<span class="cell unchecked">checked in 0 runs</span>`;
  const mark = p.asSpecified ? h`<span class="spec-ok">✓ as specified</span>` : h`<span class="spec-no">✗ spec: ${p.expected}</span>`;
  const partial = p.partial === undefined ? '' : h` <span class="spec-no" title="${p.partial}">only partly checked</span>`;
  if (p.holds) return h`<span class="cell holds">holds</span> <span class="small">${p.runs} runs</span> ${mark}${partial}`;
  const ce = p.counterexample!;
  return h`<a class="cell broken" href="#${ids.prop(profile, p.id)}">BROKEN</a> <span class="small">${p.runs} runs · by ${ce.attack}</span> ${mark}${partial}`;
}

function attackCell(profile: string, a: AttackVerdict | undefined): Html {
  if (!a) return h`<span class="cell absent">not run</span>`;
  const mark = a.asSpecified ? h`<span class="spec-ok">✓</span>` : h`<span class="spec-no">✗ spec: ${a.expected}</span>`;
  const real = a.realAgrees === undefined ? '' : a.realAgrees ? h` <span class="small" title="the named attack again on real ML-KEM and ML-DSA: same verdict">real ✓</span>` : h` <span class="spec-no">real backend differs</span>`;
  if (a.blocked) return h`<span class="cell holds">blocked</span> ${mark}${real}${a.detected.length > 0 ? h`<div class="small">raised ${[...new Set(a.detected)].join(', ')}</div>` : ''}`;
  return h`<a class="cell broken" href="#${ids.attack(profile, a.id)}">broken</a> ${mark}${real}<div class="small">${a.broken.join(', ')}</div>`;
}

function matrix(m: ReportModel): Html {
  const r = m.result;
  const ps = profilesOf(r);
  const specLink = `${m.root}spec/12-properties.md`;
  const propRows = m.properties.map((sp) => {
    const cells = ps.map((p) => h`<td>${propCell(p, r.profiles[p]!.properties.find((x) => x.id === sp.id))}</td>`);
    return h`<tr><td><a href="${specLink}" title="spec 12">${sp.id}</a></td><td><strong>${sp.name}</strong><div class="statement">${sp.statement}</div></td>${cells}<td class="small">${sp.compat}</td></tr>`;
  });
  const judged = new Set(m.properties.map((p) => p.id));
  const extra = ps.flatMap((p) => r.profiles[p]!.properties.filter((x) => !judged.has(x.id)).map((x) => `${x.id} (${p})`));
  const attackIds = [...new Set(ps.flatMap((p) => r.profiles[p]!.attacks.map((a) => a.id)))];
  const attackRows = attackIds.map((id) => {
    const info = m.glossary.attacks.get(id);
    const cells = ps.map((p) => h`<td>${attackCell(p, r.profiles[p]!.attacks.find((x) => x.id === id))}</td>`);
    return h`<tr><td><a href="${m.root}spec/11-threat-model.md" title="spec 11.4">${id}</a></td><td>${info?.title ?? ''}<div class="small">targets ${info?.props.map((p) => propName(m.glossary, p)).join(', ') ?? '?'}</div></td><td>${info?.weakness ?? '?'}</td>${cells}</tr>`;
  });
  const pending = Object.entries(r.pendingAttacks);
  return h`<h2 id="properties">Properties × profiles <span class="small">(spec 12)</span></h2>
<p class="small">Each property is judged by an oracle after every step of every run that checks it; "runs" counts those runs (named attacks and generated plans). Hardened must hold everything; compat must break what spec 12 lists as broken, with a replayable counterexample.</p>
<table><thead><tr><th>id</th><th>property</th>${ps.map((p) => h`<th>${p}</th>`)}<th>spec 12: compat</th></tr></thead><tbody>${propRows}</tbody></table>
${extra.length > 0 ? h`<p class="spec-no">The result judges properties spec 12 does not define: ${extra.join(', ')}</p>` : ''}
<h2 id="attacks">Attacks × profiles <span class="small">(spec 11.4)</span></h2>
<p class="small">Every named attack runs in both profiles. Hardened must block it (honest parties refuse or raise an alarm, with the requirement id shown); in compat it breaks what it targets unless spec 12 says compat keeps that property.</p>
<table><thead><tr><th>id</th><th>attack</th><th>seed weakness</th>${ps.map((p) => h`<th>${p}</th>`)}</tr></thead><tbody>${attackRows}</tbody></table>
${pending.length > 0 ? h`<p>Not run yet: ${pending.map(([id, why]) => h`<strong>${id}</strong> ${why}; `)}</p>` : ''}`;
}

function drawnParts(m: ReportModel, name: string, ce: Drawn, replay: string | undefined, weak: readonly string[], steps: readonly string[]): Html {
  return h`${weak.length > 0 ? weak.map((w) => h`<div class="weak"><strong>Seed weakness</strong> ${w}</div>`) : h`<div class="weak">No seed weakness: the seeds do not name this one (spec 11.4).</div>`}
${steps.length > 0 ? h`<p><strong>The shrunk plan</strong></p><ol>${steps.map((s) => h`<li>${s}</li>`)}</ol>` : ''}
<div class="cols"><div><p><strong>Violations</strong></p><ul>${ce.violations.map((v) => h`<li><span class="mono">${v.t} ms</span> ${propName(m.glossary, v.prop)} at ${v.party}: ${v.detail}</li>`)}${ce.moreViolations > 0 ? h`<li>… and ${ce.moreViolations} more in the trace</li>` : ''}</ul></div>
<div><p><strong>The adversary's moves</strong></p>${ce.moves.length === 0 ? h`<p class="small">none recorded in the trace</p>` : h`<ul>${ce.moves.map((x) => h`<li class="mono">${x}</li>`)}${ce.moreMoves > 0 ? h`<li>… and ${ce.moreMoves} more</li>` : ''}</ul>`}</div></div>
<p><strong>Reproduce it</strong> in the folder of audit.json (the trace is <span class="mono">${ce.trace}</span> there, replayed byte for byte):</p><code class="replay">${replay ?? ''}</code>
<p class="small">The run up to the violation (the last lines before it; the violation is highlighted):</p>
${diagram(name, ce.diagram)}`;
}

function counterexamples(m: ReportModel): Html {
  const r = m.result;
  const cards: Html[] = [];
  for (const profile of profilesOf(r)) {
    const prof = r.profiles[profile]!;
    for (const p of prof.properties.filter((x) => x.holds === false && x.counterexample)) {
      const ce = p.counterexample!;
      const sp = m.glossary.properties.get(p.id);
      cards.push(h`<section class="card ${profile}" id="${ids.prop(profile, p.id)}"><div class="head"><h3>${p.id} ${sp?.name ?? ''}</h3> · ${profile} · broken ${p.asSpecified ? h`<span class="spec-ok">✓ as spec 12 says</span>` : h`<span class="spec-no">✗ spec 12 says it holds</span>`}</div><div class="body">
${explainProperty(m.glossary, r, profile, p).map((t) => h`<p>${t}</p>`)}
${drawnParts(m, `${profile} ${p.id}`, ce, ce.replay, weaknessesOf(m.glossary, ce.attack, p.id), ce.attack.startsWith('generated') ? describePlan(ce.plan, ce.loginPlan) : [])}
</div></section>`);
    }
  }
  const attackCards: Html[] = [];
  for (const profile of profilesOf(r)) {
    for (const a of r.profiles[profile]!.attacks.filter((x) => !x.blocked)) {
      const info = m.glossary.attacks.get(a.id);
      attackCards.push(h`<section class="card ${profile}" id="${ids.attack(profile, a.id)}"><div class="head"><h3>${a.id}</h3> ${info?.title ?? ''} · ${profile} · broke ${a.broken.join(', ')} ${a.asSpecified ? h`<span class="spec-ok">✓ as specified</span>` : h`<span class="spec-no">✗ not as specified</span>`}</div><div class="body">
${explainAttack(m.glossary, r, profile, a).map((t) => h`<p>${t}</p>`)}
${a.findings && a.findings.length > 0 ? h`<p><strong>What else the attack achieved:</strong> ${a.findings.join('; ')}</p>` : ''}
${a.counterexample ? drawnParts(m, `${profile} ${a.id}`, a.counterexample, a.replay, weaknessesOf(m.glossary, a.id, a.counterexample.violation.prop), []) : h`<p class="spec-no">No counterexample was saved for this run.</p>`}
</div></section>`);
    }
  }
  return h`<h2 id="counterexamples">Counterexamples</h2>
<p class="small">Every broken property and every broken attack, with the run that shows it: what the adversary did, what went wrong, the seed weakness it demonstrates, and the command that reproduces it. Diagrams show the parties, the frames (a cross is a lost frame), the adversary's moves on the relay, epochs, alarms and rejections.</p>
<h3 id="broken-properties">Broken properties (${cards.length})</h3>${cards.length === 0 ? h`<p>None.</p>` : cards}
<h3 id="broken-attacks">Broken attacks (${attackCards.length})</h3>${attackCards.length === 0 ? h`<p>None.</p>` : attackCards}`;
}

/** The whole page. */
export function renderPage(m: ReportModel): string {
  const body = h`${header(m)}
<main>
<nav class="toc"><a href="#properties">Properties</a><a href="#attacks">Attacks</a><a href="#counterexamples">Counterexamples</a><a href="#mutants">Mutants</a><a href="#coverage">Machine coverage</a><a href="#traceability">Traceability</a><a href="#capabilities">Capabilities</a><a href="#vectors">Vectors</a><a href="#benchmarks">Benchmarks</a></nav>
${problemBox(m)}
${matrix(m)}
${counterexamples(m)}
${mutantSection(m)}
${coverageSection(m)}
${traceabilitySection(m)}
${capabilitySection(m)}
${vectorAndBenchSection(m)}
<footer>Generated by <span class="mono">pqroom report</span> from ${m.input.auditFile} (SHA-256 <span class="mono">${m.input.auditSha256}</span>). Regenerate with <span class="mono">npx pqroom report --in ${m.input.auditFile} --out DIR</span>. Diagrams are drawn by Mermaid ${m.result.versions.mermaid ?? ''} from mermaid.min.js beside this page; nothing is loaded from the network.</footer>
</main>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'unsafe-inline' file:; style-src 'unsafe-inline'; img-src data:; font-src data:">
<title>pqroom audit ${esc(short(m.result.commit))}: ${m.problems.length === 0 ? 'PASS' : `FAIL (${m.problems.length})`}</title>
<style>
${CSS}</style>
</head>
<body>
${body.html}
<script src="mermaid.min.js"></script>
<script>
${SCRIPT}</script>
</body>
</html>
`;
}
