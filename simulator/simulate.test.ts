/**
 * Determinism and replay (spec 5.11: every random choice derives from the seed): the same seed and
 * options give the same trace, byte for byte, in both backends; another seed gives another
 * trace; a recorded trace replays identically, and an edited one is caught at its first edit.
 * Also the `pqroom simulate` and `pqroom replay` commands and the Mermaid rendering.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as simulateMain } from './cli.ts';
import { parseFaults } from './faults.ts';
import { traceToMermaid } from './mermaid.ts';
import { main as replayMain, replayTrace } from './replay.ts';
import { optionsFromHeader, runHeader, simulate, type RunOptions } from './run.ts';
import { findScenario, runScenario, SCENARIOS } from './scenarios.ts';
import { parseTrace } from './trace.ts';
import { createWorld } from './world.ts';
import { symbolicCrypto } from '../adversary/symbolic.ts';

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
  it('should read the options back from the header, and refuse a file that is not a trace', () => {
    expect(optionsFromHeader(JSON.stringify(runHeader(RUN)))).toEqual(RUN);
    expect(() => optionsFromHeader('{"kind":"run"}')).toThrow('run header');
    expect(() => optionsFromHeader('not json')).toThrow('not JSON');
    expect(() => optionsFromHeader(JSON.stringify({ ...runHeader(RUN), seed: -1 }))).toThrow('seed');
  });
});

describe('pqroom simulate and pqroom replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqroom-sim-'));
  const run = (main: (a: readonly string[], o: (s: string) => void) => number, args: string[]) => {
    const out: string[] = [];
    const code = main(args, (s) => out.push(s));
    return { code, out: out.join('\n') };
  };
  it('should list the scenarios, one per line, name first', () => {
    const r = run(simulateMain, ['--list']);
    expect(r.code).toBe(0);
    const names = r.out.split('\n').map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(SCENARIOS.map((s) => s.name));
    for (const n of ['room', 'join-race', 'rotation-load', 'removal', 'offline-return', 'late-joiner']) expect(names).toContain(n);
  });
  it('should print a summary, write a trace that replays and a diagram, and exit 0 when the checks hold', () => {
    const trace = join(dir, 'run.jsonl');
    const mmd = join(dir, 'run.mmd');
    const r = run(simulateMain, ['--scenario', 'removal', '--seed', '4', '--messages', '8', '--backend', 'symbolic', '--faults', 'drop=0.05,partition=alice@3000~2000', '--trace', trace, '--mermaid', mmd]);
    expect(r.code, r.out).toBe(0);
    for (const s of ['sent 16', 'alarms 0', 'epochs', 'transcript', 'checks:', 'partition']) expect(r.out).toContain(s);
    expect(run(replayMain, [trace])).toEqual({ code: 0, out: expect.stringContaining('identical') });
    const diagram = readFileSync(mmd, 'utf8');
    expect(diagram.startsWith('sequenceDiagram\n')).toBe(true);
    expect(diagram).toContain('-x'); // a lost frame
    expect(diagram).toContain('epoch');
    // a tampered trace fails the replay, with the line shown
    const lines = readFileSync(trace, 'utf8').split('\n');
    lines[10] = lines[10]!.replace('"kind"', '"kind" ');
    writeFileSync(trace, lines.join('\n'));
    const bad = run(replayMain, [trace]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('differs at line 11');
  });
  it('should print the summary as JSON', () => {
    const r = run(simulateMain, ['--scenario', 'join-race', '--seed', '2', '--backend', 'symbolic', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { ok: boolean; sent: number; alarms: number; transcriptHash: string; checks: unknown[] };
    expect(j.ok).toBe(true);
    expect(j.sent).toBe(10);
    expect(j.transcriptHash).toMatch(/^[0-9a-f]{16}$/);
    expect(j.checks.length).toBeGreaterThan(3);
  });
  it('should exit 2 on a usage error and explain it', () => {
    for (const args of [['--scenario', 'nope'], ['--seed', '-3'], ['--profile', 'x'], ['--faults', 'drop=7'], ['--bogus']]) {
      const r = run(simulateMain, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out).toMatch(/pqroom simulate: /);
    }
    expect(run(replayMain, []).code).toBe(2);
    expect(run(replayMain, [join(dir, 'missing.jsonl')]).code).toBe(2);
    writeFileSync(join(dir, 'junk.jsonl'), 'hello\n');
    expect(run(replayMain, [join(dir, 'junk.jsonl')]).out).toContain('not JSON');
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
});
