/**
 * Shares one computation between a guard and the action of the same transition. Guards must be
 * pure and cheap to call twice; verifying a welcome or a commit is neither cheap nor worth doing
 * twice, so the result is kept per (context, event) pair. The key objects are never mutated, so
 * the cache is referentially transparent.
 */
const cache = new WeakMap<object, WeakMap<object, Map<string, unknown>>>();

/** `f()` computed once per (`context`, `event`, `tag`). */
export function once<T>(context: object, event: object, tag: string, f: () => T): T {
  let byEvent = cache.get(context);
  if (!byEvent) {
    byEvent = new WeakMap();
    cache.set(context, byEvent);
  }
  let byTag = byEvent.get(event);
  if (!byTag) {
    byTag = new Map();
    byEvent.set(event, byTag);
  }
  if (byTag.has(tag)) return byTag.get(tag) as T;
  const v = f();
  byTag.set(tag, v);
  return v;
}
