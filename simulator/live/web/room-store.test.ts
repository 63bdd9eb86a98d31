/**
 * REQ-KEY-016, REQ-MEM-026: the state a browser client keeps is the role machine's state value and
 * context, less the crypto provider; written as tagged JSON and read back with every byte string
 * and big integer in place, it resumes a member that goes on working. (The sealing and IndexedDB
 * are exercised in Chromium by web.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../../impl/crypto/node.ts';
import { drbgInstantiate } from '../../../impl/rng.ts';
import type { ClientEffect } from '../../../machines/events.ts';
import { step } from '../../../machines/driver.ts';
import { memberMachine } from '../../../machines/member.ts';
import { persistedRole, resumeRole } from '../../../machines/resume.ts';
import { createWorld } from '../../world.ts';
import { decodeState, encodeState } from './room-store.ts';

describe('REQ-KEY-016 the kept room state', () => {
  it('REQ-KEY-016 REQ-MEM-026 should read back what it wrote, field for field, and resume a member that can send', () => {
    const w = createWorld({ seed: 4, profile: 'hardened', crypto: nodeCrypto });
    w.addOwner('owner');
    w.addMember('alice');
    w.connect('owner');
    w.connect('alice');
    w.user('owner', { type: 'user.create' });
    expect(w.runUntilTrue(() => w.stateOf('owner').startsWith('active'), 30_000)).toBe(true);
    w.user('owner', { type: 'user.invite' });
    expect(w.runUntilTrue(() => w.invites().length > 0, 30_000)).toBe(true);
    w.user('alice', { type: 'user.join', invite: w.invites()[0]! });
    expect(w.runUntilTrue(() => w.stateOf('alice') === 'member', 60_000)).toBe(true);
    const kept = { role: 'member' as const, state: persistedRole(w.clients.get('alice')!.snapshot) };
    const back = decodeState(encodeState(kept));
    expect(back).toEqual(kept);
    expect(back.state.context.identity.publicKey).toBeInstanceOf(Uint8Array);
    // with a big integer somewhere, too
    expect(decodeState(encodeState({ role: 'owner', state: { value: 'x', context: { n: 2n ** 70n } as never } })).state.context).toEqual({ n: 2n ** 70n });
    const resumed = resumeRole(memberMachine, back.state, nodeCrypto, drbgInstantiate(new Uint8Array(48).fill(7)));
    expect(resumed.value).toBe('member');
    expect(resumed.context.online).toBe(false);
    expect(resumed.context.rng).not.toEqual(kept.state.context.rng); // REQ-CRY-015: never the stored generator
    const up = step<typeof memberMachine, ClientEffect>(memberMachine, resumed, { type: 'net.up', now: w.now() });
    const r = step<typeof memberMachine, ClientEffect>(memberMachine, up.snapshot, { type: 'user.send', text: 'after a reload', now: w.now() });
    expect(r.effects.some((e) => e.type === 'effect.send')).toBe(true);
  });
});
