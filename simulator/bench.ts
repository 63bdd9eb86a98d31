/**
 * `npm run bench`: what the simulator costs on top of the cryptography it calls. Rooms of 3 and 50
 * members run with the real primitives; every call into the crypto provider is timed, so each
 * run reports its own ratio of simulator-and-machines time to crypto time (measured in the same
 * run: machine noise cancels). Medians over repetitions. Not a test: nothing here asserts a time.
 *
 *   tsx simulator/bench.ts --backend noble   # 3 and 50 members, 3 repetitions (npm run bench runs it per backend)
 *   tsx simulator/bench.ts --reps 5 --messages 300 --out FILE
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadRealBackends, fastestReal, realCrypto, REAL_BACKENDS, type RealBackend } from '../impl/crypto/backends.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { scenario, type ScenarioRun } from './scenarios.ts';
import { createWorld } from './world.ts';

// this module's crypto is the real backends': loaded with it (liboqs is WebAssembly, instantiated asynchronously)
await loadRealBackends();

/** A crypto provider that times every call. */
interface TimedCrypto {
  readonly crypto: CryptoProvider;
  /** Milliseconds spent inside the provider, by function. */
  readonly spent: Map<string, { ms: number; calls: number }>;
}

function timed(inner: CryptoProvider): TimedCrypto {
  const spent = new Map<string, { ms: number; calls: number }>();
  const wrapped: Record<string, unknown> = { name: inner.name };
  for (const [k, v] of Object.entries(inner)) {
    if (typeof v !== 'function') continue;
    const f = v as (...a: unknown[]) => unknown;
    const slot = { ms: 0, calls: 0 };
    spent.set(k, slot);
    wrapped[k] = (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return f.apply(inner, args);
      } finally {
        slot.ms += performance.now() - t0;
        slot.calls++;
      }
    };
  }
  return { crypto: wrapped as unknown as CryptoProvider, spent };
}

/** One measured run. */
interface Measurement {
  readonly members: number;
  readonly messages: number;
  readonly wallMs: number;
  readonly setupMs: number;
  readonly chatMs: number;
  readonly cryptoMs: number;
  readonly chatCryptoMs: number;
  readonly events: number;
  readonly delivered: number;
  readonly virtualMs: number;
  readonly byPrimitive: Record<string, { ms: number; calls: number }>;
}

function measure(crypto: CryptoProvider, members: number, messages: number, seed: number): Measurement {
  const t = timed(crypto);
  const world = createWorld({ seed, profile: 'hardened', crypto: t.crypto });
  const names = Array.from({ length: members }, (_, i) => `m${i + 1}`);
  const run: ScenarioRun = { world, members: [], removed: [], speakers: new Set(), next: 0, extraChecks: [] };
  const setup = scenario('bench', 'bench').members(...names).create().admit(...names);
  const t0 = performance.now();
  for (const s of setup.steps) s(run);
  const t1 = performance.now();
  const cryptoSetup = [...t.spent.values()].reduce((n, x) => n + x.ms, 0);
  const deliveredSetup = [...world.clients.values()].reduce((n, c) => n + c.deliveries.length, 0);
  const eventsSetup = world.events();
  for (const s of scenario('bench', 'bench').chat(messages, 20).wait(20_000).steps) s(run);
  const t2 = performance.now();
  const cryptoAll = [...t.spent.values()].reduce((n, x) => n + x.ms, 0);
  const delivered = [...world.clients.values()].reduce((n, c) => n + c.deliveries.length, 0) - deliveredSetup;
  if (delivered < messages * members) throw new Error(`bench run lost messages: ${delivered} of ${messages * (members + 1)}`);
  return {
    members,
    messages,
    wallMs: t2 - t0,
    setupMs: t1 - t0,
    chatMs: t2 - t1,
    cryptoMs: cryptoAll,
    chatCryptoMs: cryptoAll - cryptoSetup,
    events: world.events() - eventsSetup,
    delivered,
    virtualMs: world.now() - world.startTime,
    byPrimitive: Object.fromEntries([...t.spent.entries()].filter(([, v]) => v.calls > 0).map(([k, v]) => [k, { ms: v.ms, calls: v.calls }])),
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs the benchmark; returns the exit code. */
export function main(argv: readonly string[], out: (s: string) => void = console.log): number {
  let reps = 3;
  let messages = 200;
  let file: string | undefined = 'reports/out/bench-protocol.json';
  let sizes = [3, 50];
  let backend: RealBackend = fastestReal();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--backend') {
      const b = argv[++i];
      if (!(REAL_BACKENDS as readonly (string | undefined)[]).includes(b)) {
        out(`bench: --backend must be one of ${REAL_BACKENDS.join(', ')}`);
        return 2;
      }
      backend = b as RealBackend;
    } else if (a === '--reps') reps = Number(argv[++i]);
    else if (a === '--messages') messages = Number(argv[++i]);
    else if (a === '--members') sizes = String(argv[++i]).split(',').map(Number);
    else if (a === '--out') file = argv[++i];
    else if (a === '--no-out') file = undefined;
    else {
      out(`bench: unknown argument ${a}\nusage: tsx simulator/bench.ts [--backend B] [--reps N] [--messages N] [--members 3,50] [--out FILE | --no-out]`);
      return 2;
    }
  }
  let crypto: CryptoProvider;
  try {
    crypto = realCrypto(backend);
  } catch (e) {
    out(`bench: ${(e as Error).message}`);
    return 2;
  }
  const rows: Record<string, unknown>[] = [];
  out(`pqroom bench: hardened rooms, real primitives (${crypto.name}), ${reps} repetitions, ${messages} messages each; medians`);
  out(`node ${process.version}, ${cpus().length} cpus (${cpus()[0]?.model ?? 'unknown'})`);
  out('');
  out('members  msgs  wall s  crypto s  sim share  overhead  events/s  delivered/s  setup s');
  for (const members of sizes) {
    const ms: Measurement[] = [];
    for (let r = 0; r < reps; r++) ms.push(measure(crypto, members, messages, 100 + r));
    // the chat phase: what a room does once it is set up
    const chatWall = median(ms.map((m) => m.chatMs));
    const chatCrypto = median(ms.map((m) => m.chatCryptoMs));
    const overhead = median(ms.map((m) => (m.chatMs - m.chatCryptoMs) / m.chatCryptoMs));
    const share = median(ms.map((m) => (m.chatMs - m.chatCryptoMs) / m.chatMs));
    const eventsPerS = median(ms.map((m) => m.events / (m.chatMs / 1000)));
    const deliveredPerS = median(ms.map((m) => m.delivered / (m.chatMs / 1000)));
    const setup = median(ms.map((m) => m.setupMs));
    const range = (f: (m: Measurement) => number): [number, number] => [Math.min(...ms.map(f)), Math.max(...ms.map(f))];
    out(
      `${String(members).padStart(7)}  ${String(messages).padStart(4)}  ${(chatWall / 1000).toFixed(2).padStart(6)}  ${(chatCrypto / 1000).toFixed(2).padStart(8)}  ${`${(share * 100).toFixed(1)}%`.padStart(9)}  ${`${(overhead * 100).toFixed(1)}%`.padStart(8)}  ${eventsPerS.toFixed(0).padStart(8)}  ${deliveredPerS.toFixed(0).padStart(11)}  ${(setup / 1000).toFixed(2).padStart(7)}`,
    );
    const prim = ms[0]!.byPrimitive;
    const top = Object.entries(prim).sort((a, b) => b[1].ms - a[1].ms).slice(0, 4);
    out(`         crypto time by primitive (first run, whole run): ${top.map(([k, v]) => `${k} ${(v.ms / 1000).toFixed(2)} s / ${v.calls} calls`).join(', ')}`);
    rows.push({ members, messages, reps, chatWallMs: chatWall, chatWallRangeMs: range((m) => m.chatMs), chatCryptoMs: chatCrypto, simulatorShare: share, overheadOverCrypto: overhead, overheadRange: range((m) => (m.chatMs - m.chatCryptoMs) / m.chatCryptoMs), eventsPerSecond: eventsPerS, deliveredPerSecond: deliveredPerS, setupMs: setup, runs: ms });
  }
  out('');
  out('sim share = (wall − crypto) / wall of the chat phase; overhead = (wall − crypto) / crypto (goal: at most 15%).');
  out('Setup (joins, each a commit with one KEM ciphertext per member) is reported apart.');
  if (file !== undefined) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ command: `npm run bench -- ${argv.join(' ')}`.trim(), node: process.version, cpus: cpus().length, backend, crypto: crypto.name, origins: crypto.origins ?? {}, results: rows }, null, 2)}\n`);
    out(`written to ${file}`);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
