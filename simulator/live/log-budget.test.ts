import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logBudget } from './log-budget.ts';

describe('REQ-REL-045 log budget', () => {
  it('REQ-REL-045 should write at most perWindow lines per key and window, and account for every line it leaves out exactly once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 30 })), { maxLength: 300, size: 'max' }),
        (perWindow, windowMs, events) => {
          const b = logBudget(perWindow, windowMs);
          let now = 0;
          const written = new Map<string, number[]>();
          let reported = 0;
          for (const [key, dt] of events) {
            now += dt;
            const r = b.take(key, now);
            reported += r.suppressed;
            if (r.write) written.set(key, [...(written.get(key) ?? []), now]);
          }
          for (const [, n] of b.drain()) reported += n;
          expect(b.drain()).toEqual([]);
          const total = [...written.values()].reduce((n, w) => n + w.length, 0);
          expect(total + reported).toBe(events.length); // nothing lost, nothing counted twice
          // windows are fixed, so any 2 * perWindow + 1 lines of one key span three windows: more than windowMs
          for (const times of written.values()) {
            for (let i = 2 * perWindow; i < times.length; i++) expect(times[i]! - times[i - 2 * perWindow]!).toBeGreaterThan(windowMs);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('REQ-REL-045 should report what a window left out with the first line of the next', () => {
    const b = logBudget(2, 1000);
    expect([0, 1, 2, 3].map((t) => b.take('x', t).write)).toEqual([true, true, false, false]);
    expect(b.take('y', 5)).toEqual({ write: true, suppressed: 0 });
    expect(b.take('x', 1000)).toEqual({ write: true, suppressed: 2 });
    expect(b.drain()).toEqual([]);
  });
});
