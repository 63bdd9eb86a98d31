/** Injected clocks (REQ-CRY-016). */
import { describe, expect, it, vi } from 'vitest';
import { manualClock, systemClock } from './clock.ts';

describe('REQ-CRY-016 injected clocks', () => {
  it('should move a manual clock only forward', () => {
    const c = manualClock(1000);
    c.advance(5);
    expect(c.now()).toBe(1005);
    c.set(2000);
    expect(c.now()).toBe(2000);
    expect(() => c.advance(-1)).toThrow(RangeError);
    expect(() => c.set(1999)).toThrow(RangeError);
  });
  it('should read the platform time from the system clock', () => {
    // the platform time is stubbed: the assertion depends on no real clock nor on how long it takes
    const spy = vi.spyOn(Date, 'now');
    try {
      spy.mockReturnValue(1_234_567);
      expect(systemClock.now()).toBe(1_234_567);
      spy.mockReturnValue(7_654_321);
      expect(systemClock.now()).toBe(7_654_321);
    } finally {
      spy.mockRestore();
    }
  });
});
