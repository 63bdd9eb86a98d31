/**
 * Attacks on invites and joins (spec 11.4: ATK-01, ATK-01b, ATK-02, ATK-03, ATK-04): a join request
 * for an invite never issued, an invite claimed by the relay, racing joins, a substituted ML-KEM
 * key, a forged welcome.
 */
import { equalBytes, toHex } from '../../impl/bytes.ts';
import { decode, encode } from '../../impl/codec.ts';
import { epochHash, fingerprint, inviteId, simSeed } from '../../impl/keyschedule.ts';
import { JoinRequest, MailboxDelivery, PostInvite, SendWelcome, SubmitJoin, type Invite, type MemberRecord } from '../../impl/messages/index.ts';
import { buildCommit, ZERO_HASH } from '../../impl/protocol/commit.ts';
import { buildCompatJoinRequest } from '../../impl/protocol/compat.ts';
import { memberRecordOf, newestKem, type Identity } from '../../impl/protocol/identity.ts';
import { buildJoinRequest, buildWelcome } from '../../impl/protocol/join.ts';
import { deterministicRng, type Rng } from '../../impl/rng.ts';
import type { OwnerContext } from '../../machines/owner.ts';
import { messageLabel } from '../../simulator/message-label.ts';
import type { World } from '../../simulator/world.ts';
import type { Knowledge } from '../knowledge.ts';
import type { MaliciousRelay } from '../relay.ts';
import { adversaryIdentity, type Attack } from './attack.ts';

/** Attacks on invites and joins. */
export const JOIN_ATTACKS: readonly Attack[] = [
  {
    id: 'ATK-01',
    title: 'the relay injects a join request for an invite id the owner never issued',
    weakness: 'W1',
    props: ['PROP-01', 'PROP-16'],
    plan: () => [],
    injectJoin: true,
  },
  {
    id: 'ATK-01b',
    title: 'invite burning: the relay claims an invite id the owner issued with a join request of its own (a guessed token) before its invitee uses it',
    weakness: 'W1',
    props: ['PROP-01', 'PROP-16'],
    plan: () => [],
    // the invite's token keys the welcome in both profiles, so a claim without it gets nothing
    // but a burnt invite (denial of service, spec 11.3)
    compat: 'blocked',
    claimInvite: true,
    // an owner that admitted the claim (mutant no-token-mac) publishes its add commit once the
    // join times out (REQ-OWN-021): the adversary's key is then in the roster, though it never
    // learns an epoch secret (PROP-16's oracle judges the admission)
    joinTimeoutMs: 3_000,
  },
  {
    id: 'ATK-04',
    title: "the relay, holding a leaked invite token, answers a join with a welcome into a room of its own",
    weakness: '-',
    props: ['PROP-07'],
    compat: 'blocked',
    plan: () => [],
    lateJoin: true,
    forgeWelcome: true,
  },
  {
    id: 'ATK-02',
    title: 'racing joins: two invitees present the same token and the relay lets both requests reach the owner',
    weakness: 'W11',
    props: ['PROP-16'],
    plan: (p) => [{ cap: 'CAP-02', op: 'drop', match: { dir: 'up', client: 'erin', msg: p === 'hardened' ? 'SubmitJoin(JoinRequest)' : 'SubmitJoin(CompatJoinRequest)' } }],
    lateJoin: true,
    raceJoin: true,
  },
  {
    id: 'ATK-02b',
    title: "a join request held back from the owner until its invite has expired: the relay takes it in time, then delays the owner's mailbox",
    weakness: 'W11',
    props: ['PROP-29'],
    compat: 'blocked', // compat invites carry no expiry (W11): PROP-29 has nothing to judge there
    // invites live 4 s; every mailbox frame to the owner (push and poll) comes 6 s late
    plan: (p) => [
      { cap: 'CAP-03', op: 'delay', match: { dir: 'down', client: 'owner', msg: p === 'hardened' ? 'MailboxDelivery(JoinRequest)' : 'MailboxDelivery(CompatJoinRequest)' }, ms: 6_000 },
      { cap: 'CAP-03', op: 'delay', match: { dir: 'down', client: 'owner', msg: 'MailboxChunk' }, ms: 6_000 },
    ],
    lateJoin: true,
    lateJoinMayFail: true,
    inviteLifetimeMs: 4_000,
  },
  {
    id: 'ATK-02c',
    title: 'a welcome held back from the invitee until its invite has expired: the owner admitted it in time, the relay delays the invitee\'s mailbox',
    weakness: 'W11',
    props: ['PROP-29'],
    compat: 'blocked', // compat invites carry no expiry (W11): PROP-29 has nothing to judge there
    plan: () => [
      { cap: 'CAP-03', op: 'delay', match: { dir: 'down', client: 'dave', msg: 'MailboxDelivery' }, ms: 6_000 },
      { cap: 'CAP-03', op: 'delay', match: { dir: 'down', client: 'dave', msg: 'MailboxChunk' }, ms: 6_000 },
    ],
    lateJoin: true,
    lateJoinMayFail: true,
    inviteLifetimeMs: 4_000,
  },
  {
    id: 'ATK-02d',
    title: 'an invite used after its expiry: it reached the invitee late (the relay only watches)',
    weakness: 'W11',
    props: ['PROP-29'],
    compat: 'blocked', // compat invites carry no expiry (W11): PROP-29 has nothing to judge there
    plan: () => [],
    lateJoin: true,
    lateJoinMayFail: 6_000,
    inviteLifetimeMs: 4_000,
  },
  {
    id: 'ATK-02e',
    title: 'a join request held back on its way to the relay until its invite has expired (the invitee sent it in time)',
    weakness: 'W11',
    props: ['PROP-29'],
    compat: 'blocked', // compat invites carry no expiry (W11): PROP-29 has nothing to judge there
    plan: () => [{ cap: 'CAP-03', op: 'delay', match: { dir: 'up', client: 'dave', msg: 'SubmitJoin' }, ms: 6_000 }],
    lateJoin: true,
    lateJoinMayFail: 3_000,
    inviteLifetimeMs: 4_000,
  },
  {
    id: 'ATK-03',
    title: "key substitution: the relay puts its own ML-KEM key into an invitee's join request",
    weakness: '-',
    props: ['PROP-07'],
    plan: () => [],
    lateJoin: true,
    substituteJoinKem: 'dave',
  },
];


/**
 * CAP-17 and CAP-06 (hardened): with the invite token leaked, the relay answers the invitee's
 * join request itself: a welcome into a room whose owner is the adversary, for which it signs
 * everything. Only the invite's owner fingerprint (REQ-INV-012) tells it from the real one.
 */
export function forgeWelcome(world: World, relay: MaliciousRelay, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary welcome', 0), c.hmacSha256);
  const fake = adversaryIdentity(c, seed);
  let done = false;
  relay.watch((o) => {
    if (done || o.dir !== 'up' || !messageLabel(o.bytes).startsWith('SubmitJoin(JoinRequest)')) return;
    done = true;
    const submit = decode(SubmitJoin, o.bytes);
    const req = decode(JoinRequest, submit.payload);
    const invite = world.invites().find((i) => equalBytes(inviteId(c, i.token), req.invite_id));
    if (!invite) return;
    const joiner: MemberRecord = { member_id: fingerprint(c, req.identity_pk), identity_pk: req.identity_pk, kem_cert: req.kem_cert, role: 'member', added_epoch: 1 };
    const genesis = buildCommit(c, rng, { roomId: req.room_id, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(fake, 'owner', 0)], removes: [], roster: [], heads: [], owner: fake });
    const add = buildCommit(c, rng, { roomId: req.room_id, epoch: 1, prevEpochHash: epochHash(c, genesis.commit.bytes), reason: 'add', inviteId: req.invite_id, adds: [joiner], removes: [], roster: genesis.roster, heads: [], owner: fake });
    const groupInfo = { epoch_secret: rng.bytes(32), commit: add.commit.value, roster: [...add.roster] };
    const welcome = buildWelcome(c, rng, { joinRequest: { value: req, bytes: submit.payload }, token: invite.token, groupInfo, owner: fake });
    const to = o.client;
    relay.later(() => relay.inject(to, encode(MailboxDelivery, { entry: { index: 1_000_000, room_id: req.room_id, invite_id: req.invite_id, payload: welcome.bytes } })));
  });
}

/** See {@link Attack.raceJoin}. */
export function raceJoin(world: World, relay: MaliciousRelay): void {
  let invite: Uint8Array | undefined; // the raced invite's id
  let injected = 1_000_000;
  const toMailbox = (client: string, roomId: Uint8Array, inviteId: Uint8Array, payload: Uint8Array): void => {
    relay.later(() => relay.inject(client, encode(MailboxDelivery, { entry: { index: injected++, room_id: roomId, invite_id: inviteId, payload } })));
  };
  const joinedWith = new Set<string>();
  relay.watch((o) => {
    if (o.dir !== 'up') return;
    const label = messageLabel(o.bytes);
    if (o.client === 'dave' && label.startsWith('SubmitJoin') && !invite) {
      // the same invite reaches a second person, who uses it at once
      const id = decode(SubmitJoin, o.bytes).invite_id;
      const inv = world.invites().find((i) => equalBytes(inviteId(world.options.crypto, i.token), id));
      if (!inv) return;
      invite = id;
      relay.later(() => world.user('erin', { type: 'user.join', invite: inv }));
    } else if (o.client === 'erin' && label.startsWith('SubmitJoin')) {
      // CAP-12: the request the relay would refuse (the invite is claimed) goes to the owner anyway
      const req = decode(SubmitJoin, o.bytes);
      if (joinedWith.has(toHex(req.payload))) return;
      joinedWith.add(toHex(req.payload));
      toMailbox('owner', req.room_id, req.invite_id, req.payload);
    } else if (o.client === 'owner' && label.startsWith('SendWelcome') && invite) {
      // every welcome for the invite reaches the second invitee too
      const w = decode(SendWelcome, o.bytes);
      if (equalBytes(w.invite_id, invite)) toMailbox('erin', w.room_id, w.invite_id, w.payload);
    }
  });
}

/** See {@link Attack.substituteJoinKem}. */
export function substituteJoinKem(world: World, k: Knowledge, relay: MaliciousRelay, of: string, seed: number): void {
  const kem = newestKem(adversaryIdentity(world.options.crypto, seed));
  k.addKemSecret(kem.secretKey);
  const hardened = world.options.profile === 'hardened';
  relay.addStep({
    cap: 'CAP-08',
    op: 'mutate',
    match: { dir: 'up', client: of, msg: hardened ? 'SubmitJoin(JoinRequest)' : 'SubmitJoin(CompatJoinRequest)' },
    path: hardened ? 'payload.kem_cert.kem_pk' : 'payload.kem_pk',
    mutation: { op: 'set', value: { hex: toHex(kem.publicKey) } },
  });
}

/**
 * A join request the adversary makes with its own keys for `invite` (whose token it may not
 * hold), filed under invite id `id`; in compat the knowledge learns the connection key it sets up.
 */
function adversaryJoinRequest(world: World, k: Knowledge, rng: Rng, me: Identity, invite: Invite, id: Uint8Array): Uint8Array {
  const c = world.options.crypto;
  if (world.options.profile === 'hardened') return buildJoinRequest(c, rng, invite, me, id).bytes;
  const r = buildCompatJoinRequest(c, rng, { invite, inviteId: id, identity: me, ownerKemPk: newestKem(world.clients.get('owner')!.identity).publicKey });
  k.addConnectionKey(r.connectionKey);
  return r.request.bytes;
}

/** CAP-06 (W1): a join request for an invite id the owner never issued, put into the owner's mailbox. */
export function injectJoin(world: World, k: Knowledge, relay: MaliciousRelay, seed: number): void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary join', 0), c.hmacSha256);
  const me = adversaryIdentity(c, seed);
  k.addKemSecret(newestKem(me).secretKey);
  const owner = world.clients.get('owner')!;
  const roomId = (owner.snapshot.context as OwnerContext).roomId!;
  const token = rng.bytes(32);
  const fake: Invite = { profile: world.options.profile, room_id: roomId, owner_fp: owner.identity.fp, token, expires_at: 0, relay: '' };
  const id = inviteId(c, token);
  const payload = adversaryJoinRequest(world, k, rng, me, fake, id);
  // a mailbox index far above any real one, so that the owner's real mail keeps its numbers
  relay.inject('owner', encode(MailboxDelivery, { entry: { index: 1_000_000, room_id: roomId, invite_id: id, payload } }));
}

/** See {@link Attack.claimInvite}. */
export function claimInvite(world: World, k: Knowledge, relay: MaliciousRelay, seed: number): () => void {
  const c = world.options.crypto;
  const rng = deterministicRng(simSeed(c, seed, 'adversary claim', 0), c.hmacSha256);
  const me = adversaryIdentity(c, seed);
  k.addKemSecret(newestKem(me).secretKey);
  let armed = false;
  relay.watch((o) => {
    // the invite the owner issues after the first round of chat (the earlier ones were redeemed)
    if (!armed || o.dir !== 'up' || o.client !== 'owner' || !messageLabel(o.bytes).startsWith('PostInvite')) return;
    armed = false;
    // CAP-15: the invite id is public; the token is not, so the adversary's is a guess
    const inv = decode(PostInvite, o.bytes);
    const owner = world.clients.get('owner')!;
    const guess: Invite = { profile: world.options.profile, room_id: inv.room_id, owner_fp: owner.identity.fp, token: rng.bytes(32), expires_at: inv.expires_at, relay: '' };
    const payload = adversaryJoinRequest(world, k, rng, me, guess, inv.invite_id);
    relay.later(() => relay.post(me.fp, encode(SubmitJoin, { req_id: 0x7e000000, room_id: inv.room_id, invite_id: inv.invite_id, payload })));
  });
  return () => {
    armed = true;
    world.user('owner', { type: 'user.invite' });
    // the owner answers the claim (a rejection, or an admission once the join timed out) before the chat goes on
    const owner = world.clients.get('owner')!;
    const admitted = owner.statuses.filter((x) => x.status.kind === 'admitted').length;
    const raised = world.raised.length;
    world.runUntilTrue(() => owner.statuses.filter((x) => x.status.kind === 'admitted').length > admitted || world.raised.slice(raised).some((x) => x.party === 'owner'), 30_000);
  };
}
