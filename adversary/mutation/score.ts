/**
 * The score of a run of generated mutants (adversary/mutation/run.ts), with every survivor either
 * argued (adversary/mutation/survivors.ts) or shown as unexplained.
 */
import type { GeneratedMutant } from './sites.ts';
import type { MutantOutcome, Status } from './run.ts';
import { argumentKey, type ArguedSurvivor } from './survivors.ts';

/** A survivor as reported. */
export interface Survivor {
  readonly id: string;
  /** What an argument names (`GeneratedMutant.key`). */
  readonly key: string;
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
  /** It gave no result within the time limit: slow or endless, which a loaded machine cannot tell apart, so no kill. */
  readonly hung?: true;
}

/** The score. */
export interface Score {
  readonly mutants: number;
  readonly counts: Readonly<Record<Status, number>>;
  /** Killed, broke the honest run or killed by a unit test, out of all but the survivors argued equivalent or unreachable (a hung mutant is a survivor until argued). */
  readonly score: number;
  /** Killed by a property, out of the same. */
  readonly propertyScore: number;
  readonly survivors: readonly Survivor[];
  /** Survivors without an argument. */
  readonly unexplained: number;
  /** Arguments whose mutant is not generated (its text changed, or left its function), or argued equivalent or unreachable but detected. */
  readonly stale: readonly string[];
}

/** Scores `results`; `generated` is every mutant the generator made (to tell a stale argument from one outside a sample). */
export function score(results: readonly MutantOutcome[], argued: readonly ArguedSurvivor[], generated: readonly GeneratedMutant[]): Score {
  const counts: Record<Status, number> = { killed: 0, 'broke-honest': 0, timeout: 0, survived: 0 };
  const survivors: Survivor[] = [];
  const byKey = new Map(argued.map((a) => [argumentKey(a), a]));
  for (const { mutant: m, outcome: o } of results) {
    counts[o.verdict.status]++;
    // a mutant that hung is argued like a survivor: the time limit is wall-clock time, and a mutant
    // that only makes the campaign slower than the limit on a loaded machine has been seen (issue 30)
    if (o.verdict.status !== 'survived' && o.verdict.status !== 'timeout') continue;
    const a = byKey.get(m.key);
    survivors.push({ id: m.id, key: m.key, req: m.req, original: m.original, replacement: m.replacement, reached: o.reached, infected: o.infected, ...(a ? { argued: { kind: a.kind, why: a.why } } : {}), refused: o.refused, ...(o.verdict.status === 'timeout' ? { hung: true as const } : {}) });
  }
  const stale: string[] = [];
  const gen = new Set(generated.map((m) => m.key));
  const ran = new Map(results.map((r) => [r.mutant.key, r]));
  for (const a of argued) {
    const key = argumentKey(a);
    if (!gen.has(key)) {
      // a hint: the same text elsewhere in the file (the function renamed or the check moved), or the function's mutants of that operator now
      const moved = generated.find((m) => m.file === a.file && m.operator === a.operator && m.original === a.original);
      stale.push(`${key}: no such mutant is generated any more (${moved ? `that text is now in ${moved.fn}, ${moved.id}` : `the code changed: ${a.fn} has no ${a.operator} mutant of that text`})`);
    } else if (a.kind !== 'killed-by-test' && ran.get(key) !== undefined && ran.get(key)!.outcome.verdict.status !== 'survived') {
      // an equivalent or unreachable mutant the campaign detects: the argument is wrong (a killed-by-test one stays true: the test kills it too)
      stale.push(`${key}: argued ${a.kind}, but it is ${ran.get(key)!.outcome.verdict.status}`);
    }
  }
  // equivalent and unreachable survivors leave the score; one a unit test kills counts as killed
  const arguedCount = survivors.filter((s) => s.argued).length;
  const byTest = survivors.filter((s) => s.argued?.kind === 'killed-by-test').length;
  const denominator = results.length - arguedCount + byTest;
  return {
    mutants: results.length,
    counts,
    score: denominator === 0 ? 1 : (counts.killed + counts['broke-honest'] + byTest) / denominator,
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
    `  hung (no result in time: argued like a survivor)   ${s.counts.timeout}`,
    `  survived or hung, killed by a unit test (adversary/mutation/survivors.ts)   ${byTest}`,
    `  survived, argued equivalent or unreachable (adversary/mutation/survivors.ts)   ${argued - byTest}`,
    `  survived or hung, unexplained            ${s.unexplained}`,
    `mutation score ${pct(s.score)} (${s.counts.killed + s.counts['broke-honest'] + byTest} of ${s.mutants - argued + byTest}; equivalent and unreachable survivors left out); by a property alone ${pct(s.propertyScore)}`,
  ];
  for (const x of s.survivors) {
    const reach = x.reached === 0 ? 'never reached' : x.infected === 0 ? `reached ${x.reached}×, never computed anything else` : `reached ${x.reached}×, computed something else ${x.infected}×`;
    lines.push(`${x.argued ? `argued ${x.argued.kind}${x.hung ? ' (hung)' : ''}` : x.hung ? 'HUNG (no result in time: slow or endless; run it alone with a longer --timeout, or argue it)' : 'SURVIVED'} ${x.id} [${x.key.slice(0, x.key.indexOf(' `'))}] (${x.req}): \`${x.original.slice(0, 100)}\` → \`${x.replacement.slice(0, 100)}\`; ${reach}${x.refused.length > 0 ? `; refused: ${x.refused.slice(0, 2).join('; ')}` : ''}${x.argued ? `\n    ${x.argued.why}` : ''}`);
  }
  for (const x of s.stale) lines.push(`STALE argument ${x}`);
  return lines;
}
