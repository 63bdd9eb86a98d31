/**
 * The score of a run of generated mutants (adversary/mutation/run.ts), with every survivor either
 * argued (adversary/mutation/survivors.ts) or shown as unexplained.
 */
import type { GeneratedMutant } from './sites.ts';
import type { MutantOutcome, Status } from './run.ts';
import type { ArguedSurvivor } from './survivors.ts';

/** A survivor as reported. */
export interface Survivor {
  readonly id: string;
  readonly req: string;
  readonly original: string;
  readonly replacement: string;
  /** Times the mutated code ran, and times it computed something else. */
  readonly reached: number;
  readonly infected: number;
  /** The argument, when there is one. */
  readonly argued?: Pick<ArguedSurvivor, 'kind' | 'why'>;
  /** Runs that broke a property but stalled or threw (not kills). */
  readonly refused: readonly string[];
}

/** The score. */
export interface Score {
  readonly mutants: number;
  readonly counts: Readonly<Record<Status, number>>;
  /** Killed, broke the honest run, hung or killed by a unit test, out of all but the survivors argued equivalent or unreachable. */
  readonly score: number;
  /** Killed by a property, out of the same. */
  readonly propertyScore: number;
  readonly survivors: readonly Survivor[];
  /** Survivors without an argument. */
  readonly unexplained: number;
  /** Arguments whose mutant was not generated, or whose text changed, or that is not a survivor (when `all` mutants ran). */
  readonly stale: readonly string[];
}

/** Scores `results`; `generated` is every mutant the generator made (to tell a stale argument from one outside a sample). */
export function score(results: readonly MutantOutcome[], argued: readonly ArguedSurvivor[], generated: readonly GeneratedMutant[]): Score {
  const counts: Record<Status, number> = { killed: 0, 'broke-honest': 0, timeout: 0, survived: 0 };
  const survivors: Survivor[] = [];
  const byId = new Map(argued.map((a) => [a.id, a]));
  for (const { mutant: m, outcome: o } of results) {
    counts[o.verdict.status]++;
    if (o.verdict.status !== 'survived') continue;
    const a = byId.get(m.id);
    const valid = a !== undefined && a.original === m.original;
    survivors.push({ id: m.id, req: m.req, original: m.original, replacement: m.replacement, reached: o.reached, infected: o.infected, ...(valid ? { argued: { kind: a.kind, why: a.why } } : {}), refused: o.refused });
  }
  const stale: string[] = [];
  const gen = new Map(generated.map((m) => [m.id, m]));
  const ran = new Map(results.map((r) => [r.mutant.id, r]));
  for (const a of argued) {
    const m = gen.get(a.id);
    if (!m) stale.push(`${a.id}: no such mutant is generated any more`);
    else if (m.original !== a.original) stale.push(`${a.id}: the code changed (now \`${m.original}\`)`);
    else if (ran.get(a.id) !== undefined && ran.get(a.id)!.outcome.verdict.status !== 'survived') stale.push(`${a.id}: argued as a survivor, but it is ${ran.get(a.id)!.outcome.verdict.status}`);
  }
  // equivalent and unreachable survivors leave the score; one a unit test kills counts as killed
  const arguedCount = survivors.filter((s) => s.argued).length;
  const byTest = survivors.filter((s) => s.argued?.kind === 'killed-by-test').length;
  const denominator = results.length - arguedCount + byTest;
  return {
    mutants: results.length,
    counts,
    score: denominator === 0 ? 1 : (counts.killed + counts['broke-honest'] + counts.timeout + byTest) / denominator,
    propertyScore: denominator === 0 ? 1 : counts.killed / denominator,
    survivors,
    unexplained: survivors.length - arguedCount,
    stale,
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The summary lines: counts, score, every survivor. */
export function scoreLines(s: Score): string[] {
  const argued = s.survivors.filter((x) => x.argued).length;
  const byTest = s.survivors.filter((x) => x.argued?.kind === 'killed-by-test').length;
  const lines = [
    `  killed by a property (a completed run)   ${s.counts.killed}`,
    `  broke an honest scenario (checks, stall, exception)   ${s.counts['broke-honest']}`,
    `  hung (no result in time)                 ${s.counts.timeout}`,
    `  survived the campaign, killed by a unit test (adversary/mutation/survivors.ts)   ${byTest}`,
    `  survived, argued equivalent or unreachable (adversary/mutation/survivors.ts)   ${argued - byTest}`,
    `  survived, unexplained                    ${s.unexplained}`,
    `mutation score ${pct(s.score)} (${s.counts.killed + s.counts['broke-honest'] + s.counts.timeout + byTest} of ${s.mutants - argued + byTest}; equivalent and unreachable survivors left out); by a property alone ${pct(s.propertyScore)}`,
  ];
  for (const x of s.survivors) {
    const reach = x.reached === 0 ? 'never reached' : x.infected === 0 ? `reached ${x.reached}×, never computed anything else` : `reached ${x.reached}×, computed something else ${x.infected}×`;
    lines.push(`${x.argued ? `argued ${x.argued.kind}` : 'SURVIVED'} ${x.id} (${x.req}): \`${x.original.slice(0, 100)}\` → \`${x.replacement.slice(0, 100)}\`; ${reach}${x.refused.length > 0 ? `; refused: ${x.refused.slice(0, 2).join('; ')}` : ''}${x.argued ? `\n    ${x.argued.why}` : ''}`);
  }
  for (const x of s.stale) lines.push(`STALE argument ${x}`);
  return lines;
}
