/**
 * Vector kinds for the key schedule (spec 5) and for a complete, deterministic hardened and
 * compat handshake (spec 6, 7) whose messages another implementation can check.
 */
import { fromHex as b, toHex as h, utf8, type Bytes } from '../../impl/bytes.ts';
import { decode, type Json } from '../../impl/codec.ts';
import { nobleCrypto as c } from '../../impl/crypto/noble.ts';
import { createInvite, inviteFromText, inviteToText } from '../../impl/invite.ts';
import {
  commitContextHash,
  compatConnectionKey,
  compatLoginKey,
  compatVaultKey,
  compatWelcomeKey,
  confirmKey,
  epochHash,
  epochKeys,
  epochSecret,
  fakeLoginVerifier,
  fingerprint,
  INITIAL_INIT_SECRET,
  joinMacKey,
  loginClientConfirm,
  loginKey,
  loginServerConfirm,
  loginSessionKey,
  loginTranscriptHash,
  openCommitEntry,
  sealCommitEntry,
  simSeed,
  transportKeys,
  transportRekey,
  vaultKey,
  welcomeKey,
} from '../../impl/keyschedule.ts';
import { AppMessage, Commit, CompatChat, CompatJoinRequest, CompatWelcome, JoinConfirm, JoinRequest, Welcome } from '../../impl/messages/index.ts';
import { openAppMessage, sealAppMessage } from '../../impl/protocol/app.ts';
import { buildCommit, checkCommitSuccessor, checkGenesis, MEMBER_COMMIT_CHECKS, openCommit, ownerEpochKeys, ZERO_HASH } from '../../impl/protocol/commit.ts';
import { buildCompatJoinRequest, compatAnswerJoin, compatOpenWelcome, openCompatSealed, sealCompatChat } from '../../impl/protocol/compat.ts';
import { createIdentity, identityFromSeeds, memberRecordOf, newestKem, type Identity } from '../../impl/protocol/identity.ts';
import { makeKeyUpdate } from '../../impl/protocol/key-update.ts';
import { buildJoinConfirm, buildJoinRequest, buildWelcome, openWelcome, verifyJoinConfirm, verifyJoinRequest } from '../../impl/protocol/join.ts';
import { deterministicRng } from '../../impl/rng.ts';
import { NO_EPOCH } from '../../impl/suite.ts';
import { expectEqual, str, type VectorKind } from './kind.ts';

type Case = Record<string, Json>;

/** Each derivation of spec 5, recomputed from its inputs. */
const DERIVATIONS: Readonly<Record<string, (i: Readonly<Record<string, Json>>) => Record<string, Json>>> = {
  epochs(i) {
    let init: Bytes = INITIAL_INIT_SECRET;
    return {
      epochs: (i.epochs as Case[]).map((e) => {
        const es = epochSecret(c, init, b(e.commit_secret as string));
        const keys = epochKeys(c, es, { suite: 1, room_id: b(i.room_id as string), epoch: e.epoch as number, epoch_hash: b(e.epoch_hash as string), roster_hash: b(e.roster_hash as string) });
        init = keys.initSecret;
        return { epoch_secret: h(keys.epochSecret), init_secret: h(keys.initSecret), app_key: h(keys.appKey) };
      }),
    };
  },
  'commit-entry'(i) {
    const ctx = commitContextHash(c, b(i.room_id as string), i.epoch as number, b(i.prev_epoch_hash as string), b(i.roster_hash as string));
    const kp = c.kemKeygen(b(i.kem_seed as string));
    const fixedRng = { bytes: () => b(i.m as string) };
    const entry = sealCommitEntry(c, fixedRng, ctx, b(i.member_id as string), i.kem_version as number, kp.publicKey, b(i.commit_secret as string));
    return { commit_ctx: h(ctx), kem_ct: h(entry.kem_ct), sealed: h(entry.sealed), opened: h(openCommitEntry(c, ctx, entry, kp.secretKey)) };
  },
  join(i) {
    const [token, room, ss] = [b(i.token as string), b(i.room_id as string), b(i.ss as string)];
    return {
      join_mac_key: h(joinMacKey(c, token, room)),
      welcome_key: h(welcomeKey(c, token, ss, b(i.join_hash as string))),
      confirm_key: h(confirmKey(c, b(i.epoch_secret as string), b(i.welcome_hash as string))),
    };
  },
  transport(i) {
    const keys = transportKeys(c, b(i.th as string), b(i.ss as string));
    const re = transportRekey(c, keys, b(i.th as string), b(i.session_key as string));
    return { transport_secret: h(keys.secret), c2r_key: h(keys.c2r), r2c_key: h(keys.r2c), rekeyed_c2r_key: h(re.c2r), rekeyed_r2c_key: h(re.r2c) };
  },
  login(i) {
    const [ss1, ss2] = [b(i.ss1 as string), b(i.ss2 as string)];
    const h2 = loginTranscriptHash(c, b(i.t1_and_c2 as string));
    const k = loginKey(c, h2, ss1, ss2);
    const cc = loginClientConfirm(c, k, h2);
    const h3 = loginTranscriptHash(c, b(((i.t1_and_c2 as string) + h(cc)) as string));
    const fake = fakeLoginVerifier(c, b(i.server_secret as string), i.username as string);
    return {
      compat_k: h(compatLoginKey(c, ss1, ss2)),
      h2: h(h2),
      k: h(k),
      client_confirm: h(cc),
      server_confirm: h(loginServerConfirm(c, k, h3, i.expires_at as number)),
      session_key: h(loginSessionKey(c, k, h3)),
      fake_salt: h(fake.salt),
      fake_seed: h(fake.seed),
    };
  },
  vault(i) {
    return {
      vault_key: h(vaultKey(c, b(i.password_hash as string), i.user_id as string)),
      compat_vault_key: h(compatVaultKey(c, utf8(i.password as string))),
    };
  },
  compat(i) {
    const ck = compatConnectionKey(c, b(i.ss as string));
    return { connection_key: h(ck), welcome_key: h(compatWelcomeKey(c, ck, b(i.token as string))), welcome_key_empty_token: h(compatWelcomeKey(c, ck, new Uint8Array(0))) };
  },
  'sim-seed'(i) {
    return { seed: h(simSeed(c, i.run_seed as number, i.party as string, i.restart as number)) };
  },
  // spec 5.5.1 (REQ-MEM-051, REQ-KS-007): a member's key update, and the commit entry the next rotation seals to its new key
  'key-update'(i) {
    const kp = c.sigKeygen(b(i.identity_seed as string));
    const me = { seed: b(i.identity_seed as string), publicKey: kp.publicKey, secretKey: kp.secretKey, fp: fingerprint(c, kp.publicKey), kemKeys: [{ version: i.old_kem_version as number }] } as unknown as Identity;
    const draws = [b(i.kem_seed as string), b(i.cert_rnd as string), b(i.update_rnd as string)];
    const made = makeKeyUpdate(c, { bytes: () => draws.shift()! }, me, b(i.room_id as string), i.epoch as number, i.urgent === 1);
    const e = i.commit_epoch as number;
    const ctx = commitContextHash(c, b(i.room_id as string), e, b(i.prev_epoch_hash as string), b(i.roster_hash as string));
    const entry = sealCommitEntry(c, { bytes: () => b(i.m as string) }, ctx, me.fp, made.kem.version, made.kem.publicKey, b(i.commit_secret as string));
    const opened = openCommitEntry(c, ctx, entry, made.kem.secretKey);
    return {
      key_update: h(made.update.bytes),
      kem_version: made.kem.version,
      kem_ct: h(entry.kem_ct),
      sealed: h(entry.sealed),
      epoch_secret: h(epochSecret(c, b(i.prev_init_secret as string), opened)),
    };
  },
};

/** The key schedule of spec 5, derivation by derivation, across several epochs. */
export const keyScheduleKind: VectorKind = {
  kind: 'key-schedule',
  file: 'key-schedule.json',
  description:
    'The key schedule of spec 5: five chained epochs (epoch, init and app secrets), commit secret entries, join, welcome and confirm keys, transport and rekeyed transport keys, both logins, vault keys, compat keys and simulator seeds (REQ-KS-001..007); last, a member key update and the commit entry sealed to its new key (spec 5.5.1).',
  generate() {
    const rng = deterministicRng(utf8('vectors key schedule'));
    const inputs: [string, Case][] = [
      ['epochs', { room_id: h(rng.bytes(16)), epochs: [0, 1, 2, 3, 4].map((epoch) => ({ epoch, commit_secret: h(rng.bytes(32)), epoch_hash: h(rng.bytes(32)), roster_hash: h(rng.bytes(32)) })) }],
      ['commit-entry', { room_id: h(rng.bytes(16)), epoch: 7, prev_epoch_hash: h(rng.bytes(32)), roster_hash: h(rng.bytes(32)), member_id: h(rng.bytes(32)), kem_version: 2, kem_seed: h(rng.bytes(64)), m: h(rng.bytes(32)), commit_secret: h(rng.bytes(32)) }],
      ['join', { token: h(rng.bytes(32)), room_id: h(rng.bytes(16)), ss: h(rng.bytes(32)), join_hash: h(rng.bytes(32)), epoch_secret: h(rng.bytes(32)), welcome_hash: h(rng.bytes(32)) }],
      ['transport', { th: h(rng.bytes(32)), ss: h(rng.bytes(32)), session_key: h(rng.bytes(32)) }],
      ['login', { ss1: h(rng.bytes(32)), ss2: h(rng.bytes(32)), t1_and_c2: h(rng.bytes(200)), server_secret: h(rng.bytes(32)), username: 'alice', expires_at: 1_800_000_000_000 }],
      ['vault', { password_hash: h(rng.bytes(32)), user_id: 'alice@example', password: 'correct horse battery staple' }],
      ['compat', { ss: h(rng.bytes(32)), token: h(rng.bytes(32)) }],
      ['sim-seed', { run_seed: 42, party: 'owner', restart: 1 }],
      // added later (issue 28), last, so that the cases above keep their bytes
      ['key-update', { identity_seed: h(rng.bytes(32)), old_kem_version: 3, room_id: h(rng.bytes(16)), epoch: 5, urgent: 0, kem_seed: h(rng.bytes(64)), cert_rnd: h(rng.bytes(32)), update_rnd: h(rng.bytes(32)), commit_epoch: 6, prev_epoch_hash: h(rng.bytes(32)), roster_hash: h(rng.bytes(32)), m: h(rng.bytes(32)), commit_secret: h(rng.bytes(32)), prev_init_secret: h(rng.bytes(32)) }],
    ];
    return inputs.map(([derivation, input]) => ({ id: `ks/${derivation}`, derivation, input, output: DERIVATIONS[derivation]!(input) }));
  },
  verify(v) {
    const f = DERIVATIONS[str(v, 'derivation')];
    if (!f) throw new Error(`unknown derivation ${String(v.derivation)}`);
    expectEqual('output', f(v.input as Case), v.output);
  },
};

/** A complete hardened room run from one seed: every message and key it produces. */
function hardenedRun(seed: string): Case {
  const rng = deterministicRng(utf8(seed));
  const owner = createIdentity(c, rng);
  const bob = createIdentity(c, rng);
  const roomId = rng.bytes(16);
  const genesis = buildCommit(c, rng, { roomId, epoch: 0, prevEpochHash: ZERO_HASH, reason: 'create', inviteId: ZERO_HASH, adds: [memberRecordOf(owner, 'owner', 0)], removes: [], roster: [], heads: [], owner });
  const k0 = ownerEpochKeys(c, genesis, INITIAL_INIT_SECRET);
  const { invite, inviteId } = createInvite(c, rng, { profile: 'hardened', roomId, ownerFp: owner.fp, now: 1_790_000_000_000, lifetimeMs: 604_800_000 });
  const inviteText = inviteToText(c, invite);
  const jr = buildJoinRequest(c, rng, inviteFromText(c, inviteText), bob, inviteId);
  const add = buildCommit(c, rng, { roomId, epoch: 1, prevEpochHash: epochHash(c, genesis.commit.bytes), reason: 'add', inviteId, adds: [{ ...memberRecordOf(bob, 'member', 1), kem_cert: jr.value.kem_cert }], removes: [], roster: genesis.roster, heads: [], owner });
  const k1 = ownerEpochKeys(c, add, k0.initSecret);
  const welcome = buildWelcome(c, rng, { joinRequest: jr, token: invite.token, groupInfo: { epoch_secret: k1.epochSecret, commit: add.commit.value, roster: add.roster }, owner });
  const opened = openWelcome(c, welcome, invite, jr, newestKem(bob).secretKey);
  const confirm = buildJoinConfirm(c, rng, { roomId, inviteId, epoch: 1, epochSecret: opened.groupInfo.epoch_secret, welcomeHash: opened.welcomeHash, identity: bob });
  const msg = sealAppMessage(c, rng, { roomId, epoch: 1, appKey: k1.appKey, seq: 0, prevEpoch: NO_EPOCH, sender: bob, content: { sent_at: 1_790_000_001_000, text: 'hello from bob' } });
  const rotate = buildCommit(c, rng, { roomId, epoch: 2, prevEpochHash: epochHash(c, add.commit.bytes), reason: 'rotate', inviteId: ZERO_HASH, adds: [], removes: [], roster: add.roster, heads: [{ member_id: bob.fp, next_seq: 1, last_epoch: 1 }], owner });
  const k2 = ownerEpochKeys(c, rotate, k1.initSecret);
  return {
    seed,
    owner_identity_pk: h(owner.publicKey),
    member_identity_pk: h(bob.publicKey),
    member_identity_seed: h(bob.seed),
    genesis_commit: h(genesis.commit.bytes),
    invite_text: inviteText,
    invite_token: h(invite.token),
    join_request: h(jr.bytes),
    welcome: h(welcome.bytes),
    member_kem_seed: h(newestKem(bob).seed),
    join_confirm: h(confirm.bytes),
    add_commit: h(add.commit.bytes),
    epoch1_secret: h(k1.epochSecret),
    epoch1_app_key: h(k1.appKey),
    app_message: h(msg.bytes),
    app_message_text: 'hello from bob',
    rotate_commit: h(rotate.commit.bytes),
    epoch2_app_key: h(k2.appKey),
  };
}

/** A compat run: the join with a valid token, a chat, and the W1 leak with an unknown invite id. */
function compatRun(seed: string): Case {
  const rng = deterministicRng(utf8(seed));
  const owner = createIdentity(c, rng);
  const bob = createIdentity(c, rng);
  const roomId = rng.bytes(16);
  const roomKey = rng.bytes(32);
  const { invite, inviteId } = createInvite(c, rng, { profile: 'compat', roomId, ownerFp: owner.fp, now: 0, lifetimeMs: 0 });
  const jr = buildCompatJoinRequest(c, rng, { invite, inviteId, identity: bob, ownerKemPk: newestKem(owner).publicKey });
  const ans = compatAnswerJoin(c, rng, { request: jr.request.value, ownerKemSk: newestKem(owner).secretKey, token: invite.token, roomKey, generation: 0 });
  const chat = sealCompatChat(c, rng, { roomId, sender: bob.fp, roomKey, text: utf8('hello compat') });
  return {
    seed,
    owner_kem_seed: h(newestKem(owner).seed),
    invite_text: inviteToText(c, invite),
    join_request: h(jr.request.bytes),
    connection_key: h(jr.connectionKey),
    welcome: h(ans.welcome.bytes),
    room_key: h(roomKey),
    chat: h(chat.bytes),
    chat_text: 'hello compat',
  };
}

/** Checks a hardened run's messages without replaying the generator: what another implementation would check. */
function checkHardened(v: Case): void {
  const invite = inviteFromText(c, v.invite_text as string);
  const jrBytes = b(v.join_request as string);
  const jr = decode(JoinRequest, jrBytes);
  verifyJoinRequest(c, jr, invite.token);
  const genesis = decode(Commit, b(v.genesis_commit as string));
  const roster0 = checkGenesis(c, genesis, 'REQ-REL-010');
  expectEqual('owner key', h(roster0[0]!.identity_pk), v.owner_identity_pk);
  const welcomeBytes = b(v.welcome as string);
  const memberKem = c.kemKeygen(b(v.member_kem_seed as string));
  const opened = openWelcome(c, { value: decode(Welcome, welcomeBytes), bytes: welcomeBytes }, invite, { value: jr, bytes: jrBytes }, memberKem.secretKey);
  expectEqual('epoch1_secret', h(opened.groupInfo.epoch_secret), v.epoch1_secret);
  expectEqual('add_commit', h(opened.commitBytes), v.add_commit);
  verifyJoinConfirm(c, decode(JoinConfirm, b(v.join_confirm as string)), { roomId: invite.room_id, inviteId: jr.invite_id, epoch: 1, epochSecret: opened.groupInfo.epoch_secret, welcomeHash: opened.welcomeHash, inviteeIdentityPk: jr.identity_pk });
  const add = opened.groupInfo.commit;
  checkCommitSuccessor(c, { roomId: invite.room_id, epoch: 0, epochHash: epochHash(c, b(v.genesis_commit as string)), roster: roster0 }, add, MEMBER_COMMIT_CHECKS);
  const gc1 = { suite: 1, room_id: invite.room_id, epoch: 1, epoch_hash: epochHash(c, opened.commitBytes), roster_hash: add.roster_hash };
  const k1 = epochKeys(c, opened.groupInfo.epoch_secret, gc1);
  expectEqual('epoch1_app_key', h(k1.appKey), v.epoch1_app_key);
  const content = openAppMessage(c, decode(AppMessage, b(v.app_message as string)), k1.appKey, jr.identity_pk);
  expectEqual('app_message_text', content.text, v.app_message_text);
  const rotBytes = b(v.rotate_commit as string);
  const rot = decode(Commit, rotBytes);
  checkCommitSuccessor(c, { roomId: invite.room_id, epoch: 1, epochHash: epochHash(c, opened.commitBytes), roster: opened.groupInfo.roster }, rot, MEMBER_COMMIT_CHECKS);
  const member = identityFromSeeds(c, b(v.member_identity_seed as string), [{ version: jr.kem_cert.version, seed: b(v.member_kem_seed as string), cert: jr.kem_cert }]);
  expectEqual('member_identity_pk', h(member.publicKey), v.member_identity_pk);
  const k2 = openCommit(c, { value: rot, bytes: rotBytes }, member, k1.initSecret);
  expectEqual('epoch2_app_key', h(k2.appKey), v.epoch2_app_key);
}

function checkCompat(v: Case): void {
  const invite = inviteFromText(c, v.invite_text as string);
  const ownerKem = c.kemKeygen(b(v.owner_kem_seed as string));
  const jr = decode(CompatJoinRequest, b(v.join_request as string));
  const ans = compatAnswerJoin(c, { bytes: () => new Uint8Array(24) }, { request: jr, ownerKemSk: ownerKem.secretKey, token: invite.token, roomKey: b(v.room_key as string), generation: 0 });
  expectEqual('connection_key', h(ans.connectionKey), v.connection_key);
  const welcome = decode(CompatWelcome, b(v.welcome as string));
  expectEqual('room_key', h(compatOpenWelcome(c, welcome, ans.connectionKey, invite.token).room_key), v.room_key);
  const chat = decode(CompatChat, b(v.chat as string));
  const opened = openCompatSealed(c, chat, [{ generation: 0, key: b(v.room_key as string) }]);
  expectEqual('chat_text', opened === undefined ? 'does not open' : new TextDecoder().decode(opened.plaintext), v.chat_text);
}

/** Golden runs: the whole handshake from one seed, and the checks another implementation can make. */
export const handshakeKind: VectorKind = {
  kind: 'handshake',
  file: 'handshake.json',
  description:
    'Complete runs from one seed: hardened (genesis, invite text, join request, welcome, confirmation, add commit, application message, rotation) and compat (join, welcome, chat). The verifier regenerates each run byte for byte, and independently checks every signature, MAC, seal and chain as a member would (spec 5, 6, 7).',
  generate() {
    return [
      { id: 'hardened/0', profile: 'hardened', run: hardenedRun('vectors handshake hardened 0') },
      { id: 'compat/0', profile: 'compat', run: compatRun('vectors handshake compat 0') },
    ];
  },
  verify(v) {
    const run = v.run as Case;
    if (v.profile === 'hardened') {
      checkHardened(run);
      expectEqual('run', hardenedRun(run.seed as string), run);
    } else {
      checkCompat(run);
      expectEqual('run', compatRun(run.seed as string), run);
    }
  },
};
