/** `npm run bench:adversary`'s command line: --help prints the usage and exits 0, mistakes are one line on stderr with exit 2 (no campaign runs in this file). */
import { describe, expect, it } from 'vitest';
import { main } from './bench.ts';

function run(args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out, err };
}

describe('bench:adversary command line', () => {
  it('should print its usage and every option on --help and -h, exit 0, and run nothing', () => {
    for (const flag of ['--help', '-h']) {
      const r = run([flag]);
      expect(r.code).toBe(0);
      expect(r.err).toEqual([]);
      expect(r.out.join('\n')).toMatch(/^usage: npm run bench:adversary/);
      for (const o of ['--reps', '--backends', '--out', '--no-out']) expect(r.out.join('\n')).toContain(o);
    }
  });
  it('should refuse an unknown option, a bad --reps and an absent backend in one line on stderr, exit 2', () => {
    for (const args of [['--bogus'], ['--reps', '0'], ['--reps', 'x'], ['--backends', 'nobody'], ['--out']]) {
      const r = run(args);
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/^bench:adversary: /);
    }
  });
});
