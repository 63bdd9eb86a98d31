/**
 * `npm run bench:adversary`: attack runs per second on the symbolic backend against the real
 * one, the same runs (seeds, plans) on both, in one process; medians. Issue 5 asks for the
 * symbolic backend to run at least 20 times as many cases per second as the real one; this
 * prints what it does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { ATTACKS, runAttack, type Attack } from './attacks.ts';

const HONEST: Attack = { id: 'honest', title: 'no attack', weakness: '-', props: [], plan: () => [] };

/** Warm-up runs per case, not counted: symbolic runs are cheap and the JIT needs several of them. */
const WARMUP = { symbolic: 8, real: 2 } as const;

/**
 * Timed runs per case are `reps` times this: a symbolic run lasts tens of milliseconds, so one
 * pause of the shared machine can double it; three times as many samples steady its median.
 */
const REPS_FACTOR = { symbolic: 3, real: 1 } as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs the benchmark; returns the exit code. */
export function main(argv: readonly string[], out: (s: string) => void = console.log): number {
  let reps = 5;
  let file: string | undefined = 'reports/out/bench-adversary.json';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--reps') reps = Number(argv[++i]);
    else if (a === '--out') file = argv[++i];
    else if (a === '--no-out') file = undefined;
    else {
      out(`bench: unknown argument ${a}\nusage: npm run bench:adversary -- [--reps N] [--out FILE | --no-out]`);
      return 2;
    }
  }
  const cases = [HONEST, ...['ATK-11', 'ATK-14', 'ATK-09'].map((id) => ATTACKS.find((a) => a.id === id)!)];
  out(`pqroom bench:adversary: attack runs (hardened room, 4 clients, 50 messages), ${WARMUP.symbolic} symbolic and ${WARMUP.real} real warm-up runs, then ${reps * REPS_FACTOR.symbolic} symbolic and ${reps} real timed runs in a block each; medians`);
  out(`node ${process.version} ${process.execArgv.filter((a) => a.startsWith('--max')).join(' ')}, ${cpus().length} cpus (${cpus()[0]?.model ?? 'unknown'})`);
  out('');
  out('case      symbolic ms  real ms  ratio  events');
  const rows: Record<string, unknown>[] = [];
  for (const atk of cases) {
    const t = { symbolic: [] as number[], real: [] as number[] };
    let events = 0;
    // each backend runs as a campaign does, its runs one after another, warm: a campaign of
    // hundreds of runs spends almost all of its time with the shared code (machines, codecs,
    // oracles) compiled by the JIT, which takes about ten runs here. So: warm-up runs of both
    // backends first, not counted but kept in the JSON (`warmup`), then `reps` timed runs of
    // each, on the same seeds
    const warmup = { symbolic: [] as number[], real: [] as number[] };
    for (const backend of ['symbolic', 'real'] as const) {
      for (let i = 0; i < WARMUP[backend]; i++) {
        const t0 = performance.now();
        runAttack(atk, { profile: 'hardened', seed: 90 + i, backend });
        warmup[backend].push(performance.now() - t0);
      }
    }
    for (const backend of ['symbolic', 'real'] as const) {
      for (let r = 0; r < reps * REPS_FACTOR[backend]; r++) {
        const t0 = performance.now();
        const res = runAttack(atk, { profile: 'hardened', seed: 100 + (r % reps), backend }); // the same seeds on both backends
        t[backend].push(performance.now() - t0);
        events = res.world.events();
      }
    }
    const s = median(t.symbolic);
    const re = median(t.real);
    out(`${atk.id.padEnd(8)}  ${s.toFixed(0).padStart(11)}  ${re.toFixed(0).padStart(7)}  ${(re / s).toFixed(1).padStart(5)}  ${String(events).padStart(6)}`);
    rows.push({ case: atk.id, symbolicMs: s, realMs: re, ratio: re / s, events, runs: t, warmup });
  }
  const ratio = median(rows.map((r) => r.ratio as number));
  out('');
  out(`symbolic runs ${ratio.toFixed(1)}x as many cases per second as real (median over cases; issue 5's goal: 20x)`);
  if (file !== undefined) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ command: `npm run bench:adversary -- ${argv.join(' ')}`.trim(), node: process.version, nodeFlags: process.execArgv.filter((a) => a.startsWith('--max')), cpus: cpus().length, medianRatio: ratio, results: rows }, null, 2)}\n`);
    out(`written to ${file}`);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
