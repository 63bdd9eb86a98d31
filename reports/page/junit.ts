/**
 * junit.xml: the audit (spec 12) as JUnit XML, so that any CI shows it natively: one test case per
 * property × profile, attack × profile and mutant (equivalent mutants as skipped cases), and one
 * per vector file and for the traceability, each failing exactly when the report counts a problem.
 */
import type { ReportModel } from './model.ts';
import { gaps } from './model.ts';

const xml = (s: string | number): string => String(s).replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));

interface Case {
  readonly name: string;
  readonly failure?: string;
  readonly skipped?: string;
  readonly out?: string;
  /** Seconds, when measured. */
  readonly time?: number;
}

function suite(name: string, cases: readonly Case[]): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const body = cases.map((c) => {
    const inner = `${c.failure !== undefined ? `<failure message="${xml(c.failure)}"/>` : ''}${c.skipped !== undefined ? `<skipped message="${xml(c.skipped)}"/>` : ''}${c.out ? `<system-out>${xml(c.out)}</system-out>` : ''}`;
    return `    <testcase classname="pqroom.audit.${xml(name)}" name="${xml(c.name)}" time="${(c.time ?? 0).toFixed(3)}"${inner ? `>${inner}</testcase>` : '/>'}`;
  });
  return [`  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">`, ...body, '  </testsuite>'].join('\n');
}

/** The whole of junit.xml. */
export function renderJunit(m: ReportModel): string {
  const r = m.result;
  const suites: string[] = [];
  for (const [profile, prof] of Object.entries(r.profiles)) {
    suites.push(
      suite(
        `properties.${profile}`,
        prof.properties.map((p) => {
          const name = `${p.id} ${m.glossary.properties.get(p.id)?.name ?? ''} [${profile}]`;
          const verdict = p.holds === null ? 'not checked' : p.holds ? `holds in ${p.runs} runs` : `broken: ${p.counterexample?.detail ?? ''}; ${p.counterexample?.replay ?? ''}`;
          const failure = p.holds === null ? `not checked: ${p.pending ?? 'no oracle'}` : p.runs === 0 ? 'checked in zero runs' : !p.asSpecified ? `${p.holds ? 'holds' : 'broken'}, spec 12 says ${p.expected}` : undefined;
          return { name, out: verdict, ...(failure === undefined ? {} : { failure }) };
        }),
      ),
    );
    suites.push(
      suite(
        `attacks.${profile}`,
        prof.attacks.map((a) => {
          const failure = !a.asSpecified ? `${a.blocked ? 'blocked' : `broke ${a.broken.join(', ')}`}, the spec says ${a.expected}` : a.realAgrees === false ? 'the real backend disagrees with the symbolic one' : undefined;
          return { name: `${a.id} ${m.glossary.attacks.get(a.id)?.title ?? ''} [${profile}]`, out: a.blocked ? `blocked${a.detected.length > 0 ? `, raised ${[...new Set(a.detected)].join(', ')}` : ''}` : `broken: ${a.broken.join(', ')}; ${a.replay ?? ''}`, ...(failure === undefined ? {} : { failure }) };
        }),
      ),
    );
  }
  suites.push(
    suite('mutants', [
      ...r.mutants.map((x) => ({ name: `${x.id} (${x.removes})`, time: (x.ms ?? 0) / 1000, out: x.killed ? `killed by ${x.by ?? '?'}` : 'survived', ...(x.runs === 0 ? { failure: 'never run' } : x.killed ? {} : { failure: 'survived: no property failed against it' }) })),
      // an equivalence claim is hunted in every audit: held, it passes with its argument; refuted or never hunted, it fails
      ...r.equivalentMutants.map((x) => ({
        name: `${x.id} (${x.removes}) equivalent`,
        time: (x.ms ?? 0) / 1000,
        out: `equivalent: ${x.stoppedBy} stops the same attack; ${x.why}; hunted in ${x.runs ?? 0} runs`,
        ...(x.refuted === true ? { failure: `refuted: ${x.by ?? '?'} (${x.detail ?? ''})` } : (x.runs ?? 0) === 0 ? { failure: 'never hunted' } : {}),
      })),
    ]),
  );
  // the requirement → mutant table (spec 12.3, 12.4): one case per requirement a property rests on
  suites.push(
    suite(
      'requirements',
      r.requirementTable === undefined
        ? [{ name: 'requirement table', failure: 'the result has no requirement table' }]
        : r.requirementTable.map((q) => ({
            name: `${q.id} (${q.properties.join(', ')})`,
            out: q.status === 'mutant' ? `guarded by mutant ${q.mutants.join(', ')}` : q.status === 'equivalent' ? `equivalent mutant ${q.equivalent!.id}: ${q.equivalent!.stoppedBy} stops the same attacks` : `no mutant: ${q.reason ?? ''}`,
            ...(q.status === 'gap' ? { failure: 'no mutant, no equivalent, no reason in spec 12.4: an unexplained gap' } : q.status === 'stale' ? { failure: `spec 12.4 gives a reason, but mutant ${q.mutants.join(', ')} guards it` } : {}),
          })),
    ),
  );
  const vs = r.vectors ?? [];
  suites.push(suite('vectors', vs.length === 0 ? [{ name: 'vector files', failure: 'the result has no vector files' }] : vs.map((v) => ({ name: v.file, out: `${v.passed} of ${v.cases} cases; SHA-256 ${v.sha256}`, ...(v.cases === 0 ? { failure: 'zero cases' } : v.failed > 0 ? { failure: `${v.failed} cases fail` } : {}) }))));
  const gs = gaps(m.traces);
  suites.push(
    suite('traceability', [
      { name: 'every requirement is cited by code and named by a test', ...(gs.length > 0 ? { failure: gs.map((g) => `${g.id}: ${g.what}`).join('; ') } : {}) },
      { name: 'every id the sources cite is defined by the spec', ...(m.unknown.length > 0 ? { failure: m.unknown.map((u) => `${u.where}: ${u.id}`).join('; ') } : {}) },
    ]),
  );
  const total = (re: RegExp): number => suites.reduce((s, x) => s + Number(re.exec(x)?.[1] ?? 0), 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="pqroom audit ${xml(r.commit.slice(0, 12))}" tests="${total(/tests="(\d+)"/)}" failures="${total(/failures="(\d+)"/)}" errors="0" skipped="${total(/skipped="(\d+)"/)}" time="${r.seconds}">\n${suites.join('\n')}\n</testsuites>\n`;
}
