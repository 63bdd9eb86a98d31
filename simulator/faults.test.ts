/** The fault set's two written forms (spec 8.12; `pqroom simulate --faults`). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { faultsFromJson, faultsToString, NO_FAULTS, parseFaults } from './faults.ts';
import { arbFaults } from './testkit.ts';

describe('fault sets', () => {
  it('should read back what it writes, in both forms', () => {
    fc.assert(
      fc.property(arbFaults(), (f) => {
        expect(parseFaults(faultsToString(f))).toEqual(f);
        expect(parseFaults(JSON.stringify(f))).toEqual(f);
        expect(faultsFromJson(JSON.parse(JSON.stringify(f)))).toEqual(f);
      }),
      { numRuns: 300 },
    );
  });
  it('should read the documented example', () => {
    const f = parseFaults('drop=0.05,dup=0.02,reorder=0.1:300,partition=alice+bob@20000~5000,crash=carol@30000~4000,relay-restart=@40000~2000');
    expect(f).toEqual({
      ...NO_FAULTS,
      drop: 0.05,
      duplicate: 0.02,
      reorder: 0.1,
      reorderMs: 300,
      partitions: [{ nodes: ['alice', 'bob'], at: 20_000, duration: 5_000 }],
      crashes: [{ node: 'carol', at: 30_000, downtime: 4_000 }],
      relayRestarts: [{ at: 40_000, downtime: 2_000 }],
    });
  });
  it('should take none and the empty string as no faults', () => {
    expect(parseFaults('none')).toBe(NO_FAULTS);
    expect(parseFaults('  ')).toBe(NO_FAULTS);
    expect(faultsToString(NO_FAULTS)).toBe('none');
  });
  it.each([
    ['drop=2', 'probability'],
    ['drop=x', 'needs a number'],
    ['teleport=1', 'unknown fault'],
    ['partition=@1~2', 'NAME+NAME@AT~DURATION'],
    ['crash=bob@1', '@AT~DURATION'],
    ['relay-restart=@-1~2', '@AT~DURATION'],
    ['jitter=1.5', 'non-negative integer'],
    ['{"drop": 0.1, "loss": 1}', 'unknown field loss'],
    ['{"partitions": [{"nodes": [], "at": 0, "duration": 1}]}', 'list of names'],
  ])('should refuse %s with a message naming the problem', (spec, message) => {
    expect(() => parseFaults(spec)).toThrow(message);
  });
});
