/**
 * Determinism and replay (spec 5.11: every random choice derives from the seed): the same seed and
 * options give the same trace, byte for byte, in both backends; another seed gives another
 * trace; a recorded trace replays identically, and an edited one is caught at its first edit.
 * Also the `pqroom simulate` and `pqroom replay` commands and the Mermaid rendering.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main as simulateMain } from './cli.ts';
import { parseFaults } from './faults.ts';
import { traceToMermaid } from './mermaid.ts';
import { replayTrace } from './replay.ts';
import { main as replayMain } from './replay-cli.ts';
import { optionsFromHeader, runHeader, simulate, type RunOptions } from './run.ts';
import { entitledTo, findScenario, runScenario, scenario, SCENARIOS, sentMessages } from './scenarios.ts';
import { parseTrace } from './trace.ts';
import { createWorld } from './world.ts';
import type { ClientCore } from '../machines/client-core.ts';
import { toHex } from '../impl/bytes.ts';
import { symbolicCrypto } from '../impl/crypto/symbolic.ts';
import { decode } from '../impl/codec.ts';
import { AppMessage } from '../impl/messages/index.ts';
import { loadRealBackends } from '../impl/crypto/backends.ts';

// runs on the real backends below: liboqs is loaded by this call, not by importing the simulator
await loadRealBackends();

const FAULTS = parseFaults('drop=0.08,dup=0.05,reorder=0.2:300,delay=0.05:2000,jitter=20,partition=alice@27500~4000,crash=bob@9000~3000,relay-restart=@14000~2000');
const RUN: RunOptions = { scenario: 'removal', seed: 12, profile: 'hardened', faults: FAULTS, backend: 'symbolic', messages: 16 };

describe('determinism', () => {
  it('should give identical trace bytes for the same seed, with every kind of fault applied', () => {
    const a = simulate(RUN, true);
    const b = simulate(RUN, true);
    expect(a.trace.length).toBeGreaterThan(100_000);
    expect(b.trace).toBe(a.trace);
    for (const fault of ['drop', 'duplicate', 'reorder', 'delay', 'partition']) expect(a.trace, fault).toContain(`"fault":"${fault}"`);
    for (const what of ['"what":"crash"', '"what":"restart"', '"what":"disconnected"']) expect(a.trace).toContain(what);
    expect(a.summary.ok).toBe(true);
  });
  it('should give a different trace for a different seed', () => {
    const a = simulate(RUN, true);
    const b = simulate({ ...RUN, seed: 13 }, true);
    expect(b.trace).not.toBe(a.trace);
    expect(b.summary.transcriptHash).not.toBe(a.summary.transcriptHash);
  });
  it('should be deterministic with the real primitives too, in both profiles', () => {
    for (const profile of ['hardened', 'compat'] as const) {
      const o: RunOptions = { scenario: 'removal', seed: 3, profile, faults: parseFaults('drop=0.05,reorder=0.2:200'), backend: 'real', messages: 6 };
      const a = simulate(o, true);
      expect(simulate(o, true).trace).toBe(a.trace);
      expect(a.summary.ok, a.summary.failed.join('\n')).toBe(true);
    }
  });
  it('should not depend on whether a trace is recorded', () => {
    expect(simulate(RUN, false).summary).toEqual(simulate(RUN, true).summary);
  });
});

describe('recovery (spec 8.12)', () => {
  it('REQ-TRN-009 should replace a connection on which the relay answers nothing (a lost ClientAuth)', () => {
    // seed 3 with a quarter of all frames lost: the owner's first ClientAuth (5,299 bytes sealed) is among them
    const run = (silenceMs: number) => {
      const w = createWorld({ seed: 3, profile: 'hardened', crypto: symbolicCrypto(), faults: parseFaults('drop=0.25'), silenceMs, trace: true });
      const lines = w.trace.lines();
      let outcome: { ok: boolean; error?: string };
      try {
        outcome = { ok: runScenario(w, findScenario('join-race')!).ok };
      } catch (e) {
        outcome = { ok: false, error: (e as Error).message };
      }
      return { ...outcome, authLost: lines.some((l) => l.includes('"fault":"drop","from":"owner","to":"relay","size":5299')), silent: lines.filter((l) => l.includes('"detail":"relay silent"')).length };
    };
    const fixed = run(8_000);
    expect(fixed.ok).toBe(true);
    expect(fixed.authLost).toBe(true);
    expect(fixed.silent).toBeGreaterThan(0);
    // without the rule the owner keeps talking into a connection the relay never authenticated
    expect(run(1e9)).toEqual({ ok: false, error: 'scenario step failed: room created', authLost: true, silent: 0 });
  });
});

describe('replay', () => {
  const recorded = simulate({ ...RUN, messages: 8 }, true).trace;
  it('should find a recorded trace identical when run again', () => {
    const r = replayTrace(recorded);
    expect(r.identical).toBe(true);
    expect(r.lines).toBe(recorded.trimEnd().split('\n').length);
  });
  it('should name the first line that differs', () => {
    const lines = recorded.trimEnd().split('\n');
    const edited = [...lines];
    edited[40] = edited[40]!.replace(/"t":\d+/, '"t":999999');
    const r = replayTrace(`${edited.join('\n')}\n`);
    expect(r.identical).toBe(false);
    expect(r.firstDifference).toEqual({ line: 41, recorded: edited[40], replayed: lines[40] });
    const cut = replayTrace(`${lines.slice(0, -3).join('\n')}\n`);
    expect(cut.firstDifference?.line).toBe(lines.length - 2);
    expect(cut.firstDifference?.recorded).toBeUndefined();
  });
  it('should ask the rebuilders it is given first, and run a scenario itself when none knows the header', () => {
    const [header, ...rest] = recorded.trimEnd().split('\n');
    const asked: string[] = [];
    const other = `{"kind":"run","format":"pqroom-trace/1","attack":"ATK-00","profile":"hardened","seed":1,"backend":"symbolic"}\n${rest.join('\n')}\n`;
    const byAttack = (h: string): string | undefined => (asked.push(h), h.includes('"attack"') ? other : undefined);
    // a header no rebuilder knows: the simulator's own scenario, as without rebuilders
    expect(replayTrace(recorded, [byAttack]).identical).toBe(true);
    expect(asked).toEqual([header]);
    // a header the rebuilder knows: its trace, not a scenario's
    expect(replayTrace(other, [byAttack]).identical).toBe(true);
    expect(() => replayTrace(other)).toThrow('run header: scenario missing');
  });
  it('should read the options back from the header, and refuse a file that is not a trace', () => {
    expect(optionsFromHeader(JSON.stringify(runHeader(RUN)))).toEqual(RUN);
    expect(() => optionsFromHeader('{"kind":"run"}')).toThrow('run header');
    expect(() => optionsFromHeader('not json')).toThrow('not JSON');
    expect(() => optionsFromHeader(JSON.stringify({ ...runHeader(RUN), seed: -1 }))).toThrow('seed');
  });
});

describe('pqroom simulate and pqroom replay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqroom-sim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (main: (a: readonly string[], o: (s: string) => void, p: undefined, e: (s: string) => void) => Promise<number>, args: string[]) => {
    const out: string[] = [];
    const code = await main(args, (s) => out.push(s), undefined, (s) => out.push(s));
    return { code, out: out.join('\n') };
  };
  it('should list the scenarios, one per line, name first', async () => {
    const r = await run(simulateMain, ['--list']);
    expect(r.code).toBe(0);
    const names = r.out.split('\n').map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(SCENARIOS.map((s) => s.name));
    for (const n of ['room', 'join-race', 'rotation-load', 'removal', 'offline-return', 'late-joiner']) expect(names).toContain(n);
  });
  it('should print a summary, write a trace that replays and a diagram, and exit 0 when the checks hold', async () => {
    const trace = join(dir, 'run.jsonl');
    const mmd = join(dir, 'run.mmd');
    const r = await run(simulateMain, ['--scenario', 'removal', '--seed', '4', '--messages', '8', '--backend', 'symbolic', '--faults', 'drop=0.05,partition=alice@3000~2000', '--trace', trace, '--mermaid', mmd]);
    expect(r.code, r.out).toBe(0);
    for (const s of ['sent 16', 'alarms 0', 'epochs', 'transcript', 'checks:', 'partition']) expect(r.out).toContain(s);
    expect(await run(replayMain, [trace])).toEqual({ code: 0, out: expect.stringContaining('identical') });
    const diagram = readFileSync(mmd, 'utf8');
    expect(diagram.startsWith('sequenceDiagram\n')).toBe(true);
    expect(diagram).toContain('-x'); // a lost frame
    expect(diagram).toContain('epoch');
    // a tampered trace fails the replay, with the line shown
    const lines = readFileSync(trace, 'utf8').split('\n');
    lines[10] = lines[10]!.replace('"kind"', '"kind" ');
    writeFileSync(trace, lines.join('\n'));
    const bad = await run(replayMain, [trace]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('differs at line 11');
  });
  it('should print the summary as JSON', async () => {
    const r = await run(simulateMain, ['--scenario', 'join-race', '--seed', '2', '--backend', 'symbolic', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { ok: boolean; sent: number; alarms: number; transcriptHash: string; checks: unknown[] };
    expect(j.ok).toBe(true);
    expect(j.sent).toBe(10);
    expect(j.transcriptHash).toMatch(/^[0-9a-f]{16}$/);
    expect(j.checks.length).toBeGreaterThan(3);
  });
  it('should exit 2 on a usage error and explain it', async () => {
    for (const args of [['--scenario', 'nope'], ['--seed', '-3'], ['--profile', 'x'], ['--faults', 'drop=7'], ['--bogus']]) {
      const r = await run(simulateMain, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out).toMatch(/pqroom simulate: /);
    }
    expect((await run(replayMain, [])).code).toBe(2);
    expect((await run(replayMain, [join(dir, 'missing.jsonl')])).code).toBe(2);
    writeFileSync(join(dir, 'junk.jsonl'), 'hello\n');
    expect((await run(replayMain, [join(dir, 'junk.jsonl')])).out).toContain('not JSON');
  });
});

describe('the Mermaid rendering', () => {
  const trace = parseTrace(simulate({ ...RUN, messages: 8 }, true).trace);
  const line = /^(sequenceDiagram|  %% .*|  participant [A-Za-z0-9_]+( as .+)?|  [A-Za-z0-9_]+(->>|-x)[A-Za-z0-9_]+: \d+ [^;#]+|  Note over [A-Za-z0-9_]+(,[A-Za-z0-9_]+)?: [^;#]+)$/;
  it('should emit only lines of the sequenceDiagram grammar it uses', () => {
    const text = traceToMermaid(trace, { limit: 100_000 });
    for (const l of text.trimEnd().split('\n')) expect(l).toMatch(line);
  });
  it('should mark alarms, epochs and faults, and cut to a window and a length', () => {
    const full = traceToMermaid(trace, { limit: 100_000 });
    expect(full).toMatch(/Note over owner: \d+ epoch \d+/);
    expect(full).toMatch(/partition/);
    const alarm = traceToMermaid([...trace.slice(0, -1), { t: 5, kind: 'alarm', actor: 'alice', reqId: 'REQ-MEM-020', detail: 'sender x: seq 3 to 3 missing' }]);
    expect(alarm).toContain('Note over alice: 5 ALARM REQ-MEM-020 sender x: seq 3 to 3 missing');
    const short = traceToMermaid(trace, { limit: 20 });
    expect(short.trimEnd().split('\n').filter((l) => l.includes('->>') || l.includes('-x') || l.includes('Note over')).length).toBe(21);
    expect(short).toContain('more lines cut');
    const window = traceToMermaid(trace, { from: 5_000, to: 6_000, limit: 100_000 });
    const times = [...window.matchAll(/: (\d+) /g)].map((m) => Number(m[1]));
    expect(times.every((x) => x >= 5_000 && x <= 6_000)).toBe(true);
  });
  it("should keep the last lines before a moment, highlight a marked note there, and draw the adversary's moves", () => {
    const moved = [...trace.slice(0, 40), { t: trace[39]!.t, kind: 'event', actor: 'adversary', what: 'CAP-02 drop', detail: 'down alice RoomDelivery' } as const, ...trace.slice(40)];
    const at = trace[60]!.t;
    const text = traceToMermaid(moved, { to: at, limit: 15, keep: 'last', marks: [{ t: at, over: 'alice', text: 'PROP-10 violated: lost' }] });
    const body = text.trimEnd().split('\n').filter((l) => /->>|-x|Note over|rect|end$/.test(l));
    expect(body.slice(-4, -1)).toEqual(['  rect rgb(255, 215, 215)', `  Note over alice: ${at} PROP-10 violated: lost`, '  end']);
    expect(body.at(-1)).toMatch(/earlier lines cut/);
    expect(body.length).toBe(16);
    expect([...text.matchAll(/: (\d+) /g)].every((m) => Number(m[1]) <= at)).toBe(true);
    expect(traceToMermaid(moved, { limit: 100_000 })).toContain(`Note over relay: ${trace[39]!.t} adversary: CAP-02 drop down alice RoomDelivery`);
  });
});

describe('crashes while sending (spec 7.6, 8.12)', () => {
  it('REQ-MEM-002 REQ-MEM-025 REQ-MEM-026 REQ-CRY-015 a member that crashes with messages in flight resumes from its stored state: no seq or nonce used twice, nothing lost', () => {
    const world = createWorld({ seed: 3, profile: 'hardened', crypto: symbolicCrypto(), faults: parseFaults('drop=0.1') });
    const run = { world, members: [], removed: [], speakers: new Set<string>(), next: 0, extraChecks: [] };
    for (const s of scenario('crash', 'crashes while sending').members('alice', 'bob').create().admit('alice', 'bob').steps) s(run);
    const alice = world.clients.get('alice')!;
    let texts = 0;
    for (let round = 0; round < 3; round++) {
      // alice sends a burst and crashes in the middle of it, with messages sent but not yet acknowledged
      for (let i = 0; i < 8; i++) world.user('alice', { type: 'user.send', text: `a${texts++}` }, i * 30);
      world.user('owner', { type: 'user.send', text: `o${round}` }, 50);
      world.runUntil(world.now() + 31); // right after alice sealed and sent her second message
      expect((alice.snapshot.context as ClientCore).outbox.some((p) => p.kind === 'send')).toBe(true);
      world.crash('alice', 1_500);
      world.runUntil(world.now() + 6_000);
    }
    world.runUntil(world.now() + 60_000);
    expect(alice.restarts).toBe(3);
    // what alice's application was told it sent: each seq once, each nonce once, in both parties
    const nonces = new Set<string>();
    const sentBy = new Map<string, string[]>();
    for (const node of world.clients.values()) {
      const seqs = new Set<number>();
      for (const s of node.statuses) {
        if (s.status.kind !== 'sent') continue;
        expect(seqs.has(s.status.seq), `${node.name} seq ${s.status.seq} used twice`).toBe(false);
        seqs.add(s.status.seq);
        const nonce = toHex(decode(AppMessage, s.status.payload).nonce);
        expect(nonces.has(nonce), `a nonce used twice (${node.name})`).toBe(false);
        nonces.add(nonce);
        sentBy.set(node.name, [...(sentBy.get(node.name) ?? []), s.status.text]);
      }
    }
    // every message that was sent (sealed, stored, handed to the relay) reached, once, every member entitled to it
    const sent = sentMessages(world);
    for (const to of ['owner', 'alice', 'bob']) {
      const got = world.clients.get(to)!.deliveries.map((d) => d.text);
      const owed = entitledTo(world, sent, to, []).filter((t) => !(sentBy.get(to) ?? []).includes(t));
      for (const t of owed) expect(got.filter((g) => g === t), `"${t}" at ${to}`).toHaveLength(1);
    }
    // alice's messages sealed before each crash were retransmitted after it (identical bytes, REQ-MEM-025)
    expect(sentBy.get('alice')!.length).toBeGreaterThanOrEqual(6);
    for (const t of sentBy.get('alice')!) expect(world.clients.get('bob')!.deliveries.filter((d) => d.text === t)).toHaveLength(1);
    expect(world.raised.filter((x) => x.kind === 'alarm')).toEqual([]);
  });
});
