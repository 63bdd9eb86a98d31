/** The live relay's frame pool (issue 23): buffers reused once given back, and only then; idle memory bounded. */
import { describe, expect, it } from 'vitest';
import { arena, framePool, MAX_POOLED_FRAME } from './frame-pool.ts';

describe('framePool', () => {
  it('gives a view of exactly the length asked, and a buffer given back to the next frame of its size class', () => {
    const p = framePool();
    const a = p.take(3_700);
    expect(a.length).toBe(3_700);
    expect(a.buffer.byteLength).toBe(4_096);
    p.release(a);
    const b = p.take(4_000);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(4_000);
    expect(p.stats()).toMatchObject({ taken: 2, made: 1, idle: 0 });
  });

  it('never hands out a buffer that was not given back, nor one given back twice to two takers', () => {
    const p = framePool();
    const a = p.take(1_000);
    const b = p.take(1_000);
    expect(b.buffer).not.toBe(a.buffer);
    p.release(a);
    p.release(a); // twice: kept once
    const c = p.take(1_000);
    const d = p.take(1_000);
    expect(c.buffer).toBe(a.buffer);
    expect(d.buffer).not.toBe(a.buffer);
    expect(d.buffer).not.toBe(b.buffer);
  });

  it('ignores a buffer it did not hand out, and does not pool frames above its largest class', () => {
    const p = framePool();
    p.release(new Uint8Array(4_096));
    expect(p.stats().idle).toBe(0);
    const big = p.take(MAX_POOLED_FRAME + 1);
    expect(big.length).toBe(MAX_POOLED_FRAME + 1);
    p.release(big);
    expect(p.stats().idle).toBe(0);
  });

  it('keeps at most maxIdleBytes of idle buffers (the rest are left to the collector)', () => {
    const p = framePool(3 * 4_096);
    const frames = Array.from({ length: 5 }, () => p.take(4_000));
    for (const f of frames) p.release(f);
    expect(p.stats()).toMatchObject({ idle: 3, idleBytes: 3 * 4_096 });
  });
});

describe('arena', () => {
  it('gives consecutive views of one slab, starts a new slab when full (the old views unchanged), and reuses the slab after reset', () => {
    const a = arena(1_000);
    const x = a.take(100).fill(1);
    const y = a.take(150).fill(2);
    expect(y.buffer).toBe(x.buffer);
    expect(y.byteOffset).toBe(100);
    for (let i = 0; i < 3; i++) a.take(200).fill(3); // 850 bytes taken
    const z = a.take(200); // 1,050 > 1,000: a new slab
    expect(z.buffer).not.toBe(x.buffer);
    expect([x[99], y[0], y[149]]).toEqual([1, 2, 2]);
    expect(a.take(251).buffer.byteLength).toBe(251); // above a quarter of the slab: a buffer of its own
    a.reset();
    expect(a.take(10).buffer).toBe(z.buffer);
    expect(a.take(10).byteOffset).toBe(10);
  });
});
