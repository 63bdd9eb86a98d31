/**
 * Injected time (spec 2.7, 3.8, REQ-CRY-016): milliseconds since the Unix epoch. Drivers read
 * a clock and put the time into the events they give the machines; machines never read time.
 */

/** A source of the current time in milliseconds. */
export interface Clock {
  /** The current time (ms since 1970-01-01T00:00:00Z). */
  now(): number;
}

/** A clock the caller moves: the simulator's virtual time, and tests. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms` (never backwards). */
  advance(ms: number): void;
  /** Sets the time; it must not be earlier than the current time. */
  set(t: number): void;
}

/** A virtual clock starting at `start`. */
export function manualClock(start = 0): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance(ms: number): void {
      if (!(ms >= 0)) throw new RangeError(`a clock cannot move back (${ms} ms)`);
      t += ms;
    },
    set(next: number): void {
      if (next < t) throw new RangeError(`a clock cannot move back from ${t} to ${next}`);
      t = next;
    },
  };
}

/** The platform clock, for real deployments. */
export const systemClock: Clock = { now: () => Date.now() };
