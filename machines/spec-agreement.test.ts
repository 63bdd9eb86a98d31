/**
 * The spec's transition tables (sections 6.10, 7.10, 8.11) and the machine definitions agree:
 * every specified transition exists in its machine, and every state-changing transition of a
 * machine is specified. Both sides are read, not copied.
 */
import { describe, expect, it } from 'vitest';
import { specTable } from '../reports/spec.ts';
import { describeAll } from './describe.ts';

const FILES = ['06-owner.md', '07-member.md', '08-relay.md'];
const row = (machine: string, from: string, event: string, guard: string, to: string): string => `${machine} | ${from} | ${event} | ${guard} | ${to}`;

describe('spec transition tables', () => {
  const specRows = FILES.flatMap((f) => specTable(f, ['machine', 'from', 'event', 'guard', 'to']).map((r) => row(r.machine!, r.from!, r.event!, r.guard!, r.to!)));
  const machineRows = describeAll().flatMap((m) => m.transitions.filter((t) => t.target !== undefined).map((t) => row(m.role, t.source, t.event, t.guard ?? '–', t.target!)));

  it('should list every state-changing transition of every machine', () => {
    expect(machineRows.filter((r) => !specRows.includes(r))).toEqual([]);
  });
  it('should list no transition that a machine does not have', () => {
    expect(specRows.filter((r) => !machineRows.includes(r))).toEqual([]);
  });
  it('should name only states that exist', () => {
    const states = new Map(describeAll().map((m) => [m.role, new Set([...m.states, '*'])]));
    for (const r of specRows) {
      const [machine, from, , , to] = r.split(' | ');
      expect(states.get(machine!)?.has(from!), r).toBe(true);
      expect(states.get(machine!)?.has(to!), r).toBe(true);
    }
  });
});
