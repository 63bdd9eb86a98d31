/**
 * The pure driver takes the simple steps of every role machine of a room (owner, member, both
 * connection ends, relay) without xstate's macrostep (machines/driver.ts). Each simple step must be
 * the step xstate's own `transition()` takes: checked here on every simple step of whole runs (a
 * room over a bad network in both profiles, and named attacks: joins, removals, rotations, key
 * updates, forks, replays), machine by machine. machines/driver.test.ts checks single events.
 * The runs are on a real backend: the comparison takes each step a second time, and the symbolic
 * backend numbers its ciphertexts (a second seal is another ciphertext), real AEADs do not.
 */
import { isDeepStrictEqual } from 'node:util';
import { transition, type AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { loadRealBackends } from '../impl/crypto/backends.ts';
import { withSimpleStepAudit } from '../machines/driver.ts';
import { parseFaults } from '../simulator/faults.ts';
import { simulate } from '../simulator/run.ts';
import { runNamed } from './named.ts';

interface Tally {
  /** Simple steps per machine id. */
  readonly steps: Map<string, number>;
  /** Simple steps per machine id in a state nested in another (the owner's `active.*`). */
  readonly nested: Map<string, number>;
  /** Steps on which the simple step and xstate disagreed, described. */
  readonly disagreements: string[];
}

function audited(f: () => void): Tally {
  const t: Tally = { steps: new Map(), nested: new Map(), disagreements: [] };
  withSimpleStepAudit((machine: AnyStateMachine, snapshot, event, ours) => {
    const [snap, actions] = transition(machine, snapshot as never, event as never) as unknown as [{ value: unknown; context: unknown; status: string }, { type: string; params?: unknown }[]];
    const theirs = actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: unknown }).event);
    const mine = ours.snapshot as unknown as { value: unknown; context: unknown; status: string };
    const id = machine.id;
    t.steps.set(id, (t.steps.get(id) ?? 0) + 1);
    if (typeof mine.value === 'object') t.nested.set(id, (t.nested.get(id) ?? 0) + 1);
    const where = `${id} in ${JSON.stringify((snapshot as { value: unknown }).value)} on ${(event as { type: string }).type}`;
    if (!isDeepStrictEqual(mine.value, snap.value) || mine.status !== snap.status) t.disagreements.push(`${where}: state ${JSON.stringify(mine.value)}, xstate ${JSON.stringify(snap.value)}`);
    else if (!isDeepStrictEqual(mine.context, snap.context)) t.disagreements.push(`${where}: context`);
    else if (!isDeepStrictEqual(ours.effects, theirs)) t.disagreements.push(`${where}: effects`);
  }, f);
  return t;
}

await loadRealBackends();

const ROLES = ['owner', 'member', 'clientConnection', 'relayConnection', 'relay'];

describe('the simple step of every role machine', () => {
  for (const profile of ['hardened', 'compat'] as const) {
    it(`should take the steps xstate takes through a room with removals over a bad network (${profile})`, () => {
      const faults = parseFaults('drop=0.05,dup=0.05,reorder=0.2:300,crash=bob@20000~4000,relay-restart=@40000~2000');
      const t = audited(() => void simulate({ scenario: 'removal', seed: 7, profile, faults, backend: 'real' }));
      expect(t.disagreements.slice(0, 5)).toEqual([]);
      for (const role of ROLES) expect(t.steps.get(role) ?? 0, role).toBeGreaterThan(0);
      // the owner in active.awaitingConfirm and active.publishing: the state's transitions, then active's, then the root's
      if (profile === 'hardened') expect(t.nested.get('owner') ?? 0).toBeGreaterThan(0);
    }, 120_000);
  }

  it('should take the steps xstate takes under named attacks (joins, forks, rotations, key updates, replays)', () => {
    const t = audited(() => {
      for (const attack of ['ATK-02', 'ATK-05b', 'ATK-08', 'ATK-11', 'ATK-19b', 'ATK-30f']) runNamed(attack, { profile: 'hardened', seed: 1, backend: 'real' });
    });
    expect(t.disagreements.slice(0, 5)).toEqual([]);
    for (const role of ROLES) expect(t.steps.get(role) ?? 0, role).toBeGreaterThan(0);
  }, 120_000);
});
