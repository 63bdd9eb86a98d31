import { describe, expect, it } from 'vitest';
import { toHex } from '../../bytes.ts';
import { deterministicRng } from '../../rng.ts';
import { idKey } from './state.ts';

describe('idKey (issue 23: the hex ids the relay state is keyed by, converted once)', () => {
  const rng = deterministicRng(new Uint8Array(32).fill(23));
  it('should give toHex of the bytes, for ids seen before, new ones, and more ids than it remembers', () => {
    const ids = [0, 1, 16, 31, 32, 33, 64, 65, 200].map((n) => rng.bytes(n));
    for (let round = 0; round < 3; round++) for (const id of ids) expect(idKey(id)).toBe(toHex(id));
    // views and copies of the same bytes, and ids that differ in their last byte only
    const a = rng.bytes(32);
    const b = a.slice();
    b[31] = b[31]! ^ 1;
    const big = new Uint8Array(40);
    big.set(a, 8);
    for (let round = 0; round < 2; round++) {
      expect(idKey(a)).toBe(toHex(a));
      expect(idKey(b)).toBe(toHex(b));
      expect(idKey(big.subarray(8))).toBe(toHex(a));
    }
  });
  it('should keep no view of the caller\'s bytes: changing them after the call changes the next answer, not the last', () => {
    const id = rng.bytes(32);
    const before = toHex(id);
    expect(idKey(id)).toBe(before);
    id[0] = id[0]! ^ 0xff;
    expect(idKey(id)).toBe(toHex(id));
    expect(idKey(id)).not.toBe(before);
    id[0] = id[0]! ^ 0xff;
    expect(idKey(id)).toBe(before);
  });
});
