/**
 * A room put together over the wire, for the conformance cases: an owner creates it, members
 * join through invites, the owner commits (hardened) or adds and removes (compat). Every request
 * is built with the project's own protocol steps, and every step checks the relay's answer, so a
 * relay that cannot be put into the state a case needs fails that case (never passes it).
 */
import { type Bytes } from '../../../impl/bytes.ts';
import { decode, encode } from '../../../impl/codec.ts';
import { createInvite, type IssuedInvite } from '../../../impl/invite.ts';
import { epochHash } from '../../../impl/keyschedule.ts';
import {
  Ack,
  AddMember,
  AppMessage,
  CompatChat,
  CompatConfirm,
  CompatMember,
  CompatRotation,
  CompatWelcome,
  CreateRoom,
  FetchHistory,
  GetRoster,
  JoinConfirm,
  MsgType,
  PostCommit,
  PostInvite,
  RemoveMember,
  Rotate,
  Send,
  SendWelcome,
  SubmitConfirm,
  SubmitJoin,
  Welcome,
  type EpochHead,
  type KemCert,
  type MemberRecord,
} from '../../../impl/messages/index.ts';
import { buildCommit, ZERO_HASH } from '../../../impl/protocol/commit.ts';
import { buildCompatJoinRequest, buildCompatMemberAdd } from '../../../impl/protocol/compat.ts';
import { memberRecordOf, newestKem, type Identity } from '../../../impl/protocol/identity.ts';
import { buildJoinRequest } from '../../../impl/protocol/join.ts';
import { NO_EPOCH } from '../../../impl/suite.ts';
import { describe, type Peer } from './peer.ts';
import { Mismatch, type CaseContext } from './verdict.ts';

/** The answer must be an `Ack`; returns its index. */
export function acked(answer: Bytes, what: string): number {
  if (answer[3] !== MsgType.Ack) throw new Mismatch(`Ack of ${what}`, describe(answer));
  return decode(Ack, answer).index;
}

/**
 * Waits until `peer` has received `n` MailboxDelivery pushes in all (REQ-REL-031), before a
 * FetchMailbox that should hold their entries: the Ack of the request that made an entry says it
 * is durable, not that the mailbox holds it yet (with shards, REQ-REL-051).
 */
export async function mailed(x: CaseContext, peer: Peer, n: number, ms?: number): Promise<void> {
  const count = (): number => peer.pushes(MsgType.MailboxDelivery).length;
  await x.received(peer, () => count() >= n, `${n} MailboxDelivery push${n === 1 ? '' : 'es'}`, () => `${count()}`, ms);
}

/** A principal with its connection. */
export interface Principal {
  readonly id: Identity;
  readonly peer: Peer;
}

/** A room the suite drives, and what it knows of it. */
export class Room {
  epoch = 0;
  epochHash: Bytes = ZERO_HASH;
  roster: MemberRecord[] = [];
  /** Log entries appended so far (what the relay acknowledged). */
  entries = 0;
  /** The last commit built (hardened): what `advance` records once the relay appended it. */
  lastBuilt: { bytes: Bytes; roster: MemberRecord[] } | undefined;
  private certs = new Map<string, KemCert>();

  private constructor(
    readonly x: CaseContext,
    readonly roomId: Bytes,
    readonly owner: Principal,
  ) {}

  get hardened(): boolean {
    return this.x.profile === 'hardened';
  }

  /** A new principal, connected. */
  static async principal(x: CaseContext): Promise<Principal> {
    const id = x.identity();
    return { id, peer: await x.connect(id) };
  }

  /** The `CreateRoom` request of `who` for `roomId` (a genesis commit, or a compat owner record). */
  static createRequest(x: CaseContext, who: Identity, roomId: Bytes): Bytes {
    const req_id = x.reqId();
    if (x.profile === 'compat') return encode(CreateRoom, { req_id, room_id: roomId, profile: 'compat', payload: encode(CompatMember, { identity_pk: who.publicKey, kem_pk: newestKem(who).publicKey, role: 'owner' }) });
    const g = buildCommit(x.crypto, x.rng, { roomId, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(who, 'owner', 0)], removes: [], roster: [], heads: [], owner: who });
    return encode(CreateRoom, { req_id, room_id: roomId, profile: 'hardened', payload: g.commit.bytes });
  }

  /** Creates a room owned by a new principal (REQ-REL-010). */
  static async create(x: CaseContext): Promise<Room> {
    const owner = await Room.principal(x);
    const roomId = x.rng.bytes(16);
    const req = Room.createRequest(x, owner.id, roomId);
    const index = acked(await owner.peer.request(req), 'CreateRoom');
    if (index !== 1) throw new Mismatch('the genesis as log entry 1 (REQ-REL-010)', `Ack index ${index}`);
    const room = new Room(x, roomId, owner);
    room.entries = 1;
    if (room.hardened) {
      const payload = decode(CreateRoom, req).payload;
      room.epochHash = epochHash(x.crypto, payload);
      room.roster = [memberRecordOf(owner.id, 'owner', 0)];
    }
    return room;
  }

  /** A new invite (not posted), valid for an hour unless told: long enough for a slow relay or a loaded machine to reach the cases that use it. */
  newInvite(lifetimeMs = 3_600_000): IssuedInvite {
    return createInvite(this.x.crypto, this.x.rng, { profile: this.x.profile, roomId: this.roomId, ownerFp: this.owner.id.fp, now: this.x.now(), lifetimeMs: this.hardened ? lifetimeMs : 0 });
  }

  postInviteRequest(inv: IssuedInvite): Bytes {
    return encode(PostInvite, { req_id: this.x.reqId(), room_id: this.roomId, invite_id: inv.inviteId, expires_at: inv.invite.expires_at });
  }

  /** Posts a new invite (REQ-REL-011). */
  async invite(lifetimeMs = 3_600_000): Promise<IssuedInvite> {
    const inv = this.newInvite(lifetimeMs);
    acked(await this.owner.peer.request(this.postInviteRequest(inv)), 'PostInvite');
    return inv;
  }

  /** The `SubmitJoin` of `who` through `inv`. */
  joinRequest(who: Identity, inv: IssuedInvite): Bytes {
    let payload: Bytes;
    if (this.hardened) {
      const jr = buildJoinRequest(this.x.crypto, this.x.rng, inv.invite, who, inv.inviteId);
      this.certs.set(toKey(who.fp), jr.value.kem_cert);
      payload = jr.bytes;
    } else payload = buildCompatJoinRequest(this.x.crypto, this.x.rng, { invite: inv.invite, inviteId: inv.inviteId, identity: who, ownerKemPk: newestKem(this.owner.id).publicKey }).request.bytes;
    return encode(SubmitJoin, { req_id: this.x.reqId(), room_id: this.roomId, invite_id: inv.inviteId, payload });
  }

  /** `who` claims `inv` (REQ-REL-012). */
  async join(who: Principal, inv: IssuedInvite): Promise<void> {
    acked(await who.peer.request(this.joinRequest(who.id, inv)), 'SubmitJoin');
  }

  /** A `SendWelcome` for `inv` (its contents are opaque to the relay). */
  welcomeRequest(inv: IssuedInvite): Bytes {
    const { rng } = this.x;
    const room_id = this.roomId;
    const invite_id = inv.inviteId;
    const payload = this.hardened
      ? encode(Welcome, { room_id, invite_id, join_hash: rng.bytes(32), epoch: this.epoch + 1, kem_ct: rng.bytes(1088), nonce: rng.bytes(24), sealed: rng.bytes(40), signature: rng.bytes(3309) })
      : encode(CompatWelcome, { room_id, invite_id, nonce: rng.bytes(24), sealed: rng.bytes(48) });
    return encode(SendWelcome, { req_id: this.x.reqId(), room_id, invite_id, payload });
  }

  /** A `SubmitConfirm` for `inv`. */
  confirmRequest(inv: IssuedInvite): Bytes {
    const { rng } = this.x;
    const room_id = this.roomId;
    const invite_id = inv.inviteId;
    const payload = this.hardened
      ? encode(JoinConfirm, { room_id, invite_id, epoch: this.epoch + 1, welcome_hash: rng.bytes(32), confirm_mac: rng.bytes(32), signature: rng.bytes(3309) })
      : encode(CompatConfirm, { room_id, invite_id, nonce: rng.bytes(24), sealed: rng.bytes(80) });
    return encode(SubmitConfirm, { req_id: this.x.reqId(), room_id, invite_id, payload });
  }

  /** A hardened commit of the next epoch, as the owner signs it (not posted). */
  commitBytes(reason: 'add' | 'remove' | 'rotate', extra: { adds?: MemberRecord[]; removes?: Bytes[]; inviteId?: Bytes; heads?: EpochHead[]; epoch?: number; signer?: Identity } = {}): { bytes: Bytes; roster: MemberRecord[] } {
    const b = buildCommit(this.x.crypto, this.x.rng, {
      roomId: this.roomId,
      epoch: extra.epoch ?? this.epoch + 1,
      prevEpochHash: this.epochHash,
      reason,
      inviteId: extra.inviteId ?? ZERO_HASH,
      adds: extra.adds ?? [],
      removes: extra.removes ?? [],
      roster: this.roster,
      heads: extra.heads ?? [],
      owner: extra.signer ?? this.owner.id,
    });
    this.lastBuilt = { bytes: b.commit.bytes, roster: [...b.roster] };
    return this.lastBuilt;
  }

  /** The request that adds the claimant `who` of `inv`: a commit (hardened) or an `AddMember` (compat). */
  addRequest(who: Identity, inv: IssuedInvite): { bytes: Bytes; commit?: { bytes: Bytes; roster: MemberRecord[] } } {
    if (!this.hardened) {
      const a = buildCompatMemberAdd(this.x.crypto, this.x.rng, { roomId: this.roomId, member: { identity_pk: who.publicKey, kem_pk: newestKem(who).publicKey, role: 'member' }, owner: this.owner.id });
      return { bytes: encode(AddMember, { req_id: this.x.reqId(), room_id: this.roomId, invite_id: inv.inviteId, payload: a.bytes }) };
    }
    const cert = this.certs.get(toKey(who.fp));
    const commit = this.commitBytes('add', { adds: [{ ...memberRecordOf(who, 'member', this.epoch + 1), ...(cert ? { kem_cert: cert } : {}) }], inviteId: inv.inviteId });
    return { bytes: encode(PostCommit, { req_id: this.x.reqId(), room_id: this.roomId, payload: commit.bytes }), commit };
  }

  /** Records that a commit was appended. */
  advance(commit: { bytes: Bytes; roster: MemberRecord[] } | undefined): void {
    this.entries++;
    if (!commit) return;
    this.epoch++;
    this.epochHash = epochHash(this.x.crypto, commit.bytes);
    this.roster = commit.roster;
  }

  /** Posts a commit (hardened) and records it. */
  async postCommit(commit: { bytes: Bytes; roster: MemberRecord[] }): Promise<number> {
    const index = acked(await this.owner.peer.request(encode(PostCommit, { req_id: this.x.reqId(), room_id: this.roomId, payload: commit.bytes })), 'PostCommit');
    this.advance(commit);
    return index;
  }

  /** Adds the claimant `who` of `inv`. */
  async add(who: Identity, inv: IssuedInvite): Promise<number> {
    const r = this.addRequest(who, inv);
    const index = acked(await this.owner.peer.request(r.bytes), this.hardened ? 'PostCommit(add)' : 'AddMember');
    this.advance(r.commit);
    return index;
  }

  /** A new principal that joins and is added. */
  async member(): Promise<Principal> {
    const p = await Room.principal(this.x);
    const inv = await this.invite();
    await this.join(p, inv);
    await this.add(p.id, inv);
    return p;
  }

  /** The request that removes `who`: a remove commit counting `sent` of its messages (hardened), or a `RemoveMember` (compat). */
  removeRequest(who: Identity, sent = 0, lastEpoch = this.epoch): { bytes: Bytes; commit?: { bytes: Bytes; roster: MemberRecord[] } } {
    if (!this.hardened) return { bytes: encode(RemoveMember, { req_id: this.x.reqId(), room_id: this.roomId, member_id: who.fp }) };
    const commit = this.commitBytes('remove', { removes: [who.fp], heads: sent > 0 ? [{ member_id: who.fp, next_seq: sent, last_epoch: lastEpoch }] : [] });
    return { bytes: encode(PostCommit, { req_id: this.x.reqId(), room_id: this.roomId, payload: commit.bytes }), commit };
  }

  /** Removes `who`. */
  async remove(who: Identity, sent = 0, lastEpoch = this.epoch): Promise<void> {
    const r = this.removeRequest(who, sent, lastEpoch);
    acked(await this.owner.peer.request(r.bytes), this.hardened ? 'PostCommit(remove)' : 'RemoveMember');
    if (r.commit) this.advance(r.commit);
  }

  /** The request that rotates: a rotate commit (hardened) or a `Rotate` (compat). */
  rotateRequest(): { bytes: Bytes; commit?: { bytes: Bytes; roster: MemberRecord[] } } {
    const { rng } = this.x;
    if (!this.hardened) return { bytes: encode(Rotate, { req_id: this.x.reqId(), room_id: this.roomId, payload: encode(CompatRotation, { room_id: this.roomId, sender: this.owner.id.fp, nonce: rng.bytes(24), ciphertext: rng.bytes(48) }) }) };
    const commit = this.commitBytes('rotate');
    return { bytes: encode(PostCommit, { req_id: this.x.reqId(), room_id: this.roomId, payload: commit.bytes }), commit };
  }

  /** A `Send` by `who` (its application message's fields are opaque to the relay except sender, epoch and seq). */
  sendRequest(who: Identity, o: { seq?: number; epoch?: number; sender?: Bytes; reqId?: number } = {}): Bytes {
    const { rng } = this.x;
    const room_id = this.roomId;
    const payload = this.hardened
      ? encode(AppMessage, { room_id, epoch: o.epoch ?? this.epoch, sender: o.sender ?? who.fp, seq: o.seq ?? 0, prev_epoch: (o.seq ?? 0) === 0 ? NO_EPOCH : (o.epoch ?? this.epoch), nonce: rng.bytes(24), ciphertext: rng.bytes(40), signature: rng.bytes(3309) })
      : encode(CompatChat, { room_id, sender: o.sender ?? who.fp, nonce: rng.bytes(24), ciphertext: rng.bytes(40) });
    return encode(Send, { req_id: o.reqId ?? this.x.reqId(), room_id, payload });
  }

  /** Sends and returns the log index acknowledged. */
  async send(who: Principal, o: { seq?: number; epoch?: number } = {}): Promise<number> {
    const index = acked(await who.peer.request(this.sendRequest(who.id, o)), 'Send');
    this.entries++;
    return index;
  }

  historyRequest(from = 1, limit = 256): Bytes {
    return encode(FetchHistory, { req_id: this.x.reqId(), room_id: this.roomId, from_index: from, limit });
  }

  rosterRequest(): Bytes {
    return encode(GetRoster, { req_id: this.x.reqId(), room_id: this.roomId });
  }
}

function toKey(b: Bytes): string {
  return Buffer.from(b).toString('hex');
}
