/**
 * Conformance cases for what issue 22 settled: the Ack index of the requests that fill a mailbox
 * (spec 8.4), a claimant's join sent again (REQ-REL-012), the answer before the echo
 * (REQ-REL-035), the req_id of a request that does not decode (REQ-REL-040), the paging of
 * history and mailbox chunks (REQ-REL-036, REQ-REL-024) and the sizes on the wire: frames up to
 * the frame limit (REQ-ENC-019), stored payloads and chunks within 16 MiB (REQ-ENC-020).
 */
import type { Bytes } from '../../../impl/bytes.ts';
import { decode, encode } from '../../../impl/codec.ts';
import type { IssuedInvite } from '../../../impl/invite.ts';
import { CompatWelcome, FetchMailbox, HistoryChunk, MailboxChunk, MailboxDelivery, MsgType, Reject, RoomDelivery, SendWelcome, Welcome } from '../../../impl/messages/index.ts';
import { describe, getU32, type Peer } from './peer.ts';
import { acked, mailed, Room, type Principal } from './room.ts';
import { expectThat, Mismatch, type Case } from './verdict.ts';

const MiB = 1 << 20;

function refusedWith(answer: Bytes, id: string): void {
  if (answer[3] !== MsgType.Reject || decode(Reject, answer).requirement !== id) throw new Mismatch(`Reject ${id}`, describe(answer));
}

/** A `SendWelcome` for `inv` whose welcome seals `sealed` bytes (hardened; compat: at most 65,535). */
function welcomeOf(room: Room, inv: IssuedInvite, sealed: number): Bytes {
  const { rng } = room.x;
  const room_id = room.roomId;
  const invite_id = inv.inviteId;
  const payload = room.hardened
    ? encode(Welcome, { room_id, invite_id, join_hash: rng.bytes(32), epoch: room.epoch + 1, kem_ct: rng.bytes(1088), nonce: rng.bytes(24), sealed: new Uint8Array(sealed).fill(0x5a), signature: rng.bytes(3309) })
    : encode(CompatWelcome, { room_id, invite_id, nonce: rng.bytes(24), sealed: new Uint8Array(sealed).fill(0x5a) });
  return encode(SendWelcome, { req_id: room.x.reqId(), room_id, invite_id, payload });
}

/** A room with a claimed invite: the owner, the claimant and the invite. */
async function claimed(x: Parameters<Case['run']>[0]): Promise<{ room: Room; p: Principal; inv: IssuedInvite }> {
  const room = await Room.create(x);
  const inv = await room.invite();
  const p = await Room.principal(x);
  await room.join(p, inv);
  return { room, p, inv };
}

async function fetchMailbox(peer: Peer, reqId: number, from: number, ms?: number): Promise<MailboxChunk> {
  const a = await peer.request(encode(FetchMailbox, { req_id: reqId, from_index: from }), ms);
  if (a[3] !== MsgType.MailboxChunk) throw new Mismatch('a MailboxChunk', describe(a));
  return decode(MailboxChunk, a);
}

const page = (h: { entries: readonly { index: number }[]; next_index: number; complete: boolean }): string => `[${h.entries.map((e) => e.index).join(',')}] next ${h.next_index}${h.complete ? ' complete' : ''}`;

/** Sends every request at once and waits for every answer (bounded; recorded as one `together` step, so that a replay waits for them too). */
async function all(peer: Peer, requests: readonly Bytes[], ms = 20_000): Promise<Bytes[]> {
  for (const r of requests) peer.sendInner(r, true);
  const ids = requests.map((r) => getU32(r, 4));
  if (!(await peer.until(() => ids.every((id) => peer.answersTo(id).length > 0), ms))) throw new Mismatch(`answers to ${requests.length} requests`, `${ids.filter((id) => peer.answersTo(id).length > 0).length} answered`);
  return ids.map((id) => peer.answersTo(id)[0]!);
}

export const ANSWER_CASES: readonly Case[] = [
  {
    id: 'REQ-REL-012',
    name: "SubmitJoin is acknowledged with index 0; the claimant's identical retransmission gets the same Ack and no second copy, any other join of it a Reject REQ-REL-012",
    async run(x) {
      const room = await Room.create(x);
      const inv = await room.invite();
      const p = await Room.principal(x);
      const req = room.joinRequest(p.id, inv);
      const first = await p.peer.request(req);
      expectThat(acked(first, 'SubmitJoin') === 0, 'Ack index 0', () => describe(first));
      const again = await p.peer.request(req);
      expectThat(Buffer.from(first).equals(Buffer.from(again)), 'the first Ack again, byte for byte', () => describe(again));
      refusedWith(await p.peer.request(room.joinRequest(p.id, inv)), 'REQ-REL-012');
      await mailed(x, room.owner.peer, 1);
      const box = await fetchMailbox(room.owner.peer, x.reqId(), 1);
      expectThat(box.entries.length === 1, "one join request in the owner's mailbox", () => `${box.entries.length}`);
    },
  },
  {
    id: 'REQ-REL-013',
    name: 'SendWelcome is acknowledged with index 0',
    async run(x) {
      const { room, inv } = await claimed(x);
      const a = await room.owner.peer.request(room.welcomeRequest(inv));
      expectThat(acked(a, 'SendWelcome') === 0, 'Ack index 0', () => describe(a));
    },
  },
  {
    id: 'REQ-REL-014',
    name: 'SubmitConfirm is acknowledged with index 0',
    async run(x) {
      const { room, p, inv } = await claimed(x);
      const a = await p.peer.request(room.confirmRequest(inv));
      expectThat(acked(a, 'SubmitConfirm') === 0, 'Ack index 0', () => describe(a));
    },
  },
  {
    id: 'REQ-REL-035',
    name: "a Send's Ack comes before the sender's own RoomDelivery of it",
    async run(x) {
      const room = await Room.create(x);
      const req = room.sendRequest(room.owner.id);
      const index = acked(await room.owner.peer.request(req), 'Send');
      const inbox = room.owner.peer.inbox;
      const echoed = await room.owner.peer.until(() => inbox.some((m) => m[3] === MsgType.RoomDelivery && decode(RoomDelivery, m).index === index));
      const ack = inbox.findIndex((m) => m[3] === MsgType.Ack && getU32(m, 4) === getU32(req, 4));
      const echo = inbox.findIndex((m) => m[3] === MsgType.RoomDelivery && decode(RoomDelivery, m).index === index);
      expectThat(echoed && ack < echo, 'the Ack, then the RoomDelivery', () => (echoed ? 'the RoomDelivery, then the Ack' : 'no RoomDelivery'));
    },
  },
  {
    id: 'REQ-REL-040',
    name: 'a request cut short after its req_id, or with bytes left over, is refused with REQ-ENC-nnn carrying its req_id',
    async run(x) {
      const p = await Room.principal(x);
      const reqId = x.reqId();
      const whole = encode(FetchMailbox, { req_id: reqId, from_index: 1 });
      const cut = await p.peer.request(whole.subarray(0, 10));
      expectThat(cut[3] === MsgType.Reject && decode(Reject, cut).requirement === 'REQ-ENC-006', `Reject REQ-ENC-006 with req_id ${reqId}`, () => describe(cut));
      const longer = await p.peer.request(new Uint8Array([...encode(FetchMailbox, { req_id: x.reqId(), from_index: 1 }), 0]));
      expectThat(longer[3] === MsgType.Reject && decode(Reject, longer).requirement === 'REQ-ENC-007', 'Reject REQ-ENC-007 with the req_id', () => describe(longer));
    },
  },
  {
    id: 'REQ-REL-036',
    name: 'FetchHistory: from_index 0 starts at the window, next_index follows the last entry, a complete chunk ends one past the log, past the end stays put',
    async run(x) {
      const room = await Room.create(x);
      for (let i = 0; i < 3; i++) await room.send(room.owner, { seq: i });
      const h = async (from: number, limit: number) => {
        const a = await room.owner.peer.request(room.historyRequest(from, limit));
        if (a[3] !== MsgType.HistoryChunk) throw new Mismatch('a HistoryChunk', describe(a));
        return page(decode(HistoryChunk, a));
      };
      const got = [await h(0, 2), await h(3, 2), await h(3, 5), await h(9, 5)].join('; ');
      const want = '[1,2] next 3; [3,4] next 5 complete; [3,4] next 5 complete; [] next 9 complete';
      expectThat(got === want, want, () => got);
      await room.send(room.owner, { seq: 3 });
      const poll = await h(5, 5);
      expectThat(poll === '[5] next 6 complete', 'a poll from next_index: [5] next 6 complete', () => poll);
    },
  },
  {
    id: 'REQ-REL-036',
    name: 'FetchMailbox: an empty mailbox, from_index 0, and past the end give complete chunks whose next_index never goes back',
    async run(x) {
      const { room, p, inv } = await claimed(x);
      const empty = page(await fetchMailbox(p.peer, x.reqId(), 0));
      acked(await room.owner.peer.request(room.welcomeRequest(inv)), 'SendWelcome');
      acked(await room.owner.peer.request(room.welcomeRequest(inv)), 'SendWelcome');
      await mailed(x, p.peer, 2);
      const got = [empty, page(await fetchMailbox(p.peer, x.reqId(), 0)), page(await fetchMailbox(p.peer, x.reqId(), 2)), page(await fetchMailbox(p.peer, x.reqId(), 7))].join('; ');
      const want = '[] next 1 complete; [1,2] next 3 complete; [2] next 3 complete; [] next 7 complete';
      expectThat(got === want, want, () => got);
    },
  },
  {
    id: 'REQ-REL-024',
    name: 'a MailboxChunk holds at most 256 entries: 257 welcomes come as 256 (next_index 257, not complete), then 1',
    timeoutMs: 90_000,
    recordLast: true,
    async run(x) {
      const { room, p, inv } = await claimed(x);
      const answers = await all(room.owner.peer, Array.from({ length: 257 }, () => welcomeOf(room, inv, 40)), 60_000);
      const bad = answers.find((a) => a[3] !== MsgType.Ack);
      if (bad) throw new Mismatch('an Ack for each of 257 welcomes', describe(bad));
      await mailed(x, p.peer, 257, 30_000);
      const first = await fetchMailbox(p.peer, x.reqId(), 1, 20_000);
      const second = await fetchMailbox(p.peer, x.reqId(), first.next_index, 20_000);
      const got = `${first.entries.length} entries from ${first.entries[0]?.index} next ${first.next_index}${first.complete ? ' complete' : ''}; ${page(second)}`;
      expectThat(got === '256 entries from 1 next 257; [257] next 258 complete', '256 entries from 1 next 257; [257] next 258 complete', () => got);
    },
  },
  {
    id: 'REQ-ENC-019',
    name: 'a frame of 3 MiB (under the frame limit) is taken, and its welcome delivered to the claimant',
    profiles: ['hardened'],
    timeoutMs: 90_000,
    notAVector: 'it moves a 3 MiB message each way: 6 MB of hex in the file for one case; run it live (pqroom conformance)',
    async run(x) {
      const { room, p, inv } = await claimed(x);
      acked(await room.owner.peer.request(welcomeOf(room, inv, 3 * MiB), 30_000), 'a SendWelcome of 3 MiB');
      const got = await p.peer.until(() => p.peer.pushes(MsgType.MailboxDelivery).some((m) => decode(MailboxDelivery, m).entry.payload.length > 3 * MiB), 30_000);
      expectThat(got, 'a MailboxDelivery of more than 3 MiB', () => `${p.peer.pushes(MsgType.MailboxDelivery).length} smaller ones`);
    },
  },
  {
    id: 'REQ-ENC-020',
    name: 'a payload above 2^24 - 128 bytes is refused with REQ-ENC-020; a mailbox chunk stops before 16 MiB (2 welcomes of 8 MiB come one by one)',
    profiles: ['hardened'],
    timeoutMs: 180_000,
    notAVector: 'it moves about 33 MiB of welcomes: 67 MB of hex in the file for one case; run it live (pqroom conformance)',
    async run(x) {
      const { room, p, inv } = await claimed(x);
      const welcomeFixed = 4513; // a Welcome's bytes besides its sealed field (spec 4.7)
      refusedWith(await room.owner.peer.request(welcomeOf(room, inv, 2 ** 24 - 127 - welcomeFixed), 60_000), 'REQ-ENC-020');
      // two welcomes of 8 MiB + 513 bytes: a chunk holding both would be 1,165 bytes above 16 MiB
      await all(room.owner.peer, [0, 1].map(() => welcomeOf(room, inv, 8 * MiB - 4000)), 60_000);
      await mailed(x, p.peer, 2, 60_000);
      const first = await fetchMailbox(p.peer, x.reqId(), 1, 30_000);
      const second = await fetchMailbox(p.peer, x.reqId(), first.next_index, 30_000);
      const got = `${page(first)}; ${page(second)}`;
      expectThat(got === '[1] next 2; [2] next 3 complete', '[1] next 2; [2] next 3 complete', () => got);
    },
  },
];
