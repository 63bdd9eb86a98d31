/**
 * Attacks on messages and history (spec 11.4: ATK-11 to ATK-18): replay, reorder, selective drop,
 * a forged sender, cross-epoch injection, history tampering and truncation, pre-join content.
 */
import { utf8 } from '../../impl/bytes.ts';
import { encode } from '../../impl/codec.ts';
import { simSeed } from '../../impl/keyschedule.ts';
import { Send } from '../../impl/messages/index.ts';
import { sealAppMessage } from '../../impl/protocol/app.ts';
import { sealCompatChat } from '../../impl/protocol/compat.ts';
import { deterministicRng } from '../../impl/rng.ts';
import type { ClientCore } from '../../machines/client-core.ts';
import type { World } from '../../simulator/world.ts';
import type { MaliciousRelay } from '../relay.ts';
import { chat, type Attack } from './attack.ts';

/** Attacks on messages and history. */
export const MESSAGE_ATTACKS: readonly Attack[] = [
  {
    id: 'ATK-11',
    title: 'message replay: a delivered message delivered again later',
    weakness: 'W6',
    props: ['PROP-08'],
    plan: (p) => [{ cap: 'CAP-05', op: 'replay', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 2 }, afterMs: 300, reappend: true }],
  },
  {
    id: 'ATK-11b',
    title: 'message replay across a crash, on a lossy network: bob crashes as alice\'s third message reaches him and restarts from what he persisted; the relay then appends her second message again',
    weakness: 'W6',
    props: ['PROP-08'],
    faults: 'drop=0.03,dup=0.03,reorder=0.1:200',
    plan: (p) => [
      { cap: 'CAP-05', op: 'replay', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 2 }, afterMs: 8_000, reappend: true },
      { cap: 'FAULT', op: 'crash', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 3 }, client: 'bob', downtimeMs: 3_000 },
    ],
  },
  {
    id: 'ATK-12',
    title: "reorder of a sender's messages",
    weakness: 'W6',
    props: ['PROP-09'],
    plan: (p) => [{ cap: 'CAP-04', op: 'swap', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 1 } }],
  },
  {
    id: 'ATK-13',
    title: "selective drop of one member's message to one recipient, live and in history",
    weakness: 'W6',
    props: ['PROP-10'],
    plan: (p) => [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 2 } }],
  },
  {
    id: 'ATK-13b',
    title: "selective drop of one member's message to one recipient, its later messages delivered under a log index the recipient already processed",
    weakness: 'W6',
    props: ['PROP-10'],
    plan: (p) => [
      { cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'carol', msg: chat(p), sender: 'alice', nth: 2 } },
      { cap: 'CAP-04', op: 'reindex', match: { dir: 'down', client: 'carol', msg: chat(p), sender: 'alice' }, index: 1 },
    ],
    // no rotation, whose heads would show carol the gap whatever she does with the index
    rotateEvery: 100,
  },
  {
    id: 'ATK-14',
    title: 'a message delivered claiming another member as its sender',
    weakness: 'W5',
    props: ['PROP-04'],
    plan: (p) => [{ cap: 'CAP-07', op: 'mutate', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 2 }, path: 'payload.sender', mutation: { op: 'member', name: 'carol' } }],
    controlled: ['carol'],
    forge: { by: 'carol', as: 'alice' },
  },
  {
    id: 'ATK-15',
    title: 'cross-epoch injection: an old-epoch message replayed after rotations',
    weakness: 'W6',
    props: ['PROP-08'],
    plan: (p) => [{ cap: 'CAP-05', op: 'replay', match: { dir: 'down', client: 'bob', msg: chat(p), sender: 'alice', nth: 1 }, afterMs: 4_000, reappend: true }],
  },
  {
    id: 'ATK-16',
    title: 'history tampering: an item of the history served to a returning member modified',
    weakness: 'W9',
    props: ['PROP-15'],
    plan: () => [{ cap: 'CAP-07', op: 'mutate', match: { dir: 'down', client: 'bob', msg: 'HistoryChunk', after: 0, nth: 1 }, path: 'entries.0.payload.sender', mutation: { op: 'member', name: 'carol' } }],
  },
  {
    id: 'ATK-17',
    title: 'history truncation for a returning member',
    weakness: 'W9',
    props: ['PROP-15'],
    plan: () => [{ cap: 'CAP-11', op: 'truncate', match: { dir: 'down', client: 'bob', msg: 'HistoryChunk' }, keep: 1 }],
    rotateEvery: 100,
  },
  {
    id: 'ATK-18',
    title: 'pre-join content disclosed to a new member through history',
    weakness: 'W15',
    props: ['PROP-13'],
    plan: () => [],
    lateJoin: true,
  },
  {
    id: 'ATK-17b',
    title: "history truncation for a new member: a sender's first message after the join withheld",
    weakness: 'W9',
    props: ['PROP-15'],
    plan: (p) => [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', client: 'dave', msg: chat(p), sender: 'alice', nth: 1 } }],
    lateJoin: true,
  },
];


/** CAP-16: a controlled member seals a message under the room's current key and names another member as its sender. */
export function forgeMessage(world: World, relay: MaliciousRelay, by: string, as: string, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary forgery', 0), c.hmacSha256);
  const forger = world.clients.get(by)!;
  const victim = world.clients.get(as)!;
  const ctx = forger.snapshot.context as ClientCore;
  const roomId = ctx.roomId!;
  const text = `forged by ${by} as ${as}`;
  let payload: Uint8Array;
  if (ctx.group) {
    const g = ctx.group;
    const vg = (victim.snapshot.context as ClientCore).group!;
    // the victim's next seq and previous epoch are public: its messages show them
    const sender = { ...victim.identity, secretKey: forger.identity.secretKey };
    payload = sealAppMessage(c, rng, { roomId, epoch: g.epoch, appKey: g.epochs[g.epoch]!.keys!.appKey, seq: vg.ownNextSeq, prevEpoch: vg.ownPrevEpoch, sender, content: { sent_at: world.now(), text } }).bytes;
  } else {
    payload = sealCompatChat(c, rng, { roomId, sender: victim.identity.fp, roomKey: ctx.compat!.keys[0]!.key, text: utf8(text) }).bytes;
  }
  relay.post(victim.identity.fp, encode(Send, { req_id: 0x7e000000, room_id: roomId, payload }));
}
