/** Injected clocks (REQ-CRY-016). */
import { describe, expect, it } from 'vitest';
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
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1000);
  });
});
