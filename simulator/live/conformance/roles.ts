/**
 * Conformance cases for the rules of spec 8 that issue 22 made precise: the answer to ClientAuth
 * (REQ-TRN-004), role precedence (REQ-REL-009), requests a profile does not define and messages
 * that are not requests (8.4), the added record (REQ-REL-015), the appended head of a frozen
 * member (REQ-REL-025), and who is pushed a commit (REQ-REL-031).
 */
import type { Bytes } from '../../../impl/bytes.ts';
import { decode, encode } from '../../../impl/codec.ts';
import { Ack, AddMember, CompatRotation, FrameBatch, GetKeys, MsgType, PostCommit, Reject, RemoveMember, RoomDelivery, Rotate } from '../../../impl/messages/index.ts';
import { memberRecordOf } from '../../../impl/protocol/identity.ts';
import { describe, type Peer } from './peer.ts';
import { acked, Room } from './room.ts';
import { Mismatch, expectThat, type Case } from './verdict.ts';

function refusedWith(answer: Bytes, id: string): void {
  const got = answer[3] === MsgType.Reject ? decode(Reject, answer).requirement : undefined;
  if (got !== id) throw new Mismatch(`Reject ${id}`, describe(answer));
}

const delivered = (p: Peer, index: number): boolean => p.pushes(MsgType.RoomDelivery).some((d) => decode(RoomDelivery, d).index === index);

export const ROLE_CASES: readonly Case[] = [
  {
    id: 'REQ-TRN-004',
    name: 'a valid ClientAuth is answered with nothing: the first message is the answer to the first request',
    async run(x) {
      const p = (await Room.principal(x)).peer;
      await p.until(() => p.inbox.length > 0, 500);
      expectThat(p.inbox.length === 0 && p.closedWith === undefined, 'nothing after ClientAuth, the connection open', () => (p.closedWith ? `closed ${p.closedWith.code}` : describe(p.inbox[0])));
      refusedWith(await p.request(encode(GetKeys, { req_id: x.reqId(), member_id: x.rng.bytes(32) })), 'REQ-REL-023');
      expectThat(p.inbox.length === 1, 'the answer as the first message', () => `${p.inbox.length} messages`);
    },
  },
  {
    id: 'REQ-REL-009',
    name: 'a removed member that claims a new invite is an invitee: its confirmation is taken',
    async run(x) {
      const room = await Room.create(x);
      const m = await room.member();
      await room.remove(m.id);
      const inv = await room.invite();
      await room.join(m, inv);
      acked(await m.peer.request(room.confirmRequest(inv)), 'SubmitConfirm of the removed member that claimed the invite');
    },
  },
  {
    id: 'REQ-REL-003',
    name: 'a request the room\'s profile does not define is refused with REQ-REL-003, before the matrix (hardened: Rotate, AddMember; compat: PostCommit)',
    async run(x) {
      const room = await Room.create(x);
      const stranger = await Room.principal(x);
      const { roomId } = room;
      const foreign: Bytes[] = room.hardened
        ? [
            encode(Rotate, { req_id: x.reqId(), room_id: roomId, payload: encode(CompatRotation, { room_id: roomId, sender: room.owner.id.fp, nonce: x.rng.bytes(24), ciphertext: x.rng.bytes(48) }) }),
            encode(AddMember, { req_id: x.reqId(), room_id: roomId, invite_id: x.rng.bytes(32), payload: x.rng.bytes(64) }),
          ]
        : [encode(PostCommit, { req_id: x.reqId(), room_id: roomId, payload: x.rng.bytes(64) })];
      for (const req of foreign) {
        refusedWith(await room.owner.peer.request(req), 'REQ-REL-003');
        refusedWith(await stranger.peer.request(req), 'REQ-REL-003');
      }
    },
  },
  {
    id: 'REQ-REL-040',
    name: 'a message that is not a request (a FrameBatch, an Ack) is answered with a Reject REQ-ENC-005 and req_id 0',
    async run(x) {
      const p = (await Room.principal(x)).peer;
      const notRequests = [encode(Ack, { req_id: x.reqId(), index: 1 }), encode(FrameBatch, { messages: [0, 1].map(() => ({ message: encode(GetKeys, { req_id: x.reqId(), member_id: x.rng.bytes(32) }) })) })];
      for (const [i, m] of notRequests.entries()) {
        p.sendInner(m);
        await p.until(() => p.answersTo(0).length > i);
        const a = p.answersTo(0)[i];
        expectThat(a !== undefined && a[3] === MsgType.Reject && decode(Reject, a).requirement === 'REQ-ENC-005', 'a Reject REQ-ENC-005 with req_id 0', () => describe(a));
      }
      // nothing of the batch was handled: no answer to the requests inside it
      expectThat(p.inbox.filter((m) => m[3] === MsgType.Reject && decode(Reject, m).req_id !== 0).length === 0, 'no answer to a request inside the batch', () => p.inbox.map(describe).join('; '));
    },
  },
  {
    id: 'REQ-REL-015',
    name: 'PostCommit(add): an added record whose identity key does not hash to its member id is refused',
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const p = await Room.principal(x);
      const inv = await room.invite();
      await room.join(p, inv);
      const other = x.identity();
      const bad = room.commitBytes('add', { adds: [{ ...memberRecordOf(p.id, 'member', room.epoch + 1), identity_pk: other.publicKey }], inviteId: inv.inviteId });
      refusedWith(await room.owner.peer.request(encode(PostCommit, { req_id: x.reqId(), room_id: room.roomId, payload: bad.bytes })), 'REQ-REL-015');
    },
  },
  {
    id: 'REQ-REL-025',
    name: 'a member being removed from which nothing was appended (appended head 0) may append nothing',
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const m = await room.member();
      const last = acked(await room.owner.peer.request(encode(RemoveMember, { req_id: x.reqId(), room_id: room.roomId, member_id: m.id.fp })), 'RemoveMember');
      expectThat(last === room.entries, `Ack index ${room.entries} (the last log index)`, () => `Ack index ${last}`);
      refusedWith(await m.peer.request(room.sendRequest(m.id, { seq: 0 })), 'REQ-REL-025');
      await room.remove(m.id); // no head: counts 0, as the log holds nothing of it (REQ-REL-018)
    },
  },
  {
    id: 'REQ-REL-031',
    name: 'the commit that adds a member is pushed to it; the commit that removes it too, and nothing after',
    async run(x) {
      const room = await Room.create(x);
      const p = await Room.principal(x);
      const inv = await room.invite();
      await room.join(p, inv);
      const added = await room.add(p.id, inv);
      expectThat(await p.peer.until(() => delivered(p.peer, added)), `RoomDelivery ${added} (its add) to the added member`, () => p.peer.pushes(MsgType.RoomDelivery).map(describe).join('; ') || 'no RoomDelivery');
      if (!room.hardened) return; // compat's RemoveMember appends nothing
      await room.remove(p.id);
      const removedAt = room.entries;
      expectThat(await p.peer.until(() => delivered(p.peer, removedAt)), `RoomDelivery ${removedAt} (its removal) to the removed member`, () => p.peer.pushes(MsgType.RoomDelivery).map(describe).join('; '));
      const after = await room.send(room.owner, { seq: 0 });
      await room.owner.peer.until(() => delivered(room.owner.peer, after));
      await p.peer.until(() => delivered(p.peer, after), 500);
      expectThat(!delivered(p.peer, after), `no RoomDelivery ${after} to the removed member`, () => `RoomDelivery ${after} pushed to it`);
    },
  },
];
