/**
 * Shares one computation between a guard and the action of the same transition. Guards must be
 * pure and cheap to call twice; verifying a welcome or a commit is neither cheap nor worth doing
 * twice, so the result is kept per (context, event) pair. The key objects are never mutated, so
 * the cache is referentially transparent.
 *
 * One slot per tag (the last context and event it was computed for): a guard and its action see
 * the same pair one right after the other, within one step. A WeakMap per context, as before,
 * kept every stepped context reachable through its ephemerons until a full collection, which cost
 * the relay more in garbage collection than the step itself (issue 23).
 */
const slots = new Map<string, { readonly context: object; readonly event: object; readonly value: unknown }>();

/** `f()` computed once per (`context`, `event`, `tag`). */
export function once<T>(context: object, event: object, tag: string, f: () => T): T {
  const slot = slots.get(tag);
  if (slot !== undefined && slot.context === context && slot.event === event) return slot.value as T;
  const value = f();
  slots.set(tag, { context, event, value });
  return value;
}
