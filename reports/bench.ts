/**
 * `npm run bench`: the whole benchmark suite, each part in a child process of its own, and its
 * figures gathered into `reports/out/bench.json` and `reports/out/bench.md`, each with the command
 * that measured it, its median and min-max, the machine and the Node version (and what else ran on
 * the machine when the suite started: its load). Parts: the protocol against its primitives per
 * real backend (simulator/bench.ts), campaign throughput per backend (adversary/bench.ts) and per
 * worker count (`pqroom audit --workers N`), the relay against bare+seal (simulator/live/bench/bench-relay.ts),
 * Argon2id per implementation (impl/crypto/bench-argon2.ts), and the peak memory of simulated rooms
 * (simulator/bench-memory.ts). A measurement, never a test: nothing here asserts a time.
 *
 *   npm run bench                                  # everything, this Node
 *   npm run bench -- --node /path/to/node24        # the crypto parts again on another Node (the native backend)
 *   npm run bench -- --quick                       # fewer repetitions, no relay part
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { MODE_NAME, type Mode } from '../simulator/live/bench/bench-servers.ts';

/** One figure of the suite. */
export interface Figure {
  readonly part: string;
  readonly name: string;
  readonly unit: string;
  readonly median: number;
  readonly min?: number;
  readonly max?: number;
  readonly command: string;
  readonly node: string;
  /** A goal of the issues, when the figure has one, and whether it was met. */
  readonly goal?: string;
  readonly met?: boolean;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `node [flags] file args` with `bin`; returns its stdout (throws on failure, with its stderr). */
function child(bin: string, flags: readonly string[], file: string, args: readonly string[]): string {
  const r = spawnSync(bin, [...flags, file, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

function machine(): Record<string, unknown> {
  let top = '';
  try {
    top = execFileSync('top', ['-bn1'], { encoding: 'utf8' }).split('\n').slice(0, 12).join('\n');
  } catch {
    top = 'top not available';
  }
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), loadAverage: loadavg().map((x) => Number(x.toFixed(2))), top };
}

/** What bench:relay writes beside its table: the room-size rows and the realistic rows (simulator/live/bench/bench-relay.ts). */
interface RelayRun {
  readonly deliveredPerSecond: number;
  readonly p99Ms: number;
  readonly serverCpuUsPerDelivery: number;
}
interface RelayRow extends RelayRun {
  readonly members: number | string;
  readonly mode: Mode;
  readonly workers?: number;
  readonly vsBare: number;
  readonly vsSealed: number;
  readonly runs: readonly RelayRun[];
}
interface RelayJson {
  readonly rows: readonly RelayRow[];
  readonly realistic?: readonly RelayRow[];
}

/**
 * The relay's figures: every row's delivered/s, and for pqroom's rows issue 23's goals (delivered/s
 * ≥ 0.7× bare+seal, p99 ≤ 2× bare+seal's, CPU per message at 2 members ≤ 100 µs, 2 workers ≥ 1.6×
 * one worker on 1,000 rooms of 3), each ratio taken within one repetition.
 */
export function relayFigures(relay: RelayJson, node: string): Figure[] {
  const figs: Figure[] = [];
  const cmd = 'npm run bench:relay';
  const spread = (runs: readonly RelayRun[], g: (r: RelayRun) => number) => ({ min: Math.min(...runs.map(g)), max: Math.max(...runs.map(g)) });
  const perRep = (a: RelayRow, b: RelayRow, g: (r: RelayRun) => number): number[] => a.runs.map((r, i) => g(r) / g(b.runs[i] ?? b));
  const groups = [
    { rows: relay.rows, label: (r: RelayRow) => `${r.members} members` },
    { rows: relay.realistic ?? [], label: (r: RelayRow) => `${r.members} (realistic)` },
  ];
  for (const { rows, label } of groups) {
    for (const r of rows) {
      const server = r.mode === 'pqroom' && (r.workers ?? 1) > 1 ? `pqroom, ${r.workers} workers` : MODE_NAME[r.mode];
      figs.push({ part: 'relay', name: `${label(r)}, ${server}: delivered/s (${r.vsBare.toFixed(2)} of bare)`, unit: '/s', median: r.deliveredPerSecond, ...spread(r.runs, (x) => x.deliveredPerSecond), command: cmd, node });
      if (r.mode !== 'pqroom') continue;
      const sealed = rows.find((s) => s.members === r.members && s.mode === 'sealed');
      if (sealed === undefined) continue;
      const p99 = perRep(r, sealed, (x) => x.p99Ms);
      figs.push({ part: 'relay', name: `${label(r)}, ${server}: delivered/s vs bare+seal`, unit: 'x', median: r.vsSealed, command: cmd, node, goal: '>= 0.7x bare+seal', met: r.vsSealed >= 0.7 });
      figs.push({ part: 'relay', name: `${label(r)}, ${server}: p99 vs bare+seal's`, unit: 'x', median: median(p99), min: Math.min(...p99), max: Math.max(...p99), command: cmd, node, goal: '<= 2x bare+seal', met: median(p99) <= 2 });
      const cpuGoal = r.members === 2 ? { goal: '<= 100 µs at 2 members', met: r.serverCpuUsPerDelivery <= 100 } : {};
      figs.push({ part: 'relay', name: `${label(r)}, ${server}: server CPU per delivery`, unit: 'µs', median: r.serverCpuUsPerDelivery, ...spread(r.runs, (x) => x.serverCpuUsPerDelivery), command: cmd, node, ...cpuGoal });
      const one = rows.find((s) => s.members === r.members && s.mode === 'pqroom' && (s.workers ?? 1) === 1);
      if ((r.workers ?? 1) > 1 && one !== undefined) {
        const up = perRep(r, one, (x) => x.deliveredPerSecond);
        figs.push({ part: 'relay', name: `${label(r)}: ${r.workers} workers over 1 worker (same repetition)`, unit: 'x', median: median(up), min: Math.min(...up), max: Math.max(...up), command: `${cmd} -- --realistic rooms --workers 1,${r.workers}`, node, goal: '>= 1.6x on 2 cores', met: median(up) >= 1.6 });
      }
    }
  }
  return figs;
}

/** Runs the suite; returns the exit code. */
export function main(argv: readonly string[], out: (s: string) => void = console.log): number {
  let quick = false;
  const nodes = [process.execPath];
  let dir = 'reports/out';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--node' && argv[i + 1]) nodes.push(argv[++i]!);
    else if (a === '--out' && argv[i + 1]) dir = argv[++i]!;
    else {
      out(`bench: unexpected argument ${a}\nusage: npm run bench -- [--quick] [--node OTHER_NODE] [--out DIR]`);
      return 2;
    }
  }
  const tmp = mkdtempSync(join(tmpdir(), 'pqroom-bench-'));
  const tsx = ['--import', 'tsx'];
  const figures: Figure[] = [];
  const raw: Record<string, unknown> = {};
  const started = { at: new Date().toISOString(), machine: machine() };
  out(`pqroom bench suite: ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the start`);
  const fig = (f: Figure): void => {
    figures.push(f);
    out(`  ${f.part}: ${f.name}: ${f.median.toFixed(f.median < 10 ? 2 : 0)} ${f.unit}${f.min !== undefined ? ` (${f.min.toFixed(f.min < 10 ? 2 : 0)}-${f.max!.toFixed(f.max! < 10 ? 2 : 0)})` : ''}${f.goal ? ` [${f.goal}: ${f.met ? 'met' : 'NOT met'}]` : ''}`);
  };
  try {
    for (const bin of nodes) {
      const node = child(bin, [], '-p', ['process.version']).trim();
      const major = Number(node.slice(1).split('.')[0]);
      // 1. campaign throughput per backend, in one process (ratios within one run)
      out(`campaign throughput per backend (node ${node})`);
      const advFile = join(tmp, `adversary-${major}.json`);
      const advArgs = ['--reps', quick ? '3' : '5', '--out', advFile];
      child(bin, ['--max-semi-space-size=32', ...tsx], 'adversary/bench.ts', advArgs);
      const adv = JSON.parse(readFileSync(advFile, 'utf8')) as { backends: string[]; fastest: string; ratios: Record<string, number>; native?: Record<string, { provider: number; bare: number; ratio: number; servedBy: string }>; results: { case: string; ms: Record<string, number>; range: Record<string, [number, number]> }[] };
      raw[`adversary-node${major}`] = adv;
      const advCmd = `node --max-semi-space-size=32 --import tsx adversary/bench.ts ${advArgs.slice(0, 2).join(' ')}`;
      for (const b of adv.backends) {
        const perCase = adv.results.map((r) => 1000 / r.ms[b]!);
        fig({ part: 'campaign', name: `${b} runs/s (attack runs, median over 4 cases)`, unit: 'runs/s', median: median(perCase), min: Math.min(...perCase), max: Math.max(...perCase), command: advCmd, node });
      }
      for (const [k, v] of Object.entries(adv.ratios)) {
        const [a] = k.split('/');
        const goal = k === `${adv.fastest}/noble` && major < 24 ? 'fastest real backend >= 5x noble (Node 20)' : k === 'symbolic/noble' ? 'symbolic >= 20x noble' : undefined;
        const perCase = adv.results.map((r) => r.ms[k.split('/')[1]!]! / r.ms[a!]!);
        fig({ part: 'campaign', name: `${k} runs/s ratio`, unit: 'x', median: v, min: Math.min(...perCase), max: Math.max(...perCase), command: advCmd, node, ...(goal ? { goal, met: v >= (k === 'symbolic/noble' ? 20 : 5) } : {}) });
      }
      for (const [p, v] of Object.entries(adv.native ?? {})) {
        fig({ part: 'native', name: `${p} through the provider / bare node:crypto (served by ${v.servedBy})`, unit: 'x', median: v.ratio, command: advCmd, node, ...(v.servedBy.startsWith('node:crypto') ? { goal: 'native within 1.5x of bare native', met: v.ratio <= 1.5 } : {}) });
      }
      // 2. the protocol against its primitives, per real backend
      for (const b of adv.backends.filter((x) => x !== 'symbolic')) {
        const f = join(tmp, `protocol-${b}-${major}.json`);
        const args = ['--backend', b, '--reps', quick ? '1' : '3', '--messages', quick ? '50' : '100', '--members', '3,50', '--out', f];
        out(`protocol against primitives on ${b} (node ${node})`);
        child(bin, tsx, 'simulator/bench.ts', args);
        const j = JSON.parse(readFileSync(f, 'utf8')) as { results: { members: number; chatWallMs: number; chatWallRangeMs: [number, number]; overheadOverCrypto: number; overheadRange: [number, number] }[] };
        raw[`protocol-${b}-node${major}`] = j;
        for (const r of j.results) {
          const cmd = `tsx simulator/bench.ts ${args.slice(0, -2).join(' ')}`;
          fig({ part: 'protocol', name: `${b}, ${r.members} members: chat phase wall`, unit: 'ms', median: r.chatWallMs, min: r.chatWallRangeMs[0], max: r.chatWallRangeMs[1], command: cmd, node });
          fig({ part: 'protocol', name: `${b}, ${r.members} members: simulator and machines over crypto`, unit: '%', median: r.overheadOverCrypto * 100, min: r.overheadRange[0] * 100, max: r.overheadRange[1] * 100, command: cmd, node, goal: 'at most 15%', met: r.overheadOverCrypto <= 0.15 });
        }
      }
      // 2b. Argon2id per implementation, on each Node (node:crypto's is one of them on Node 24.7 and later)
      out(`Argon2id per implementation (node ${node})`);
      const argonMd = join(tmp, `argon2-${major}.md`);
      child(bin, tsx, 'impl/crypto/bench-argon2.ts', [argonMd]);
      const argon = JSON.parse(readFileSync(argonMd.replace(/\.md$/, '.json'), 'utf8')) as { rows: { use: string; profile: string; impl: string; ms: number; min: number; max: number }[] };
      raw[`argon2-node${major}`] = argon;
      for (const r of argon.rows) fig({ part: 'argon2', name: `${r.use}: ${r.profile} profile, ${r.impl}`, unit: 'ms', median: r.ms, min: r.min, max: r.max, command: 'npm run bench:argon2', node });
      if (bin !== process.execPath) continue;
      // 3. campaign throughput per worker count: the same audit, 1 to `cores` workers, alternating
      out('campaign throughput per worker count');
      const counts = [...new Set([1, Math.max(2, cpus().length)])];
      const wall: Record<number, number[]> = Object.fromEntries(counts.map((c) => [c, []]));
      const auditArgs = (w: number): string[] => ['audit', '--profile', 'hardened', '--runs', quick ? '40' : '80', '--seed', '1', '--workers', String(w), '--quiet', '--out', join(tmp, `audit-${w}`)];
      for (let rep = 0; rep < (quick ? 1 : 3); rep++) {
        for (const w of counts) {
          const t0 = performance.now();
          child(bin, [], 'cli.js', auditArgs(w));
          wall[w]!.push((performance.now() - t0) / 1000);
        }
      }
      for (const w of counts) fig({ part: 'workers', name: `pqroom audit, ${w} worker(s): wall`, unit: 's', median: median(wall[w]!), min: Math.min(...wall[w]!), max: Math.max(...wall[w]!), command: `pqroom ${auditArgs(w).slice(0, -3).join(' ')}`, node });
      const speedups = wall[counts[0]!]!.map((x, k) => x / wall[counts.at(-1)!]![k]!);
      fig({ part: 'workers', name: `--workers ${counts.at(-1)} speed-up over --workers 1 (same repetition)`, unit: 'x', median: median(speedups), min: Math.min(...speedups), max: Math.max(...speedups), command: 'the two audits above', node, goal: '>= 1.7x on 2 cores', met: median(speedups) >= 1.7 });
      // 5. peak memory of simulated rooms (joining is super-linear: see the README)
      out('peak memory of simulated rooms');
      for (const members of quick ? [50] : [50, 100]) {
        const line = child(bin, tsx, 'simulator/bench-memory.ts', ['--members', String(members)]);
        const m = JSON.parse(line) as { command: string; peakRssMiB: number; wallMs: number };
        raw[`memory-${members}`] = m;
        fig({ part: 'memory', name: `${members}-member room (symbolic): peak RSS`, unit: 'MiB', median: m.peakRssMiB, command: m.command, node });
        fig({ part: 'memory', name: `${members}-member room (symbolic): wall`, unit: 's', median: m.wallMs / 1000, command: m.command, node });
      }
      // 6. the relay against bare and bare+seal (last: it takes the longest)
      if (!quick) {
        out('relay against bare+seal');
        const relayMd = join(tmp, 'relay.md');
        child(bin, tsx, 'simulator/live/bench/bench-relay.ts', ['--out', relayMd]);
        const relay = JSON.parse(readFileSync(relayMd.replace(/\.md$/, '.json'), 'utf8')) as RelayJson;
        raw.relay = relay;
        for (const f of relayFigures(relay, node)) fig(f);
      }
    }
  } catch (e) {
    out(`bench: ${(e as Error).message}`);
    return 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const ended = { at: new Date().toISOString(), loadAverage: loadavg().map((x) => Number(x.toFixed(2))) };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench.json'), `${JSON.stringify({ command: `npm run bench -- ${argv.join(' ')}`.trim(), started, ended, figures, raw }, null, 2)}\n`);
  const cell = (x: number | undefined): string => (x === undefined ? '' : x < 10 ? x.toFixed(2) : x.toFixed(0));
  const md = [
    '# pqroom benchmarks',
    '',
    `\`npm run bench ${argv.join(' ')}\`, ${started.at}; ${String(started.machine.cpu)}, ${String(started.machine.cores)} cores; load average ${(started.machine.loadAverage as number[]).join(' ')} at the start, ${ended.loadAverage.join(' ')} at the end (other work shares this machine: see \`started.machine.top\` in bench.json).`,
    '',
    '| part | figure | median | min-max | unit | goal | node | command |',
    '|---|---|---:|---|---|---|---|---|',
    ...figures.map((f) => `| ${f.part} | ${f.name} | ${cell(f.median)} | ${f.min === undefined ? '' : `${cell(f.min)}-${cell(f.max)}`} | ${f.unit} | ${f.goal ? `${f.goal}: ${f.met ? 'met' : '**not met**'}` : ''} | ${f.node} | \`${f.command}\` |`),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'bench.md'), md);
  out(`written: ${join(dir, 'bench.json')}, ${join(dir, 'bench.md')}`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
