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

/** Whether the check of requirement `id` is in force (always, except inside `withCheckOff(id, ...)`). */
export function enforced(id: ReqId): boolean {
  return off !== id;
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
