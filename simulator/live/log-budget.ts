/**
 * A budget of log lines per key (REQ-REL-045): at most `perWindow` lines for one key in each
 * window of `windowMs`; the lines left out are counted, and the count is reported once, by the
 * first line of the key's next window or by `drain` at shutdown. Metrics still count every event.
 */
export interface LogBudget {
  /** May a line for `key` be written at `now`? `suppressed` is how many the key's previous window left out (report it first). */
  take(key: string, now: number): { readonly write: boolean; readonly suppressed: number };
  /** The counts left out of the windows still open, by key (for a last line at shutdown); resets them. */
  drain(): [key: string, suppressed: number][];
}

export function logBudget(perWindow: number, windowMs: number): LogBudget {
  const windows = new Map<string, { start: number; used: number; suppressed: number }>();
  return {
    take(key, now) {
      const w = windows.get(key);
      if (w === undefined || now - w.start >= windowMs) {
        const write = perWindow > 0;
        windows.set(key, { start: now, used: write ? 1 : 0, suppressed: write ? 0 : 1 });
        return { write, suppressed: w?.suppressed ?? 0 };
      }
      if (w.used < perWindow) {
        w.used++;
        return { write: true, suppressed: 0 };
      }
      w.suppressed++;
      return { write: false, suppressed: 0 };
    },
    drain() {
      const out: [string, number][] = [];
      for (const [key, w] of windows) {
        if (w.suppressed > 0) out.push([key, w.suppressed]);
        w.suppressed = 0;
      }
      return out;
    },
  };
}
