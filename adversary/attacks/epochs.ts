/**
 * Attacks on epochs, removals and leaked keys (spec 11.4: ATK-07, ATK-09, ATK-10, ATK-10b, ATK-10c,
 * ATK-26, ATK-28, ATK-28b, ATK-29, ATK-30, ATK-30b, ATK-30c, ATK-30d, ATK-30e, ATK-30f): forged rotations, a removed member reading on
 * or writing back, leaked epoch secrets and ML-KEM keys, a member's full compromise healed by its
 * key update, key updates withheld, replayed, forged, relabelled to another room and rolled back
 * inside a rotation, an inflated rotation counter, a member's
 * junk before its removal.
 */
import { toHex, utf8 } from '../../impl/bytes.ts';
import { decode, encode } from '../../impl/codec.ts';
import { simSeed } from '../../impl/keyschedule.ts';
import { MailboxDelivery, PostKeyUpdate, Send } from '../../impl/messages/index.ts';
import { sealAppMessage } from '../../impl/protocol/app.ts';
import { buildCommit, ZERO_HASH } from '../../impl/protocol/commit.ts';
import { makeKeyUpdate } from '../../impl/protocol/key-update.ts';
import { sealCompatChat } from '../../impl/protocol/compat.ts';
import { deterministicRng } from '../../impl/rng.ts';
import { NO_EPOCH } from '../../impl/suite.ts';
import type { ClientCore } from '../../machines/client-core.ts';
import type { OwnerContext } from '../../machines/owner.ts';
import { messageLabel } from '../../simulator/message-label.ts';
import type { World } from '../../simulator/world.ts';
import type { MaliciousRelay } from '../relay.ts';
import { adversaryIdentity, chat, type Attack } from './attack.ts';

/** Attacks on epochs, removals and leaked keys. */
export const EPOCH_ATTACKS: readonly Attack[] = [
  {
    id: 'ATK-07',
    title: 'forged rotation: a chat message relabelled as a rotation (W2)',
    weakness: 'W2',
    props: ['PROP-06'],
    plan: (p) => [{ cap: 'CAP-07', op: 'retype', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 1 }, to: p === 'hardened' ? 'Commit' : 'CompatRotation' }],
    forgeCommitTo: 'bob',
  },
  {
    id: 'ATK-10b',
    title: "a member's ML-KEM private key leaks, and nothing else: the commit entries it opens must give the adversary no epoch secret",
    weakness: 'W4',
    props: ['PROP-01', 'PROP-02'],
    compat: 'blocked',
    plan: () => [],
    leakKem: 'alice',
  },
  {
    id: 'ATK-10c',
    title: "a member's ML-KEM private keys and an epoch secret leak together; from the commit of its next key update on, the epochs must stay secret",
    weakness: 'W4',
    props: ['PROP-12', 'PROP-01', 'PROP-02'],
    plan: () => [],
    compromise: 'alice',
  },
  {
    id: 'ATK-30',
    title: "after a member's full compromise, the relay withholds its key update from the owner and replays the update it let through once it was committed",
    weakness: 'W4',
    props: ['PROP-12'],
    // compat has no key update to withhold: the leaked room key opens every later rotation (W4)
    // alice's update reaches the owner and is committed; the relay hands it to the owner again later under a fresh mailbox
    // index (a plain replay under its old index is skipped as already seen), and withholds every update of bob's
    plan: (p) => p === 'compat' ? [] : [
      { cap: 'CAP-06', op: 'inject', match: { dir: 'down', client: 'owner', msg: chat(p), nth: 30 }, bytes: { recorded: { dir: 'down', client: 'owner', msg: 'MailboxDelivery(KeyUpdate)', nth: 1 }, mutate: { path: 'entry.index', mutation: { op: 'add', by: 1000 } } } },
      { cap: 'CAP-02', op: 'drop', match: { dir: 'up', client: 'bob', msg: 'PostKeyUpdate' } },
    ],
    compromise: 'alice',
    compromiseAlso: 'bob',
  },
  {
    id: 'ATK-30c',
    title: "a stale key update replayed: the member's first update, whose key leaked with it, handed to the owner again after the member's next update healed it",
    weakness: 'W4',
    props: ['PROP-12', 'PROP-18'],
    // alice updates once the plan is armed (version 2), is fully compromised midway (version 2 leaks) and updates again
    // (version 3); the relay then hands the owner her first update again under a fresh mailbox index
    plan: (p) =>
      p === 'compat'
        ? []
        : [{ cap: 'CAP-06', op: 'inject', match: { dir: 'down', client: 'owner', msg: chat(p), nth: 30 }, bytes: { recorded: { dir: 'down', client: 'owner', msg: 'MailboxDelivery(KeyUpdate)', nth: 1 }, mutate: { path: 'entry.index', mutation: { op: 'add', by: 1000 } } } }],
    updateEarly: 'alice',
    compromise: 'alice',
  },
  {
    id: 'ATK-30b',
    title: 'a removed member, with the relay, hands the owner a key update of its own, so that a rotation would seal it the next epoch',
    weakness: 'W4',
    props: ['PROP-11'],
    plan: () => [],
    controlled: ['carol'],
    removes: 'carol',
    updateAfterRemoval: true,
  },
  {
    id: 'ATK-30d',
    title: "a forged key update: the relay changes a member's routine update into an urgent one (its signature no longer verifies), so that the owner rotates at once",
    weakness: '-',
    props: ['PROP-18', 'PROP-01'],
    compat: 'blocked',
    // compat has no key updates: nothing to forge
    plan: (p) => (p === 'compat' ? [] : [{ cap: 'CAP-07', op: 'mutate', match: { dir: 'down', client: 'owner', msg: 'MailboxDelivery(KeyUpdate)', nth: 1 }, path: 'entry.payload.urgent', mutation: { op: 'set', value: 1 } }]),
  },
  {
    id: 'ATK-30e',
    title: "a key update relabelled to another room: alice's genuine urgent update of a second room the owner keeps too, handed to the owner as an entry of the first room, so that the owner rotates at once and seals her entry to her key of the other room",
    weakness: '-',
    props: ['PROP-18'],
    compat: 'blocked',
    // compat has no key updates: alice2 makes none, and nothing is handed over
    plan: () => [],
    annex: true,
    updateEarly: 'alice2',
    relabelUpdate: { from: 'alice2', to: 'owner' },
  },
  {
    id: 'ATK-30f',
    title: "a key update rolled back inside a rotation: the relay lowers the version of the updated certificate a rotation commits, on its way to bob, so that bob would install a record its member never made (the owner's signature no longer verifies)",
    weakness: '-',
    props: ['PROP-06'],
    compat: 'blocked',
    // alice's user asks for an update once the plan is armed, so that a rotation carries one; compat has no key updates
    plan: (p) => (p === 'compat' ? [] : [{ cap: 'CAP-07', op: 'mutate', match: { dir: 'down', client: 'bob', msg: 'RoomDelivery(Commit)', nth: 1 }, path: 'payload.adds.0.kem_cert.version', mutation: { op: 'add', by: -1 } }]),
    updateEarly: 'alice',
  },
  {
    id: 'ATK-09',
    title: 'a removed member, with the relay, reads what follows its removal',
    weakness: 'W4',
    props: ['PROP-11'],
    plan: () => [],
    controlled: ['carol'],
    removes: 'carol',
  },
  {
    id: 'ATK-10',
    title: 'an epoch key leaks; the epochs after the next honest rotation must stay secret',
    weakness: 'W4',
    props: ['PROP-12'],
    plan: () => [],
    leak: true,
  },
  {
    id: 'ATK-28',
    title: 'a removed member, with the relay, adds a message to an epoch it belonged to',
    weakness: 'W4',
    props: ['PROP-26'],
    plan: () => [],
    controlled: ['carol'],
    removes: 'carol',
    backdateTo: 'bob',
  },
  {
    id: 'ATK-28b',
    title: 'a removed member, holding a leaked key of the epoch after its removal, sends into that epoch',
    weakness: 'W4',
    props: ['PROP-26'],
    plan: () => [],
    controlled: ['carol'],
    removes: 'carol',
    backdateTo: 'bob',
    backdateIntoLeakedEpoch: true,
  },
  {
    id: 'ATK-28c',
    title: 'a member added later, with the relay and a leaked key of an epoch before its join, sends its first message into that epoch',
    weakness: 'W10',
    props: ['PROP-30'],
    plan: () => [],
    rotateEvery: 6,
    controlled: ['dave'],
    lateJoin: true,
    sendBeforeJoinTo: 'alice',
  },
  {
    id: 'ATK-29',
    title: 'a member about to be removed sends a message no one accepts, so that the relay counts more of its messages than the owner',
    weakness: '-',
    props: ['PROP-27'],
    compat: 'blocked',
    plan: () => [],
    controlled: ['carol'],
    removes: 'carol',
    junkBeforeRemoval: true,
    honestRelay: true,
  },
  {
    id: 'ATK-26',
    title: "the relay replays messages to the owner to inflate its rotation counter",
    weakness: 'W7',
    props: ['PROP-18'],
    plan: (p) => [{ cap: 'CAP-05', op: 'replay', match: { dir: 'down', client: 'owner', msg: chat(p), after: 0 }, afterMs: 5, reappend: true }],
  },
];


/**
 * CAP-16 (ATK-29): a controlled member sends, as itself and through the honest relay logic, a
 * message no one accepts: its own next message with the last byte of the signature flipped
 * (compat: a chat under a key no one holds).
 */
export function sendJunk(world: World, relay: MaliciousRelay, by: string, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary junk', 0), c.hmacSha256);
  const node = world.clients.get(by)!;
  const ctx = node.snapshot.context as ClientCore;
  const roomId = ctx.roomId!;
  let payload: Uint8Array;
  if (ctx.group) {
    const g = ctx.group;
    payload = sealAppMessage(c, rng, { roomId, epoch: g.epoch, appKey: g.epochs[g.epoch]!.keys!.appKey, seq: g.ownNextSeq, prevEpoch: g.ownPrevEpoch, sender: node.identity, content: { sent_at: world.now(), text: `junk from ${by}` } }).bytes.slice();
    payload[payload.length - 1]! ^= 1;
  } else {
    payload = sealCompatChat(c, rng, { roomId, sender: node.identity.fp, roomKey: new Uint8Array(32), text: utf8(`junk from ${by}`) }).bytes;
  }
  world.note('junk', `${by} sends a message no one accepts`);
  relay.post(node.identity.fp, encode(Send, { req_id: 0x7d000000, room_id: roomId, payload }));
}

/** CAP-09 (hardened): a rotation commit for the victim's next epoch, signed by the adversary, with fresh secrets for every member. */
export function forgeCommit(world: World, relay: MaliciousRelay, to: string, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary commit', 0), c.hmacSha256);
  relay.crafts.set('forged-commit', (client) => {
    const g = (world.clients.get(client)!.snapshot.context as ClientCore).group;
    if (!g) return undefined;
    const cur = g.epochs[g.epoch]!;
    return buildCommit(c, rng, { roomId: g.roomId, epoch: g.epoch + 1, prevEpochHash: cur.epochHash, reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: cur.roster, heads: [], owner: adversaryIdentity(c, seed) }).commit.bytes;
  });
  relay.addStep({ cap: 'CAP-09', op: 'substitute', match: { dir: 'down', client: to, msg: 'RoomDelivery(AppMessage)', nth: 1 }, craft: 'forged-commit' });
}

/**
 * CAP-16, CAP-17 with CAP-09 (ATK-28c): `by`, a controlled member added after epoch (compat:
 * generation) `epoch` whose key leaked, signs its first message (seq 0, no previous epoch) in that
 * epoch, and the relay puts it in place of `to`'s next delivery from another member.
 */
export function sendBeforeJoin(world: World, relay: MaliciousRelay, by: string, to: string, epoch: number, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary before join', 0), c.hmacSha256);
  const node = world.clients.get(by)!;
  const owner = world.clients.get('owner')!.snapshot.context as OwnerContext;
  relay.crafts.set('before-join', () => {
    const text = `sent by ${by} into epoch ${epoch}, before it joined`;
    if (owner.group) {
      const g = owner.group;
      return sealAppMessage(c, rng, { roomId: g.roomId, epoch, appKey: g.epochs[epoch]!.keys!.appKey, seq: 0, prevEpoch: NO_EPOCH, sender: node.identity, content: { sent_at: world.now(), text } }).bytes;
    }
    const key = owner.compat!.keys.find((k) => k.generation === epoch)!.key;
    return sealCompatChat(c, rng, { roomId: owner.compat!.roomId, sender: node.identity.fp, roomKey: key, text: utf8(text) }).bytes;
  });
  world.note('before-join', `${by}'s first message, sealed in the leaked epoch ${epoch}, goes to ${to}`);
  const chatLabel = world.options.profile === 'hardened' ? 'RoomDelivery(AppMessage)' : 'RoomDelivery(CompatChat)';
  relay.addStep({ cap: 'CAP-09', op: 'substitute', match: { dir: 'down', client: to, msg: chatLabel, toOthers: true, nth: 1 }, craft: 'before-join' });
}

/**
 * CAP-16 with CAP-09: the removed member's next message, in the last epoch it belonged to (hardened) or under
 * a room key it holds (compat), put in place of another member's next delivery.
 */
export function backdate(world: World, relay: MaliciousRelay, by: string, to: string, seed: number, leaked?: (epoch: number) => void): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary backdated', 0), c.hmacSha256);
  const node = world.clients.get(by)!;
  relay.crafts.set('backdated', () => {
    const ctx = node.snapshot.context as ClientCore;
    const text = `backdated by ${by}`;
    if (ctx.group) {
      const g = ctx.group;
      if (leaked) {
        // CAP-17: the epoch after the removal, with its key leaked to the adversary
        const og = (world.clients.get('owner')!.snapshot.context as OwnerContext).group!;
        leaked(og.epoch);
        return sealAppMessage(c, rng, { roomId: g.roomId, epoch: og.epoch, appKey: og.epochs[og.epoch]!.keys!.appKey, seq: g.ownNextSeq, prevEpoch: g.ownPrevEpoch, sender: node.identity, content: { sent_at: world.now(), text } }).bytes;
      }
      const epoch = Math.max(...Object.entries(g.epochs).filter(([, r]) => r.keys !== undefined).map(([e]) => Number(e)));
      return sealAppMessage(c, rng, { roomId: g.roomId, epoch, appKey: g.epochs[epoch]!.keys!.appKey, seq: g.ownNextSeq, prevEpoch: g.ownPrevEpoch, sender: node.identity, content: { sent_at: world.now(), text } }).bytes;
    }
    return sealCompatChat(c, rng, { roomId: ctx.roomId!, sender: node.identity.fp, roomKey: ctx.compat!.keys[0]!.key, text: utf8(text) }).bytes;
  });
  const chatLabel = world.options.profile === 'hardened' ? 'RoomDelivery(AppMessage)' : 'RoomDelivery(CompatChat)';
  relay.addStep({ cap: 'CAP-09', op: 'substitute', match: { dir: 'down', client: to, msg: chatLabel, nth: 1 }, craft: 'backdated' });
}

/**
 * CAP-16 with CAP-06 (ATK-30b, hardened): `by`, a controlled member the owner removed, makes a key
 * update of its own (urgent) for the room; it is posted through the relay logic, which refuses
 * it (REQ-REL-026), and the relay also hands it straight to the owner's mailbox, with the next
 * chat delivery to the owner. compat has no key updates: nothing is sent.
 */
export function updateAfterRemoval(world: World, relay: MaliciousRelay, by: string, seed: number): void {
  const c = world.options.crypto;
  const node = world.clients.get(by)!;
  const ctx = node.snapshot.context as ClientCore;
  if (!ctx.group) return;
  const made = makeKeyUpdate(c, deterministicRng(simSeed(c, seed, 'adversary update', 0), c.hmacSha256), ctx.identity, ctx.group.roomId, ctx.group.epoch, true);
  world.note('update', `${by}, removed, hands the owner a key update of its own`);
  relay.post(node.identity.fp, encode(PostKeyUpdate, { req_id: 0x7d000001, room_id: ctx.group.roomId, payload: made.update.bytes }));
  const delivery = encode(MailboxDelivery, { entry: { index: 0x7d000000, room_id: ctx.group.roomId, invite_id: ZERO_HASH, payload: made.update.bytes } });
  relay.addStep({ cap: 'CAP-06', op: 'inject', match: { dir: 'down', client: 'owner', msg: 'RoomDelivery(AppMessage)', nth: 1 }, bytes: { hex: toHex(delivery) }, to: 'owner' });
}

/**
 * CAP-06 across rooms (ATK-30e, hardened): the key update `from` posted in its own room (the
 * second room), its bytes as its member signed them for that room, handed to `to` (the owner of
 * the first room) in a mailbox entry of `to`'s room under a fresh index, with the next chat
 * delivery to `to`. The owner must refuse it by its room binding (REQ-OWN-050). compat: `from`
 * made no update, and nothing is handed over.
 */
export function relabelUpdate(world: World, relay: MaliciousRelay, from: string, to: string): void {
  const owner = world.clients.get(to)!.snapshot.context as OwnerContext;
  const posted = relay.observed.find((o) => o.dir === 'up' && o.client === from && messageLabel(o.bytes).startsWith('PostKeyUpdate'));
  if (!owner.group || !owner.roomId || !posted) return;
  const payload = decode(PostKeyUpdate, posted.bytes).payload;
  world.note('update', `${from}'s key update, signed for its own room, handed to ${to} as an entry of ${to}'s room`);
  const delivery = encode(MailboxDelivery, { entry: { index: 0x7e000000, room_id: owner.roomId, invite_id: ZERO_HASH, payload } });
  relay.addStep({ cap: 'CAP-06', op: 'inject', match: { dir: 'down', client: to, msg: 'RoomDelivery(AppMessage)', nth: 1 }, bytes: { hex: toHex(delivery) }, to });
}
