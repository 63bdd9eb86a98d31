/**
 * An immutable record that is copied with one entry changed in O(1) (issue 23). The relay state
 * keys rooms, mailboxes, answers and connections by hex strings; `{ ...rec, [k]: v }` on such a
 * record copies every entry, and V8 copies a record of many such keys slowly (measured on node 20:
 * about 2 µs at 2 entries, 50 µs at 100, 3 ms at 1,000). Here the entries live in a two-level trie
 * of 32 × 32 small buckets chosen by a hash of the key, and a change copies one bucket and two
 * arrays of 32; the versions before the change are unchanged. The record reads like a plain one
 * (indexing, `in`, `Object.keys`, spreading, `for...in`, JSON), in the order of the trie, not of
 * insertion; writing to it throws. A record of fewer than SHARED_FROM entries stays a plain object.
 */

type Bucket<V> = Readonly<Record<string, V>>;
type Leaf<V> = readonly (Bucket<V> | undefined)[];
interface Trie<V> {
  readonly size: number;
  readonly root: readonly (Leaf<V> | undefined)[];
}

const W = 32;
const tries = new WeakMap<object, Trie<unknown>>();

/** FNV-1a of the key: the low 10 bits choose its bucket. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The bucket (0 to 1023) a key falls into (for tests that need keys sharing a bucket). */
export function bucketOf(key: string): number {
  return hashOf(key) & (W * W - 1);
}

const own = Object.prototype.hasOwnProperty;

function lookup<V>(t: Trie<V>, key: string): Bucket<V> | undefined {
  const h = hashOf(key);
  return t.root[h & (W - 1)]?.[(h >>> 5) & (W - 1)];
}

function keysOf<V>(t: Trie<V>): string[] {
  const out: string[] = [];
  for (const leaf of t.root) if (leaf) for (const b of leaf) if (b) for (const k in b) out.push(k);
  return out;
}

/** The bucket holding `key`, when it holds it. */
function holder<V>(t: Trie<V>, key: string): Bucket<V> | undefined {
  const b = lookup(t, key);
  return b !== undefined && own.call(b, key) ? b : undefined;
}

function wrap<V>(t: Trie<V>): Readonly<Record<string, V>> {
  const p = new Proxy({} as Record<string, V>, {
    get: (_t, k) => (typeof k === 'string' ? holder(t, k)?.[k] : undefined),
    has: (_t, k) => typeof k === 'string' && holder(t, k) !== undefined,
    ownKeys: () => keysOf(t),
    getOwnPropertyDescriptor: (_t, k) => {
      const b = typeof k === 'string' ? holder(t, k) : undefined;
      return b !== undefined ? { value: b[k as string], writable: false, enumerable: true, configurable: true } : undefined;
    },
    set: () => {
      throw new TypeError('a shared record is immutable: use withEntry');
    },
    defineProperty: () => {
      throw new TypeError('a shared record is immutable: use withEntry');
    },
    deleteProperty: () => {
      throw new TypeError('a shared record is immutable: use withoutEntry');
    },
  });
  tries.set(p, t as Trie<unknown>);
  return p;
}

const EMPTY: Trie<never> = { size: 0, root: [] };

function trieOf<V>(rec: Readonly<Record<string, V>>): Trie<V> {
  const t = tries.get(rec) as Trie<V> | undefined;
  if (t) return t;
  let out: Trie<V> = EMPTY;
  for (const k of Object.keys(rec)) out = put(out, k, rec[k]!, false);
  return out;
}

function put<V>(t: Trie<V>, key: string, value: V | undefined, remove: boolean): Trie<V> {
  const h = hashOf(key);
  const i = h & (W - 1);
  const j = (h >>> 5) & (W - 1);
  const leaf = t.root[i];
  const bucket = leaf?.[j];
  const had = bucket !== undefined && own.call(bucket, key);
  if (remove && !had) return t;
  let nb: Bucket<V> | undefined;
  if (remove) {
    const { [key]: _gone, ...rest } = bucket!;
    nb = Object.keys(rest).length === 0 ? undefined : rest;
  } else {
    const copy: Record<string, V> = Object.assign({}, bucket);
    copy[key] = value!;
    nb = copy;
  }
  const nl = leaf ? leaf.slice() : new Array<Bucket<V> | undefined>(W).fill(undefined);
  nl[j] = nb;
  const nr = t.root.length ? t.root.slice() : new Array<Leaf<V> | undefined>(W).fill(undefined);
  nr[i] = nl;
  return { size: t.size + (remove ? -1 : had ? 0 : 1), root: nr };
}

/** A shared record of the entries of `rec`. */
export function sharedRecord<V>(rec: Readonly<Record<string, V>> = {}): Readonly<Record<string, V>> {
  return tries.has(rec) ? rec : wrap(trieOf(rec));
}

/**
 * Records of fewer entries than this stay plain objects, copied whole: below it a copy costs less
 * than a trie's path and a proxy's reads (measured with a relay machine step of one room).
 */
export const SHARED_FROM = 64;

function small(rec: object): boolean {
  if (tries.has(rec)) return false;
  let n = 0;
  for (const _k in rec) if (++n >= SHARED_FROM) return false;
  return true;
}

/** `rec` with `key` set to `value`, `rec` itself unchanged: `{ ...rec, [key]: value }` without copying every entry. */
export function withEntry<V>(rec: Readonly<Record<string, V>>, key: string, value: V): Readonly<Record<string, V>> {
  if (small(rec)) {
    const copy: Record<string, V> = Object.assign({}, rec);
    copy[key] = value;
    return copy;
  }
  return wrap(put(trieOf(rec), key, value, false));
}

/** `rec` without `key`, `rec` itself unchanged. */
export function withoutEntry<V>(rec: Readonly<Record<string, V>>, key: string): Readonly<Record<string, V>> {
  if (small(rec)) {
    if (!own.call(rec, key)) return rec;
    const { [key]: _gone, ...rest } = rec;
    return rest;
  }
  const t = trieOf(rec);
  const n = put(t, key, undefined, true);
  return n === t && tries.has(rec) ? rec : wrap(n);
}

/** How many entries `rec` has (O(1) for a shared record). */
export function entryCount(rec: Readonly<Record<string, unknown>>): number {
  return tries.get(rec)?.size ?? Object.keys(rec).length;
}

/**
 * Calls `put` for each key whose value differs between `prev` and `next` (by identity) and `del`
 * for each key gone; for two shared records it skips the buckets they share, so a save after one
 * change looks at one bucket, not every entry.
 */
export function diffEntries<V>(prev: Readonly<Record<string, V>> | undefined, next: Readonly<Record<string, V>>, onPut: (k: string, v: V) => void, onDel: (k: string) => void): void {
  if (prev === next) return;
  const a = prev === undefined ? EMPTY : (tries.get(prev) as Trie<V> | undefined);
  const b = tries.get(next) as Trie<V> | undefined;
  if (a === undefined || b === undefined) {
    for (const k in next) if (prev?.[k] !== next[k]) onPut(k, next[k]!);
    if (prev) for (const k in prev) if (!(k in next)) onDel(k);
    return;
  }
  for (let i = 0; i < W; i++) {
    const la = a.root[i];
    const lb = b.root[i];
    if (la === lb) continue;
    for (let j = 0; j < W; j++) {
      const ba = la?.[j];
      const bb = lb?.[j];
      if (ba === bb) continue;
      if (bb) for (const k in bb) if (ba?.[k] !== bb[k] || (ba !== undefined && !own.call(ba, k))) onPut(k, bb[k]!);
      if (ba) for (const k in ba) if (bb === undefined || !own.call(bb, k)) onDel(k);
    }
  }
}
