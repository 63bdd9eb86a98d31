/**
 * Generated mutants that survive the campaign, each with the argument why no run can tell it from
 * the code as written (`pqroom mutate` reads this list: a survivor not listed here is reported as
 * unexplained, and an entry whose mutant is gone or whose text changed is reported as stale).
 *
 * - `equivalent`: no input changes what the protocol does (another check rejects the same input
 *   first or later, or the mutated value cannot differ where it matters);
 * - `unreachable`: the hardened campaign cannot reach it by construction (compat-only code), said
 *   with what does.
 */

/** An argued survivor. */
export interface ArguedSurvivor {
  /** The generated mutant's id (`file:line:operator`). */
  readonly id: string;
  /** The text it replaces, as generated (whitespace collapsed): the argument holds for this text only. */
  readonly original: string;
  readonly kind: 'equivalent' | 'unreachable';
  /** Why. */
  readonly why: string;
}

/** The argued survivors. */
export const ARGUED_SURVIVORS: readonly ArguedSurvivor[] = [];
