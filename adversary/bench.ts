/**
 * `npm run bench:adversary`: attack runs per second on each crypto backend (symbolic, and every
 * real backend present: noble, liboqs, native), the same runs (seeds, plans) on each, in one
 * process; medians. It prints the ratios the issues ask for: symbolic against each real backend
 * (issue 5: at least 20 times noble), the fastest real backend against noble (issue 24: at least 5
 * times), and, when the native backend is present, the time its primitives take through the
 * provider (raw bytes in and out) against bare node:crypto calls on prepared keys.
 */
import * as nc from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRealBackends, fastestReal, presentBackends, realCrypto, type RealBackend } from '../impl/crypto/backends.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { Backend } from '../simulator/run.ts';
import { ATTACKS, runAttack, type Attack } from './attacks.ts';

// this module's crypto is the real backends': loaded with it (liboqs is WebAssembly, instantiated asynchronously)
await loadRealBackends();

const HONEST: Attack = { id: 'honest', title: 'no attack', weakness: '-', props: [], plan: () => [] };

/** Warm-up runs per case, not counted: symbolic runs are cheap and the JIT needs several of them. */
const WARMUP = (b: Backend): number => (b === 'symbolic' ? 8 : 2);

/**
 * Timed runs per case are `reps` times this: a symbolic run lasts tens of milliseconds, so one
 * pause of the shared machine can double it; three times as many samples steady its median.
 */
const REPS_FACTOR = (b: Backend): number => (b === 'symbolic' ? 3 : 1);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Per-call medians (µs) of `provider(i)` and `bare(i)` over `n` calls each, interleaved (one of
 * each in turn), so that a pause of the shared machine falls on both alike.
 */
function perCallPair(provider: (i: number) => unknown, bare: (i: number) => unknown, n: number): [number, number] {
  const p: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    provider(i);
    const t1 = performance.now();
    bare(i);
    const t2 = performance.now();
    p.push((t1 - t0) * 1000);
    b.push((t2 - t1) * 1000);
  }
  return [median(p), median(b)];
}

/** `n` distinct byte strings of `len` bytes, the i-th from the byte `tag` and i (a fixed input set). */
function inputs(n: number, len: number, tag: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => Uint8Array.from({ length: len }, (_, j) => (tag * 131 + i * 7 + j * (i + 1)) & 0xff));
}

/**
 * The native backend's primitives through the provider (raw bytes in and out, with the work that
 * takes: key import or its cache, seed-form import and export) against bare node:crypto on
 * prepared KeyObjects (Node 24). Both sides get the same inputs: signing time varies with the
 * number of rejection-loop iterations (FIPS 204 Algorithm 7), so both sign the same `n` distinct
 * messages (the provider with a distinct rnd each time; bare node:crypto hedges with its own); a
 * single fixed message would measure the luck of that one message. Key generation takes a distinct
 * seed each call (bare node:crypto draws its own).
 */
export function nativeOverhead(c: CryptoProvider, n: number): Record<string, { provider: number; bare: number; ratio: number; servedBy: string }> {
  const pq = nc as unknown as {
    decapsulate(k: nc.KeyObject, ct: Uint8Array): Buffer;
    encapsulate(k: nc.KeyObject): { ciphertext: Buffer; sharedKey: Buffer };
    sign(a: null, m: Uint8Array, k: { key: nc.KeyObject; context: Uint8Array }): Buffer;
    verify(a: null, m: Uint8Array, k: { key: nc.KeyObject; context: Uint8Array }, s: Uint8Array): boolean;
  };
  const dsa = c.sigKeygen(new Uint8Array(32).fill(1));
  const kem = c.kemKeygen(new Uint8Array(64).fill(2));
  const msgs = inputs(n, 400, 3);
  const ctx = new Uint8Array(12).fill(4);
  const rnds = inputs(n, 32, 5);
  const kemSeeds = inputs(n, 64, 6);
  const dsaSeeds = inputs(n, 32, 7);
  const sig = c.sign(dsa.secretKey, msgs[0]!, ctx, rnds[0]!);
  const enc = c.kemEncapsulate(kem.publicKey, rnds[1]!);
  const bareDsa = nc.generateKeyPairSync('ml-dsa-65' as never) as unknown as { publicKey: nc.KeyObject; privateKey: nc.KeyObject };
  const bareKem = nc.generateKeyPairSync('ml-kem-768' as never) as unknown as { publicKey: nc.KeyObject; privateKey: nc.KeyObject };
  const bareSig = pq.sign(null, msgs[0]!, { key: bareDsa.privateKey, context: ctx });
  const bareCt = pq.encapsulate(bareKem.publicKey).ciphertext;
  const rows: [string, (i: number) => unknown, (i: number) => unknown][] = [
    ['verify', () => c.verify(dsa.publicKey, msgs[0]!, ctx, sig), () => pq.verify(null, msgs[0]!, { key: bareDsa.publicKey, context: ctx }, bareSig)],
    ['kemDecapsulate', () => c.kemDecapsulate(enc.ct, kem.secretKey), () => pq.decapsulate(bareKem.privateKey, bareCt)],
    ['kemEncapsulate', (i) => c.kemEncapsulate(kem.publicKey, rnds[i]!), () => pq.encapsulate(bareKem.publicKey)],
    ['sign', (i) => c.sign(dsa.secretKey, msgs[i]!, ctx, rnds[i]!), (i) => pq.sign(null, msgs[i]!, { key: bareDsa.privateKey, context: ctx })],
    ['kemKeygen', (i) => c.kemKeygen(kemSeeds[i]!), () => nc.generateKeyPairSync('ml-kem-768' as never)],
    ['sigKeygen', (i) => c.sigKeygen(dsaSeeds[i]!), () => nc.generateKeyPairSync('ml-dsa-65' as never)],
  ];
  const out: Record<string, { provider: number; bare: number; ratio: number; servedBy: string }> = {};
  for (const [name, viaProvider, bare] of rows) {
    perCallPair(viaProvider, bare, 5);
    const [p, b] = perCallPair(viaProvider, bare, n);
    out[name] = { provider: p, bare: b, ratio: p / b, servedBy: c.origins?.[name] ?? c.name };
  }
  return out;
}

/** Runs the benchmark; returns the exit code. */
export function main(argv: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): number {
  const usage = 'usage: npm run bench:adversary -- [--reps N] [--backends symbolic,noble,...] [--out FILE | --no-out]';
  let values: { reps?: string; backends?: string; out?: string; 'no-out'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { reps: { type: 'string' }, backends: { type: 'string' }, out: { type: 'string' }, 'no-out': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    err(`bench:adversary: ${(e as Error).message.split('\n')[0]!.replace(/\. To specify .*$/, '')} (--help lists the options)`);
    return 2;
  }
  if (values.help) {
    out(`${usage}\n  --reps N          timed runs per case and real backend (symbolic: 3N), after warm-up runs (default 5)\n  --backends LIST   the backends to run, comma-separated (default: symbolic and every real backend present)\n  --out FILE        where the JSON result goes (default reports/out/bench-adversary.json)\n  --no-out          write no JSON\n  -h, --help        this text`);
    return 0;
  }
  const reps = values.reps === undefined ? 5 : Number(values.reps);
  if (!Number.isSafeInteger(reps) || reps < 1) {
    err(`bench:adversary: --reps must be a whole number of at least 1, not '${values.reps}'`);
    return 2;
  }
  const file: string | undefined = values['no-out'] ? undefined : (values.out ?? 'reports/out/bench-adversary.json');
  const only = values.backends?.split(',') as Backend[] | undefined;
  const known: string[] = ['symbolic', ...presentBackends()];
  const bad = only?.find((b) => !known.includes(b));
  if (bad !== undefined) {
    err(`bench:adversary: --backends: '${bad}' is not a backend of this process; choose among ${known.join(', ')}`);
    return 2;
  }
  const backends: Backend[] = only ?? ['symbolic', ...presentBackends()];
  const cases = [HONEST, ...['ATK-11', 'ATK-14', 'ATK-09'].map((id) => ATTACKS.find((a) => a.id === id)!)];
  out(`pqroom bench:adversary: attack runs (hardened room, 4 clients, 50 messages) on ${backends.join(', ')}; warm-up runs first, then ${reps} timed runs per real backend and ${reps * 3} symbolic, in a block each; medians`);
  out(`node ${process.version} ${process.execArgv.filter((a) => a.startsWith('--max')).join(' ')}, ${cpus().length} cpus (${cpus()[0]?.model ?? 'unknown'})`);
  out('');
  out(`case      ${backends.map((b) => `${b} ms`.padStart(12)).join('')}`);
  const rows: { case: string; ms: Record<string, number>; range: Record<string, [number, number]>; runs: Record<string, number[]> }[] = [];
  for (const atk of cases) {
    // each backend runs as a campaign does, its runs one after another, warm: warm-up runs of every
    // backend first (kept in the JSON, not counted), then the timed runs on the same seeds
    const runs: Record<string, number[]> = {};
    for (const b of backends) for (let i = 0; i < WARMUP(b); i++) runAttack(atk, { profile: 'hardened', seed: 90 + i, backend: b });
    for (const b of backends) {
      runs[b] = [];
      for (let r = 0; r < reps * REPS_FACTOR(b); r++) {
        const t0 = performance.now();
        runAttack(atk, { profile: 'hardened', seed: 100 + (r % reps), backend: b }); // the same seeds on every backend
        runs[b].push(performance.now() - t0);
      }
    }
    const ms = Object.fromEntries(backends.map((b) => [b, median(runs[b]!)]));
    const range = Object.fromEntries(backends.map((b) => [b, [Math.min(...runs[b]!), Math.max(...runs[b]!)] as [number, number]]));
    out(`${atk.id.padEnd(8)}  ${backends.map((b) => ms[b]!.toFixed(0).padStart(12)).join('')}`);
    rows.push({ case: atk.id, ms, range, runs });
  }
  // ratios per case, then the median over cases
  const ratio = (a: Backend, b: Backend): number => median(rows.map((r) => r.ms[b]! / r.ms[a]!));
  const ratios: Record<string, number> = {};
  // the fastest real backend as measured in this run (a guess by kind, native before liboqs, can be wrong)
  const reals = backends.filter((b): b is RealBackend => b !== 'symbolic' && b !== 'noble');
  const fastest: RealBackend = backends.includes('noble') && reals.length > 0 ? reals.reduce((x, y) => (ratio(y, 'noble') > ratio(x, 'noble') ? y : x)) : fastestReal();
  out('');
  if (backends.includes('noble')) {
    for (const b of backends.filter((x) => x !== 'noble')) {
      ratios[`${b}/noble`] = ratio(b, 'noble');
      out(`${b.padEnd(8)} runs ${ratios[`${b}/noble`]!.toFixed(2)}x as many cases per second as noble${b === fastest ? ' (the fastest real backend in this run; issue 24: at least 5x)' : ''}${b === 'symbolic' ? ' (issue 5: at least 20x)' : ''}`);
    }
  }
  if (backends.includes('symbolic')) for (const b of backends.filter((x) => x !== 'symbolic' && x !== 'noble')) ratios[`symbolic/${b}`] = ratio('symbolic', b);
  for (const [k, v] of Object.entries(ratios)) if (k.startsWith('symbolic/')) out(`symbolic runs ${v.toFixed(1)}x as many cases per second as ${k.slice(9)}`);
  let native: ReturnType<typeof nativeOverhead> | undefined;
  if (presentBackends().includes('native')) {
    native = nativeOverhead(realCrypto('native'), 200);
    out('');
    out('native backend: µs per call through the provider (raw keys) vs bare node:crypto on prepared keys (issue 24: within 1.5x)');
    for (const [k, v] of Object.entries(native)) out(`  ${k.padEnd(15)} ${v.provider.toFixed(0).padStart(7)} ${v.bare.toFixed(0).padStart(7)}  ${v.ratio.toFixed(2)}x  (${v.servedBy})`);
  }
  if (file !== undefined) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ command: `npm run bench:adversary -- ${argv.join(' ')}`.trim(), node: process.version, nodeFlags: process.execArgv.filter((a) => a.startsWith('--max')), cpus: cpus().length, backends, fastest, ratios, native, results: rows }, null, 2)}\n`);
    out(`written to ${file}`);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
