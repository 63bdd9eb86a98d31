/**
 * `pqroom conformance` against the project's relay: in-process in both profiles, as child
 * processes (the relay and the command, as an implementer runs them), and against broken relays
 * (one check switched off each), every one of which some case must catch. Loopback only; every
 * wait is bounded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRelayChild } from './relay-child.ts';
import { utf8 } from '../../../impl/bytes.ts';
import { loadRealBackends, fastestReal, realCrypto } from '../../../impl/crypto/backends.ts';
import { nodeCrypto } from '../../../impl/crypto/node.ts';
import type { Profile } from '../../../impl/suite.ts';
import { startRelay } from '../relay.ts';
import { RELAY_MUTANTS } from './mutants.ts';
import { runConformance, type ConformanceReport } from './suite.ts';

// runs on the real backends below: liboqs is loaded by this call, not by importing the simulator
await loadRealBackends();

const dir = mkdtempSync(join(tmpdir(), 'pqroom-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = (): void => {};
// the suite's crypto as `pqroom conformance` has it: the fastest real backend (the same bytes as noble's)
const crypto = realCrypto(fastestReal());

async function against(profile: Profile, o: { checkOff?: (typeof RELAY_MUTANTS)[number]['removes']; only?: string; name: string }): Promise<ConformanceReport> {
  const relay = await startRelay({ port: 0, db: ':memory:', profile, log: quiet, ...(o.checkOff ? { checkOff: o.checkOff } : {}) });
  try {
    return await runConformance({ url: relay.url, crypto, profile, relayPk: relay.publicKey, seed: nodeCrypto.sha256(utf8(`conformance ${o.name}`)), ...(o.only ? { only: o.only } : {}) });
  } finally {
    await relay.close();
  }
}

const failures = (r: ConformanceReport): string[] => r.results.filter((x) => x.verdict === 'FAIL').map((x) => `${x.id} ${x.name}: expected ${x.expected}, got ${x.got}`);

describe('pqroom conformance against the honest relay', () => {
  for (const profile of ['hardened', 'compat'] as const) {
    it(`REQ-REL-001 REQ-REL-004 REQ-TRN-004 should pass every case of the ${profile} profile in-process`, async () => {
      const r = await against(profile, { name: profile });
      expect(failures(r)).toEqual([]);
      expect(r.passed).toBeGreaterThan(75);
      // the matrix: every cell of spec 8.4 is a case
      const ops = ['create room', 'post an invite hash', 'submit a join', 'deliver a welcome', 'submit a confirmation', 'add a member', 'remove a member', 'send', 'rotate', 'fetch history', 'read the roster', 'fetch the own mailbox', 'publish the own keys', 'look up keys'];
      for (const op of ops) for (const role of ['owner', 'member', 'invitee', 'removed', 'stranger']) expect(r.results.some((x) => x.name.startsWith(`${op} × ${role}: `)), `${op} × ${role}`).toBe(true);
      // a case of the other profile is skipped, never passed
      expect(r.skipped).toBe(r.results.filter((x) => x.name.endsWith('only)')).length);
      if (profile === 'hardened') expect(r.skipped).toBe(0);
    }, 300_000); // its cases move about 60 MiB (REQ-ENC-019, REQ-ENC-020): room for a loaded machine
  }

  for (const profile of ['hardened', 'compat'] as const) {
    it(`REQ-TRN-011 REQ-TRN-012 should pass as child processes in the ${profile} profile: pqroom relay --port 0, then pqroom conformance --json`, async () => {
      const db = join(dir, `child-${profile}.db`);
      const { relay, port } = await startRelayChild(['--db', db, '--profile', profile]);
      try {
        const json = join(dir, `child-${profile}.json`);
        const run = spawn(process.execPath, ['cli.js', 'conformance', '--relay', `ws://127.0.0.1:${port}`, '--profile', profile, '--json', json], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        run.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        run.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        const code = await new Promise<number | null>((r) => run.once('exit', (c) => r(c)));
        const lines = out.trim().split('\n');
        expect(err).toBe('');
        const failed = lines.flatMap((l, i) => (l.startsWith('FAIL') ? [lines.slice(i, i + 3).join(' ')] : []));
        expect(lines.at(-1), failed.join('; ')).toMatch(/^\d+ passed, 0 failed, \d+ skipped$/);
        expect(code).toBe(0);
        const [, passed, skipped] = /^(\d+) passed, 0 failed, (\d+) skipped$/.exec(lines.at(-1)!)!.map(Number);
        expect(passed).toBeGreaterThan(75);
        // a skip is a case of the other profile only (hardened skips none)
        expect(skipped).toBe(profile === 'hardened' ? 0 : lines.filter((l) => l.startsWith('skip') && l.endsWith('only)')).length);
        expect(lines.filter((l) => /^(pass|FAIL|skip) +REQ-[A-Z]+-\d{3}  /.test(l)).length).toBe(passed! + skipped!);
        const report = JSON.parse(readFileSync(json, 'utf8')) as ConformanceReport;
        expect(report.failed).toBe(0);
        expect(report.results.length).toBe(report.passed + report.skipped);
      } finally {
        relay.kill('SIGTERM');
        await new Promise((r) => relay.once('exit', r));
      }
    }, 360_000);
  }

  it('should say what is wrong in one line when the command line is wrong', async () => {
    const run = spawn(process.execPath, ['cli.js', 'conformance', '--profile', 'x', '--relay', 'ws://127.0.0.1:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    run.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => run.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toEqual(['pqroom conformance: --profile must be hardened or compat, not x; see pqroom conformance --help']);
  }, 60_000);
});

// concurrently (vitest's maxConcurrency, 5 at a time): a mutant that never answers costs its case's
// whole deadline (ANSWER_MS) of waiting, which the other mutants' cases fill; each has its own relay
describe.concurrent('pqroom conformance catches broken relays (its mutation score)', () => {
  const caught: string[] = [];
  afterAll(() => {
    // the score, for the record: every mutant is asserted below
    process.stdout.write(`conformance mutation score: ${caught.length} of ${RELAY_MUTANTS.length}\n`);
  });
  for (const m of RELAY_MUTANTS) {
    it(`${m.caughtBy} should catch the ${m.profile} relay without the check of ${m.removes} (${m.check})`, async ({ expect }) => {
      const r = await against(m.profile, { checkOff: m.removes, only: m.only, name: `${m.removes} ${m.profile}` });
      const by = r.results.filter((x) => x.verdict === 'FAIL' && x.id === m.caughtBy);
      expect(by.length, `no ${m.caughtBy} case failed: ${r.passed} passed, ${failures(r).join('; ')}`).toBeGreaterThan(0);
      caught.push(m.removes);
    }, 120_000);
  }
});
