/**
 * The relay conformance vectors (vectors/relay-conformance.json): they are what the conformance
 * cases record now (a new case needs `pqroom vectors generate`), they replay against the
 * project's relay with nothing failed in both profiles, in-process and through the command line,
 * and they catch broken relays (one check switched off each). Loopback only; waits are bounded.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startRelayChild } from '../relay-child.ts';
import { loadRealBackends, fastestReal, realCrypto } from '../../../../impl/crypto/backends.ts';
import type { ReqId } from '../../../../impl/errors.ts';
import { toHex } from '../../../../impl/bytes.ts';
import { decode, type Json } from '../../../../impl/codec.ts';
import { CreateRoom, MsgType } from '../../../../impl/messages/index.ts';
import type { Profile } from '../../../../impl/suite.ts';
import { parseRelayCase, RELAY_FILE, RELAY_KIND, type RelayCase } from '../../../../impl/conformance-script.ts';
import { startRelay } from '../../relay.ts';
import type { ConformanceReport } from '../suite.ts';
import { recordCases } from './record.ts';
import { heldRoom, replayVectors } from './replay.ts';

// runs on the real backends below: liboqs is loaded by this call, not by importing the simulator
await loadRealBackends();

// the shipped file (its form and digests are vectors/vectors.test.ts's business: vectors/ sits beside this layer)
const path = fileURLToPath(new URL(`../../../../vectors/${RELAY_FILE}`, import.meta.url));
const text = readFileSync(path, 'utf8');
const shipped = JSON.parse(text) as { kind: string; cases: Record<string, Json>[] };
const cases: RelayCase[] = shipped.cases.map((c) => parseRelayCase(c));
// the replaying client's crypto as `pqroom conformance --vectors` has it: the fastest real backend (the same bytes as noble's)
const crypto = realCrypto(fastestReal());
const failures = (r: ConformanceReport): string[] => r.results.filter((x) => x.verdict === 'FAIL').map((x) => `${x.id} ${x.name}: expected ${x.expected}, got ${x.got}`);

async function replay(profile: Profile, checkOff?: ReqId, only?: readonly RelayCase[]): Promise<ConformanceReport> {
  const relay = await startRelay({ port: 0, db: ':memory:', profile, log: () => {}, ...(checkOff ? { checkOff } : {}) });
  try {
    return await replayVectors({ url: relay.url, crypto, profile, cases: only ?? cases, source: RELAY_FILE, ...(profile === 'hardened' ? { relayPk: relay.publicKey } : {}) });
  } finally {
    await relay.close();
  }
}

// concurrently (vitest's maxConcurrency, 5 at a time), each test against its own relay: a broken
// relay that never answers costs a case its whole deadline of waiting, which the others fill
describe.concurrent('the relay conformance vectors', () => {
  it('should be what the conformance cases record now (else: pqroom vectors generate)', async ({ expect }) => {
    expect(shipped.kind).toBe(RELAY_KIND);
    const fresh = (await recordCases(RELAY_KIND)).map((c) => JSON.stringify(c));
    const committed = shipped.cases.map(({ digest: _d, ...c }) => JSON.stringify(c));
    const stale = fresh.flatMap((c, i) => (c === committed[i] ? [] : [`case #${i} ${String(shipped.cases[i]?.id ?? '(new)')}`]));
    expect(stale, `${RELAY_FILE} differs from a fresh recording of the conformance cases: run 'node cli.js vectors generate'`).toEqual([]);
    expect(fresh.length).toBe(committed.length);
  }, 240_000);

  it('should hold every case the live suite runs, each naming its requirement, with no case left unchecked', ({ expect }) => {
    for (const profile of ['hardened', 'compat'] as const) {
      const mine = cases.filter((c) => c.profile === profile && c.skipped === undefined);
      expect(mine.length, profile).toBeGreaterThan(75);
      // every case checks something: an awaited answer, or what a connection received and how it closed
      for (const c of mine) expect(c.steps.some((s) => (s.op === 'send' && s.answer) || s.op === 'together' || s.op === 'expect' || (s.op === 'connect' && s.refused)), c.id).toBe(true);
    }
    // the shapes that a race or a flood leaves open are named, not dropped
    expect(cases.some((c) => c.steps.some((s) => s.op === 'together' && s.answers.length === 2))).toBe(true);
    expect(cases.some((c) => c.steps.some((s) => s.op === 'expect' && s.eachOf?.some((w) => w.requirement === 'REQ-REL-041')))).toBe(true);
  });

  for (const profile of ['hardened', 'compat'] as const) {
    it(`REQ-REL-001 REQ-REL-004 REQ-TRN-004 should pass every ${profile} case against the project's relay, replayed from the file`, async ({ expect }) => {
      const r = await replay(profile);
      expect(failures(r)).toEqual([]);
      expect(r.passed).toBe(cases.filter((c) => c.profile === profile && c.skipped === undefined).length);
      expect(r.skipped).toBe(cases.filter((c) => c.profile === profile && c.skipped !== undefined).length);
    }, 180_000);
  }

  it('REQ-REL-004 should fail the relay that answers a retransmission as a new request, naming the case', async ({ expect }) => {
    const r = await replay('hardened', 'REQ-REL-004');
    const by = r.results.filter((x) => x.verdict === 'FAIL' && x.id === 'REQ-REL-004');
    expect(by.length, failures(r).join('; ')).toBeGreaterThan(0);
    expect(by[0]!.expected).toMatch(/^Ack req_id \d+ index \d+$/);
  }, 180_000);

  it('REQ-REL-011 should fail the compat relay without the authorization matrix on its matrix cases', async ({ expect }) => {
    const r = await replay('compat', 'REQ-REL-001');
    expect(r.results.filter((x) => x.verdict === 'FAIL' && x.name.includes('× ')).length, failures(r).join('; ')).toBeGreaterThan(0);
  }, 180_000);

  it('REQ-REL-041 should fail the relay without a rate limit: no Reject REQ-REL-041 and no close in the flood', async ({ expect }) => {
    const flood = cases.filter((c) => c.profile === 'hardened' && c.requirement === 'REQ-REL-041');
    expect(flood.length).toBe(1);
    const r = await replay('hardened', 'REQ-REL-041', flood);
    expect(r.failed).toBe(1);
    expect(r.results[0]!.expected).toMatch(/REQ-REL-041/);
  }, 60_000);

  it('REQ-REL-035 should compare pushes stream by stream: across streams in any order, within a room or the mailbox in order', async ({ expect }) => {
    const target = cases.findIndex((c) => c.id === 'compat-038');
    const upTo = cases.slice(0, target + 1).filter((c) => c.profile === 'compat');
    const edited = (swap: (ms: Json[]) => void): RelayCase[] => {
      const raw = JSON.parse(JSON.stringify(shipped.cases[target])) as { steps: { op: string; conn?: number; messages?: Json[] }[] };
      const owner = raw.steps.find((s) => s.op === 'expect' && (s.messages?.length ?? 0) === 6)!;
      swap(owner.messages!);
      return upTo.map((c, i) => (i === upTo.length - 1 ? parseRelayCase(raw as unknown as Record<string, Json>) : c));
    };
    // the owner's pushes: RoomDelivery 1, MailboxDelivery 1, RoomDelivery 2, MailboxDelivery 2, RoomDelivery 3, MailboxDelivery 3
    const across = await replay('compat', undefined, edited((ms) => ms.splice(3, 2, ms[4]!, ms[3]!)));
    expect(failures(across)).toEqual([]);
    const within = await replay('compat', undefined, edited((ms) => ms.splice(2, 3, ms[4]!, ms[3]!, ms[2]!)));
    expect(failures(within)).toHaveLength(1);
    expect(within.results.find((x) => x.verdict === 'FAIL')).toMatchObject({ expected: expect.stringMatching(/^RoomDelivery index 3 /), got: expect.stringMatching(/^RoomDelivery index 2 /) });
  }, 180_000);

  it('should fail a case whose expected answer was changed, and only that case', async ({ expect }) => {
    const target = cases.findIndex((c) => c.profile === 'compat' && c.requirement === 'REQ-REL-002');
    const edited = JSON.parse(JSON.stringify(shipped.cases[target])) as { steps: { answer?: { requirement?: string } }[] };
    const step = edited.steps.find((s) => s.answer?.requirement === 'REQ-REL-002')!;
    step.answer!.requirement = 'REQ-REL-021';
    const changed = cases.map((c, i) => (i === target ? parseRelayCase(edited as unknown as Record<string, Json>) : c));
    const r = await replay('compat', undefined, changed);
    expect(failures(r)).toHaveLength(1);
    expect(r.results.find((x) => x.verdict === 'FAIL')!.expected).toContain('REQ-REL-021');
  }, 180_000);
});

describe('a case that is no fixed script', () => {
  it('should be reported as skipped with its reason, never as passed', async () => {
    const k: RelayCase = { id: 'compat-999', profile: 'compat', requirement: 'REQ-LOG-010', name: 'a login proof', skipped: "the proof answers the relay's challenge", principals: [], steps: [] };
    const r = await replayVectors({ url: 'ws://127.0.0.1:1', crypto, profile: 'compat', cases: [k], source: 'test' });
    expect(r.results.map((x) => [x.verdict, x.name])).toEqual([['skip', "a login proof [compat-999] (no fixed script: the proof answers the relay's challenge)"]]);
    expect(r.passed).toBe(0);
  });
});

describe('a relay that ran the vectors before', () => {
  it('REQ-REL-021 should be told apart from a fresh one: the first room the file creates is there (a stranger is refused its roster), not unknown', async () => {
    const compat = cases.filter((c) => c.profile === 'compat');
    const upTo = compat.findIndex((c) => c.steps.some((s) => s.op === 'send' && s.send.inner[3] === MsgType.CreateRoom));
    const some = compat.slice(0, upTo + 1);
    const relay = await startRelay({ port: 0, db: ':memory:', profile: 'compat', log: () => {} });
    try {
      const o = { url: relay.url, crypto, profile: 'compat' as const, cases: some };
      expect(await heldRoom(o)).toBeUndefined();
      expect(failures(await replayVectors({ ...o, source: RELAY_FILE }))).toEqual([]);
      const created = some.at(-1)!.steps.find((s) => s.op === 'send' && s.send.inner[3] === MsgType.CreateRoom)!;
      expect(toHex((await heldRoom(o))!)).toBe(toHex(decode(CreateRoom, (created as Extract<typeof created, { op: 'send' }>).send.inner).room_id));
    } finally {
      await relay.close();
    }
  }, 60_000);
});

describe('pqroom conformance --vectors', () => {
  it('should replay the shipped file against a relay started by pqroom relay, and say when the relay is not fresh', async () => {
    const { relay, port } = await startRelayChild(['--db', ':memory:', '--profile', 'compat']);
    try {
      const run = (args: string[]): Promise<{ code: number | null; out: string; err: string }> =>
        new Promise((resolve) => {
          const p = spawn(process.execPath, ['cli.js', 'conformance', '--relay', `ws://127.0.0.1:${port}`, '--profile', 'compat', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
          p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
          p.once('exit', (code) => resolve({ code, out, err }));
        });
      const ok = await run(['--vectors', path]);
      const lines = ok.out.trim().split('\n');
      expect(ok.err).toBe('');
      expect(lines.filter((l) => l.startsWith('FAIL')), ok.out).toEqual([]);
      const n = cases.filter((c) => c.profile === 'compat').length;
      const skipped = cases.filter((c) => c.profile === 'compat' && c.skipped !== undefined).length;
      expect(lines[0]).toContain(`(${n} cases)`);
      expect(lines.at(-1)).toBe(`${n - skipped} passed, 0 failed, ${skipped} skipped`);
      expect(ok.code).toBe(0);
      // a second run against the same relay: the file's rooms exist already; the command says so in one line and runs nothing
      const again = await run(['--vectors', path]);
      expect(again.err.trim().split('\n')).toEqual([expect.stringMatching(/^pqroom conformance: the relay already holds room [0-9a-f]{32} of .*relay-conformance\.json \(it ran these vectors before\): replay them against a fresh relay \(an empty database\)$/)]);
      expect(again.out).toBe('');
      expect(again.code).toBe(2);
    } finally {
      relay.kill('SIGTERM');
      await new Promise((r) => relay.once('exit', r));
    }
  }, 180_000);
});
