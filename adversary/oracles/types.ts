/** What every oracle of spec 12 shares: property ids, violations, the monitor's interface, and the properties the monitor checks. */
/** A property id of spec 12. */
export type PropId = `PROP-${string}`;

/** A property seen failing. */
export interface Violation {
  /** The property. */
  readonly prop: PropId;
  /** The honest party at which it failed. */
  readonly party: string;
  /** Virtual time (ms since the start). */
  readonly t: number;
  /** What happened. */
  readonly detail: string;
}

/**
 * The properties these oracles check (the others need the knowledge closure or the accounts
 * issue). PROP-27 is judged by the attack runner at the end of a run whose relay is honest.
 */
export const CHECKED_PROPERTIES: readonly PropId[] = ['PROP-04', 'PROP-05', 'PROP-06', 'PROP-07', 'PROP-08', 'PROP-09', 'PROP-10', 'PROP-13', 'PROP-14', 'PROP-15', 'PROP-17', 'PROP-18', 'PROP-19', 'PROP-20', 'PROP-26', 'PROP-27', 'PROP-29', 'PROP-30', 'PROP-31'];

/** Watches a world and records every property violation. */
export interface Monitor {
  /** Checks what changed since the last call (call after every step). */
  step(): void;
  /** The checks that judge a settled run (recoveries and alarms owed). */
  finish(removed: readonly string[]): void;
  /** Records a violation found by another oracle (the secrecy ones). */
  report(v: Omit<Violation, 't'>): void;
  /** Violations so far, in order. */
  readonly violations: readonly Violation[];
}
