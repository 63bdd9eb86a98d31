/**
 * `npm run bench` part: the peak memory of a simulated room of N members (1,000 by default), every
 * member joined through the protocol (spec 7) and a few messages sent, on the symbolic backend (real
 * sizes; joining 1,000 members on real ML-DSA would take hours here). Prints one JSON line: peak
 * resident set size, heap in use at the end, events, wall time. A measurement, not a test.
 *
 *   tsx simulator/bench-memory.ts [--members 1000] [--messages 10] [--backend symbolic]
 */
import { performance } from 'node:perf_hooks';
import { loadRealBackends } from '../impl/crypto/backends.ts';
import { isBackend, simulate, type Backend } from './run.ts';
import { NO_FAULTS } from './faults.ts';

async function main(argv: readonly string[]): Promise<number> {
  let members = 1000;
  let messages = 10;
  let backend: Backend = 'symbolic';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[++i];
    if (a === '--members') members = Number(v);
    else if (a === '--messages') messages = Number(v);
    else if (a === '--backend' && isBackend(v)) backend = v;
    else {
      console.error(`bench-memory: unexpected argument ${a}\nusage: tsx simulator/bench-memory.ts [--members N] [--messages N] [--backend B]`);
      return 2;
    }
  }
  // a real backend's crypto is loaded before the run (the symbolic backend needs none)
  if (backend !== 'symbolic') await loadRealBackends();
  const t0 = performance.now();
  const r = simulate({ scenario: 'rotation-load', seed: 1, profile: 'hardened', faults: NO_FAULTS, backend, members, messages });
  const wallMs = performance.now() - t0;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ command: `tsx simulator/bench-memory.ts --members ${members} --messages ${messages} --backend ${backend}`, node: process.version, members, messages, backend, ok: r.summary.ok, events: r.summary.events, wallMs, peakRssMiB, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20 }));
  return r.summary.ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
