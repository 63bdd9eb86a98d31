/**
 * The shared record of the relay state (issue 23): a plain record's reads and an immutable one's
 * versions, and the store's diff (REQ-REL-050: a save writes exactly the entries that changed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOf, diffEntries, entryCount, sharedRecord, withEntry, withoutEntry } from './shared-record.ts';

// keys that share buckets, three or more to a bucket, and keys alone in theirs
const byBucket = new Map<number, string[]>();
for (let i = 0; i < 4000; i++) byBucket.get(bucketOf(`k${i}`))?.push(`k${i}`) ?? byBucket.set(bucketOf(`k${i}`), [`k${i}`]);
const POOL = [...byBucket.values()].filter((ks) => ks.length >= 3).slice(0, 40).flat().concat(['a', 'b', 'c', 'd']);
const key = fc.constantFrom(...POOL);
const op = fc.record({ set: fc.boolean(), key, value: fc.integer({ min: 0, max: 3 }) });

describe('the shared record (issue 23)', () => {
  it('REQ-REL-050 should read like the plain record it stands for, and leave every earlier version unchanged', () => {
    fc.assert(
      // from a shared record, or from a plain one that becomes shared at SHARED_FROM entries
      fc.property(fc.array(op, { maxLength: 400 }), fc.boolean(), (ops, fromShared) => {
        let shared: Readonly<Record<string, number>> = fromShared ? sharedRecord({}) : {};
        let plain: Record<string, number> = {};
        const versions: [Readonly<Record<string, number>>, Record<string, number>][] = [];
        for (const o of ops) {
          if (o.set) {
            shared = withEntry(shared, o.key, o.value);
            plain = { ...plain, [o.key]: o.value };
          } else {
            shared = withoutEntry(shared, o.key);
            const { [o.key]: _gone, ...rest } = plain;
            plain = rest;
          }
          versions.push([shared, plain]);
        }
        for (const [s, p] of versions) {
          expect(s).toEqual(p);
          expect({ ...s }).toEqual(p);
          expect(Object.keys(s).sort()).toEqual(Object.keys(p).sort());
          expect(entryCount(s)).toBe(Object.keys(p).length);
          for (const k of Object.keys(p)) expect(k in s && s[k] === p[k]).toBe(true);
          expect(JSON.parse(JSON.stringify(s))).toEqual(p);
        }
        if (fromShared) expect(() => ((shared as Record<string, number>)['x'] = 1)).toThrow(TypeError);
      }),
      { numRuns: 40 },
    );
  });

  it('REQ-REL-050 should name exactly the entries set to another value and the entries gone between two versions', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.array(op, { maxLength: 20 }), fc.boolean(), fc.boolean(), (before, after, plainPrev, fromShared) => {
        let a: Readonly<Record<string, number>> = fromShared ? sharedRecord({}) : {};
        for (const o of before) a = o.set ? withEntry(a, o.key, o.value) : withoutEntry(a, o.key);
        let b = a;
        for (const o of after) b = o.set ? withEntry(b, o.key, o.value) : withoutEntry(b, o.key);
        const prev = plainPrev ? { ...a } : a;
        const put: Record<string, number> = {};
        const del: string[] = [];
        diffEntries(prev, b, (k, v) => (put[k] = v), (k) => del.push(k));
        const want: Record<string, number> = {};
        for (const k of Object.keys(b)) if (prev[k] !== b[k] || !(k in prev)) want[k] = b[k]!;
        expect(put).toEqual(want);
        expect(del.sort()).toEqual(Object.keys(prev).filter((k) => !(k in b)).sort());
      }),
      { numRuns: 60 },
    );
    // one key removed from a bucket that keeps another
    const [k1, k2] = POOL as [string, string];
    expect(bucketOf(k1)).toBe(bucketOf(k2));
    const a = withEntry(withEntry(sharedRecord({}), k1, 1), k2, 2);
    const gone: string[] = [];
    diffEntries(a, withoutEntry(a, k1), () => {}, (k) => gone.push(k));
    expect(gone).toEqual([k1]);
  });
});
