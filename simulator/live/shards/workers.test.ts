/**
 * `pqroom relay --workers N` (spec 8.13): a shard worker killed with SIGKILL in the middle of a
 * demo is restarted and the demo completes with nothing acknowledged lost (REQ-REL-052); a
 * mailbox entry forwarded between shards is applied exactly once, in outbox order (REQ-REL-051);
 * a database keeps its number of workers. Loopback only; every wait is bounded.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '../../../impl/bytes.ts';
import { loadRealBackends, fastestReal, realCrypto } from '../../../impl/crypto/backends.ts';
import { nodeCrypto } from '../../../impl/crypto/node.ts';
import { runConformance } from '../conformance/suite.ts';
import { runDemo } from '../demo.ts';
import { startRelay } from '../relay.ts';
import type { FromShard } from './protocol.ts';
import { runShard } from './worker.ts';
import { shardDb } from './front.ts';
import { sqliteStore } from '../sqlite-store.ts';

// runs on the real backends below: liboqs is loaded by this call, not by importing the simulator
await loadRealBackends();

const dir = mkdtempSync(join(tmpdir(), 'pqroom-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('REQ-REL-052 a shard worker killed with kill -9 mid-demo is restarted, the demo completes, nothing acknowledged is lost', () => {
  it('REQ-REL-052 REQ-REL-051: two workers, the room shard killed during the joins and the other one during the messages', async () => {
    const db = join(dir, 'kill.db');
    const logs: string[] = [];
    const relay = await startRelay({ port: 0, db, workers: 2, insecureTestKdf: true, log: (l) => logs.push(l) });
    const shards = relay.shards!;
    const killed: number[] = [];
    const lines: string[] = [];
    const kill = (k: number): void => {
      const pid = shards.pids()[k];
      if (pid === undefined) return;
      process.kill(pid, 'SIGKILL');
      killed.push(k);
    };
    try {
      const result = await runDemo({
        relay: relay.url,
        members: 3,
        messages: 30,
        profile: 'hardened',
        insecureTestKdf: true,
        timeoutMs: 150_000,
        lingerMs: 300,
        out: (line) => {
          lines.push(line);
          // mid-join: the room's shard (the next invitee's mailbox may be the other's: REQ-REL-051); mid-messages: the other shard
          const room = shards.shardRooms().findIndex((n) => n > 0);
          if (/ joined at epoch/.test(line) && killed.length === 0 && room >= 0) kill(room);
          else if (/messages delivered to everyone|removed at epoch/.test(line) && killed.length === 1) kill(1 - killed[0]!);
        },
      });
      expect(killed, lines.join('\n')).toHaveLength(2);
      expect(shards.restarts()).toBe(2);
      expect(result.alarms).toEqual([]);
      expect(result.duplicates).toEqual([]);
      expect(result.ok, JSON.stringify(result.members)).toBe(true);
      for (const m of result.members) expect(m.received, m.name).toBe(m.entitled);
    } finally {
      await relay.close();
    }
    expect(logs.filter((l) => l.includes('shard worker died')).length).toBe(2);
    // what was acknowledged is on disk: the room's log in its shard's file holds every message sent
    const entries = [0, 1].map((k) => {
      const s = sqliteStore(shardDb(db, k, 2));
      const state = s.loadState()!;
      const n = Object.values(state.rooms).reduce((a, r) => a + r.nextIndex - 1, 0);
      expect(s.integrityOk()).toBe(true);
      s.close();
      return n;
    });
    expect(entries.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30);
  }, 200_000);
});

describe('REQ-REL-051 a mailbox entry forwarded from another shard is applied once each, in outbox order', () => {
  it('REQ-REL-051: a repeated entry is reported done again but not appended twice; one ahead of its turn waits', async () => {
    const db = join(dir, 'forward.db');
    const posts: FromShard[] = [];
    const shard = runShard(db, 0, 2, 'hardened', {}, (m) => posts.push(m));
    const to = fromHex('aa'.repeat(32));
    const entry = (n: number) => ({ to, roomId: fromHex('01'.repeat(16)), inviteId: fromHex('02'.repeat(16)), payload: utf8(`mail ${n}`) });
    const turn = (): Promise<void> => new Promise((r) => setImmediate(() => setImmediate(r)));
    const done = (): number[] => posts.flatMap((p) => (p.t === 'out' ? p.done.map((d) => d.seq) : []));
    shard.receive({ t: 'forward', origin: 1, seq: 1, entry: entry(1) });
    await turn();
    shard.receive({ t: 'forward', origin: 1, seq: 1, entry: entry(1) }); // sent again (the origin did not hear "done")
    shard.receive({ t: 'forward', origin: 1, seq: 3, entry: entry(3) }); // ahead of its turn: 2 was lost on the way
    await turn();
    expect(done()).toEqual([1, 1]);
    shard.receive({ t: 'forward', origin: 1, seq: 2, entry: entry(2) });
    shard.receive({ t: 'forward', origin: 1, seq: 3, entry: entry(3) });
    await turn();
    expect(done()).toEqual([1, 1, 2, 3]);
    shard.receive({ t: 'stop' });
    const s = sqliteStore(db);
    const box = s.mail(to, 1, 10);
    s.close();
    expect(box.entries.map((e) => [e.index, new TextDecoder().decode(e.payload)])).toEqual([
      [1, 'mail 1'],
      [2, 'mail 2'],
      [3, 'mail 3'],
    ]);
    expect(box.end).toBe(4);
  });
});

describe('REQ-REL-052 a relay database keeps its number of workers', () => {
  it('REQ-REL-052: a database made with two workers is refused with one, naming the number', async () => {
    const db = join(dir, 'two.db');
    const relay = await startRelay({ port: 0, db, workers: 2, log: () => undefined });
    expect(relay.shards!.up()).toBe(2);
    await relay.close();
    await expect(startRelay({ port: 0, db, workers: 1, log: () => undefined })).rejects.toThrow(/holds a relay of 2 workers; start it with --workers 2/);
  }, 60_000);
});

describe('REQ-REL-051 the sharded relay conforms: pqroom conformance against a relay of two workers', () => {
  it('REQ-REL-051: every case of the conformance suite passes against --workers 2 (joins and mailboxes cross shards)', async () => {
    const relay = await startRelay({ port: 0, db: join(dir, 'conformance.db'), workers: 2, log: () => undefined });
    try {
      const report = await runConformance({ url: relay.url, crypto: realCrypto(fastestReal()), profile: 'hardened', relayPk: relay.publicKey, seed: nodeCrypto.sha256(utf8('conformance workers 2')) });
      expect(report.results.flatMap((r) => (r.verdict === 'FAIL' ? [`${r.id} ${r.name}: expected ${r.expected}, got ${r.got}`] : []))).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.passed).toBeGreaterThan(50);
    } finally {
      await relay.close();
    }
  }, 300_000);
});

describe('REQ-REL-052 a shard worker told to stop before it listens', () => {
  it('REQ-REL-052: a stop that reaches a worker still opening its database ends it cleanly (exit 0, nothing on stderr)', async () => {
    // a relay closed as soon as it started: Node holds the 'stop' until the worker listens, then emits it from its own loop
    const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
    for (let i = 0; i < 3; i++) {
      const child = fork(worker, [':memory:', '0', '2', 'hardened', '{}'], { execArgv: ['--import', import.meta.resolve('tsx')], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.on('message', () => undefined);
      child.send({ t: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      clearTimeout(timer);
      expect({ code, err }).toEqual({ code: 0, err: '' });
    }
  }, 120_000);
});
