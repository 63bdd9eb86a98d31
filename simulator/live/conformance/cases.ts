/**
 * The conformance cases beyond the matrix: the handshake and its failures, room creation,
 * invites and their expiry, joins and the join race, welcomes and confirmations, commits, sends,
 * history and mailbox paging, retransmissions and req_id reuse, malformed and oversized frames,
 * the rate limit. Each names the requirement it checks and builds what it needs over the wire.
 */
import { decode, encode } from '../../../impl/codec.ts';
import type { Bytes } from '../../../impl/bytes.ts';
import { FetchMailbox, GetKeys, GetRoster, HistoryChunk, MailboxChunk, MsgType, PostCommit, PublishKeys, Reject, RoomDelivery } from '../../../impl/messages/index.ts';
import { newestKem } from '../../../impl/protocol/identity.ts';
import { describe } from './peer.ts';
import { acked, mailed, Room } from './room.ts';
import { Mismatch, expectThat, type Case } from './verdict.ts';

function rejectId(answer: Bytes): string | undefined {
  return answer[3] === MsgType.Reject ? decode(Reject, answer).requirement : undefined;
}

function refusedWith(answer: Bytes, id: string): void {
  if (rejectId(answer) !== id) throw new Mismatch(`Reject ${id}`, describe(answer));
}

export const CASES: readonly Case[] = [
  // --- 8.2 the connection
  {
    id: 'REQ-TRN-003',
    name: 'the handshake completes: the ServerHello is signed over the transcript by the relay key',
    async run(x) {
      const who = await Room.principal(x);
      const p = await who.peer.request(encode(GetKeys, { req_id: x.reqId(), member_id: x.rng.bytes(32) }));
      refusedWith(p, 'REQ-REL-023');
    },
  },
  {
    id: 'REQ-TRN-002',
    name: 'the ServerHello presents the pinned relay key (a client pinning another key refuses it)',
    profiles: ['hardened'],
    async run(x) {
      const other = x.rng.bytes(x.relayPk!.length);
      try {
        const p = await x.connect(x.identity(), { relayPk: other });
        p.close();
      } catch (e) {
        if (e instanceof Mismatch && e.got.startsWith('REQ-TRN-002')) return;
        throw e;
      }
      throw new Mismatch('a ServerHello refused under a key that is not the relay\'s (REQ-TRN-002)', 'the handshake completed');
    },
  },
  {
    id: 'REQ-TRN-004',
    name: 'a ClientAuth whose signature does not verify: the connection is closed, nothing answered',
    profiles: ['hardened'],
    async run(x) {
      const p = await x.connect(x.identity(), {
        spoilAuth: (auth) => {
          const bad = auth.slice();
          bad[bad.length - 1]! ^= 0x01;
          return bad;
        },
      });
      p.sendInner(encode(GetKeys, { req_id: x.reqId(), member_id: x.rng.bytes(32) }));
      const closed = await p.closed();
      const answered = p.inbox.filter((m) => m[3] === MsgType.Reject && decode(Reject, m).requirement === 'REQ-REL-023');
      expectThat(closed !== undefined && answered.length === 0, 'the connection closed without an answer', () => (answered.length > 0 ? `an answer: ${describe(answered[0])}` : 'the connection stayed open'));
    },
  },
  {
    id: 'REQ-TRN-006',
    name: 'a request in the frame of ClientAuth (seq 0) closes the connection',
    async run(x) {
      const p = await x.connect(x.identity(), { spoilAuth: () => encode(GetKeys, { req_id: 7, member_id: new Uint8Array(32) }) });
      const closed = await p.closed();
      expectThat(closed !== undefined, 'the connection closed', () => 'the connection stayed open');
    },
  },
  {
    id: 'REQ-TRN-011',
    name: 'a text WebSocket message closes the connection with code 1003',
    async run(x) {
      const p = (await Room.principal(x)).peer;
      p.sendText('hello');
      const closed = await p.closed();
      expectThat(closed?.code === 1003, 'close code 1003', () => (closed ? `close code ${closed.code}` : 'the connection stayed open'));
    },
  },
  {
    id: 'REQ-TRN-007',
    name: 'a WebSocket message above the frame limit (16 MiB + 32 bytes) closes the connection (1009) unread',
    async run(x) {
      const p = (await Room.principal(x)).peer;
      p.sendRaw(new Uint8Array((1 << 24) + 33));
      const closed = await p.closed(10_000);
      expectThat(closed?.code === 1009, 'close code 1009', () => (closed ? `close code ${closed.code}` : 'the connection stayed open'));
    },
  },
  // --- 8.9 robustness
  {
    id: 'REQ-REL-040',
    name: 'a sealed frame holding no request is answered with a Reject REQ-ENC-nnn and req_id 0; the connection stays open',
    async run(x) {
      const p = (await Room.principal(x)).peer;
      p.sendInner(new Uint8Array([1, 0, 1, 0x99, 0, 0, 0, 5]));
      await p.until(() => p.answersTo(0).length > 0);
      const a = p.answersTo(0)[0];
      expectThat(a !== undefined && /^REQ-ENC-\d{3}$/.test(rejectId(a) ?? ''), 'a Reject REQ-ENC-nnn with req_id 0', () => describe(a));
      const still = await p.request(encode(GetKeys, { req_id: x.reqId(), member_id: x.rng.bytes(32) }));
      refusedWith(still, 'REQ-REL-023');
    },
  },
  {
    id: 'REQ-REL-040',
    name: 'after 16 malformed frames the relay closes the connection',
    async run(x) {
      const p = (await Room.principal(x)).peer;
      for (let i = 0; i < 16; i++) p.sendInner(new Uint8Array([1, 0, 1, 0x99]));
      const closed = await p.closed();
      expectThat(closed !== undefined, 'the connection closed', () => `still open after ${p.answersTo(0).length} rejections`);
    },
  },
  {
    id: 'REQ-REL-041',
    name: 'a flood of requests is rate-limited with REQ-REL-041, then the connection is closed',
    async run(x) {
      const p = (await Room.principal(x)).peer;
      const first = x.reqId();
      for (let i = 0; i < 1000; i++) p.sendInner(encode(GetKeys, { req_id: first + 1 + i, member_id: new Uint8Array(32) }));
      for (let i = 0; i < 1000; i++) x.reqId();
      const closed = await p.closed(10_000);
      const limited = p.inbox.filter((m) => rejectId(m) === 'REQ-REL-041').length;
      expectThat(limited > 0 && closed !== undefined, 'Rejects REQ-REL-041, then the connection closed', () => `${limited} Rejects REQ-REL-041, connection ${closed ? 'closed' : 'open'}`);
    },
  },
  // --- 8.4 requests
  {
    id: 'REQ-REL-002',
    name: 'a request for an unknown room is refused',
    async run(x) {
      const p = await Room.principal(x);
      refusedWith(await p.peer.request(encode(GetRoster, { req_id: x.reqId(), room_id: x.rng.bytes(16) })), 'REQ-REL-002');
    },
  },
  {
    id: 'REQ-REL-003',
    name: 'a Send whose payload names another room is refused',
    async run(x) {
      const room = await Room.create(x);
      const req = room.sendRequest(room.owner.id).slice();
      req[4 + 4 + 16 + 4 + 4 + 4]! ^= 1; // header, req_id, room_id, payload length: the payload's room_id
      refusedWith(await room.owner.peer.request(req), 'REQ-REL-003');
    },
  },
  {
    id: 'REQ-REL-004',
    name: 'a retransmitted Send is answered byte for byte as the first time and appended once',
    async run(x) {
      const room = await Room.create(x);
      const req = room.sendRequest(room.owner.id);
      const first = await room.owner.peer.request(req);
      acked(first, 'Send');
      const again = await room.owner.peer.request(req);
      expectThat(Buffer.from(first).equals(Buffer.from(again)), 'the same answer, byte for byte', () => `${describe(first)} then ${describe(again)}`);
      const h = decode(HistoryChunk, await room.owner.peer.request(room.historyRequest()));
      expectThat(h.entries.length === 2, '2 log entries (genesis and one Send)', () => `${h.entries.length}`);
    },
  },
  {
    id: 'REQ-REL-004',
    name: 'a request that reuses a req_id with other bytes is a new request',
    async run(x) {
      const room = await Room.create(x);
      const reqId = x.reqId();
      const a = acked(await room.owner.peer.request(room.sendRequest(room.owner.id, { reqId, seq: 0 })), 'Send');
      const b = acked(await room.owner.peer.request(room.sendRequest(room.owner.id, { reqId, seq: 1 })), 'the second Send');
      expectThat(b === a + 1, `Ack index ${a + 1}`, () => `Ack index ${b}`);
    },
  },
  {
    id: 'REQ-REL-004',
    name: 'a retransmitted refused request gets the same Reject, even once the state moved on',
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const m = await room.member();
      const early = room.sendRequest(m.id, { epoch: room.epoch + 1 });
      const first = await m.peer.request(early);
      refusedWith(first, 'REQ-REL-016');
      await room.postCommit(room.commitBytes('rotate')); // the epoch it named exists now
      const again = await m.peer.request(early);
      expectThat(Buffer.from(first).equals(Buffer.from(again)), 'the first Reject again, byte for byte', () => describe(again));
    },
  },
  {
    id: 'REQ-REL-010',
    name: 'CreateRoom: the genesis is log entry 1 and a room id in use is refused',
    async run(x) {
      const room = await Room.create(x);
      const p = await Room.principal(x);
      refusedWith(await p.peer.request(Room.createRequest(x, p.id, room.roomId)), 'REQ-REL-010');
    },
  },
  {
    id: 'REQ-REL-010',
    name: 'CreateRoom: a genesis naming another principal as owner is refused',
    async run(x) {
      const p = await Room.principal(x);
      refusedWith(await p.peer.request(Room.createRequest(x, x.identity(), x.rng.bytes(16))), 'REQ-REL-010');
    },
  },
  {
    id: 'REQ-REL-011',
    name: 'PostInvite: an invite id already posted is refused',
    async run(x) {
      const room = await Room.create(x);
      const inv = room.newInvite();
      acked(await room.owner.peer.request(room.postInviteRequest(inv)), 'PostInvite');
      refusedWith(await room.owner.peer.request(room.postInviteRequest(inv)), 'REQ-REL-011');
    },
  },
  {
    id: 'REQ-REL-011',
    name: 'PostInvite: an invite that has already expired is refused',
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const inv = room.newInvite(-60_000);
      refusedWith(await room.owner.peer.request(room.postInviteRequest(inv)), 'REQ-REL-011');
    },
  },
  {
    id: 'REQ-REL-012',
    name: 'SubmitJoin through an invite that expired after it was posted is refused',
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const inv = await room.invite(1_500);
      await x.sleep(2_000);
      const p = await Room.principal(x);
      refusedWith(await p.peer.request(room.joinRequest(p.id, inv)), 'REQ-REL-012');
    },
  },
  {
    id: 'REQ-REL-012',
    name: 'the join race: two principals present one invite at once, exactly one claims it',
    async run(x) {
      const room = await Room.create(x);
      const inv = await room.invite();
      const [a, b] = await Promise.all([Room.principal(x), Room.principal(x)]);
      const [ra, rb] = await Promise.all([a.peer.request(room.joinRequest(a.id, inv)), b.peer.request(room.joinRequest(b.id, inv))]);
      const acks = [ra, rb].filter((r) => r[3] === MsgType.Ack).length;
      const refused = [ra, rb].filter((r) => rejectId(r) === 'REQ-REL-012').length;
      expectThat(acks === 1 && refused === 1, 'one Ack and one Reject REQ-REL-012', () => `${describe(ra)}; ${describe(rb)}`);
      await mailed(x, room.owner.peer, 1);
      const mail = await room.owner.peer.request(encode(FetchMailbox, { req_id: x.reqId(), from_index: 1 }));
      const n = mail[3] === MsgType.MailboxChunk ? decode(MailboxChunk, mail).entries.length : -1;
      expectThat(n === 1, "one join request in the owner's mailbox", () => (n < 0 ? describe(mail) : `${n}`));
    },
  },
  {
    id: 'REQ-REL-013',
    name: "SendWelcome: refused for an invite nobody claimed; delivered to the claimant's mailbox once claimed",
    async run(x) {
      const room = await Room.create(x);
      const inv = await room.invite();
      refusedWith(await room.owner.peer.request(room.welcomeRequest(inv)), 'REQ-REL-013');
      const p = await Room.principal(x);
      await room.join(p, inv);
      acked(await room.owner.peer.request(room.welcomeRequest(inv)), 'SendWelcome');
      await mailed(x, p.peer, 1); // a MailboxDelivery (REQ-REL-031), then the mailbox holds the welcome
      const mail = decode(MailboxChunk, await p.peer.request(encode(FetchMailbox, { req_id: x.reqId(), from_index: 1 })));
      expectThat(mail.entries.length === 1 && mail.entries[0]!.payload[3] === (room.hardened ? MsgType.Welcome : MsgType.CompatWelcome), 'one welcome in the mailbox', () => `${mail.entries.length} entries`);
    },
  },
  {
    id: 'REQ-REL-014',
    name: 'SubmitConfirm for an invite another invitee claimed is refused',
    async run(x) {
      const room = await Room.create(x);
      const inv = await room.invite();
      const [a, b] = [await Room.principal(x), await Room.principal(x)];
      await room.join(a, inv);
      await room.join(b, await room.invite()); // an invitee too (the matrix lets it confirm), of another invite
      refusedWith(await b.peer.request(room.confirmRequest(inv)), 'REQ-REL-014');
      acked(await a.peer.request(room.confirmRequest(inv)), 'SubmitConfirm');
    },
  },
  {
    id: 'REQ-REL-015',
    name: 'PostCommit(add): a commit signed by another key is refused',
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const p = await Room.principal(x);
      const inv = await room.invite();
      await room.join(p, inv);
      const forged = room.commitBytes('add', { adds: [(await import('../../../impl/protocol/identity.ts')).memberRecordOf(p.id, 'member', 1)], inviteId: inv.inviteId, signer: x.identity() });
      refusedWith(await room.owner.peer.request(encode(PostCommit, { req_id: x.reqId(), room_id: room.roomId, payload: forged.bytes })), 'REQ-REL-015');
    },
  },
  {
    id: 'REQ-REL-015',
    name: 'PostCommit(add): a commit that skips an epoch is refused',
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const p = await Room.principal(x);
      const inv = await room.invite();
      await room.join(p, inv);
      const { memberRecordOf } = await import('../../../impl/protocol/identity.ts');
      const skip = room.commitBytes('add', { adds: [memberRecordOf(p.id, 'member', 2)], inviteId: inv.inviteId, epoch: 2 });
      refusedWith(await room.owner.peer.request(encode(PostCommit, { req_id: x.reqId(), room_id: room.roomId, payload: skip.bytes })), 'REQ-REL-015');
    },
  },
  {
    id: 'REQ-REL-015',
    name: 'PostCommit(add) / AddMember of a principal that did not claim the invite is refused',
    async run(x) {
      const room = await Room.create(x);
      const [a, b] = [await Room.principal(x), await Room.principal(x)];
      const inv = await room.invite();
      await room.join(a, inv);
      refusedWith(await room.owner.peer.request(room.addRequest(b.id, inv).bytes), 'REQ-REL-015');
    },
  },
  {
    id: 'REQ-REL-016',
    name: 'Send: an application message whose sender is not the principal is refused',
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const m = await room.member();
      refusedWith(await m.peer.request(room.sendRequest(m.id, { sender: room.owner.id.fp })), 'REQ-REL-016');
    },
  },
  {
    id: 'REQ-REL-016',
    name: 'Send: an epoch before the member was added, or after the room\'s, is refused',
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const m = await room.member();
      refusedWith(await m.peer.request(room.sendRequest(m.id, { epoch: 0 })), 'REQ-REL-016');
      refusedWith(await m.peer.request(room.sendRequest(m.id, { epoch: room.epoch + 1 })), 'REQ-REL-016');
    },
  },
  {
    id: 'REQ-REL-018',
    name: "PostCommit(remove): a removal that counts fewer messages than the log holds of the member is refused",
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const m = await room.member();
      await room.send(m, { seq: 0 });
      await room.send(m, { seq: 1 });
      refusedWith(await room.owner.peer.request(room.removeRequest(m.id, 1).bytes), 'REQ-REL-018');
      acked(await room.owner.peer.request(room.removeRequest(m.id, 2).bytes), 'the removal counting both');
    },
  },
  {
    id: 'REQ-REL-022',
    name: 'PublishKeys: keys of another principal are refused; the own keys are served by GetKeys (REQ-REL-023)',
    async run(x) {
      const p = await Room.principal(x);
      const other = x.identity();
      refusedWith(await p.peer.request(encode(PublishKeys, { req_id: x.reqId(), identity_pk: other.publicKey, kem_cert: newestKem(other).cert })), 'REQ-REL-022');
      acked(await p.peer.request(encode(PublishKeys, { req_id: x.reqId(), identity_pk: p.id.publicKey, kem_cert: newestKem(p.id).cert })), 'PublishKeys');
      const k = await p.peer.request(encode(GetKeys, { req_id: x.reqId(), member_id: p.id.fp }));
      expectThat(k[3] === MsgType.KeysInfo, 'KeysInfo', () => describe(k));
    },
  },
  {
    id: 'REQ-REL-024',
    name: "FetchMailbox answers from the principal's own mailbox only",
    async run(x) {
      const room = await Room.create(x);
      const p = await Room.principal(x);
      await room.join(p, await room.invite());
      await mailed(x, room.owner.peer, 1);
      const own = decode(MailboxChunk, await room.owner.peer.request(encode(FetchMailbox, { req_id: x.reqId(), from_index: 1 })));
      const theirs = decode(MailboxChunk, await p.peer.request(encode(FetchMailbox, { req_id: x.reqId(), from_index: 1 })));
      expectThat(own.entries.length === 1 && theirs.entries.length === 0, "the join in the owner's mailbox only", () => `owner ${own.entries.length}, claimant ${theirs.entries.length}`);
    },
  },
  // --- 8.5, 8.6 delivery and history
  {
    id: 'REQ-REL-031',
    name: 'an append is pushed as a RoomDelivery to every connected owner and member, the sender included',
    async run(x) {
      const room = await Room.create(x);
      const m = await room.member();
      const index = await room.send(m);
      const seen = (p: { peer: { pushes(t: number): Bytes[] } }): boolean => p.peer.pushes(MsgType.RoomDelivery).some((d) => decode(RoomDelivery, d).index === index);
      const ok = await room.owner.peer.until(() => seen(room.owner) && seen(m));
      expectThat(ok, `RoomDelivery ${index} to the owner and the sender`, () => `owner ${seen(room.owner)}, sender ${seen(m)}`);
    },
  },
  {
    id: 'REQ-REL-030',
    name: 'log indexes are contiguous from 1',
    async run(x) {
      const room = await Room.create(x);
      const got: number[] = [];
      for (let i = 0; i < 4; i++) got.push(await room.send(room.owner, { seq: i }));
      expectThat(got.join() === '2,3,4,5', 'Ack indexes 2,3,4,5', () => got.join());
    },
  },
  {
    id: 'REQ-REL-020',
    name: 'FetchHistory pages in index order, at most limit entries, complete at the end of the window',
    async run(x) {
      const room = await Room.create(x);
      for (let i = 0; i < 4; i++) await room.send(room.owner, { seq: i });
      const pages: string[] = [];
      let from = 1;
      for (let n = 0; n < 4; n++) {
        const h = decode(HistoryChunk, await room.owner.peer.request(room.historyRequest(from, 2)));
        pages.push(`[${h.entries.map((e) => e.index).join(',')}]${h.complete ? ' complete' : ''}`);
        if (h.complete || h.entries.length === 0) break;
        from = h.entries.at(-1)!.index + 1;
      }
      expectThat(pages.join(' ') === '[1,2] [3,4] [5] complete', '[1,2] [3,4] [5] complete', () => pages.join(' '));
    },
  },
  {
    id: 'REQ-REL-020',
    name: "a removed member's history ends at the entry that removed it",
    profiles: ['hardened'],
    async run(x) {
      const room = await Room.create(x);
      const m = await room.member();
      await room.remove(m.id);
      const removedAt = room.entries;
      await room.send(room.owner, { seq: 0 });
      const h = decode(HistoryChunk, await m.peer.request(room.historyRequest()));
      const last = h.entries.at(-1)?.index;
      expectThat(last === removedAt && h.complete, `entries up to ${removedAt}, complete`, () => `up to ${last}, complete ${h.complete}`);
    },
  },
  {
    id: 'REQ-REL-021',
    name: 'GetRoster serves the current members',
    async run(x) {
      const room = await Room.create(x);
      await room.member();
      const r = await room.owner.peer.request(room.rosterRequest());
      const n = describe(r);
      expectThat(/^(Compat)?RosterInfo of 2 members$/.test(n), 'a roster of 2 members', () => n);
    },
  },
];
