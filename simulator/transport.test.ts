/** The simulator's network (spec 8.12): faults as configured, traced, and reproducible from the seed. */
import { describe, expect, it } from 'vitest';
import { deterministicRng } from '../impl/rng.ts';
import { NO_FAULTS, type Faults } from './faults.ts';
import { memoryTransport, type AppliedFault, type Link, type Scheduler } from './transport.ts';

function clock(): Scheduler & { runAll(): void } {
  let now = 0;
  let seq = 0;
  const q: { at: number; seq: number; task: () => void }[] = [];
  return {
    now: () => now,
    at(at, task) {
      q.push({ at, seq: seq++, task });
      q.sort((a, b) => a.at - b.at || a.seq - b.seq);
    },
    runAll() {
      for (let i = 0; i < 100_000 && q.length > 0; i++) {
        const x = q.shift()!;
        now = Math.max(now, x.at);
        x.task();
      }
    },
  };
}

/** A relay that records frames and a client that sends `n` numbered frames; returns what arrived when. */
function exchange(faults: Partial<Faults>, n = 200, seed = 'net') {
  const s = clock();
  const applied: AppliedFault[] = [];
  const t = memoryTransport({ scheduler: s, startTime: 0, faults: { ...NO_FAULTS, ...faults }, rng: deterministicRng(new TextEncoder().encode(seed)), onFault: (f) => applied.push(f) });
  const arrived: { at: number; frame: number }[] = [];
  const closes: string[] = [];
  t.listen(() => ({ onFrame: (b) => arrived.push({ at: s.now(), frame: b[0]! }), onClose: (r) => closes.push(`relay ${r}`) }));
  const link = t.dial('alice', { onFrame: () => {}, onClose: (r) => closes.push(`alice ${r}`) });
  for (let i = 0; i < n; i++) link.send(Uint8Array.of(i % 256));
  s.runAll();
  return { arrived, applied, closes, link, transport: t, scheduler: s };
}

describe('the in-memory transport', () => {
  it('should deliver every frame in order after the base latency on a perfect network', () => {
    const r = exchange({ latencyMs: 7 }, 50);
    expect(r.arrived.map((a) => a.frame)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(r.arrived.every((a) => a.at === 7)).toBe(true);
    expect(r.applied).toEqual([]);
  });
  it('should lose, duplicate and hold back frames at about the configured rates, and report each', () => {
    const r = exchange({ drop: 0.2, duplicate: 0.1, reorder: 0.3, reorderMs: 100 }, 2_000);
    const count = (f: string) => r.applied.filter((a) => a.fault === f).length;
    expect(count('drop')).toBeGreaterThan(300);
    expect(count('drop')).toBeLessThan(500);
    expect(count('duplicate')).toBeGreaterThan(100);
    expect(count('reorder')).toBeGreaterThan(350);
    // every frame not dropped arrives, a duplicated one twice
    expect(r.arrived.length).toBe(2_000 - count('drop') + count('duplicate'));
    const order = r.arrived.map((a) => a.frame);
    expect(order.some((x, i) => i > 0 && x < order[i - 1]! && order[i - 1]! - x < 200)).toBe(true); // some overtaking
  });
  it('should give the same schedule for the same seed, and another for another seed', () => {
    const f = { drop: 0.1, duplicate: 0.05, reorder: 0.2, reorderMs: 300, jitterMs: 20 };
    expect(exchange(f, 300, 'a').arrived).toEqual(exchange(f, 300, 'a').arrived);
    expect(exchange(f, 300, 'a').arrived).not.toEqual(exchange(f, 300, 'b').arrived);
  });
  it('should lose every frame of a partitioned client while the partition lasts, both ways', () => {
    const s = clock();
    const applied: AppliedFault[] = [];
    const t = memoryTransport({ scheduler: s, startTime: 0, faults: { ...NO_FAULTS, partitions: [{ nodes: ['alice'], at: 100, duration: 50 }] }, rng: deterministicRng(Uint8Array.of(1)), onFault: (f) => applied.push(f) });
    const atRelay: number[] = [];
    let relayEnd: Link | undefined;
    t.listen((link) => {
      relayEnd = link;
      return { onFrame: (b) => atRelay.push(b[0]!), onClose: () => {} };
    });
    const atAlice: number[] = [];
    const link = t.dial('alice', { onFrame: (b) => atAlice.push(b[0]!), onClose: () => {} });
    for (const at of [50, 120, 149, 150, 200]) {
      s.at(at, () => {
        link.send(Uint8Array.of(at % 256));
        relayEnd!.send(Uint8Array.of(at % 256));
      });
    }
    s.runAll();
    expect(atRelay).toEqual([50, 150, 200]);
    expect(atAlice).toEqual([50, 150, 200]);
    expect(applied.map((a) => `${a.fault} ${a.from}->${a.to}`)).toEqual(['partition alice->relay', 'partition relay->alice', 'partition alice->relay', 'partition relay->alice']);
  });
  it('should close both ends once, relay first, and lose frames in flight', () => {
    const r = exchange({ latencyMs: 10 }, 0);
    const s = r.scheduler;
    r.link.send(Uint8Array.of(1));
    r.link.close('bye');
    r.link.close('again');
    r.link.send(Uint8Array.of(2));
    s.runAll();
    expect(r.closes).toEqual(['relay bye', 'alice bye']);
    expect(r.arrived).toEqual([]);
  });
  it('should close every connection when the relay stops listening, and refuse new ones until it listens again', () => {
    const r = exchange({}, 0);
    r.transport.unlisten('relay restart');
    expect(r.closes).toEqual(['relay relay restart', 'alice relay restart']);
    const refused: string[] = [];
    r.transport.dial('bob', { onFrame: () => {}, onClose: (x) => refused.push(x) });
    r.scheduler.runAll();
    expect(refused).toEqual(['connection refused']);
  });
});
