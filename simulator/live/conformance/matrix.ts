/**
 * The authorization matrix of spec 8.4 over the wire (REQ-REL-001 and each row's id): one room
 * with a principal in every role, every refused cell asked first (each must be a `Reject` with
 * its row's id and change nothing), then every allowed cell in an order where none spoils
 * another. One case per cell.
 */
import { decode } from '../../../impl/codec.ts';
import type { ReqId } from '../../../impl/errors.ts';
import type { IssuedInvite } from '../../../impl/invite.ts';
import { HistoryChunk, MsgType, Reject } from '../../../impl/messages/index.ts';
import type { Bytes } from '../../../impl/bytes.ts';
import type { Profile } from '../../../impl/suite.ts';
import { describe } from './peer.ts';
import { Room, type Principal } from './room.ts';
import { Mismatch, type Case, type CaseContext } from './verdict.ts';

type Role = 'owner' | 'member' | 'invitee' | 'removed' | 'stranger';
const ROLES: readonly Role[] = ['owner', 'member', 'invitee', 'removed', 'stranger'];

/** The matrix as spec 8.4 writes it (the suite's own copy: it tests a relay, not the project's table). */
const MATRIX: readonly { readonly op: string; readonly allow: readonly Role[]; readonly late?: readonly Role[]; readonly id: ReqId }[] = [
  { op: 'create room', allow: ['stranger'], id: 'REQ-REL-010' },
  { op: 'post an invite hash', allow: ['owner'], id: 'REQ-REL-011' },
  { op: 'submit a join', allow: ['removed', 'stranger'], id: 'REQ-REL-012' },
  { op: 'deliver a welcome', allow: ['owner'], id: 'REQ-REL-013' },
  { op: 'submit a confirmation', allow: ['invitee'], id: 'REQ-REL-014' },
  { op: 'add a member', allow: ['owner'], id: 'REQ-REL-015' },
  { op: 'remove a member', allow: ['owner'], id: 'REQ-REL-019' },
  { op: 'send', allow: ['owner', 'member'], late: ['removed'], id: 'REQ-REL-016' },
  { op: 'rotate', allow: ['owner'], id: 'REQ-REL-017' },
  { op: 'fetch history', allow: ['owner', 'member', 'removed'], id: 'REQ-REL-020' },
  { op: 'read the roster', allow: ['owner', 'member'], id: 'REQ-REL-021' },
];

/** The room every cell runs against, built once per profile. */
interface Fixture {
  readonly room: Room;
  readonly who: Record<Role, Principal>;
  readonly claimed: IssuedInvite;
  readonly free: IssuedInvite;
  /** hardened: the epoch the removed member was removed in. */
  readonly removedEpoch: number;
  /** The log length after the fixture was built. */
  readonly entries: number;
}

async function fixture(x: CaseContext): Promise<Fixture> {
  const room = await Room.create(x);
  const member = await room.member();
  const removed = await room.member();
  await room.remove(removed.id, 3, room.epoch); // as if it had sent seq 0 to 2: its final head is 3
  const removedEpoch = room.epoch;
  const invitee = await Room.principal(x);
  const claimed = await room.invite();
  await room.join(invitee, claimed);
  const free = await room.invite();
  const stranger = await Room.principal(x);
  return { room, who: { owner: room.owner, member, invitee, removed, stranger }, claimed, free, removedEpoch, entries: room.entries };
}

/** A request for `op` from `role`, valid whenever the matrix lets that role make it. */
function requestFor(f: Fixture, x: CaseContext, op: string, role: Role, o: { invite?: IssuedInvite; late?: boolean } = {}): Bytes {
  const { room } = f;
  const who = f.who[role].id;
  switch (op) {
    case 'create room':
      return Room.createRequest(x, who, role === 'stranger' ? x.rng.bytes(16) : room.roomId);
    case 'post an invite hash':
      return room.postInviteRequest(o.invite ?? room.newInvite());
    case 'submit a join':
      return room.joinRequest(who, o.invite ?? f.free);
    case 'deliver a welcome':
      return room.welcomeRequest(f.claimed);
    case 'submit a confirmation':
      return room.confirmRequest(f.claimed);
    case 'add a member':
      return room.addRequest(f.who.invitee.id, f.claimed).bytes;
    case 'remove a member':
      return room.removeRequest(f.who.member.id, 1).bytes; // counts the member's one message (send × member)
    case 'rotate':
      return room.rotateRequest().bytes;
    case 'send':
      return room.sendRequest(who, o.late ? { epoch: f.removedEpoch - 1 } : {});
    case 'fetch history':
      return room.historyRequest();
    case 'read the roster':
      return room.rosterRequest();
  }
  throw new Error(`no request for ${op}`);
}

function refused(answer: Bytes, id: ReqId): void {
  const got = answer[3] === MsgType.Reject ? decode(Reject, answer).requirement : undefined;
  if (got !== id) throw new Mismatch(`Reject ${id}`, describe(answer));
}

function served(answer: Bytes, op: string): void {
  const want = op === 'fetch history' ? MsgType.HistoryChunk : op === 'read the roster' ? (answer[3] === MsgType.CompatRosterInfo ? MsgType.CompatRosterInfo : MsgType.RosterInfo) : MsgType.Ack;
  if (answer[3] !== want) throw new Mismatch(op === 'fetch history' ? 'a HistoryChunk' : op === 'read the roster' ? 'a roster' : 'an Ack', describe(answer));
}

/** The cases of the matrix for one profile; they share one fixture, built by the first that runs. */
export function matrixCases(profile: Profile): Case[] {
  let built: Promise<Fixture> | undefined;
  const get = (x: CaseContext): Promise<Fixture> => (built ??= fixture(x));
  const cases: Case[] = [];
  const deny = (row: (typeof MATRIX)[number], role: Role): Case => ({
    id: row.id,
    name: `${row.op} × ${role}: refused`,
    profiles: [profile],
    async run(x) {
      const f = await get(x);
      refused(await f.who[role].peer.request(requestFor(f, x, row.op, role)), row.id);
    },
  });
  for (const row of MATRIX) for (const role of ROLES) if (!row.allow.includes(role)) cases.push(deny(row, role));
  cases.push({
    id: 'REQ-REL-001',
    name: 'a refused request changes nothing (the log is as before)',
    profiles: [profile],
    async run(x) {
      const f = await get(x);
      const h = await f.room.owner.peer.request(f.room.historyRequest());
      if (h[3] !== MsgType.HistoryChunk) throw new Mismatch('a HistoryChunk', describe(h));
      const n = decode(HistoryChunk, h).entries.length;
      if (n !== f.entries) throw new Mismatch(`${f.entries} log entries`, `${n}`);
    },
  });
  const allow = (op: string, role: Role, note = '', o: { invite?: () => IssuedInvite; late?: boolean; after?: (f: Fixture, answer: Bytes) => void } = {}): Case => {
    const row = MATRIX.find((r) => r.op === op)!;
    return {
      id: row.id,
      name: `${op} × ${role}: allowed${note}`,
      profiles: [profile],
      async run(x) {
        const f = await get(x);
        const answer = await f.who[role].peer.request(requestFor(f, x, op, role, { ...(o.invite ? { invite: o.invite() } : {}), ...(o.late ? { late: true } : {}) }));
        served(answer, op);
        o.after?.(f, answer);
      },
    };
  };
  // the allowed cells, in an order where none changes a role another needs
  for (const role of ['owner', 'member', 'removed'] as const) cases.push(allow('fetch history', role));
  for (const role of ['owner', 'member'] as const) cases.push(allow('read the roster', role));
  cases.push(allow('send', 'owner', '', { after: (f) => f.room.entries++ }), allow('send', 'member', '', { after: (f) => f.room.entries++ }));
  if (profile === 'hardened') cases.push(allow('send', 'removed', ' (late: an epoch before its removal, below its final head)', { late: true }));
  else
    cases.push({
      id: 'REQ-REL-016',
      name: 'send × removed: refused (compat: a removed principal sends nothing)',
      profiles: [profile],
      async run(x) {
        const f = await get(x);
        refused(await f.who.removed.peer.request(requestFor(f, x, 'send', 'removed')), 'REQ-REL-016');
      },
    });
  if (profile === 'hardened')
    cases.push({
      id: 'REQ-REL-016',
      name: 'send × removed: refused for an epoch from its removal on',
      profiles: [profile],
      async run(x) {
        const f = await get(x);
        refused(await f.who.removed.peer.request(requestFor(f, x, 'send', 'removed')), 'REQ-REL-016');
      },
    });
  let second: IssuedInvite | undefined;
  cases.push(allow('post an invite hash', 'owner', '', { invite: () => (second = current!.room.newInvite()) }));
  cases.push(allow('deliver a welcome', 'owner'), allow('submit a confirmation', 'invitee'));
  cases.push(allow('submit a join', 'stranger'));
  cases.push(allow('submit a join', 'removed', ' (through a second invite)', { invite: () => second ?? current!.room.newInvite() }));
  const advance = (f: Fixture): void => f.room.advance(f.room.lastBuilt!);
  cases.push(allow('add a member', 'owner', '', { after: advance }));
  cases.push(allow('rotate', 'owner', '', { after: advance }));
  cases.push(allow('remove a member', 'owner', '', { after: advance }));
  cases.push(allow('create room', 'stranger', ' (a new room id)'));
  let current: Fixture | undefined;
  const keep = (x: CaseContext): Promise<Fixture> =>
    get(x).then((f) => {
      current = f;
      return f;
    });
  return cases.map((c) => ({ ...c, run: (x: CaseContext) => keep(x).then(() => c.run(x)) }));
}
