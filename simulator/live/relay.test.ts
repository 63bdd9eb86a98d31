/**
 * The live relay (issue 7): the SQLite store against the in-memory one, the relay over real
 * WebSockets on loopback with the demo in both profiles, garbage on the wire, and a relay
 * process killed with SIGKILL mid-run and restarted on its database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { toHex } from '../../impl/bytes.ts';
import { runDemo } from './demo.ts';
import { startRelay } from './relay.ts';
import { sqliteStore } from './sqlite-store.ts';
import { nodeCrypto as c } from '../../impl/crypto/node.ts';
import { answerListOf, answersOf, emptyRelay, handleRequest, type RelayState } from '../../impl/protocol/relay-state.ts';
import { appendAnswer } from '../../impl/protocol/relay-state/answer-list.ts';
import { genesisRoom } from '../../impl/protocol/testkit.ts';
import { memoryStore } from '../store.ts';

const dir = mkdtempSync(join(tmpdir(), 'pqroom-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = (): void => {};

describe('the SQLite store', () => {
  it('should load its native module (better-sqlite3 built on install)', () => {
    const s = sqliteStore(':memory:');
    expect(s.integrityOk()).toBe(true);
    s.close();
  });

  it('should unmask WebSocket frames natively (bufferutil\'s prebuilt binary loads, not its JavaScript fallback)', async () => {
    const require = createRequire(import.meta.url);
    const native = require('bufferutil') as { unmask(b: Buffer, m: Buffer): void };
    const fallback = require('bufferutil/fallback') as { unmask(b: Buffer, m: Buffer): void };
    expect(native, 'bufferutil fell back to JavaScript: its prebuilt binary for this platform did not load').not.toBe(fallback);
    expect(process.env['WS_NO_BUFFER_UTIL'], 'WS_NO_BUFFER_UTIL turns ws\'s native unmask off').toBeUndefined();
    const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const mask = Buffer.from([1, 2, 3, 4]);
    const a = Buffer.from(bytes);
    const b = Buffer.from(bytes);
    native.unmask(a, mask);
    fallback.unmask(b, mask);
    expect(a.equals(b) && !a.equals(bytes)).toBe(true);
  });

  it('REQ-REL-030 should answer every window and mailbox query as the in-memory store does', () =>
    fc.assert(
      fc.property(
        fc.array(fc.record({ room: fc.integer({ min: 0, max: 1 }), epoch: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }) }), { maxLength: 40, size: 'max' }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 45 }), fc.integer({ min: 0, max: 45 }), fc.integer({ min: 0, max: 12 }), fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined })), { minLength: 1, maxLength: 8 }),
        (appends, queries) => {
          const mem = memoryStore();
          const sql = sqliteStore(':memory:');
          const rooms = [new Uint8Array(16).fill(1), new Uint8Array(16).fill(2)];
          const len = [0, 0];
          let mails = 0;
          for (const a of appends) {
            const idx = ++len[a.room]!;
            const payload = new Uint8Array([a.room, idx]);
            mem.append(rooms[a.room]!, idx, payload, a.epoch);
            sql.append(rooms[a.room]!, idx, payload, a.epoch);
            const entry = { index: ++mails, room_id: rooms[a.room]!, invite_id: new Uint8Array(32), payload };
            mem.storeMail(rooms[0]!, entry);
            sql.storeMail(rooms[0]!, entry);
          }
          for (const [from, to, limit, late] of queries) {
            for (const room of rooms) expect(sql.window(room, from, to, limit, late)).toEqual(mem.window(room, from, to, limit, late));
            expect(sql.mail(rooms[0]!, from, limit)).toEqual(mem.mail(rooms[0]!, from, limit));
          }
          sql.close();
        },
      ),
      { numRuns: 60 },
    ));

  it('REQ-REL-030 REQ-REL-050 should read and extend the log of a file made with the earlier WITHOUT ROWID log table', async () => {
    const file = join(dir, 'old-log.db');
    const Database = (await import('better-sqlite3')).default;
    const old = new Database(file);
    old.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('version', '3')");
    old.exec('CREATE TABLE log (room BLOB NOT NULL, idx INTEGER NOT NULL, epoch INTEGER, payload BLOB NOT NULL, PRIMARY KEY (room, idx)) WITHOUT ROWID');
    const room = new Uint8Array(16).fill(4);
    old.prepare('INSERT INTO log (room, idx, epoch, payload) VALUES (?, ?, ?, ?)').run(room, 1, 0, new Uint8Array(3000).fill(1));
    old.close();
    const s = sqliteStore(file);
    s.atomically(() => s.append(room, 2, new Uint8Array(3000).fill(2), 0));
    expect(() => s.append(room, 2, new Uint8Array(1), 0)).toThrow(/out of order/);
    const w = s.window(room, 1, 10, 10);
    expect(w.entries.map((e) => [e.index, e.payload[0], e.payload.length])).toEqual([[1, 1, 3000], [2, 2, 3000]]);
    expect(s.integrityOk()).toBe(true);
    s.close();
    // the file keeps its 4 KiB pages; a new file gets 16 KiB ones (issue 23)
    const pageSize = (f: string): unknown => {
      const db = new Database(f, { readonly: true });
      const n = db.pragma('page_size', { simple: true });
      db.close();
      return n;
    };
    expect(pageSize(file)).toBe(4096);
    sqliteStore(join(dir, 'new-pages.db')).close();
    expect(pageSize(join(dir, 'new-pages.db'))).toBe(16384);
  });

  it('REQ-REL-050 should write only what changed, and forget a save whose transaction rolled back', () => {
    const file = join(dir, 'diff.db');
    const g = genesisRoom('sqlite diff');
    const created = handleRequest(c, emptyRelay('hardened'), g.owner.fp, { name: 'CreateRoom', value: { req_id: 1, room_id: g.roomId, profile: 'hardened', payload: g.genesis.commit.bytes } }, 0);
    expect(created.rejected).toBeUndefined();
    const key = Object.keys(created.state.rooms)[0]!;
    const room = created.state.rooms[key]!;
    const answers = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ reqId: from + i, digest: new Uint8Array(32).fill(from + i), reply: new Uint8Array([from + i]) }));
    const s1: RelayState = {
      ...created.state,
      rooms: { [key]: { ...room, members: { ...room.members, ['ab'.repeat(32)]: { role: 'member', addedIndex: 2, addedEpoch: 1 } }, invites: { ['cd'.repeat(32)]: { expiresAt: 9, status: 'open' }, ['ef'.repeat(32)]: { expiresAt: 9, status: 'claimed', claimant: 'ab'.repeat(32), joinPayload: new Uint8Array([1, 2]) } } } },
      mailboxes: { ['ab'.repeat(32)]: 3 },
      answered: { ...created.state.answered, ['ab'.repeat(32)]: answerListOf(answers(5, 10)) },
    };
    const r1 = s1.rooms[key]!;
    // an invite gone, a member removed, the oldest answers dropped and two added (one req_id, two requests: REQ-REL-004), a counter moved
    const s2: RelayState = {
      ...s1,
      rooms: { [key]: { ...r1, nextIndex: r1.nextIndex + 1, invites: { ['ef'.repeat(32)]: r1.invites['ef'.repeat(32)]! }, members: { ...r1.members, ['ab'.repeat(32)]: { role: 'removed', addedIndex: 2, addedEpoch: 1, removedIndex: 3 } } } },
      mailboxes: { ['ab'.repeat(32)]: 4 },
      answered: { ...s1.answered, ['ab'.repeat(32)]: answerListOf([...answersOf(s1.answered['ab'.repeat(32)]).slice(2), ...answers(1, 20), { reqId: 20, digest: new Uint8Array(32).fill(99), reply: new Uint8Array([99]) }]) },
    };
    const s3: RelayState = { ...s2, answered: { ...s2.answered, ['ab'.repeat(32)]: answerListOf(answers(2, 30)) } };
    const a = sqliteStore(file);
    a.saveState(s1);
    a.saveState(s2);
    expect(() =>
      a.atomically(() => {
        a.saveState(s3);
        throw new Error('the step failed');
      }),
    ).toThrow('the step failed');
    expect(a.loadState()).toBe(s2);
    a.close();
    const b = sqliteStore(file);
    expect(b.loadState()).toEqual(s2);
    b.saveState(s3); // had the rolled-back save counted, this would write nothing
    b.close();
    const d = sqliteStore(file);
    expect(d.loadState()).toEqual(s3);
    d.close();
  });

  it('REQ-REL-004 REQ-REL-050 should store the answers appended and evicted since the last save, and load the answers kept', () => {
    const file = join(dir, 'answers.db');
    const who = 'ab'.repeat(32);
    const answer = (i: number) => ({ reqId: i, digest: new Uint8Array(32).fill(i & 255), reply: new Uint8Array([i & 255, i >> 8]) });
    const a = sqliteStore(file);
    let state: RelayState = emptyRelay('hardened');
    a.saveState(state);
    // saves of 0 to 9 new answers each, in and out of a batch, the memory (40) crossing chunk boundaries
    let i = 0;
    for (let k = 0; i < 200; k++) {
      const batch = k % 3 === 0;
      if (batch) a.begin();
      for (let j = 0; j < k % 10; j++, i++) {
        state = { ...state, answered: { [who]: appendAnswer(state.answered[who], answer(i), 40) } };
        if (batch) a.atomically(() => a.saveState(state), true);
        else a.saveState(state);
      }
      if (batch) a.commit();
    }
    a.close();
    const b = sqliteStore(file);
    const kept = answersOf(state.answered[who]);
    expect(kept.map((x) => x.reqId)).toEqual(Array.from({ length: 40 }, (_, j) => i - 40 + j));
    expect(answersOf(b.loadState()!.answered[who])).toEqual(kept);
    b.close();
  });

  it('REQ-REL-050 should write a batch the state its last good step saved, at its commit, and nothing of a step or a batch that failed', () => {
    const file = join(dir, 'batch.db');
    const g = genesisRoom('sqlite batch');
    const created = handleRequest(c, emptyRelay('hardened'), g.owner.fp, { name: 'CreateRoom', value: { req_id: 1, room_id: g.roomId, profile: 'hardened', payload: g.genesis.commit.bytes } }, 0);
    const key = Object.keys(created.state.rooms)[0]!;
    const at = (s: RelayState, n: number): RelayState => ({ ...s, rooms: { [key]: { ...s.rooms[key]!, nextIndex: n + 1 } }, mailboxes: { ['ab'.repeat(32)]: n } });
    const a = sqliteStore(file);
    a.atomically(() => {
      a.append(g.roomId, 1, new Uint8Array([1]), 0);
      a.saveState(at(created.state, 1));
    });
    // a batch of two steps and a third that fails: the second's state is what the commit makes durable
    a.begin();
    for (const n of [2, 3]) a.atomically(() => (a.append(g.roomId, n, new Uint8Array([n]), 0), a.saveState(at(created.state, n))));
    expect(() => a.atomically(() => (a.append(g.roomId, 4, new Uint8Array([4]), 0), a.saveState(at(created.state, 4)), (() => { throw new Error('the step failed'); })()))).toThrow('the step failed');
    a.commit();
    // a batch rolled back: neither its appends nor its state stay, and the log goes on from where the commit left it
    a.begin();
    a.atomically(() => (a.append(g.roomId, 4, new Uint8Array([4]), 0), a.saveState(at(created.state, 4))));
    a.rollback();
    expect(() => a.append(g.roomId, 5, new Uint8Array([5]), 0)).toThrow(/out of order: 5 after 3/);
    // steps of one append each, without a savepoint of their own: one that fails leaves neither its row nor its state
    a.begin();
    a.atomically(() => (a.append(g.roomId, 4, new Uint8Array([4]), 0), a.saveState(at(created.state, 4))), true);
    expect(() => a.atomically(() => (a.saveState(at(created.state, 9)), a.append(g.roomId, 9, new Uint8Array([9]), 0)), true)).toThrow(/out of order: 9 after 4/);
    a.commit();
    a.close();
    const b = sqliteStore(file);
    expect(b.loadState()).toEqual(at(created.state, 4));
    expect(b.window(g.roomId, 1, 10, 10).entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    b.close();
  });

  it('REQ-REL-050 should keep the relay state across a reopen, and refuse a database of another version', () => {
    const file = join(dir, 'state.db');
    const a = sqliteStore(file);
    a.saveState({ rooms: {}, mailboxes: { ab: 3 }, directory: {}, answered: {}, profile: 'hardened' });
    a.close();
    const b = sqliteStore(file);
    expect(b.loadState()).toEqual({ rooms: {}, mailboxes: { ab: 3 }, directory: {}, answered: {}, profile: 'hardened' });
    b.setMeta('version', '99');
    b.close();
    expect(() => sqliteStore(file)).toThrow(/version 99/);
  });
});

describe('the live relay over WebSocket (loopback)', () => {
  for (const profile of ['hardened', 'compat'] as const) {
    it(`${profile}: the demo with 3 members and 250 messages delivers everything it should`, async () => {
      const relay = await startRelay({ insecureTestKdf: true, port: 0, db: join(dir, `${profile}.db`), profile, log: quiet });
      try {
        const r = await runDemo({ insecureTestKdf: true, relay: relay.url, members: 3, messages: 250, profile, out: quiet, timeoutMs: 120_000 });
        expect(r.alarms).toEqual([]);
        expect(r.members.map((m) => m.received)).toEqual(r.members.map((m) => m.entitled));
        expect(r.ok).toBe(true);
        expect(relay.metrics()).toMatch(/pqroom_rooms 1\n/);
        expect(relay.store.integrityOk()).toBe(true);
        // what the tables hold after the run is the relay machine's state, row by row (REQ-REL-050)
        const state = relay.host.state();
        await relay.close();
        const reopened = sqliteStore(join(dir, `${profile}.db`));
        expect(reopened.loadState()).toEqual(state);
        reopened.close();
      } finally {
        await relay.close();
      }
    }, 150_000);
  }

  it('should survive garbage, oversized and text frames, then serve an honest demo with its database intact', async () => {
    const relay = await startRelay({ insecureTestKdf: true, port: 0, db: join(dir, 'fuzz.db'), profile: 'hardened', log: quiet, limits: { maxFrameBytes: 64 * 1024, maxBufferedBytes: 1 << 20 } });
    try {
      const frames = fc.sample(fc.oneof(fc.uint8Array({ maxLength: 300, size: 'max' }), fc.constant(new Uint8Array(70_000)), fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => new Uint8Array([0, 1, ...b]))), { numRuns: 60, seed: 7 });
      expect(frames.filter((f) => f.length > 100 && f.length <= 300).length).toBeGreaterThan(5); // garbage of every length up to 300 bytes, not fast-check's default of about 10
      const closes: number[] = [];
      for (let i = 0; i < frames.length; i += 6) {
        const ws = new WebSocket(relay.url);
        await new Promise<void>((res) => ws.once('open', () => res()));
        const done = new Promise<void>((res) => ws.once('close', (code) => (closes.push(code), res())));
        for (const f of frames.slice(i, i + 6)) ws.send(f);
        ws.send('a text frame');
        await Promise.race([done, new Promise((r) => setTimeout(r, 500))]);
        ws.terminate();
      }
      expect(closes.length).toBeGreaterThan(0);
      const r = await runDemo({ insecureTestKdf: true, relay: relay.url, members: 2, messages: 40, profile: 'hardened', out: quiet, timeoutMs: 60_000 });
      expect(r.ok).toBe(true);
      expect(relay.store.integrityOk()).toBe(true);
      expect((await fetch(relay.url.replace('ws', 'http') + '/healthz')).status).toBe(200);
    } finally {
      await relay.close();
    }
  }, 120_000);

  it('REQ-REL-050 should lose nothing when the relay process is killed with SIGKILL mid-run and restarted on its database', async () => {
    const db = join(dir, 'killed.db');
    const spawnRelay = (port: number): Promise<{ child: ChildProcess; port: number }> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['cli.js', 'relay', '--insecure-test-kdf', '--port', String(port), '--db', db], { stdio: ['ignore', 'pipe', 'ignore'] });
        let text = '';
        child.stdout!.on('data', (d: Buffer) => {
          text += d.toString();
          const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(text);
          if (m) resolve({ child, port: Number(m[1]) });
        });
        child.once('exit', (code) => reject(new Error(`relay exited ${code}: ${text}`)));
      });
    const first = await spawnRelay(0);
    const url = `ws://127.0.0.1:${first.port}`;
    const pk = await (await fetch(`http://127.0.0.1:${first.port}/relay-key`)).text();
    let second: ChildProcess | undefined;
    let killed = false;
    // killed on an event of the run, not after a time: when the last member has joined, as the
    // messages start (a loaded machine slows the run, not where in it the relay dies)
    const kill = (line: string): void => {
      if (killed || !line.startsWith('member3 joined')) return;
      killed = true;
      first.child.once('exit', () => void spawnRelay(first.port).then((s) => (second = s.child)));
      first.child.kill('SIGKILL');
    };
    try {
      const r = await runDemo({ insecureTestKdf: true, relay: url, members: 3, messages: 250, profile: 'hardened', out: kill, timeoutMs: 120_000, relayPk: Uint8Array.from(Buffer.from(pk.trim(), 'hex')) });
      expect(killed, 'the relay was killed when the last member joined').toBe(true);
      expect(second, 'the relay was killed and restarted during the run').toBeDefined();
      expect(r.alarms).toEqual([]);
      expect(r.ok, JSON.stringify({ refused: r.refused, duplicates: r.duplicates, members: r.members })).toBe(true);
      expect(toHex(Buffer.from(await (await fetch(`http://127.0.0.1:${first.port}/relay-key`)).text(), 'hex'))).toBe(pk.trim());
    } finally {
      first.child.kill('SIGKILL');
      second?.kill('SIGTERM');
    }
  }, 150_000);
});
