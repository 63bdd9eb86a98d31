/**
 * Paging of HistoryChunk and MailboxChunk (spec 8.6, REQ-REL-036): `next_index` and `complete`
 * when a chunk is full, complete, empty or past the end, the late window of a removed member, the
 * 256 entries of a MailboxChunk (REQ-REL-024) and the byte size of both (REQ-ENC-020), from the
 * simulator's memory store and from the live relay's SQLite store alike.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { decode } from '../../impl/codec.ts';
import { HistoryChunk, MailboxChunk } from '../../impl/messages/index.ts';
import { MAX_MESSAGE_BYTES } from '../../impl/messages/types.ts';
import { historyChunk, mailboxChunk, memoryStore, type RelayStore } from '../store.ts';
import { sqliteStore, type SqliteStore } from './sqlite-store.ts';

const ROOM = new Uint8Array(16).fill(7);
const ALICE = new Uint8Array(32).fill(1);
const open: SqliteStore[] = [];
afterAll(() => {
  for (const s of open) s.close();
});

const STORES: readonly [string, () => RelayStore][] = [
  ['memory', memoryStore],
  [
    'sqlite',
    () => {
      const s = sqliteStore(':memory:');
      open.push(s);
      return s;
    },
  ],
];

/** A log whose entry i (from 1) is of epoch `epochs[i-1]`, each payload `size` bytes. */
function withLog(store: RelayStore, epochs: readonly number[], size = 8): RelayStore {
  epochs.forEach((e, i) => store.append(ROOM, i + 1, new Uint8Array(size).fill(i + 1), e));
  return store;
}
function withMail(store: RelayStore, n: number, size = 8): RelayStore {
  for (let i = 1; i <= n; i++) store.storeMail(ALICE, { index: i, room_id: ROOM, invite_id: new Uint8Array(32), payload: new Uint8Array(size).fill(i & 0xff) });
  return store;
}
const page = (h: { entries: readonly { index: number }[]; next_index: number; complete: boolean }): string => `[${h.entries.map((e) => e.index).join(',')}] next ${h.next_index}${h.complete ? ' complete' : ''}`;
const history = (s: RelayStore, from: number, to: number, limit: number, lateBefore?: number) => page(decode(HistoryChunk, historyChunk(s, 1, ROOM, from, to, limit, lateBefore)));
const mailbox = (s: RelayStore, from: number) => page(decode(MailboxChunk, mailboxChunk(s, 1, ALICE, from)));

for (const [name, make] of STORES) {
  describe(`REQ-REL-036 history paging (${name} store)`, () => {
    it('REQ-REL-036 REQ-REL-020 should continue from one past the last entry while incomplete, and end at the window\'s end', () => {
      const s = withLog(make(), [0, 0, 0, 0, 0]);
      expect([history(s, 1, 5, 2), history(s, 3, 5, 2), history(s, 5, 5, 2)]).toEqual(['[1,2] next 3', '[3,4] next 5', '[5] next 6 complete']);
      // a chunk that holds the window's last entry exactly is complete
      expect(history(s, 4, 5, 2)).toEqual(['[4,5] next 6 complete'][0]);
    });
    it('REQ-REL-036 should answer an empty log, a start past the end and an empty window with an empty complete chunk that never goes back', () => {
      expect(history(make(), 1, 0, 10)).toBe('[] next 1 complete');
      const s = withLog(make(), [0, 0, 0]);
      expect(history(s, 4, 3, 10)).toBe('[] next 4 complete');
      expect(history(s, 10, 3, 10)).toBe('[] next 10 complete');
    });
    it("REQ-REL-036 should count a removed member's late messages in its window: complete once none is left, next_index at the log's end", () => {
      // removed at entry 3 in epoch 2: entry 4 is a late message of epoch 1, entries 5 and 6 of epoch 2 are not its own
      const s = withLog(make(), [0, 1, 2, 1, 2, 2]);
      expect(history(s, 1, 3, 4, 2)).toBe('[1,2,3,4] next 7 complete');
      expect(history(s, 1, 3, 3, 2)).toBe('[1,2,3] next 4');
      expect(history(s, 5, 3, 3, 2)).toBe('[] next 7 complete');
    });
    it('REQ-ENC-020 REQ-REL-036 should cut a chunk before the entry that would take it above 2^24 bytes', () => {
      const six = 6 * 1024 * 1024;
      const s = withLog(make(), [0, 0, 0], six);
      const bytes = historyChunk(s, 1, ROOM, 1, 3, 256);
      expect(bytes.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(page(decode(HistoryChunk, bytes))).toBe('[1,2] next 3');
      expect(history(s, 3, 3, 256)).toBe('[3] next 4 complete');
    });
  });

  describe(`REQ-REL-036 mailbox paging (${name} store)`, () => {
    it('REQ-REL-024 REQ-REL-036 should hold at most 256 entries, then continue from the next index', () => {
      const s = withMail(make(), 257);
      const first = decode(MailboxChunk, mailboxChunk(s, 1, ALICE, 1));
      expect([first.entries.length, first.entries[0]!.index, first.next_index, first.complete]).toEqual([256, 1, 257, false]);
      expect(mailbox(s, 257)).toBe('[257] next 258 complete');
    });
    it('REQ-REL-036 should answer an empty mailbox and a start past the end with an empty complete chunk that never goes back', () => {
      expect(mailbox(make(), 1)).toBe('[] next 1 complete');
      const s = withMail(make(), 3);
      expect(mailbox(s, 2)).toBe('[2,3] next 4 complete');
      expect(mailbox(s, 4)).toBe('[] next 4 complete');
      expect(mailbox(s, 9)).toBe('[] next 9 complete');
    });
    it('REQ-ENC-020 REQ-REL-036 should cut a mailbox chunk before the entry that would take it above 2^24 bytes', () => {
      const s = withMail(make(), 3, 6 * 1024 * 1024);
      const bytes = mailboxChunk(s, 1, ALICE, 1);
      expect(bytes.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(page(decode(MailboxChunk, bytes))).toBe('[1,2] next 3');
    });
  });
}

describe('REQ-ENC-020 chunks up to exactly 2^24 bytes', () => {
  it('REQ-ENC-020 should fill a HistoryChunk and a MailboxChunk to exactly 2^24 bytes, and leave out an entry one byte too long', () => {
    const first = 8 * 1024 * 1024;
    // a HistoryChunk is 35 bytes and 12 per entry besides payloads; a MailboxChunk 19 and 60 per entry
    for (const [extra, second] of [[0, MAX_MESSAGE_BYTES - 35 - 24 - first], [1, MAX_MESSAGE_BYTES - 35 - 24 - first + 1]] as const) {
      const s = memoryStore();
      s.append(ROOM, 1, new Uint8Array(first), 0);
      s.append(ROOM, 2, new Uint8Array(second), 0);
      const bytes = historyChunk(s, 1, ROOM, 1, 2, 256);
      expect(bytes.length).toBe(extra === 0 ? MAX_MESSAGE_BYTES : 35 + 12 + first);
      expect(decode(HistoryChunk, bytes).entries.length).toBe(extra === 0 ? 2 : 1);
    }
    for (const [extra, second] of [[0, MAX_MESSAGE_BYTES - 19 - 120 - first], [1, MAX_MESSAGE_BYTES - 19 - 120 - first + 1]] as const) {
      const s = memoryStore();
      for (const [index, size] of [[1, first], [2, second]] as const) s.storeMail(ALICE, { index, room_id: ROOM, invite_id: new Uint8Array(32), payload: new Uint8Array(size) });
      const bytes = mailboxChunk(s, 1, ALICE, 1);
      expect(bytes.length).toBe(extra === 0 ? MAX_MESSAGE_BYTES : 19 + 60 + first);
      expect(decode(MailboxChunk, bytes).entries.length).toBe(extra === 0 ? 2 : 1);
    }
  });
});
