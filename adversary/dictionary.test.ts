/**
 * The dictionary attack's precomputed table (adversary/dictionary.ts, ATK-24 and ATK-24c, seed
 * analysis L1): each entry is the `ss1` a compat client computes for that candidate, and the threads
 * of a campaign share one table, each entry made once, whichever thread needs it first. That a whole
 * audit gives the same result on 1 and 2 workers is in reports/audit-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadRealBackends, realCrypto } from '../impl/crypto/backends.ts';
import { passwordKey } from '../impl/protocol/login.ts';
import { backendCrypto } from '../simulator/run.ts';
import type { RunSpec } from './audit.ts';
import { DICTIONARY, FAKE_SERVER_C1, FAKE_SERVER_KDF, FAKE_SERVER_SALT, tableEntry, tableProgress } from './dictionary.ts';
import { runCampaign } from './parallel.ts';

await loadRealBackends();

/** What a compat client decapsulates for candidate `i` when the fake server serves its fixed choices. */
const ss1 = (backend: 'symbolic' | 'noble', i: number): Uint8Array => {
  const c = backendCrypto(backend);
  return c.kemDecapsulate(FAKE_SERVER_C1, passwordKey(c, DICTIONARY[i]!, FAKE_SERVER_SALT, FAKE_SERVER_KDF).secretKey);
};

describe('ATK-24 the precomputed table of the offline dictionary attack', () => {
  it('should hold, for each candidate, the ss1 a client computes from that password (symbolic and real bytes)', () => {
    for (const i of [0, 1, 37, 99]) {
      expect(tableEntry(backendCrypto('symbolic'), i)).toEqual(ss1('symbolic', i));
      expect(tableEntry(realCrypto('noble'), i)).toEqual(ss1('noble', i));
    }
    expect(tableEntry(backendCrypto('symbolic'), 1)).not.toEqual(tableEntry(backendCrypto('symbolic'), 0));
    expect(() => tableEntry(backendCrypto('symbolic'), DICTIONARY.length)).toThrow(RangeError);
  });

  it('should be one table for the threads of a campaign: two workers cracking at once make each entry once, read here after', () => {
    // compat ATK-24 and ATK-24c on a seed not used above: each worker cracks from entry 0, at the same time
    const runs: RunSpec[] = ['ATK-24', 'ATK-24c'].map((attack) => ({ attack, profile: 'compat', seed: 5, backend: 'symbolic' }));
    const before = tableProgress('symbolic');
    const c = runCampaign({ runs, observed: 'symbolic', generators: [], hunts: [], differential: { seed: 1, cases: 1 } }, 2);
    let found: readonly string[];
    try {
      found = runs.flatMap((s) => c.run(s).findings);
    } finally {
      c.close();
    }
    // the largest index recovered: every entry up to it was needed, a few past it may have been made while waiting
    const indices = found.flatMap((f) => [...f.matchAll(/"([^"]+)"/g)].map((m) => DICTIONARY.indexOf(m[1]!)));
    expect(indices.length).toBeGreaterThanOrEqual(3); // alice in ATK-24; alice and bob in ATK-24c
    const last = Math.max(...indices);
    const after = tableProgress('symbolic');
    expect(after.made).toBeGreaterThanOrEqual(last + 1);
    expect(after.made).toBeLessThanOrEqual(last + 1 + 8 + before.made);
    expect(after.makes - before.makes).toBe(after.made - before.made); // no entry made twice
    // this thread reads the workers' entries as it would have made them
    for (const i of [0, last >> 1, last]) expect(tableEntry(backendCrypto('symbolic'), i)).toEqual(ss1('symbolic', i));
    expect(tableProgress('symbolic').makes).toBe(after.makes);
  }, 120_000);
});
