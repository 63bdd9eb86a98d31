/**
 * `npm run bench:argon2`: the time of each Argon2id implementation, measured in one run on this
 * machine, the implementations alternated run by run (the machine is shared: a slow period falls
 * on all of them alike). Not a timed test.
 *
 * - the vault's (asynchronous, REQ-KEY-010): every implementation of `ARGON2ID` (node:crypto's
 *   where the runtime has it, Node 24.7 and later), for the profiles of spec 10.3, 32 bytes; the
 *   seed profile runs once per implementation (it takes seconds and 500 MiB);
 * - the login's (synchronous, REQ-LOG-001, inside machines): what the providers call, 64 bytes:
 *   noble; the Node provider's (hash-wasm on a helper thread from 1 MiB, else noble); and
 *   node:crypto's `argon2Sync` where the runtime has it (the native provider's below 1 MiB).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { utf8, type Bytes } from '../bytes.ts';
import { KDF_PROFILES } from '../protocol/login.ts';
import { ARGON2ID } from './argon2.ts';
import { nodeArgon2id, nodeArgon2idAbsent } from './argon2-node.ts';
import { nobleCrypto } from './noble.ts';
import { nodeCrypto } from './node.ts';
import type { Argon2Params } from './provider.ts';

type Profile = keyof typeof KDF_PROFILES;
type Use = 'vault' | 'login';
interface Row {
  readonly use: Use;
  readonly profile: Profile;
  readonly impl: string;
  readonly ms: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}
type Impl = (password: Bytes, salt: Bytes, params: Argon2Params, length: number) => unknown;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const paramsOf = (p: Profile): Argon2Params => ({ m: KDF_PROFILES[p].memory_kib, t: KDF_PROFILES[p].iterations, p: KDF_PROFILES[p].parallelism });
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

/** Runs every implementation `runs` times, alternated (run i starts with implementation i mod n). */
async function measure(use: Use, profile: Profile, impls: Readonly<Record<string, Impl>>, runs: number, length: number): Promise<Row[]> {
  const names = Object.keys(impls);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      const t = performance.now();
      await impls[name]!(utf8(`benchmark password ${i}`), new Uint8Array(16).fill(i), paramsOf(profile), length);
      times[name]!.push(performance.now() - t);
    }
  }
  return names.map((impl) => ({ use, profile, impl, ms: median(times[impl]!), min: Math.min(...times[impl]!), max: Math.max(...times[impl]!), runs }));
}

const loadAtStart = load();
const rows: Row[] = [];
const vault: Readonly<Record<string, Impl>> = ARGON2ID;
for (const [profile, runs] of [['test', 21], ['interactive', 7], ['seed', 1]] as const) rows.push(...(await measure('vault', profile, vault, runs, 32)));
const login: Record<string, Impl> = {
  ...(nodeArgon2id ? { 'node:crypto argon2Sync (native, below 1 MiB)': nodeArgon2id.sync } : {}),
  'hash-wasm on a helper thread (noble+node)': nodeCrypto.argon2id,
  noble: nobleCrypto.argon2id,
};
for (const [profile, runs] of [['test', 51], ['interactive', 5]] as const) rows.push(...(await measure('login', profile, login, runs, 64)));

const cell = (r: Row | undefined): string => (r === undefined ? '' : `${r.ms.toFixed(1)} (${r.min.toFixed(1)}–${r.max.toFixed(1)})`);
function table(use: Use, names: readonly string[], reference: string): string[] {
  const others = names.filter((n) => n !== reference);
  return [
    `| profile | parameters | runs | ${names.map((n) => `${n} ms`).join(' | ')} | ${others.map((n) => `${n} / ${reference}`).join(' | ')} |`,
    `|---|---|---|${names.map(() => '---|').join('')}${others.map(() => '---|').join('')}`,
    ...[...new Set(rows.filter((r) => r.use === use).map((r) => r.profile))].map((p) => {
      const k = KDF_PROFILES[p];
      const of = (n: string) => rows.find((r) => r.use === use && r.profile === p && r.impl === n);
      return `| ${p} | m=${k.memory_kib} KiB, t=${k.iterations}, p=${k.parallelism} | ${of(reference)!.runs} | ${names.map((n) => cell(of(n))).join(' | ')} | ${others.map((n) => `${(of(n)!.ms / of(reference)!.ms).toFixed(2)}x`).join(' | ')} |`;
    }),
  ];
}
const lines = [
  `Argon2id, Node ${process.versions.node} (OpenSSL ${process.versions.openssl}), \`npm run bench:argon2\`: median ms (min–max), the implementations alternated run by run; ratio = time / the reference's time in this run (above 1: slower). Load average ${loadAtStart} at the start, ${load()} at the end.`,
  ...(nodeArgon2id ? [] : ['', `node:crypto's Argon2id is absent here: ${nodeArgon2idAbsent}. Only hash-wasm and noble are measured.`]),
  '',
  'The vault (asynchronous, 32 bytes; reference: hash-wasm, the vault\'s default)',
  '',
  ...table('vault', Object.keys(vault), 'hash-wasm'),
  '',
  'The login, inside machines (synchronous, 64 bytes; reference: the Node provider\'s, hash-wasm on a helper thread from 1 MiB, else noble)',
  '',
  ...table('login', Object.keys(login), 'hash-wasm on a helper thread (noble+node)'),
];
console.log(lines.join('\n'));
const out = process.argv[2];
if (out) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${lines.join('\n')}\n`);
  if (out.endsWith('.md')) writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify({ command: 'npm run bench:argon2', node: process.version, openssl: process.versions.openssl, loadAverage: { start: loadAtStart, end: load() }, rows }, null, 2)}\n`);
}
