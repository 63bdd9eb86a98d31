import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { equalBytes, fromHex, toHex } from '../impl/bytes.ts';
import { decode, encode, valuesEqual } from '../impl/codec.ts';
import { PqroomError } from '../impl/errors.ts';
import { AppMessage, CompatChat, MESSAGES, RoomDelivery, type MsgName } from '../impl/messages/index.ts';
import { fields, innerMessage, mutate, retype } from './mutate.ts';

interface Case {
  readonly id: string;
  readonly message: MsgName;
  readonly encoding: string;
}
const cases = (JSON.parse(readFileSync(new URL('../vectors/messages.json', import.meta.url), 'utf8')) as { cases: Case[] }).cases;

describe('CAP-07 mutation toolkit', () => {
  it('reaches every field of every message of spec 4.1, and each change is seen: the decoder refuses the bytes or decodes a different value', () => {
    let mutated = 0;
    for (const c of cases) {
      const bytes = fromHex(c.encoding);
      const original = decode(MESSAGES[c.message], bytes);
      const fs = fields(bytes);
      expect(fs.length, c.id).toBeGreaterThan(2);
      for (const f of fs) {
        if (f.kind === 'list' || f.kind === 'struct') continue;
        const out = mutate(bytes, f.path, { op: 'flip' });
        expect(equalBytes(out, bytes), `${c.id} ${f.path}`).toBe(false);
        try {
          const again = decode(MESSAGES[c.message], out);
          expect(valuesEqual(again, original), `${c.id} ${f.path}`).toBe(false);
        } catch (e) {
          expect(e, `${c.id} ${f.path}`).toBeInstanceOf(PqroomError);
        }
        mutated++;
      }
    }
    expect(mutated).toBeGreaterThan(500);
  });

  it('enters messages carried in payloads and re-encodes the envelope around the changed message', () => {
    const app = cases.find((c) => c.message === 'AppMessage')!;
    const inner = fromHex(app.encoding);
    const delivery = encode(RoomDelivery, { room_id: new Uint8Array(16).fill(7), index: 5, payload: inner });
    expect(fields(delivery).some((f) => f.path === 'payload.seq')).toBe(true);
    const out = mutate(delivery, 'payload.epoch', { op: 'add', by: 3 });
    const got = innerMessage(out)!;
    expect(got.name).toBe('AppMessage');
    expect(decode(AppMessage, got.bytes).epoch).toBe(decode(AppMessage, inner).epoch + 3);
    expect(decode(RoomDelivery, out).index).toBe(5);
  });

  it('relabels a compat chat as a rotation by its type byte alone (W2)', () => {
    const chat = cases.find((c) => c.message === 'CompatChat')!;
    const bytes = fromHex(chat.encoding);
    const out = retype(bytes, 'CompatRotation');
    expect(toHex(out.subarray(4))).toBe(toHex(bytes.subarray(4)));
    expect(decode(MESSAGES.CompatRotation, out)).toEqual(decode(CompatChat, bytes));
  });

  it('changes the suite in the header (ATK-20), which every decoder refuses with REQ-ENC-003', () => {
    const chat = fromHex(cases.find((c) => c.message === 'CompatChat')!.encoding);
    expect(() => decode(CompatChat, mutate(chat, 'header.suite', { op: 'add', by: 1 }))).toThrow(/REQ-ENC-003|suite/);
  });

  it('names a missing field with an error instead of changing something else', () => {
    const chat = fromHex(cases.find((c) => c.message === 'CompatChat')!.encoding);
    expect(() => mutate(chat, 'seq', { op: 'flip' })).toThrow(/no field seq/);
  });
});
