/**
 * Where the relay's CPU goes, by component (issue 23): reads a V8 CPU profile of the relay
 * process (`BENCH_PROF=FILE npm run bench:relay ...` writes `FILE.pqroom.cpuprofile` over the
 * measured phase) and sums the self time of every sampled function into the component its source
 * belongs to: the transport's frame opening and sealing (AEAD included), decoding and encoding,
 * hashing, the relay's request checks, the XState machine steps, the SQLite store, the socket (ws, streams),
 * the relay host around them, the garbage collector, the rest. Divided by the messages of the
 * measured phase, it says how many microseconds of each one message costs.
 *
 *   npx tsx simulator/live/bench/profile-components.ts FILE.pqroom.cpuprofile --messages N
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** A V8 CPU profile, as much of it as this reads. */
interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string } }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** The components, in the order a request meets them, each with how its source is recognised. */
export const COMPONENTS: readonly { readonly name: string; readonly match: (url: string, fn: string) => boolean }[] = [
  {
    name: 'frame open and seal (transport, AEAD)',
    match: (u, f) => /impl\/protocol\/transport\.ts|@noble\/ciphers|node:internal\/crypto\/cipher|machines\/connection\.ts|node:crypto$/.test(u) || (/impl\/crypto\/node\.ts/.test(u) && /^(seal|open|)$/.test(f)) || (u === '' && /^(update|initiv|CipherBase|setAAD|final|getAuthTag|setAuthTag)$/.test(f)),
  },
  { name: 'hashing (SHA-256: request digests, REQ-REL-004)', match: (u, f) => /node:internal\/crypto\/(hash|util)/.test(u) || (u === '' && /^(Hash|digest|oneShotDigest)$/.test(f)) || (/impl\/crypto\/node\.ts/.test(u) && f === 'sha256') },
  { name: 'decode and encode (codec)', match: (u) => /impl\/codec|impl\/messages|impl\/bytes\.ts/.test(u) },
  { name: 'request checks (relay state)', match: (u) => /impl\/protocol\/relay-state/.test(u) },
  { name: 'machine steps (XState, relay machine)', match: (u) => /node_modules\/xstate|machines\/(relay|driver|memo)\.ts/.test(u) },
  { name: 'store (SQLite)', match: (u, f) => /sqlite-store\.ts|better-sqlite3/.test(u) || /^(run|get|all|exec|prepare|transaction)$/.test(f) && u === '' },
  { name: 'socket (ws, streams, net)', match: (u, f) => /node_modules\/ws\/|node:net|node:internal\/(stream|net|streams)|node:_http|node:internal\/http/.test(u) || /^(writev|writeBuffer|writeUtf8String)$/.test(f) },
  { name: 'relay host and server', match: (u) => /simulator\/relay-host\.ts|simulator\/live\/relay\.ts|simulator\/envelope\.ts/.test(u) },
  { name: 'garbage collection', match: (_u, f) => f === '(garbage collector)' },
  { name: 'idle', match: (_u, f) => f === '(idle)' },
];
const OTHER = 'everything else';

/**
 * Self time (µs) per component. With `wall` false (the default), a sample counts at most twice the
 * median interval between samples: a longer gap is the thread not running (waiting in an fsync,
 * which holds the sampler's signal until it returns, or descheduled on a loaded machine), and
 * counting it whole put an fsync's wait on the store and a descheduled stretch on whatever ran
 * next (issue 23: 41 µs per message of "self time" in the store's append on a loaded run).
 */
export function componentTimes(p: CpuProfile, wall = false): Map<string, number> {
  const nodeName = new Map<number, string>();
  for (const n of p.nodes) nodeName.set(n.id, COMPONENTS.find((c) => c.match(n.callFrame.url, n.callFrame.functionName))?.name ?? OTHER);
  const out = new Map<string, number>([...COMPONENTS.map((c) => [c.name, 0] as const), [OTHER, 0]]);
  const sorted = [...p.timeDeltas].sort((a, b) => a - b);
  const cap = wall || sorted.length === 0 ? Infinity : 2 * sorted[sorted.length >> 1]!;
  // a sample's time is the delta to the next sample
  for (let i = 0; i < p.samples.length; i++) {
    const dt = Math.min(cap, p.timeDeltas[i + 1] ?? 0);
    const name = nodeName.get(p.samples[i]!) ?? OTHER;
    out.set(name, out.get(name)! + dt);
  }
  return out;
}

/** The table: µs per message and share of the busy time, per component. */
export function componentTable(times: ReadonlyMap<string, number>, messages: number): string {
  const busy = [...times].filter(([k]) => k !== 'idle').reduce((s, [, v]) => s + v, 0);
  const lines = ['| component | µs per message | share of busy CPU |', '|---|---|---|'];
  for (const [k, v] of times) if (k !== 'idle') lines.push(`| ${k} | ${(v / messages).toFixed(1)} | ${((100 * v) / busy).toFixed(1)}% |`);
  lines.push(`| **busy, all components** | **${(busy / messages).toFixed(1)}** | 100% |`);
  return lines.join('\n');
}

/** The command line. */
export function main(argv: readonly string[], out: (s: string) => void = console.log): number {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { messages: { type: 'string' }, wall: { type: 'boolean' } } });
  } catch (e) {
    out(`profile-components: ${(e as Error).message}`);
    return 2;
  }
  const file = parsed.positionals[0];
  const messages = Number(parsed.values.messages);
  if (file === undefined || !Number.isSafeInteger(messages) || messages <= 0) {
    out('usage: npx tsx simulator/live/bench/profile-components.ts FILE.cpuprofile --messages N [--wall]   (--wall: count every gap between samples whole, fsync waits included)');
    return 2;
  }
  out(componentTable(componentTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, parsed.values.wall === true), messages));
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) process.exitCode = main(process.argv.slice(2), console.log);
