/**
 * Generated mutants that survive the campaign and that a unit test kills (`killed-by-test` in
 * adversary/mutation/survivors.ts), by the file they mutate: each row names the mutant by its
 * function, operator and text (its key, adversary/mutation/sites.ts) and the test that fails on it.
 * Every row was checked with `pqroom mutate --generated --filter FILE --tests`, which runs the test
 * file a row names against its mutant (vitest, in a copy of the committed checkout) and fails the
 * command when that file passes.
 */
import type { Operator } from './sites.ts';
import type { ArguedSurvivor } from './survivors.ts';

/** `[function, operator, mutated text, the name of the test that fails]`. */
type Row = readonly [fn: string, operator: Operator, original: string, test: string];

const rowsOf = (file: string, testFile: string, because: string, rows: readonly Row[]): ArguedSurvivor[] =>
  rows.map(([fn, operator, original, test]) => ({ file, fn, operator, original, kind: 'killed-by-test', test: testFile, why: `${testFile} "${test}" (${because})` }));

/** The survivors of the campaign that the unit tests kill. */
export const KILLED_BY_TESTS: readonly ArguedSurvivor[] = [
  ...rowsOf(
    'impl/protocol/join.ts',
    'impl/protocol/join.test.ts',
    "the campaign's joins are honest or forged whole by a relay without the token; no run presents a welcome, its commit or a confirmation wrong in one field alone, each check's test does, the input valid but for that field",
    [
    ["verifyJoinRequest", "drop-call", "requireSigned(c, JoinRequest, req, 'join request', req.identity_pk, 'REQ-OWN-015', 'JoinRequest');", "should reject a join request whose identity key was substituted (ATK-03), even with the token"],
    ["verifyJoinRequest", "drop-call", "verifyKemCert(c, req.kem_cert, req.identity_pk, 'REQ-OWN-016');", "should reject another identity's KEM certificate, validly MACed and signed"],
    ["openWelcome", "drop-call", "check(equalBytes(w.room_id, invite.room_id), 'REQ-INV-010', 'Welcome is for another room');", "REQ-INV-010 should reject a welcome for another room, validly sealed and signed"],
    ["openWelcome", "drop-call", "check(equalBytes(w.invite_id, req.invite_id), 'REQ-INV-010', 'Welcome is for another invite');", "REQ-INV-010 should reject a welcome for another invite, validly sealed and signed"],
    ["openWelcome", "drop-call", "check(equalBytes(w.join_hash, jh), 'REQ-INV-010', 'Welcome answers another join request');", "REQ-INV-010 should reject a welcome answering another join request"],
    ["openWelcome", "drop-call", "check(plain !== undefined, 'REQ-INV-011', 'Welcome does not open with the token and the join request KEM key');", "REQ-INV-011 should reject a welcome sealed without the token (a relay-forged welcome, ATK-04)"],
    ["openWelcome", "drop-call", "check(owners.length === 1, 'REQ-INV-012', 'roster must have exactly one owner');", "REQ-INV-012 should reject a roster with a second owner (read after the one the invite names)"],
    ["openWelcome", "drop-call", "check(equalBytes(owner.member_id, invite.owner_fp), 'REQ-INV-012', \"the roster's owner is not the one the invite names\");", "REQ-INV-012 should reject a roster whose owner record carries another member id than the invite's owner fingerprint"],
    ["openWelcome", "drop-call", "check(equalBytes(fingerprint(c, owner.identity_pk), invite.owner_fp), 'REQ-INV-012', 'owner key does not match the invite fingerprint');", "REQ-INV-012 should reject a roster whose owner record names the invite's owner but holds another key, welcome and commit signed with it"],
    ["openWelcome", "drop-call", "requireSigned(c, Welcome, w, 'welcome', owner.identity_pk, 'REQ-INV-012', 'Welcome');", "REQ-INV-012 should reject a welcome signed by someone else"],
    ["openWelcome", "drop-call", "requireSigned(c, Commit, commit, 'commit', owner.identity_pk, 'REQ-INV-013', 'GroupInfo.commit');", "REQ-INV-013 should reject a group info whose commit is not signed by the owner"],
    ["openWelcome", "drop-call", "check(equalBytes(commit.room_id, invite.room_id), 'REQ-INV-013', 'commit is for another room');", "REQ-INV-013 should reject a commit for another room"],
    ["openWelcome", "drop-call", "check(commit.epoch === w.epoch, 'REQ-INV-013', 'commit epoch differs from the welcome epoch');", "REQ-INV-013 should reject a commit of another epoch than the welcome's"],
    ["openWelcome", "drop-call", "check(commit.reason === 'add', 'REQ-INV-013', 'commit is not an add');", "REQ-INV-013 should reject a commit that is not an add"],
    ["openWelcome", "drop-call", "check(equalBytes(commit.invite_id, req.invite_id), 'REQ-INV-013', 'commit consumes another invite');", "REQ-INV-013 should reject a commit consuming another invite"],
    ["openWelcome", "drop-call", "check(commit.adds.length === 1, 'REQ-INV-013', 'commit must add exactly one member');", "REQ-INV-013 should reject a commit adding a second member beside the invitee"],
    ["openWelcome", "drop-call", "check(equalBytes(added.identity_pk, req.identity_pk), 'REQ-INV-013', 'commit adds another identity key');", "REQ-INV-013 should reject a commit adding another identity key with the invitee's KEM certificate"],
    ["openWelcome", "drop-call", "check(equalBytes(encode(KemCert, added.kem_cert), encode(KemCert, req.kem_cert)), 'REQ-INV-013', 'commit adds another KEM certificate');", "REQ-INV-013 should reject a commit adding the invitee with another of the invitee's own KEM certificates"],
    ["openWelcome", "drop-call", "check(equalBytes(rosterHash(c, gi.roster), commit.roster_hash), 'REQ-INV-013', 'roster does not match the commit roster hash');", "REQ-INV-013 should reject a roster that does not hash to the commit"],
    ["openWelcome", "drop-call", "check(gi.roster.some((r) => equalBytes(r.member_id, added.member_id) && r.role === 'member'), 'REQ-INV-013', 'roster lacks the added member');", "REQ-INV-013 should reject a roster without the added member, the commit hashing that roster"],
    ["openWelcome", "drop-call", "verifyMemberRecord(c, r, 'REQ-INV-014');", "REQ-INV-014 should reject a roster record whose certificate is not signed by its identity"],
    ["verifyJoinConfirm", "drop-call", "check(equalBytes(confirm.room_id, pending.roomId), 'REQ-OWN-022', 'confirmation for another room');", "REQ-OWN-022 should reject a confirmation for another room, validly MACed and signed"],
    ["verifyJoinConfirm", "drop-call", "check(equalBytes(confirm.invite_id, pending.inviteId), 'REQ-OWN-022', 'confirmation for another invite');", "REQ-OWN-022 should reject a confirmation for another invite, validly MACed and signed"],
    ["verifyJoinConfirm", "drop-call", "check(confirm.epoch === pending.epoch, 'REQ-OWN-022', 'confirmation for another epoch');", "REQ-OWN-022 should reject a confirmation for another epoch, validly MACed and signed"],
    ["verifyJoinConfirm", "drop-call", "check(equalBytes(confirm.welcome_hash, pending.welcomeHash), 'REQ-OWN-022', 'confirmation of another welcome');", "REQ-OWN-022 should reject a confirmation naming another welcome hash, MACed under the right one"],
    ["verifyJoinConfirm", "drop-call", "check(equalConstantTime(mac, confirm.confirm_mac), 'REQ-OWN-022', 'confirm_mac does not verify');", "should reject a confirmation made without the epoch secret"],
    ["verifyJoinConfirm", "drop-call", "requireSigned(c, JoinConfirm, confirm, 'join confirm', pending.inviteeIdentityPk, 'REQ-OWN-022', 'JoinConfirm');", "should reject a confirmation signed by another identity"],
    ],
  ),
  ...rowsOf(
    'impl/protocol/transport.ts',
    'impl/protocol/transport.test.ts',
    'the campaign runs the simulated relay connection with honest frames only: no replayed, rewritten or oversized frame, no swapped relay key, no unsigned client auth reaches these checks',
    [
    ["clientFinish", "negate", "profile === 'hardened'", "REQ-TRN-002 hardened should refuse a swapped relay key (ATK-27)"],
    ["clientFinish", "drop-call", "check(pinnedRelayPk !== undefined && equalBytes(sh.relay_pk, pinnedRelayPk), 'REQ-TRN-002', 'relay key is not the pinned one');", "REQ-TRN-002 hardened should refuse a swapped relay key (ATK-27)"],
    ["clientFinish", "drop-call", "check(c.verify(sh.relay_pk, th, sigContext('relay hello'), sh.signature), 'REQ-TRN-003', 'ServerHello signature does not verify');", "REQ-TRN-003 should refuse a ServerHello signed over another transcript"],
    ["verifyClientAuth", "negate", "profile === 'hardened'", "hardened should refuse a claimed identity without its signature (ATK-06)"],
    ["verifyClientAuth", "drop-call", "check(auth.signature.length > 0 && c.verify(auth.identity_pk, th, sigContext('client auth'), auth.signature), 'REQ-TRN-004', 'ClientAuth signature does not verify');", "hardened should refuse a claimed identity without its signature (ATK-06)"],
    ["openFrame", "drop-call", "check(frameBytes.length <= MAX_FRAME_BYTES, 'REQ-TRN-007', `frame of ${frameBytes.length} bytes exceeds the limit`);", "should refuse an oversized frame before decoding it"],
    ["openFrame", "boundary", "frameBytes.length <= MAX_FRAME_BYTES", "REQ-TRN-007 should open a frame of exactly MAX_FRAME_BYTES (an inner message of MAX_MESSAGE_BYTES), the bound included"],
    ["openFrame", "drop-call", "check(windowAccepts(w, fr.seq), 'REQ-TRN-005', `frame ${fr.seq} is a replay or too old`);", "should open frames in any order once each"],
    ["openFrame", "drop-call", "check(inner !== undefined, 'REQ-TRN-005', `frame ${fr.seq} does not authenticate`);", "should reject a frame whose sequence number was rewritten"],
    ],
  ),
  ...rowsOf('impl/protocol/transport.ts', 'machines/connection.test.ts', 'the campaign never sends a nested batch', [
    ["unbatch", "drop-call", "check(!isBatch(m), 'REQ-TRN-010', 'a FrameBatch inside a FrameBatch');", "a client refuses a nested or malformed batch whole (nothing of it received) and goes on with the next frame"],
  ]),
  ...rowsOf(
    'impl/accounts/trust.ts',
    'impl/accounts/trust.test.ts',
    "peer verification and trust statements are the account layer's (spec 10.2, 10.5): the room campaign never verifies a peer nor checks a statement",
    [
    ["verifyPeer", "negate", "profile === 'compat'", "hardened compares the first 32 hex characters and signs a trust statement over the fingerprint"],
    ["verifyPeer", "drop-call", "check(compatVerifySuffix(fp, cmp.entered, cmp.suffixChars ?? COMPAT_SUFFIX_CHARS), 'REQ-KEY-030', 'the typed characters do not match');", "compat checks the last 5 typed characters only"],
    ["verifyPeer", "drop-call", "check(verifySafetyString(fp, cmp.entered), 'REQ-KEY-031', 'the 128-bit comparison string does not match');", "hardened compares the first 32 hex characters and signs a trust statement over the fingerprint"],
    ["acceptIdentity", "drop-call", "check(same, 'REQ-KEY-033', `the key served for ${name} is not the one you verified: key change`);", "a verified peer keeps its key; another key served for it raises the alarm, in both profiles"],
    ["acceptKemCert", "drop-call", "verifyKemCert(c, cert, identityPk, 'REQ-KEY-004');", "refuses a certificate served with another identity, or with a bad signature (REQ-KEY-004)"],
    ["acceptKemCert", "negate", "seen", "hardened accepts newer versions and refuses rollback and equivocation"],
    ["acceptKemCert", "drop-call", "check(cert.version >= seen.newest_kem_version, 'REQ-KEY-003', `ML-KEM key version ${cert.version} is older than version ${seen.newest_kem_version} already seen: rollback`);", "hardened accepts newer versions and refuses rollback and equivocation"],
    ["acceptKemCert", "boundary", "cert.version >= seen.newest_kem_version", "hardened accepts newer versions and refuses rollback and equivocation"],
    ["acceptKemCert", "negate", "cert.version === seen.newest_kem_version", "hardened accepts newer versions and refuses rollback and equivocation"],
    ["acceptKemCert", "no-guard", "cert.version === seen.newest_kem_version", "hardened accepts newer versions and refuses rollback and equivocation"],
    ["acceptKemCert", "drop-call", "check(equalBytes(hash, seen.newest_kem_cert_hash), 'REQ-KEY-003', `two different ML-KEM keys with version ${cert.version}: equivocation`);", "hardened accepts newer versions and refuses rollback and equivocation"],
    ["checkStatement", "drop-call", "check(equalBytes(fingerprint(c, verifierPk), st.verifier_fp), 'REQ-KEY-032', 'the statement names another verifier');", "REQ-KEY-032 should refuse a statement signed by its checker but naming another verifier"],
    ["checkStatement", "drop-call", "requireSigned(c, TrustStatement, st, 'trust', verifierPk, 'REQ-KEY-032', 'trust statement');", "REQ-KEY-032 should refuse a statement signed by its checker but naming another verifier"],
    ],
  ),
];
