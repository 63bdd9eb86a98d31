/** The campaign's machine coverage (adversary/coverage.ts): counts that match what a run did, keyed by the definitions. */
import { describe, expect, it } from 'vitest';
import { describeMachine } from '../machines/describe.ts';
import { withTransitionObserver } from '../machines/observe.ts';
import { COVERED_MACHINES, coverageCollector, transitionKeys } from './coverage.ts';
import { runNamed } from './named.ts';

const o = { profile: 'hardened', seed: 1, backend: 'symbolic' } as const;

describe('machine coverage of a campaign', () => {
  const c = coverageCollector();
  withTransitionObserver(c, () => {
    runNamed('ATK-14', o);
    runNamed('ATK-24', o);
  });
  runNamed('ATK-11', o); // outside the observer: not counted
  const cov = new Map(c.coverage().map((m) => [m.role, m]));

  it('lists every state and every transition of every machine, from the definitions', () => {
    for (const { role, machine } of COVERED_MACHINES) {
      const info = describeMachine(role, machine);
      expect(Object.keys(cov.get(role)!.states)).toEqual(info.states);
      expect(Object.keys(cov.get(role)!.transitions)).toEqual(transitionKeys(info));
    }
  });

  it('counts what the runs did: one room created, three joins (alice, bob, carol), one login challenge accepted', () => {
    const owner = cov.get('owner')!;
    expect(owner.starts).toBe(1);
    expect(owner.transitions['idle -> creating on user.create']).toBe(1);
    expect(owner.states.creating).toBe(1);
    const member = cov.get('member')!;
    expect(member.starts).toBe(3);
    expect(member.transitions['idle -> joining on user.join [inviteUsable]']).toBe(3);
    expect(member.transitions['confirming -> member on net.room [ownAddSeen]']).toBe(3);
    expect(member.states.removed).toBe(0);
    // ATK-24 in hardened: alice refuses the fake server's challenge, then logs in with the real one
    const client = cov.get('login client')!;
    expect(client.transitions['awaitingChallenge -> awaitingFinish on net.receive [challengeAccepted]']).toBe(1);
    expect(client.states.loggedIn).toBe(1);
  });

  it('counts nothing outside the observer: a second identical run adds nothing', () => {
    const again = coverageCollector();
    withTransitionObserver(again, () => runNamed('ATK-14', o));
    const first = coverageCollector();
    withTransitionObserver(first, () => runNamed('ATK-14', o));
    expect(again.coverage()).toEqual(first.coverage());
    expect(cov.get('owner')!.starts).toBe(1);
  });
});
