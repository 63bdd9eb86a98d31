/**
 * Several rooms of one person (spec 7.11) over the honest relay: one person owns two rooms from
 * two clients (one identity, so one principal whose clients number their requests independently)
 * and a member `alice` is in both, from two clients of her own. The relay must tell the two
 * clients' requests with the same req_id apart (REQ-REL-004), and every frame is taken by the
 * room its envelope names (REQ-MEM-064).
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../impl/bytes.ts';
import { nodeCrypto } from '../impl/crypto/node.ts';
import { fingerprint } from '../impl/keyschedule.ts';
import { createWorld } from './world.ts';

describe('REQ-REL-004 REQ-MEM-064 one person owning two rooms from two clients', () => {
  it('REQ-REL-004 should create both rooms, let alice join both, and keep each room\'s messages in that room', () => {
    const w = createWorld({ seed: 22, profile: 'hardened', crypto: nodeCrypto });
    w.addOwner('owner');
    w.addOwner('owner2', 'owner'); // the same person, a second room
    w.addMember('alice');
    w.addMember('alice2', 'alice');
    const ownerFp = toHex(fingerprint(nodeCrypto, w.clients.get('owner')!.identity.publicKey));
    expect(toHex(fingerprint(nodeCrypto, w.clients.get('owner2')!.identity.publicKey))).toBe(ownerFp);
    for (const n of ['owner', 'owner2', 'alice', 'alice2']) w.connect(n);
    w.user('owner', { type: 'user.create' });
    w.user('owner2', { type: 'user.create' });
    expect(w.runUntilTrue(() => w.stateOf('owner').startsWith('active') && w.stateOf('owner2').startsWith('active'), 30_000)).toBe(true);
    w.user('owner', { type: 'user.invite' });
    w.user('owner2', { type: 'user.invite' });
    expect(w.runUntilTrue(() => w.invites('owner').length === 1 && w.invites('owner2').length === 1, 30_000)).toBe(true);
    w.user('alice', { type: 'user.join', invite: w.invites('owner')[0]! });
    w.user('alice2', { type: 'user.join', invite: w.invites('owner2')[0]! });
    expect(w.runUntilTrue(() => w.stateOf('alice') === 'member' && w.stateOf('alice2') === 'member', 60_000)).toBe(true);
    const said = { owner: 'in room one, from its owner', owner2: 'in room two, from its owner', alice: 'in room one, from alice', alice2: 'in room two, from alice' } as const;
    for (const [who, text] of Object.entries(said)) w.user(who, { type: 'user.send', text });
    const texts = (n: string) => w.clients.get(n)!.deliveries.map((d) => d.text).sort();
    w.runUntilTrue(() => ['owner', 'owner2', 'alice', 'alice2'].every((n) => texts(n).length >= 2), 30_000);
    w.runUntil(w.now() + 5_000);
    const roomOne = [said.alice, said.owner].sort();
    const roomTwo = [said.alice2, said.owner2].sort();
    expect(texts('owner')).toEqual(roomOne);
    expect(texts('alice')).toEqual(roomOne);
    expect(texts('owner2')).toEqual(roomTwo);
    expect(texts('alice2')).toEqual(roomTwo);
    expect(w.raised.filter((r) => r.kind === 'alarm')).toEqual([]);
  });
});
