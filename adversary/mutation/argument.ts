/**
 * What an argument about a generated mutant is (survivors.ts lists them, killed-by-test.ts the ones a
 * unit test kills) and the mutant key it names: apart from both lists, which both use it.
 */
import { mutantKey, type Operator } from './sites.ts';

/** An argued survivor. */
export interface ArguedSurvivor {
  /** The mutant's file. */
  readonly file: string;
  /** The named function it is in, as the generator names it (`GeneratedMutant.fn`). */
  readonly fn: string;
  readonly operator: Operator;
  /** The text it replaces, as generated (whitespace collapsed): the argument holds for this text only. */
  readonly original: string;
  /** The k-th (from 0) of the same text and operator in that function, when there are several. */
  readonly nth?: number;
  readonly kind: 'equivalent' | 'unreachable' | 'killed-by-test';
  /** Why. */
  readonly why: string;
  /** killed-by-test: the test file that kills it (`pqroom mutate --generated --tests` runs it against the mutant). */
  readonly test?: string;
}

/** The mutant key an argument names (`GeneratedMutant.key`). */
export function argumentKey(a: Pick<ArguedSurvivor, 'file' | 'fn' | 'operator' | 'original' | 'nth'>): string {
  const k = mutantKey(a);
  return a.nth ? `${k}#${a.nth}` : k;
}
