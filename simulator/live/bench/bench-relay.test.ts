import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './bench-relay.ts';

// `npm run bench:relay` is a measurement, not a test: nothing here looks at a time, only at what
// the command accepts and at what its realistic rows count (issue 23).
describe('npm run bench:relay: options and the realistic rows', () => {
  it('prints its usage, the realistic rows options included, on --help, and measures nothing', async () => {
    const lines: string[] = [];
    expect(await main(['--help'], (l) => lines.push(l))).toBe(0);
    for (const o of ['--members', '--realistic all-send,rooms', '--senders', '--rooms', '--per-room', '--workers']) expect(lines.join('\n')).toContain(o);
  });

  it.each([
    [['--realistic', 'all-send,nope'], '--realistic is a list of all-send, rooms'],
    [['--realistic', 'all-send', '--senders', '1'], '--senders is a whole number 2..64'],
    [['--realistic', 'rooms', '--rooms', '2'], '--rooms is at least 3'],
    [['--realistic', 'rooms', '--workers', '1,0'], '--workers is a list of whole numbers 1..64'],
    [['--realistic', 'all-send', '--window', '0'], '--window'],
    [['--reps', '0'], '--reps is a positive integer'],
    [['--nope'], 'unknown argument --nope'],
  ])('refuses %j in one line saying what is wrong (exit 2)', async (argv, says) => {
    const lines: string[] = [];
    expect(await main(argv, (l) => lines.push(l))).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(says);
  });

  it('delivers every message of the realistic rows to every member of its room, the sender included, on each server (tiny sizes)', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqroom-bench-relay-test-'));
    try {
      const file = join(dir, 'bench.md');
      const lines: string[] = [];
      const argv = ['--realistic', 'all-send,rooms', '--senders', '3', '--deliveries', '30', '--pool', '6', '--rooms', '4', '--per-room', '2', '--workers', '2', '--reps', '1', '--out', file];
      expect(await main(argv, (l) => lines.push(l))).toBe(0);
      const json = JSON.parse(readFileSync(file.replace(/\.md$/, '.json'), 'utf8')) as { rows: unknown[]; realistic: { members: string; server: string; messages: number; deliveries: number; markCompacts: number }[] };
      expect(json.rows).toEqual([]);
      expect(json.realistic.map((r) => `${r.members} / ${r.server}`)).toEqual([
        '3 (all send) / pqroom',
        '3 (all send) / bare+seal',
        '3 (all send) / bare',
        '4×3 / pqroom',
        '4×3 / pqroom, 2 workers',
        '4×3 / bare+seal',
        '4×3 / bare',
      ]);
      // all send: 3 members sending at least 50 messages in all; rooms: 4 owners sending 2 each; 3 deliveries per message
      for (const r of json.realistic) {
        expect(r.messages).toBe(r.members.startsWith('3 (all send)') ? 51 : 8);
        expect(r.deliveries).toBe(r.messages * 3);
        // every row says how many mark-compacts its server process made in the measured phase (V8's GCProfiler; few in a tiny run)
        expect(Number.isInteger(r.markCompacts) && r.markCompacts >= 0 && r.markCompacts < 20).toBe(true);
      }
      expect(lines.filter((l) => l.startsWith('| 3 (all send) |') || l.startsWith('| 4×3 |'))).toHaveLength(7);
      expect(readFileSync(file, 'utf8')).toContain('| 4×3 | ');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
