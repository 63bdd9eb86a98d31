/**
 * The audit campaign (`pqroom audit`): every named attack in each profile, generated attack
 * plans and login adversaries (fast-check, shrunk to a minimal plan when a property fails), every mutant hunted until
 * a property fails, and, with `--backend both`, the named attacks again on the real crypto to
 * show the symbolic findings hold on the actual bytes. Every counterexample is written as a
 * trace that `pqroom replay` re-runs to the same bytes and the same violation.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { specTable } from '../reports/spec.ts';
import type { Profile } from '../impl/suite.ts';
import { isBackend, TRACE_FORMAT, type Backend } from '../simulator/run.ts';
import { PENDING_ATTACKS } from './attacks.ts';
import { drawCounterexample, type Drawn } from './counterexample.ts';
import { coverageCollector, type MachineCoverage } from './coverage.ts';
import { LOGIN_PROPERTIES } from './login-oracles.ts';
import type { LoginPlan } from './login-plans.ts';
import { TRUST_PROPERTIES } from './trust-attacks.ts';
import { EQUIVALENT_MUTANTS, MUTANTS } from './mutants.ts';
import { reqIds, requirementTable, type RequirementRow } from './requirement-table.ts';
import { NAMED_ATTACKS } from './named.ts';
import { CHECKED_PROPERTIES, SECRECY_PROPERTIES, type PropId, type Violation } from './oracles/index.ts';
import { addCoverage, progressLine, runCampaign, type CampaignWork, type CryptoReport, type Generator, type RunResult } from './parallel.ts';
import type { Plan } from './relay.ts';
import { attackTrace, runSpec, type RunSpec } from './run-spec.ts';

export { attackTrace, runSpec, type RunSpec } from './run-spec.ts';

/** Reads a run spec back from an attack trace's header, or undefined when the header is not one. */
export function specFromHeader(line: string): RunSpec | undefined {
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error('the first line of the trace is not JSON');
  }
  if (h.kind !== 'run' || h.format !== TRACE_FORMAT || typeof h.attack !== 'string') return undefined;
  const profile = h.profile;
  const backend = h.backend;
  if (profile !== 'hardened' && profile !== 'compat') throw new Error('run header: unknown profile');
  if (!isBackend(backend)) throw new Error('run header: unknown backend');
  if (typeof h.seed !== 'number' || !Number.isSafeInteger(h.seed)) throw new Error('run header: seed must be an integer');
  return {
    attack: h.attack,
    ...(Array.isArray(h.plan) ? { plan: h.plan as Plan } : {}),
    ...(Array.isArray(h.loginPlan) ? { loginPlan: h.loginPlan as LoginPlan } : {}),
    profile,
    seed: h.seed,
    backend,
    ...(typeof h.mutant === 'string' ? { mutant: h.mutant } : {}),
    ...(typeof h.faults === 'string' ? { faults: h.faults } : {}),
  };
}

/** Rebuilds an audit run from its trace's first line (undefined for a header of another kind): what `pqroom replay` needs from the adversary (cli.js passes it). */
export function rebuildAuditTrace(header: string): string | undefined {
  const spec = specFromHeader(header);
  return spec && attackTrace(spec, runSpec(spec, true));
}

/** Options of a campaign. */
export interface AuditOptions {
  readonly profiles: readonly Profile[];
  /** Generated plans per profile. */
  readonly runs: number;
  readonly seed: number;
  readonly backend: Backend | 'both';
  /** Where counterexample traces go. */
  readonly out: string;
  /** Progress lines. */
  readonly progress?: (line: string) => void;
  /** Worker threads (default 1: everything in this thread); the result is the same for any number. */
  readonly workers?: number;
  /** A live progress line on a terminal (runs done, runs/s, counterexamples). */
  readonly progressLine?: boolean;
  /** Work of the caller's own, done once in this thread while the campaign's workers run (it changes nothing of the campaign). */
  readonly alongside?: () => void;
}

/** A property's verdict in one profile. */
export interface PropertyResult {
  readonly id: PropId;
  /** Whether it held in every run; null when no oracle checks it yet. */
  readonly holds: boolean | null;
  /** Runs in which it was checked. */
  readonly runs: number;
  /** Why it is not checked, when it is not. */
  readonly pending?: string;
  /** What part of it is not checked yet, when the oracle covers only part. */
  readonly partial?: string;
  /** What spec 12 says this profile must show: `holds` or `broken`. */
  readonly expected: 'holds' | 'broken';
  /** Whether the campaign showed what spec 12 says (a property the spec calls broken needs a counterexample). */
  readonly asSpecified: boolean;
  readonly counterexample?: { readonly attack: string; readonly seed: number; readonly plan?: Plan; readonly loginPlan?: LoginPlan; readonly detail: string; readonly replay: string } & Drawn;
}

/** A named attack's verdict in one profile. */
export interface AttackVerdict {
  readonly id: string;
  readonly blocked: boolean;
  readonly broken: readonly PropId[];
  readonly detected: readonly string[];
  readonly replay?: string;
  /** With `--backend both`: the verdict on real crypto agrees with the symbolic one. */
  readonly realAgrees?: boolean;
  /** An open finding in the hardened profile, when this attack is one. */
  readonly openFinding?: string;
  /** What the attack achieved beyond the properties (a recovered password, a stolen login). */
  readonly findings?: readonly string[];
  /** What this profile must show: hardened blocks every attack; in compat, `broken` means one of the attack's target properties breaks, `blocked` that none does. */
  readonly expected: 'blocked' | 'broken';
  /** Whether the run showed what `expected` says. */
  readonly asSpecified: boolean;
  /** The counterexample drawn, when the attack broke a property. */
  readonly counterexample?: Drawn;
}

/** A named attack as the report describes it (spec 11.4). */
export interface AttackInfo {
  readonly id: string;
  readonly title: string;
  /** The seed weakness it exercises (`W1`, `L1`, `T1`, or `–`). */
  readonly weakness: string;
  /** The properties it targets. */
  readonly props: readonly PropId[];
  /** What compat must show. */
  readonly compat: 'broken' | 'blocked';
}

/** A mutant's result. */
export interface MutantVerdict {
  readonly id: string;
  /** The requirement whose check it switches off. */
  readonly removes: string;
  /** What that check is. */
  readonly check: string;
  readonly killed: boolean;
  /** `ATK-nn → PROP-nn`: the attack that killed it and the property that failed (for its first killer, the property the mutant pins). */
  readonly by?: string;
  /** The first violation of the killing run. */
  readonly detail?: string;
  readonly replay?: string;
  /** Attack runs tried until it died (or all of them). */
  readonly runs: number;
  /** Wall-clock milliseconds the hunt took. */
  readonly ms: number;
  /** The property its first killer must break (spec 12.2): a kill by another property there does not count. */
  readonly pinned?: string;
  /** Runs whose broken properties were not counted as a kill: the room stalled, or the run threw. */
  readonly refused: readonly string[];
}

/** An equivalent mutant's claim and what the audit's hunt made of it. */
export interface EquivalentVerdict {
  readonly id: string;
  readonly removes: string;
  readonly check: string;
  /** The attack that shows the second check at work. */
  readonly attack: string;
  /** The second check. */
  readonly stoppedBy: string;
  /** The argument. */
  readonly why: string;
  /** A property broke against it in the hunt: the claim is false (a failure of the audit). */
  readonly refuted?: boolean;
  /** `ATK-nn → PROP-nn`, when refuted. */
  readonly by?: string;
  readonly detail?: string;
  readonly replay?: string;
  /** Attack runs the hunt made (0: never hunted). */
  readonly runs?: number;
  /** The seeds every named attack ran on. */
  readonly seeds?: readonly number[];
  /** Runs with broken properties not counted (stalled or threw), each `ATK-nn seed s: why`. */
  readonly refused?: readonly string[];
  readonly ms?: number;
}

/** The machine this campaign ran on. */
export interface HostInfo {
  readonly platform: string;
  readonly release: string;
  readonly arch: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
}

/** One vector file as `pqroom vectors verify` found it when the audit ran. */
export interface VectorFileResult {
  readonly file: string;
  readonly cases: number;
  readonly passed: number;
  readonly failed: number;
  /** SHA-256 of the file, hex. */
  readonly sha256: string;
}

/** The machine-readable result (issue 5's shape, plus fields). */
export interface AuditResult {
  readonly seed: number;
  readonly runs: number;
  readonly backend: Backend | 'both';
  readonly commit: string;
  /** Whether the checkout had changes git had not committed. */
  readonly dirty: boolean;
  /** When the campaign began (ISO 8601). */
  readonly startedAt: string;
  readonly machine: HostInfo;
  readonly versions: Readonly<Record<string, string>>;
  /** The real backends: which are present, what each primitive runs on, and how far they agreed. */
  readonly crypto: CryptoReport;
  readonly profiles: Partial<Record<Profile, { properties: PropertyResult[]; attacks: AttackVerdict[]; generatedRuns: number; generatedLoginRuns: number; generatedFinds: PropId[]; coverage: MachineCoverage[] }>>;
  /** The named attacks of this campaign. */
  readonly attackInfo: readonly AttackInfo[];
  readonly mutants: MutantVerdict[];
  readonly mutationScore: number;
  /** Attacks of spec 11.4 not run yet, with what they need. */
  readonly pendingAttacks: Readonly<Record<string, string>>;
  /**
   * Mutants a second check makes equivalent (kept out of the score), with that check; each hunted
   * like the others with every named attack on the campaign's seeds (spec 12.2): `refuted` when a
   * property broke, and the claim is then false.
   */
  readonly equivalentMutants: EquivalentVerdict[];
  /**
   * Every requirement a property rests on (spec 12.3) with the mutants guarding its check, its
   * equivalent mutant, or the reason spec 12.4 states for none; a row with none is a gap (a failure).
   */
  readonly requirementTable: RequirementRow[];
  readonly seconds: number;
  /** The conformance vectors as verified when the audit ran (`pqroom audit` adds them). */
  readonly vectors?: readonly VectorFileResult[];
}

/** What spec 12.3 says each property rests on, and spec 12.4 why some checks have no mutant. */
export function specRestsOn(): { restsOn: Map<string, string[]>; reasons: Map<string, string> } {
  const restsOn = new Map(specTable('12-properties.md', ['property', 'rests on']).map((r) => [r.property!, reqIds(r['rests on'] ?? '')]));
  const reasons = new Map(specTable('12-properties.md', ['requirement', 'why no mutant']).map((r) => [r.requirement!, r['why no mutant']!]));
  return { restsOn, reasons };
}

/** The requirement → mutant table of this checkout (spec 12.3, 12.4) over the given mutants (default: all of them). */
export function specRequirementTable(mutants: readonly { id: string; removes: string }[] = MUTANTS, equivalents: typeof EQUIVALENT_MUTANTS = EQUIVALENT_MUTANTS): RequirementRow[] {
  return requirementTable({ ...specRestsOn(), mutants, equivalents });
}

/** The seeds every mutant hunt (equivalent ones included) runs each named attack on. */
export function huntSeeds(seed: number): number[] {
  return [seed, seed + 1];
}

/** Properties whose oracle covers only part of the sentence, and what is left. */
export const PARTIAL_PROPERTIES: Readonly<Record<string, string>> = {};

/** Properties spec 12 defines that no oracle checks yet, and why. */
export const PENDING_PROPERTIES: Readonly<Record<string, string>> = {};

const ALL_PROPS: readonly PropId[] = [...new Set<PropId>([...CHECKED_PROPERTIES, ...SECRECY_PROPERTIES, ...LOGIN_PROPERTIES, ...TRUST_PROPERTIES])].sort() as PropId[];

function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], cwd: new URL('..', import.meta.url) }).trim();
  } catch {
    return undefined;
  }
}

/** The checkout's commit, and whether it has uncommitted changes. */
export function gitState(): { commit: string; dirty: boolean } {
  const commit = git(['rev-parse', 'HEAD']) ?? 'unknown';
  return { commit, dirty: commit !== 'unknown' && (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '' };
}

function versions(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
  return { pqroom: pkg.version, node: process.versions.node, ...pkg.dependencies, 'fast-check': pkg.devDependencies['fast-check'] ?? 'unknown' };
}

function hostInfo(): HostInfo {
  const cs = cpus();
  return { platform: platform(), release: release(), arch: arch(), cpu: cs[0]?.model.trim() ?? 'unknown', cores: cs.length, memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

/**
 * Writes a run's trace as counterexample `name`; returns the replay command and the counterexample
 * drawn at the first violation of `prop`. The command's path, as the counterexample's `trace`, is
 * relative to the output folder (the folder of audit.json), not to the current one: the same
 * campaign writes the same audit.json from any folder, and the folder can be moved whole.
 */
type Save = (name: string, spec: RunSpec, prop?: string) => { replay: string } & Drawn;

/** Runs the campaign. */
export function audit(o: AuditOptions): AuditResult {
  const started = Date.now();
  const say = o.progress ?? (() => undefined);
  const symbolicBackend: Backend = o.backend === 'both' ? 'symbolic' : o.backend;
  mkdirSync(join(o.out, 'counterexamples'), { recursive: true });
  const traces = new Map<string, string>();
  const save: Save = (name, spec, prop) => {
    const trace = `counterexamples/${name}.jsonl`;
    const text = traces.get(JSON.stringify(spec)) ?? attackTrace(spec, runSpec(spec, true));
    writeFileSync(join(o.out, trace), text);
    return { replay: `npx pqroom replay ${trace}`, ...drawCounterexample(trace, text, prop) };
  };
  // the whole campaign's runs, on o.workers threads (unref'd: they never keep the process alive);
  // what follows reads their results in the order of a sequential campaign (adversary/parallel.ts),
  // so the result is the same for any number of workers
  const gen = (what: Generator['what'], profile: Profile, numRuns: number): Generator => ({ what, profile, backend: symbolicBackend, numRuns, seed: o.seed });
  const named = (profile: Profile, backend: Backend): RunSpec[] => NAMED_ATTACKS.map((a) => ({ attack: a.id, profile, seed: o.seed, backend }));
  const work: CampaignWork = {
    runs: o.profiles.flatMap((p) => [...(o.backend === 'both' ? named(p, 'real') : []), ...named(p, symbolicBackend)]),
    observed: symbolicBackend,
    generators: o.profiles.flatMap((p) => [gen('plans', p, o.runs), gen('logins', p, Math.max(10, Math.ceil(o.runs / 5)))]),
    // the equivalent ones too: every audit tries to refute each claim (spec 12.2)
    hunts: [...MUTANTS, ...EQUIVALENT_MUTANTS].map((m) => ({ mutant: m.id, seeds: huntSeeds(o.seed) })),
    differential: { seed: o.seed, cases: Math.max(4, Math.ceil(o.runs / 10)) },
  };
  const done = runCampaign(work, o.workers ?? 1, o.progressLine === true ? progressLine() : undefined, o.alongside);
  // what the results make of each profile and mutant; `save` gives a counterexample's trace file
  const assemble = (save: Save, say: (line: string) => void): Pick<AuditResult, 'profiles' | 'mutants' | 'equivalentMutants'> => {
    const profiles: AuditResult['profiles'] = {};
    for (const profile of o.profiles) {
      const first = new Map<PropId, { spec: RunSpec; v: Violation }>();
      const checkedRuns = new Map<PropId, number>();
      // the machine coverage of the runs recorded (counted in the worker that made each run)
      let coverage: MachineCoverage[] = coverageCollector().coverage();
      const record = (spec: RunSpec, r: RunResult): void => {
        for (const p of r.checked) checkedRuns.set(p, (checkedRuns.get(p) ?? 0) + 1);
        for (const v of r.violations) if (!first.has(v.prop)) first.set(v.prop, { spec, v });
        if (r.coverage) coverage = addCoverage(coverage, r.coverage);
      };
      // 1. named attacks
      const attacks: AttackVerdict[] = [];
      for (const a of NAMED_ATTACKS) {
        const spec: RunSpec = { attack: a.id, profile, seed: o.seed, backend: symbolicBackend };
        const r = done.run(spec);
        record(spec, r);
        const broken = [...new Set(r.violations.map((v) => v.prop))].sort() as PropId[];
        let realAgrees: boolean | undefined;
        if (o.backend === 'both') {
          const real = done.run({ ...spec, backend: 'real' });
          realAgrees = real.blocked === r.blocked && [...new Set(real.violations.map((v) => v.prop))].sort().join() === broken.join();
        }
        const saved = r.blocked ? undefined : save(`${profile}-${a.id}`, spec);
        const expected = profile === 'hardened' || a.compat === 'blocked' ? 'blocked' : 'broken';
        const asSpecified = profile === 'hardened' ? r.blocked : (expected === 'broken') === a.props.some((p) => broken.includes(p));
        const { replay, ...counterexample } = saved ?? { replay: undefined };
        attacks.push({ id: a.id, blocked: r.blocked, broken, detected: r.detected, ...(replay ? { replay } : {}), ...(realAgrees === undefined ? {} : { realAgrees }), ...(profile === 'hardened' && a.openFinding ? { openFinding: a.openFinding } : {}), ...(r.findings.length > 0 ? { findings: r.findings } : {}), expected, asSpecified, ...(saved ? { counterexample: counterexample as Drawn } : {}) });
        say(`${profile} ${a.id} ${r.blocked ? 'blocked' : `broken: ${broken.join(', ')}`}${realAgrees === false ? ' (real backend disagrees!)' : ''}${r.findings.length > 0 ? `; ${r.findings.join('; ')}` : ''}`);
      }
      // 2. generated plans, then generated login adversaries (spec 9.6, a fifth as many); a failure
      //    shrinks to a minimal plan, which becomes the counterexample of what it broke
      const generate = (what: string, g: Generator): { runs: number; finds: PropId[] } => {
        const x = done.generated(g);
        let runs = 0;
        for (const { spec, r } of x.runs) {
          runs++;
          record(spec, r);
          if (runs % 10 === 0) say(`${profile} ${what}: ${runs} run`);
        }
        let finds: PropId[] = [];
        if (x.counterexample) {
          const { spec, r } = x.counterexample;
          finds = [...new Set(r.violations.map((v) => v.prop))].sort() as PropId[];
          for (const v of r.violations) first.set(v.prop, { spec, v }); // the shrunk plan is the one to show
          const steps = spec.plan?.length ?? spec.loginPlan?.length ?? 0;
          say(`${profile}: one of the ${what} broke ${finds.join(', ')} (shrunk to ${steps} step(s)${spec.faults === undefined ? '' : ` under faults ${spec.faults}`}, seed ${spec.seed}, after ${runs} runs)`);
        }
        say(`${profile}: ${runs} ${what}`);
        return { runs, finds };
      };
      const rooms = generate('generated plans', work.generators.find((g) => g.profile === profile && g.what === 'plans')!);
      const logins = generate('generated login adversaries', work.generators.find((g) => g.profile === profile && g.what === 'logins')!);
      const generatedRuns = rooms.runs;
      const generatedLoginRuns = logins.runs;
      const generatedFinds = [...new Set([...rooms.finds, ...logins.finds])].sort() as PropId[];
      // 3. the property table, against what spec 12 says each profile must show
      const specRows = specTable('12-properties.md', ['id', 'property', 'compat']);
      const expectedOf = (id: string): 'holds' | 'broken' => (profile === 'hardened' ? 'holds' : (specRows.find((r) => r.id === id)?.compat ?? '').startsWith('broken') ? 'broken' : 'holds');
      const properties: PropertyResult[] = [];
      for (const id of [...ALL_PROPS, ...(Object.keys(PENDING_PROPERTIES) as PropId[])].sort()) {
        const pending = PENDING_PROPERTIES[id];
        const expected = expectedOf(id);
        if (pending !== undefined) {
          properties.push({ id, holds: null, runs: 0, pending, expected, asSpecified: false });
          continue;
        }
        const f = first.get(id);
        const partial = PARTIAL_PROPERTIES[id] === undefined ? {} : { partial: PARTIAL_PROPERTIES[id] };
        if (!f) {
          properties.push({ id, holds: true, runs: checkedRuns.get(id) ?? 0, ...partial, expected, asSpecified: expected === 'holds' });
          continue;
        }
        const saved = save(`${profile}-${id}`, f.spec, id);
        properties.push({ id, holds: false, runs: checkedRuns.get(id) ?? 0, ...partial, expected, asSpecified: expected === 'broken', counterexample: { attack: f.spec.attack, seed: f.spec.seed, ...(f.spec.plan ? { plan: f.spec.plan } : {}), ...(f.spec.loginPlan ? { loginPlan: f.spec.loginPlan } : {}), detail: `${f.v.party}: ${f.v.detail}`, ...saved } });
      }
      profiles[profile] = { properties, attacks, generatedRuns, generatedLoginRuns, generatedFinds, coverage };
    }

    // 4. mutants
    const mutants: AuditResult['mutants'] = [];
    for (const m of MUTANTS) {
      const h = done.hunt(m.id);
      const ms = h.ms; // measured in the worker that hunted it
      const replay = h.by ? save(`mutant-${m.id}`, { attack: h.by.attack, profile: 'hardened', seed: h.by.seed, backend: symbolicBackend, mutant: m.id }).replay : undefined;
      mutants.push({ id: m.id, removes: m.removes, check: m.check, killed: h.killed, ...(h.by ? { by: `${h.by.attack} → ${h.by.prop}`, detail: h.by.detail } : {}), ...(replay ? { replay } : {}), runs: h.runs, ms, ...(m.breaks ? { pinned: m.breaks } : {}), refused: h.refused });
      say(`mutant ${m.id} (${m.removes}) ${h.killed ? `killed by ${h.by!.attack}: ${h.by!.prop}` : 'SURVIVED'}`);
    }
    const equivalentMutants: EquivalentVerdict[] = EQUIVALENT_MUTANTS.map((m) => {
      const h = done.hunt(m.id);
      const replay = h.by ? save(`equivalent-${m.id}`, { attack: h.by.attack, profile: 'hardened', seed: h.by.seed, backend: symbolicBackend, mutant: m.id }).replay : undefined;
      say(`equivalent ${m.id} (${m.removes}) ${h.killed ? `REFUTED by ${h.by!.attack}: ${h.by!.prop}` : `holds: no property broke in ${h.runs} runs`}`);
      return { id: m.id, removes: m.removes, check: m.check, attack: m.attack, stoppedBy: m.stoppedBy, why: m.why, refuted: h.killed, ...(h.by ? { by: `${h.by.attack} → ${h.by.prop}`, detail: h.by.detail } : {}), ...(replay ? { replay } : {}), runs: h.runs, seeds: huntSeeds(o.seed), refused: h.refused, ms: h.ms };
    });
    return { profiles, mutants, equivalentMutants };
  };
  // the traces of the counterexamples, made again with a trace on the workers (a dry pass of the
  // assembly names the runs); then the assembly writes them, in the order of a sequential campaign
  const wanted = new Map<string, RunSpec>();
  assemble((_, spec) => {
    wanted.set(JSON.stringify(spec), spec);
    return { replay: '' } as { replay: string } & Drawn;
  }, () => undefined);
  const specs = [...wanted.values()];
  done.traces(specs).forEach((text, i) => traces.set(JSON.stringify(specs[i]), text));
  const { profiles, mutants, equivalentMutants } = assemble(save, say);
  const killed = mutants.filter((m) => m.killed).length;
  const crypto = done.crypto();
  done.close();
  say(`real backends ${crypto.differential.backends.join(', ')}: agreed on ${crypto.differential.agreed} of ${crypto.differential.checks} differential checks`);
  return {
    seed: o.seed,
    runs: o.runs,
    backend: o.backend,
    ...gitState(),
    startedAt: new Date(started).toISOString(),
    machine: hostInfo(),
    versions: versions(),
    crypto,
    profiles,
    attackInfo: NAMED_ATTACKS.map((a) => ({ id: a.id, title: a.title, weakness: a.weakness, props: a.props, compat: a.compat ?? 'broken' })),
    mutants,
    mutationScore: mutants.length === 0 ? 0 : killed / mutants.length,
    pendingAttacks: PENDING_ATTACKS,
    equivalentMutants,
    requirementTable: specRequirementTable(),
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** One paragraph on the real backends: what each is made of, and how far they agreed. */
function cryptoLine(c: CryptoReport): string {
  const d = c.differential;
  const absent = Object.entries(c.backends).filter(([, x]) => !x.present).map(([b, x]) => `${b} absent: ${x.unavailable}`);
  const mixed = Object.entries(c.backends)
    .filter(([b, x]) => x.present && b !== 'noble')
    .map(([b, x]) => `${b}: ${Object.entries(x.primitives ?? {}).map(([p, o]) => `${p} ${o}`).join(', ')}`);
  return [`real backends ${d.backends.join(', ')} agreed on ${d.agreed} of ${d.checks} differential checks (${d.cases} seeded cases); real is ${c.real}`, ...mixed, ...absent].join('\n');
}

/** The human summary: property × profile, attacks, mutants. */
export function auditTable(r: AuditResult): string {
  const ps = Object.keys(r.profiles) as Profile[];
  const lines: string[] = [];
  lines.push(`pqroom audit: seed ${r.seed}, ${r.runs} generated plans and ${r.profiles[ps[0]!]?.generatedLoginRuns ?? 0} generated login adversaries per profile, backend ${r.backend === 'real' || r.backend === 'both' ? `${r.backend} (real: ${r.crypto.real})` : r.backend}, ${r.seconds} s`);
  lines.push('');
  lines.push(cryptoLine(r.crypto));
  lines.push('');
  lines.push(['property'.padEnd(8), ...ps.map((p) => p.padEnd(28))].join('  '));
  const ids = r.profiles[ps[0]!]!.properties.map((p) => p.id);
  for (const id of ids) {
    const cells = ps.map((p) => {
      const x = r.profiles[p]!.properties.find((y) => y.id === id)!;
      if (x.holds === null) return 'not checked yet'.padEnd(28);
      if (x.holds && x.expected === 'broken') return `no counterexample yet${x.partial ? '*' : ''} (spec: broken)`.padEnd(28);
      return (x.holds ? `holds (${x.runs} runs)${x.partial ? '*' : ''}` : `BROKEN (seed ${x.counterexample!.seed}, ${x.counterexample!.attack})`).padEnd(28);
    });
    lines.push([id.padEnd(8), ...cells].join('  '));
  }
  for (const [id, note] of Object.entries(PARTIAL_PROPERTIES)) lines.push(`* ${id}: ${note}`);
  lines.push('');
  lines.push(['attack'.padEnd(8), ...ps.map((p) => p.padEnd(28))].join('  '));
  for (const a of r.profiles[ps[0]!]!.attacks) {
    const cells = ps.map((p) => {
      const x = r.profiles[p]!.attacks.find((y) => y.id === a.id)!;
      return (x.blocked ? 'blocked' : `${x.openFinding ? 'OPEN FINDING, ' : ''}broken: ${x.broken.join(',')}`).padEnd(28);
    });
    lines.push([a.id.padEnd(8), ...cells].join('  '));
  }
  for (const a of r.profiles.hardened?.attacks ?? []) if (a.openFinding && !a.blocked) lines.push(`open finding ${a.id} (hardened): ${a.openFinding}; replay: ${a.replay}`);
  for (const [id, why] of Object.entries(r.pendingAttacks)) lines.push(`${id.padEnd(8)}  not run yet: ${why}`);
  lines.push('');
  for (const m of r.mutants) lines.push(`mutant ${m.id.padEnd(28)} ${m.removes}  ${m.killed ? `killed by ${m.by}` : 'SURVIVED: a hole in the harness'}`);
  lines.push(`mutation score ${(r.mutationScore * 100).toFixed(0)}% (${r.mutants.filter((m) => m.killed).length} of ${r.mutants.length})`);
  for (const m of r.equivalentMutants)
    lines.push(
      m.refuted === true
        ? `equivalent ${m.id} (${m.removes}) REFUTED: ${m.by} (${m.detail ?? ''}): a mutant to kill, not an equivalent one`
        : `equivalent ${m.id} (${m.removes}): ${m.stoppedBy} stops the same attack (${m.why}); hunted: ${m.runs ?? 0} runs, no property broken`,
    );
  lines.push('');
  const rows = r.requirementTable ?? [];
  const gapsIn = rows.filter((x) => x.status === 'gap' || x.status === 'stale');
  lines.push(`requirements the properties rest on (spec 12.3): ${rows.length}; guarded by a mutant ${rows.filter((x) => x.status === 'mutant').length}, equivalent ${rows.filter((x) => x.status === 'equivalent').length}, no mutant for a stated reason ${rows.filter((x) => x.status === 'reason').length}, UNEXPLAINED ${gapsIn.length}`);
  for (const x of gapsIn) lines.push(`requirement ${x.id} (${x.properties.join(', ')}): ${x.status === 'gap' ? 'no mutant, no equivalent, no reason in spec 12.4: an unexplained gap' : `spec 12.4 gives a reason, but mutant ${x.mutants.join(', ')} guards it`}`);
  return lines.join('\n');
}
