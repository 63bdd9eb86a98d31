/**
 * Member key updates (spec 5.5.1, 6.11, 7.12, 8.4, hardened only): a member's fresh ML-KEM key
 * for one room, signed with context `key update`; the checks the relay, the owner and members
 * make of it; and the policy that says when a member makes one.
 */
import { equalBytes, toHex, type Bytes } from '../bytes.ts';
import { encode } from '../codec.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { check, checkTogether, type ReqId } from '../errors.ts';
import { enforced } from '../mutants.ts';
import { KemCert, KeyUpdate, type Commit, type MemberRecord } from '../messages/index.ts';
import type { Rng } from '../rng.ts';
import { KEM_SEED_BYTES } from '../suite.ts';
import { makeKemKey, newestKem, requireSigned, signStruct, verifyKemCert, type Identity, type KemKey } from './identity.ts';
import type { Encoded } from './join.ts';

/** A key update a member made, with the key pair it certifies. */
export interface MadeKeyUpdate {
  /** The signed update and its encoding. */
  readonly update: Encoded<KeyUpdate>;
  /** The new ML-KEM key pair (version: one more than the identity's newest). */
  readonly kem: KemKey;
  /** The identity with the new key appended (REQ-MEM-051: kept before the update leaves). */
  readonly identity: Identity;
}

/**
 * REQ-MEM-051: a fresh ML-KEM key pair of the next version, its certificate, and the
 * `KeyUpdate` binding it to the room and the member's current epoch, signed with context `key update`.
 */
export function makeKeyUpdate(c: CryptoProvider, rng: Rng, me: Identity, roomId: Bytes, epoch: number, urgent: boolean): MadeKeyUpdate {
  const kem = makeKemKey(c, rng, me, newestKem(me).version + 1, rng.bytes(KEM_SEED_BYTES));
  const value = signStruct(
    c,
    rng,
    KeyUpdate,
    { room_id: roomId, epoch, member_id: me.fp, kem_cert: kem.cert, urgent: urgent ? 1 : 0 },
    'key update',
    me.secretKey,
  );
  return { update: { value, bytes: encode(KeyUpdate, value) }, kem, identity: { ...me, kemKeys: [...me.kemKeys, kem] } };
}

/** What a party holds to judge an update: the room, its current epoch and roster. */
export interface UpdateView {
  /** The room. */
  readonly roomId: Bytes;
  /** The current epoch. */
  readonly epoch: number;
  /** The current roster. */
  readonly roster: readonly MemberRecord[];
}

/** The requirement ids each check of an update reports (the owner and the relay cite different ones). */
export interface UpdateCheckIds {
  /** Room binding: the room and an epoch that exists. */
  readonly room: ReqId;
  /** A current member (not the owner) and its signature. */
  readonly member: ReqId;
  /** A valid certificate of a version newer than the record's and any pending one. */
  readonly fresh: ReqId;
}

/** The owner's requirement ids (spec 6.11). */
export const OWNER_UPDATE_CHECKS: UpdateCheckIds = { room: 'REQ-OWN-050', member: 'REQ-OWN-051', fresh: 'REQ-OWN-052' };
/** The relay's requirement id (spec 8.4): one for every check. */
export const RELAY_UPDATE_CHECKS: UpdateCheckIds = { room: 'REQ-REL-026', member: 'REQ-REL-026', fresh: 'REQ-REL-026' };

/**
 * Checks a `KeyUpdate` against the current epoch (REQ-OWN-050..052; the relay: REQ-REL-026), in
 * the order of spec 6.11, and returns the member's record with the updated certificate.
 * `newerThan` is the highest version already pending (owner) or accepted (relay) for that member.
 */
export function checkKeyUpdate(c: CryptoProvider, view: UpdateView, u: KeyUpdate, newerThan: number, ids: UpdateCheckIds): MemberRecord {
  // REQ-OWN-050: bound to this room and to an epoch that exists (its mutant takes an update of any room or epoch)
  if (enforced(ids.room)) {
    check(equalBytes(u.room_id, view.roomId), ids.room, 'key update is for another room');
    check(u.epoch <= view.epoch, ids.room, `key update of epoch ${u.epoch}, beyond the current epoch ${view.epoch}`);
  }
  // REQ-OWN-051: a current member with role member, and its signature (its mutant skips the signature)
  const record = view.roster.find((r) => equalBytes(r.member_id, u.member_id));
  check(record !== undefined, ids.member, 'key update from a member not in the roster');
  check(record.role === 'member', ids.member, 'the owner does not update its key in a room');
  if (enforced(ids.member)) requireSigned(c, KeyUpdate, u, 'key update', record.identity_pk, ids.member, 'KeyUpdate');
  // REQ-OWN-052: a valid certificate, newer than the record's and than any pending update (its mutant takes an older version)
  check(equalBytes(u.kem_cert.member_id, u.member_id), ids.fresh, 'KeyUpdate.kem_cert is for another member');
  verifyKemCert(c, u.kem_cert, record.identity_pk, ids.fresh);
  const floor = Math.max(record.kem_cert.version, newerThan);
  if (enforced(ids.fresh)) check(u.kem_cert.version > floor, ids.fresh, `stale key update: version ${u.kem_cert.version}, not above ${floor}`);
  return { ...record, kem_cert: u.kem_cert };
}

/**
 * REQ-MEM-053 (members; the relay with REQ-REL-017): the `adds` of a rotate commit are key
 * updates of current members other than the owner, at most one each, changing only `kem_cert`,
 * to a well-formed certificate of a higher version.
 */
export function checkRotationUpdates(c: CryptoProvider, roster: readonly MemberRecord[], commit: Commit, id: ReqId): void {
  // the mutant of REQ-MEM-053 takes the updates of an owner-signed rotation unchecked (the relay's REQ-REL-017
  // stays); the switch is asked only when an update fails, so a run whose rotations hold never asks it
  checkTogether(id, () => checkEachUpdate(c, roster, commit, id));
}

/** The checks of {@link checkRotationUpdates}, each update in turn; a later check relies on the earlier ones. */
function checkEachUpdate(c: CryptoProvider, roster: readonly MemberRecord[], commit: Commit, id: ReqId): void {
  const seen = new Set<string>();
  for (const a of commit.adds) {
    const key = toHex(a.member_id);
    check(!seen.has(key), id, 'two key updates for one member');
    seen.add(key);
    const cur = roster.find((r) => equalBytes(r.member_id, a.member_id));
    check(cur !== undefined, id, 'key update of a member not in the roster');
    check(cur.role === 'member', id, "key update of the owner's record");
    check(equalBytes(cur.identity_pk, a.identity_pk) && cur.role === a.role && cur.added_epoch === a.added_epoch, id, 'a key update changes more than the certificate');
    check(equalBytes(a.kem_cert.member_id, a.member_id), id, 'updated certificate is for another member');
    verifyKemCert(c, a.kem_cert, a.identity_pk, id);
    check(a.kem_cert.version > cur.kem_cert.version, id, `key update to version ${a.kem_cert.version}, not above ${cur.kem_cert.version}`);
  }
}

/**
 * REQ-MEM-054: a commit that updates this member's own record carries, byte for byte, the
 * certificate of its outstanding update, or of one of its own updates that a later one replaced
 * (`replaced`: the owner may have committed it before the newer one reached it). Returns `true`
 * when it installs the outstanding update, `'replaced'` when it installs a replaced one (the newer
 * stays outstanding), `false` when it updates no record of this member.
 */
export function checkOwnUpdate(commit: Commit, me: Bytes, outstanding: KeyUpdate | undefined, replaced: readonly KemCert[] = []): boolean | 'replaced' {
  if (commit.reason !== 'rotate') return false;
  const mine = commit.adds.find((a) => equalBytes(a.member_id, me));
  if (mine === undefined) return false;
  const cert = encodeCert(mine.kem_cert);
  const isOutstanding = outstanding !== undefined && equalBytes(cert, encodeCert(outstanding.kem_cert));
  if (isOutstanding) return true;
  if (replaced.some((r) => equalBytes(cert, encodeCert(r)))) return 'replaced';
  // the mutant of REQ-MEM-054 takes whatever certificate the owner committed for this member
  if (!enforced('REQ-MEM-054')) return false;
  check(outstanding !== undefined || replaced.length > 0, 'REQ-MEM-054', 'the commit updates this member, which has no update outstanding');
  check(false, 'REQ-MEM-054', 'the commit installs a key this member did not make');
  return false;
}

function encodeCert(cert: KemCert): Bytes {
  return encode(KemCert, cert);
}

/** The key update policy of a room (REQ-MEM-052). */
export interface UpdatePolicy {
  /** Epochs after which a member's key is due for an update (default 4). */
  readonly epochs: number;
  /** Time after which it is due, in milliseconds (default 24 hours). */
  readonly ms: number;
}

/** REQ-MEM-052's defaults: every 4 epochs or 24 hours. */
export const DEFAULT_UPDATE_POLICY: UpdatePolicy = { epochs: 4, ms: 24 * 60 * 60 * 1000 };
/** REQ-OWN-053: a pending update that is not urgent is committed by a rotation of its own after this delay (1 hour). */
export const UPDATE_COMMIT_DELAY_MS = 60 * 60 * 1000;

/** What a member knows about its own key in a room, for the policy. */
export interface KeyAge {
  /** The epoch whose commit installed the member's current key (its add or its last update). */
  readonly committedEpoch: number;
  /** When (the member's clock) it saw that commit. */
  readonly committedAt: number;
  /** The member's current epoch. */
  readonly epoch: number;
  /** Now, by the member's clock. */
  readonly now: number;
  /** The epoch at which its outstanding update was sent, if one is outstanding. */
  readonly outstandingSince?: number;
  /** Whether the outstanding update is urgent. */
  readonly outstandingUrgent?: boolean;
  /** An alarm suggesting compromise was raised, or the user asked, since the key was committed. */
  readonly alarm: boolean;
}

/**
 * REQ-MEM-052: whether a member makes an update now, and whether it is urgent. An outstanding
 * update blocks a new one until `policy.epochs` epochs have passed without its commit
 * (REQ-MEM-051), except that an alarm replaces an outstanding update that is not urgent.
 */
export function updateDue(policy: UpdatePolicy, k: KeyAge): { readonly due: boolean; readonly urgent: boolean } {
  const waiting = k.outstandingSince !== undefined && k.epoch - k.outstandingSince < policy.epochs;
  // an alarm does not wait for the policy, nor for an outstanding update that is not urgent
  if (k.alarm && !(waiting && k.outstandingUrgent === true)) return { due: true, urgent: true };
  if (waiting) return { due: false, urgent: false };
  // the mutant of REQ-MEM-052 makes no routine update: only an alarm or the user's asking makes one
  const due = enforced('REQ-MEM-052') && (k.epoch - k.committedEpoch >= policy.epochs || k.now - k.committedAt >= policy.ms);
  return { due, urgent: false };
}
