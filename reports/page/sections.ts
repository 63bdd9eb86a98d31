/**
 * The later sections of the audit report page (spec 12.2, 11.2, 1): mutants, machine coverage,
 * requirement traceability, the adversary's capabilities, the conformance vectors and the latest
 * benchmark results.
 */
import { CAPABILITIES } from '../../adversary/capabilities.ts';
import type { MachineCoverage } from '../../adversary/coverage.ts';
import { diagram, h, table, type Html, type Part } from './html.ts';
import { gaps, ids, type MachineView, type ReportModel } from './model.ts';

const PROFILES = ['hardened', 'compat'] as const;

function profilesOf(m: ReportModel): (typeof PROFILES)[number][] {
  return PROFILES.filter((p) => m.result.profiles[p] !== undefined);
}

const reqLink = (id: string): Html => h`<a class="nowrap" href="#${ids.req(id)}">${id}</a>`;

/** Mutants (spec 12.2): what each removes, what killed it and how fast; the equivalent ones with their argument. */
export function mutantSection(m: ReportModel): Html {
  const r = m.result;
  const killed = r.mutants.filter((x) => x.killed).length;
  const rows = r.mutants.map((x) => {
    const status = x.runs === 0 ? h`<span class="cell unchecked">never run</span>` : x.killed ? h`<span class="cell holds">killed</span>` : h`<span class="cell unchecked">SURVIVED</span>`;
    return h`<tr id="${ids.mutant(x.id)}"><td class="mono">${x.id}</td><td>${reqLink(x.removes)}</td><td>${x.check ?? ''}</td><td>${status}</td><td>${x.by ?? '–'}${x.detail ? h`<div class="small">${x.detail}</div>` : ''}${x.refused !== undefined && x.refused.length > 0 ? h`<div class="small">not counted as kills (stalled or threw): ${x.refused.join('; ')}</div>` : ''}</td><td class="num">${x.runs ?? '?'}</td><td class="num">${x.ms === undefined ? '?' : `${(x.ms / 1000).toFixed(1)} s`}</td><td>${x.replay ? h`<code class="small">${x.replay}</code>` : '–'}</td></tr>`;
  });
  const hunted = (x: ReportModel['result']['equivalentMutants'][number]): Part =>
    x.refuted === true ? h`<span class="cell unchecked">REFUTED</span> by ${x.by ?? '?'}<div class="small">${x.detail ?? ''}</div>${x.replay ? h`<code class="small">${x.replay}</code>` : ''}` : (x.runs ?? 0) === 0 ? h`<span class="cell unchecked">never hunted</span>` : `holds: ${x.runs} runs on seeds ${(x.seeds ?? []).join(', ')}, no property broken`;
  const eq = r.equivalentMutants.map((x) => [h`<span class="mono" id="${ids.mutant(x.id)}">${x.id}</span>`, reqLink(x.removes), x.check ?? '', x.attack ?? '', reqLink(x.stoppedBy), x.why, hunted(x)] as Part[]);
  return h`<h2 id="mutants">Mutants <span class="small">(spec 12.2)</span></h2>
<p>Each mutant is the hardened profile with one requirement's check switched off; the harness must make some property fail against it (for the mutant's first killer, the property it pins); a run that stalled or threw is never a kill. <strong>Mutation score ${(r.mutationScore * 100).toFixed(0)}%</strong> (${killed} of ${r.mutants.length} killed).</p>
<table><thead><tr><th>mutant</th><th>removes</th><th>the check</th><th>result</th><th>killed by → property</th><th class="num">runs</th><th class="num">time to kill</th><th>replay (in the folder of audit.json)</th></tr></thead><tbody>${rows}</tbody></table>
<h3>Equivalent mutants</h3><p class="small">A second check stops every attack that would get through the first, so no property can tell these from the hardened profile; kept out of the score. The claim is hunted in every audit with every named attack on the campaign's seeds: a property broken refutes it, and that is a failure.</p>
${eq.length === 0 ? h`<p>None.</p>` : table(['mutant', 'removes', 'the check', 'shown by', 'stopped instead by', 'why', 'hunt'], eq)}
${requirementSection(m)}`;
}

/** The requirement → mutant table (spec 12.3, 12.4): what guards each check a property rests on; an unexplained gap is a failure. */
function requirementSection(m: ReportModel): Html {
  const rows = m.result.requirementTable ?? [];
  const guard = (q: (typeof rows)[number]): Part => {
    if (q.status === 'mutant') return h`<span class="cell holds">mutant</span> ${q.mutants.map((id) => h`<a class="mono" href="#${ids.mutant(id)}">${id}</a> `)}`;
    if (q.status === 'equivalent') return h`<span class="cell holds">equivalent</span> <a class="mono" href="#${ids.mutant(q.equivalent!.id)}">${q.equivalent!.id}</a>: ${reqLink(q.equivalent!.stoppedBy)} stops the same attacks`;
    if (q.status === 'reason') return h`<span class="cell holds">no mutant</span> ${q.reason ?? ''}`;
    if (q.status === 'stale') return h`<span class="cell unchecked">STALE REASON</span> mutant ${q.mutants.join(', ')} guards it, yet spec 12.4 says: ${q.reason ?? ''}`;
    return h`<span class="cell unchecked">UNEXPLAINED GAP</span> no mutant, no equivalent, no reason in spec 12.4`;
  };
  const body = rows.map((q) => h`<tr id="${ids.reqRow(q.id)}"><td>${reqLink(q.id)}</td><td>${q.properties.join(', ')}</td><td>${guard(q)}</td></tr>`);
  return h`<h3 id="requirements">Requirements the properties rest on <span class="small">(spec 12.3, 12.4)</span></h3>
<p class="small">Every requirement whose check a property rests on, with the mutants that switch the check off, its equivalent mutant, or the reason spec 12.4 states why it has none. A requirement with none of these is an unexplained gap: the audit fails.</p>
${rows.length === 0 ? h`<p><span class="cell unchecked">no requirement table in this result</span></p>` : h`<table><thead><tr><th>requirement</th><th>properties resting on it</th><th>guarded by</th></tr></thead><tbody>${body}</tbody></table>`}`;
}

function countCell(n: number | undefined): Html {
  if (n === undefined) return h`<td class="num small">–</td>`;
  return h`<td class="num">${n}</td>`;
}

function coverageOf(m: ReportModel, profile: string, role: string): MachineCoverage | undefined {
  return m.result.profiles[profile as 'hardened']?.coverage?.find((c) => c.role === role);
}

function machineCard(m: ReportModel, v: MachineView): Html {
  const ps = profilesOf(m);
  const covs = ps.map((p) => coverageOf(m, p, v.info.role));
  const recorded = covs.some((c) => c !== undefined);
  const total = (get: (c: MachineCoverage) => number | undefined): number => covs.reduce((s, c) => s + (c ? (get(c) ?? 0) : 0), 0);
  const unvisitedStates = v.info.states.filter((s) => total((c) => c.states[s]) === 0);
  const untaken = v.keys.filter((k) => total((c) => c.transitions[k]) === 0);
  const stateRows = v.info.states.map((s) => h`<tr${recorded && total((c) => c.states[s]) === 0 ? h` class="unvisited"` : ''}><td class="mono">${s}</td>${covs.map((c) => countCell(c?.states[s]))}</tr>`);
  const tRows = v.info.transitions.map((t, i) => {
    const k = v.keys[i]!;
    return h`<tr${recorded && total((c) => c.transitions[k]) === 0 ? h` class="unvisited"` : ''}><td class="mono">${t.source}</td><td>${t.event}</td><td class="mono">${t.guard ?? ''}</td><td class="mono">${t.target ?? '(stays)'}</td>${covs.map((c) => countCell(c?.transitions[k]))}</tr>`;
  });
  const known = new Set(v.keys);
  const stale = covs.flatMap((c) => Object.keys(c?.transitions ?? {}).filter((k) => !known.has(k)));
  const styled = recorded && unvisitedStates.length > 0 ? `${v.diagram}\n  classDef unvisited fill:#fff8c5,stroke:#9a6700,stroke-width:2px\n${unvisitedStates.filter((s) => v.info.initialChild[s] === undefined).map((s) => `  class ${s.replace(/[^A-Za-z0-9_]/g, '_')} unvisited`).join('\n')}` : v.diagram;
  return h`<section class="card" id="${ids.machine(v.info.role)}"><div class="head"><h3>${v.info.role}</h3> <span class="mono small">${v.info.id}</span> · ${recorded ? `${v.info.states.length - unvisitedStates.length} of ${v.info.states.length} states entered, ${v.keys.length - untaken.length} of ${v.keys.length} transitions taken` : 'no coverage recorded in this result'}</div><div class="body">
${diagram(`machine ${v.info.role}`, styled)}
${stale.length > 0 ? h`<p class="spec-no">The result counts transitions this checkout's machine does not have (a result from another commit): ${stale.join('; ')}</p>` : ''}
<div class="cols"><div><table><thead><tr><th>state</th>${ps.map((p) => h`<th class="num">${p}</th>`)}</tr></thead><tbody>${stateRows}</tbody></table></div>
<div><p class="small">States count entries (at a start, or by a transition from outside them); transitions count how often they were taken, a targetless one handling its event in place. Highlighted: never in this campaign, in any profile.</p>${covs.map((c, i) => h`<p class="small">${ps[i]!}: ${c ? `${c.starts} machines started` : 'not recorded'}</p>`)}</div></div>
<details class="more" open><summary>transitions (${v.keys.length}, ${untaken.length} never taken)</summary><table><thead><tr><th>from</th><th>event</th><th>guard</th><th>to</th>${ps.map((p) => h`<th class="num">${p}</th>`)}</tr></thead><tbody>${tRows}</tbody></table></details>
</div></section>`;
}

/** Coverage of the role machines: every state and transition of the definitions, how often the campaign took it. */
export function coverageSection(m: ReportModel): Html {
  const ps = profilesOf(m);
  const summary = m.machines.map((v) => {
    const cells = ps.map((p) => {
      const c = coverageOf(m, p, v.info.role);
      if (!c) return h`<td class="small">not recorded</td>`;
      const s = v.info.states.filter((x) => (c.states[x] ?? 0) > 0).length;
      const t = v.keys.filter((k) => (c.transitions[k] ?? 0) > 0).length;
      return h`<td><span class="bar${t === 0 ? ' empty' : ''}" style="width:${Math.round((60 * t) / Math.max(1, v.keys.length))}px"></span>${s}/${v.info.states.length} states, ${t}/${v.keys.length} transitions</td>`;
    });
    return h`<tr><td><a href="#${ids.machine(v.info.role)}">${v.info.role}</a></td>${cells}</tr>`;
  });
  return h`<h2 id="coverage">Coverage of the role machines <span class="small">(spec 6.10, 7.10, 8.11, 9)</span></h2>
<p class="small">Counted over the named attacks and generated plans of each profile (not the mutant hunts or the real-backend re-runs), against the machine definitions of this checkout. Unvisited states and transitions are highlighted; they are not failures, but they are what the campaign does not exercise.</p>
<table><thead><tr><th>machine</th>${ps.map((p) => h`<th>${p}</th>`)}</tr></thead><tbody>${summary}</tbody></table>
${m.machines.map((v) => machineCard(m, v))}`;
}

function places(m: ReportModel, xs: readonly string[]): Html {
  const link = (w: string): Html => h`<a class="mono" href="${m.root}${w.replace(/:\d+$/, '')}">${w}</a>`;
  if (xs.length === 0) return h`<span class="spec-no">none</span>`;
  if (xs.length <= 3) return h`${xs.map((w, i) => h`${i > 0 ? h`<br>` : ''}${link(w)}`)}`;
  return h`${xs.slice(0, 3).map((w, i) => h`${i > 0 ? h`<br>` : ''}${link(w)}`)}<details class="more"><summary>+${xs.length - 3} more</summary>${xs.slice(3).map((w) => h`${link(w)}<br>`)}</details>`;
}

/** Requirement traceability (what `pqroom traceability` computes), gaps and unknown ids as errors. */
export function traceabilitySection(m: ReportModel): Html {
  const reqs = m.traces.filter((t) => t.id.startsWith('REQ-'));
  const props = m.traces.filter((t) => t.id.startsWith('PROP-'));
  const gs = gaps(m.traces);
  const gapIds = new Set(gs.map((g) => g.id));
  const verdict = (id: string): Part => profilesOf(m).map((p) => {
    const x = m.result.profiles[p]!.properties.find((y) => y.id === id);
    return x ? h`<div class="small">${p}: ${x.holds === null ? 'not checked' : x.holds ? `holds (${x.runs} runs)` : 'broken'}</div>` : '';
  });
  const rows = m.traces.map((t) => h`<tr id="${ids.req(t.id)}"${gapIds.has(t.id) ? h` class="gap"` : ''}><td class="mono">${t.id}</td><td><a href="${m.root}spec/${t.file}">${t.file.replace(/\.md$/, '')}</a></td><td>${t.summary}</td><td>${places(m, t.code)}</td><td>${t.tests.length === 0 && t.id.startsWith('PROP-') ? h`<span class="small">no test names it; the campaign checks it</span>${verdict(t.id)}` : places(m, t.tests)}${t.id.startsWith('PROP-') && t.tests.length > 0 ? verdict(t.id) : ''}</td></tr>`);
  return h`<h2 id="traceability">Requirement traceability <span class="small">(spec 1)</span></h2>
<p>${reqs.length} requirements: ${reqs.filter((t) => t.code.length > 0).length} cited by code, ${reqs.filter((t) => t.tests.length > 0).length} named by tests. ${props.length} properties: ${props.filter((t) => t.code.length > 0).length} cited by an oracle or check, ${props.filter((t) => t.tests.length > 0).length} named by tests (each is also judged by the campaign above). Computed from this checkout's spec and sources, as <span class="mono">pqroom traceability</span> does.</p>
${gs.length + m.unknown.length === 0 ? h`<p class="spec-ok">No gaps, and no unknown ids.</p>` : h`<div class="problems"><h2>Errors (${gs.length + m.unknown.length})</h2><ul>${gs.map((g) => h`<li><a href="#${ids.req(g.id)}">${g.id}</a>: ${g.what}</li>`)}${m.unknown.map((u) => h`<li>${u.where} cites ${u.id}, which the spec does not define</li>`)}</ul></div>`}
<details class="more"><summary>every requirement and property (${m.traces.length})</summary>
<table><thead><tr><th>id</th><th>spec</th><th>summary</th><th>code</th><th>tests</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

/** The adversary's capabilities (spec 11.2). */
export function capabilitySection(m: ReportModel): Html {
  return h`<h2 id="capabilities">The adversary's capabilities <span class="small">(spec 11.2)</span></h2>
${table(['id', 'capability', 'exercised by', 'not yet exercised'], CAPABILITIES.map((c) => [h`<a class="mono" href="${m.root}spec/11-threat-model.md">${c.id}</a>`, c.name, h`<ul>${c.via.map((x) => h`<li>${x}</li>`)}</ul>`, c.pending ?? '–']))}`;
}

/** Minimal Markdown for benchmark reports: headings, tables, paragraphs, inline code. */
export function markdownHtml(md: string): Html {
  const inline = (s: string): Html => h`${s.split(/(`[^`]*`)/).map((p) => (p.startsWith('`') && p.endsWith('`') && p.length > 1 ? h`<code>${p.slice(1, -1)}</code>` : p))}`;
  const out: Html[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim().startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i]!.trim().startsWith('|'); i++) {
        const cells = lines[i]!.trim().slice(1, -1).split('|').map((c) => c.trim());
        if (!cells.every((c) => /^:?-+:?$/.test(c))) rows.push(cells);
      }
      i--;
      const [head, ...body] = rows;
      out.push(h`<table><thead><tr>${(head ?? []).map((c) => h`<th>${inline(c)}</th>`)}</tr></thead><tbody>${body.map((r) => h`<tr>${r.map((c) => h`<td>${inline(c)}</td>`)}</tr>`)}</tbody></table>`);
    } else if (/^#+ /.test(l)) out.push(h`<h4>${inline(l.replace(/^#+ /, ''))}</h4>`);
    else if (l.trim() !== '') out.push(h`<p>${inline(l)}</p>`);
  }
  return h`${out}`;
}

/** The conformance vectors as the audit verified them, and the benchmark results beside the result. */
export function vectorAndBenchSection(m: ReportModel): Html {
  const vs = m.result.vectors ?? [];
  const rows = vs.map((v) => h`<tr id="${ids.vector(v.file)}"${v.cases === 0 || v.failed > 0 ? h` class="gap"` : ''}><td class="mono">${v.file}</td><td class="num">${v.cases}</td><td class="num">${v.passed}</td><td class="num">${v.failed}</td><td class="mono small">${v.sha256}</td></tr>`);
  const cases = vs.reduce((s, v) => s + v.cases, 0);
  const bench = m.benches.map((b) => {
    if (b.markdown !== undefined) return h`<h3>${b.file}</h3>${markdownHtml(b.markdown)}`;
    const cols = [...new Set((b.json?.rows ?? []).flatMap((r) => Object.keys(r)))];
    const fmt = (x: string | number | boolean | undefined): string => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(2)) : x === undefined ? '' : String(x));
    return h`<h3>${b.file}</h3><p class="mono small">${b.json?.command ?? ''}</p>${table(cols, (b.json?.rows ?? []).map((r) => cols.map((c) => fmt(r[c]))))}`;
  });
  return h`<h2 id="vectors">Conformance vectors</h2>
<p>${vs.length} files, ${cases} cases, recomputed by <span class="mono">pqroom vectors verify</span> when the audit ran; another implementation proves conformance against the same files.</p>
${vs.length === 0 ? h`<p class="spec-no">The result has no vector summary.</p>` : h`<table><thead><tr><th>file</th><th class="num">cases</th><th class="num">passed</th><th class="num">failed</th><th>SHA-256</th></tr></thead><tbody>${rows}</tbody></table>`}
<h2 id="benchmarks">Benchmarks</h2>
${bench.length === 0 ? h`<p class="small">No benchmark results beside this result (<span class="mono">npm run bench</span>, <span class="mono">bench:adversary</span>, <span class="mono">bench:relay</span>, <span class="mono">bench:argon2</span> write them into reports/out/).</p>` : bench}`;
}
