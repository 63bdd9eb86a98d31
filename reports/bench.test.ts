import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Mode } from '../simulator/live/bench/bench-servers.ts';
import { relayFigures } from './bench.ts';

// `npm run bench` gathers bench:relay's JSON into bench.md: issue 23's goals must reach it, the
// realistic rows' included (before, only the room-size rows' delivered/s did).
const run = (d: number, p99: number, cpu: number) => ({ deliveredPerSecond: d, p99Ms: p99, serverCpuUsPerDelivery: cpu });
const row = (members: number | string, mode: Mode, runs: ReturnType<typeof run>[], more: { workers?: number; vsBare?: number; vsSealed?: number } = {}) => ({
  members,
  mode,
  ...runs[0]!,
  runs,
  vsBare: more.vsBare ?? 1,
  vsSealed: more.vsSealed ?? 1,
  ...(more.workers === undefined ? {} : { workers: more.workers }),
});

describe('npm run bench: the relay figures of issue 23 in bench.md', () => {
  const relay = {
    rows: [
      row(2, 'pqroom', [run(3000, 10, 250), run(3300, 12, 240)], { vsBare: 0.1, vsSealed: 0.12 }),
      row(2, 'sealed', [run(25000, 2, 40), run(26000, 3, 41)]),
      row(2, 'bare', [run(30000, 1, 20), run(31000, 1, 21)]),
      row(100, 'pqroom', [run(20000, 4, 30), run(21000, 5, 31)], { vsBare: 0.8, vsSealed: 0.95 }),
      row(100, 'sealed', [run(21000, 3, 30), run(22000, 4, 30)]),
    ],
    realistic: [
      row('1000×3', 'pqroom', [run(5000, 900, 200)], { vsSealed: 0.2 }),
      row('1000×3', 'pqroom', [run(9000, 800, 210)], { workers: 2, vsSealed: 0.36 }),
      row('1000×3', 'sealed', [run(25000, 200, 45)]),
    ],
  };
  const figs = relayFigures(relay, 'v20');
  const find = (name: string) => figs.find((f) => f.name === name);

  it('gives each pqroom row its ratio to bare+seal with the 0.7x goal, met or not', () => {
    expect(find('2 members, pqroom: delivered/s vs bare+seal')).toMatchObject({ median: 0.12, goal: '>= 0.7x bare+seal', met: false });
    expect(find('100 members, pqroom: delivered/s vs bare+seal')).toMatchObject({ median: 0.95, met: true });
  });

  it("takes the p99 ratio within each repetition (10/2 and 12/3), not from the medians", () => {
    const f = find("2 members, pqroom: p99 vs bare+seal's");
    expect(f).toMatchObject({ min: 4, max: 5, goal: '<= 2x bare+seal', met: false });
  });

  it('holds the CPU goal at 2 members only', () => {
    expect(find('2 members, pqroom: server CPU per delivery')).toMatchObject({ median: 250, min: 240, max: 250, goal: '<= 100 µs at 2 members', met: false });
    expect(find('100 members, pqroom: server CPU per delivery')?.goal).toBeUndefined();
  });

  it('includes the realistic rows and the 2 workers over 1 worker ratio against the 1.6x goal', () => {
    expect(find('1000×3 (realistic), pqroom, 2 workers: delivered/s vs bare+seal')).toMatchObject({ median: 0.36, met: false });
    expect(find('1000×3 (realistic): 2 workers over 1 worker (same repetition)')).toMatchObject({ median: 1.8, goal: '>= 1.6x on 2 cores', met: true });
    expect(figs.filter((f) => f.name.startsWith('1000×3 (realistic)') && f.unit === '/s')).toHaveLength(3);
  });

  it('gives bare and bare+seal rows their delivered/s and no goal', () => {
    const bare = figs.filter((f) => f.name.includes(', bare'));
    expect(bare.map((f) => f.name)).toContain('2 members, bare+seal: delivered/s (1.00 of bare)');
    expect(bare.length).toBe(4);
    for (const f of bare) expect(f.goal).toBeUndefined();
  });
});

describe('npm run bench and the bench:* scripts', () => {
  it('name files that exist: every file a script of package.json runs, every child npm run bench starts (a benchmark moved takes its commands along)', () => {
    const root = join(import.meta.dirname, '..');
    const scripts = Object.values((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
    const run = scripts.flatMap((s) => s.match(/[\w./-]+\.(?:ts|js|mjs)\b/g) ?? []);
    const children = [...readFileSync(join(root, 'reports/bench.ts'), 'utf8').matchAll(/child\(bin, [^)]*?'([\w./-]+\.ts)'/g)].map((m) => m[1]!);
    expect(run).toContain('simulator/live/bench/bench-relay.ts');
    expect(children).toContain('simulator/live/bench/bench-relay.ts');
    expect(children.length).toBeGreaterThanOrEqual(5);
    for (const f of [...run, ...children]) expect(existsSync(join(root, f)), f).toBe(true);
  });
});
