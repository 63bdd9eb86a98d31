/**
 * Mutation switches (spec 12.2): a mutant is the hardened profile with exactly one
 * requirement's check switched off. Every check that a mutant can remove asks `enforced(id)`;
 * outside `withCheckOff` every check is enforced.
 *
 * The switch is module state, set only for the duration of one synchronous run (a simulated
 * world never yields), so a mutant never leaks into another run. It exists for the audit
 * harness; nothing else turns checks off.
 */
import type { ReqId } from './reqid.ts';

let off: ReqId | undefined;
let consulted: Set<ReqId> | undefined;

/** Whether the check of requirement `id` is in force (always, except inside `withCheckOff(id, ...)`). */
export function enforced(id: ReqId): boolean {
  consulted?.add(id);
  return off !== id;
}

/**
 * Runs `f` with every check in force and returns what it returned or threw, with the checks it
 * asked about. A run is a function of its inputs and of what `enforced` answers, and `enforced`
 * gives every check but one the same answer in a mutant as here: so a mutant whose check the run
 * never asked about makes the very same run, step for step, with the same result.
 */
export function withChecksConsulted<T>(f: () => T): { readonly value?: T; readonly error?: unknown; readonly consulted: ReadonlySet<ReqId> } {
  const before = [off, consulted] as const;
  const asked = new Set<ReqId>();
  off = undefined;
  consulted = asked;
  try {
    return { value: f(), consulted: asked };
  } catch (error) {
    return { error, consulted: asked };
  } finally {
    [off, consulted] = before;
  }
}

/**
 * Runs `f` with the check of requirement `id` in force, whatever the switch says: for checks that
 * must all run before the switch is asked (`checkTogether` in errors.ts).
 */
export function withCheckInForce<T>(id: ReqId, f: () => T): T {
  const before = off;
  if (off === id) off = undefined;
  try {
    return f();
  } finally {
    off = before;
  }
}

/** Runs `f` with the check of requirement `id` switched off (or none, when `id` is undefined). */
export function withCheckOff<T>(id: ReqId | undefined, f: () => T): T {
  const before = off;
  off = id;
  try {
    return f();
  } finally {
    off = before;
  }
}
