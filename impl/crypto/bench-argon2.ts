/**
 * `npm run bench:argon2`: the time of each Argon2id implementation tried for the vault, for the
 * profiles of spec 10.3, measured in one run on this machine (median of the runs; the seed profile
 * is run once per implementation, it takes seconds and 500 MiB). Not a timed test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { utf8 } from '../bytes.ts';
import { KDF_PROFILES } from '../protocol/login.ts';
import { ARGON2ID } from './argon2.ts';

const runsFor = { test: 21, interactive: 5, seed: 1 } as const;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: { profile: string; impl: string; ms: number; min: number; max: number; runs: number }[] = [];
for (const profile of ['test', 'interactive', 'seed'] as const) {
  const k = KDF_PROFILES[profile];
  for (const [impl, argon2] of Object.entries(ARGON2ID)) {
    const times: number[] = [];
    for (let i = 0; i < runsFor[profile]; i++) {
      const t = performance.now();
      await argon2(utf8(`benchmark password ${i}`), new Uint8Array(16).fill(i), { m: k.memory_kib, t: k.iterations, p: k.parallelism }, 32);
      times.push(performance.now() - t);
    }
    rows.push({ profile, impl, ms: median(times), min: Math.min(...times), max: Math.max(...times), runs: times.length });
  }
}
const lines = [
  `Argon2id for the vault, Node ${process.versions.node}, \`npm run bench:argon2\` (median ms; ratio = noble / hash-wasm in this run)`,
  '',
  '| profile | parameters | hash-wasm ms | noble ms | ratio |',
  '|---|---|---|---|---|',
  ...(['test', 'interactive', 'seed'] as const).map((p) => {
    const k = KDF_PROFILES[p];
    const hw = rows.find((r) => r.profile === p && r.impl === 'hash-wasm')!;
    const nb = rows.find((r) => r.profile === p && r.impl === 'noble')!;
    return `| ${p} | m=${k.memory_kib} KiB, t=${k.iterations}, p=${k.parallelism} | ${hw.ms.toFixed(1)} | ${nb.ms.toFixed(1)} | ${(nb.ms / hw.ms).toFixed(1)}x |`;
  }),
];
console.log(lines.join('\n'));
const out = process.argv[2];
if (out) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${lines.join('\n')}\n`);
  if (out.endsWith('.md')) writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify({ command: 'npm run bench:argon2', node: process.version, rows }, null, 2)}\n`);
}
