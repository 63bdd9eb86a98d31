/**
 * Generated mutants that survive the campaign, each with the argument why no run can tell it from
 * the code as written (`pqroom mutate` reads this list: a survivor not listed here is reported as
 * unexplained, and an entry whose mutant is gone or whose text changed is reported as stale).
 * An entry names its mutant by file, enclosing function, operator and the text it replaces (the
 * mutant's `key`, adversary/mutation/sites.ts), never by line: code moving above it leaves it valid.
 *
 * - `equivalent`: no input changes what the protocol does (another check rejects the same input
 *   first or later, or the mutated value cannot differ where it matters);
 * - `unreachable`: the hardened campaign cannot reach it by construction (compat-only code), said
 *   with what does;
 * - `killed-by-test`: a unit test kills it (`test` names the file, `why` the test; `pqroom mutate
 *   --generated --filter … --tests` runs that file against the mutant and fails when it passes). It
 *   counts only when the campaign misses the mutant, and stays valid if the campaign comes to kill it.
 */

import { argumentKey, type ArguedSurvivor } from './argument.ts';
import { KILLED_BY_TESTS } from './killed-by-test.ts';
import { KILLED_BY_TESTS_IMPL } from './killed-by-test-impl.ts';
import { ARGUED_IMPL } from './survivors-impl.ts';
import type { Operator } from './sites.ts';

export { argumentKey, type ArguedSurvivor };

const COMPAT =
  "compat profile code (spec 6.9, 7.9): the generated mutants run against the hardened campaign, which never takes a compat branch; the compat profile's weaknesses are what the audit's compat column shows, and its tests are impl/protocol/compat*.test.ts";
const OWN_KEY =
  "the symbolic stand-in's check of its caller's own secret key or seed: every seed comes from the party's own RNG with the size the key schedule asks for and every secret key from its own keygen, neither from the wire, so no run (honest or adversarial) reaches it with a wrong one; it guards against a bug of pqroom's callers, not an input";
const CONTEXT =
  "the ML-DSA context bound of the symbolic stand-in: every context pqroom signs with is sigContext(label) of a fixed protocol label (impl/labels.ts), far below 255 bytes, so moving or removing the bound changes no run; the real backends' bound is checked by the differential case 'ML-DSA Sign with a 256-byte context is refused' and Wycheproof";
const EARLY_REPLAY =
  "the early replay cut, before any signature work (REQ-MEM-016): every message it rejects (base <= seq < next) is rejected again with REQ-MEM-016 after the signature check (the seq < s.next test below, REQ-MEM-018 having excluded seq < base), or by REQ-MEM-014 when its signature is broken; the view is unchanged either way, so only the work spent differs";

type Site = readonly [file: string, fn: string, operator: Operator, original: string];
const argue = (kind: ArguedSurvivor['kind'], why: string, sites: readonly Site[]): ArguedSurvivor[] => sites.map(([file, fn, operator, original]) => ({ file, fn, operator, original, kind, why }));

/** The argued survivors. */
export const ARGUED_SURVIVORS: readonly ArguedSurvivor[] = [
  ...argue('unreachable', COMPAT, [
    ['impl/protocol/compat-group.ts', 'receiveCompatChat', 'negate', '!equalBytes(msg.room_id, view.roomId)'],
    ['impl/protocol/compat-group.ts', 'receiveCompatChat', 'no-guard', '!equalBytes(msg.room_id, view.roomId)'],
    ['impl/protocol/compat-group.ts', 'receiveCompatChat', 'negate', '!opened'],
    ['impl/protocol/compat-group.ts', 'receiveCompatChat', 'no-guard', '!opened'],
    ['impl/protocol/compat-group.ts', 'receiveCompatRotation', 'negate', '!equalBytes(msg.room_id, view.roomId)'],
    ['impl/protocol/compat-group.ts', 'receiveCompatRotation', 'no-guard', '!equalBytes(msg.room_id, view.roomId)'],
    ['impl/protocol/compat-group.ts', 'receiveCompatRotation', 'negate', '!opened || opened.plaintext.length !== 32'],
    ['impl/protocol/compat-group.ts', 'receiveCompatRotation', 'no-guard', '!opened || opened.plaintext.length !== 32'],
    ['impl/protocol/compat.ts', 'compatOpenWelcome', 'drop-call', "check(plain !== undefined, 'REQ-INV-031', 'compat welcome does not open');"],
    ['impl/protocol/compat.ts', 'verifyCompatConfirm', 'drop-call', "check(plain !== undefined, 'REQ-OWN-041', 'compat confirmation does not open under the room key');"],
    ['impl/protocol/compat.ts', 'verifyCompatConfirm', 'drop-call', "check(equalBytes(plain, concat(conf.invite_id, memberId)), 'REQ-OWN-041', 'compat confirmation names another joiner');"],
    ['impl/protocol/compat.ts', 'verifyCompatMemberAdd', 'drop-call', "requireSigned(c, CompatMemberAdd, add, 'compat member add', ownerIdentityPk, 'REQ-REL-015', 'CompatMemberAdd');"],
  ]),
  ...argue('equivalent', OWN_KEY, [
    ['impl/crypto/symbolic.ts', 'symbolicCrypto.sigKeygen', 'no-guard', 'seed.length !== 32'],
    ['impl/crypto/symbolic.ts', 'symbolicCrypto.sign', 'no-guard', '!seed'],
    ['impl/crypto/symbolic.ts', 'symbolicCrypto.kemKeygen', 'no-guard', 'seed.length !== 64'],
    ['impl/crypto/symbolic.ts', 'symbolicCrypto.kemDecapsulate', 'no-guard', '!seed'],
  ]),
  ...argue(
    'equivalent',
    CONTEXT,
    (['no-guard', 'boundary', 'bound+1', 'bound-1'] as const).map((op) => ['impl/crypto/symbolic.ts', 'symbolicCrypto.sign', op, 'context.length > 255'] as const),
  ),
  ...argue('equivalent', EARLY_REPLAY, [
    ['impl/protocol/group.ts', 'receiveAppMessage', 'no-guard', 'replayCheck && known?.next !== undefined && msg.seq < known.next && (known.base === undefined || msg.seq >= known.base)'],
    ['impl/protocol/group.ts', 'receiveAppMessage', 'boundary', 'msg.seq >= known.base'],
  ]),
  ...argue(
    'equivalent',
    'the late replay check repeats the early cut (REQ-MEM-016, the `known?.next` guard above it) on the same sender view: every message it would reject (base <= seq < next, REQ-MEM-018 having rejected seq < base) the early cut rejected before the signature work, so it never fires (the probes agree: reached, never different)',
    [['impl/protocol/group.ts', 'receiveAppMessage', 'no-guard', 'replayCheck && s.next !== undefined && msg.seq < s.next']],
  ),
  ...argue(
    'killed-by-test',
    'impl/protocol/group.test.ts "REQ-MEM-011 should hold at most MAX_FUTURE_ITEMS messages of later epochs, and reject the next one" (new: the campaign never sends 4,096 messages ahead of an epoch)',
    (['negate', 'no-guard', 'boundary'] as const).map((op) => ['impl/protocol/group.ts', 'receiveAppMessage', op, 'view.futureMessages.length >= MAX_FUTURE_ITEMS'] as const),
  ).map((a) => ({ ...a, test: 'impl/protocol/group.test.ts' })),
  ...argue(
    'killed-by-test',
    'impl/protocol/group.test.ts "REQ-MEM-042 should hold at most MAX_FUTURE_ITEMS commits of later epochs, and reject the next one" (new: the campaign never holds 4,096 commits)',
    (['negate', 'no-guard', 'boundary'] as const).map((op) => ['impl/protocol/group.ts', 'receiveCommit', op, 'Object.keys(view.futureCommits).length >= MAX_FUTURE_ITEMS'] as const),
  ).map((a) => ({ ...a, test: 'impl/protocol/group.test.ts' })),
  ...argue(
    'equivalent',
    "a shortcut before the signature check: every backend's verify returns false for a signature that is not DSA_SIG_BYTES long (impl/crypto/symbolic.ts, noble.ts, which node.ts reuses, and liboqs.ts test the length first), so letting an empty or one-byte signature through to c.verify, or stopping a one-byte one before it, rejects the same ClientAuths with the same REQ-TRN-004",
    (['boundary', 'bound+1', 'bound-1'] as const).map((op) => ['impl/protocol/transport.ts', 'verifyClientAuth', op, 'auth.signature.length > 0'] as const),
  ),
  ...argue(
    'equivalent',
    "a type guard that never fires: dispatch has returned for PublishKeys, GetKeys and FetchMailbox above, and operationOf (relay-state/state.ts) names an operation for every other request (a PostCommit whose payload does not decode is a 'rotate', which postCommit refuses with REQ-REL-003, tested in relay-state.test.ts)",
    [['impl/protocol/relay-state/requests.ts', 'dispatch', 'drop-call', "fail('REQ-REL-003', 'undecodable commit');"]],
  ),
  ...argue(
    'equivalent',
    "the envelope's type test is a shortcut: every caller of checkEnvelopePayload decodes the payload with the codec of that same message type right after (decodePayload), which refuses any other type (REQ-ENC-005) or a payload shorter than a header and turns it into the same REQ-REL-003; the room id test between them refuses a short payload with REQ-REL-003 too",
    [['impl/protocol/relay-state/requests.ts', 'checkEnvelopePayload', 'drop-call', "fail('REQ-REL-003', `payload must be a ${name}`);"]],
  ),
  ...argue(
    'equivalent',
    "publishKeys checks fingerprint(identity_pk) = principal, kem_cert.member_id = principal, and verifyKemCert (kem_cert.member_id = fingerprint(identity_pk), then the signature); any two of the three equalities imply the third, and all three refuse with REQ-REL-022, so dropping either of the first two refuses the same requests with the same id (verifyKemCert or the other test)",
    [
      ['impl/protocol/relay-state/requests.ts', 'publishKeys', 'drop-call', "fail('REQ-REL-022', 'identity key is not the principal');"],
      ['impl/protocol/relay-state/requests.ts', 'publishKeys', 'drop-call', "fail('REQ-REL-022', 'certificate is for another member');"],
    ],
  ),
  ...argue(
    'equivalent',
    "verifyKemCert is called with REQ-REL-022 and throws only ProtocolErrors naming it (its check and requireSigned; the certificate came off the wire, so encoding it for the signature check cannot fail), so rethrowing them as they are instead of as fail('REQ-REL-022', e.message) gives the same Reject (requirement and detail)",
    (['negate', 'drop-call'] as const).map((op) => ['impl/protocol/relay-state/requests.ts', 'publishKeys', op, op === 'negate' ? 'e instanceof PqroomError' : "fail('REQ-REL-022', e.message);"] as const),
  ),
  // ---- machines/ (issue 30, branch mutm30) ----
  ...argue(
    'equivalent',
    "the wake time a tick asks for (machines/client-core.ts wake): at now = commitHoldUntil the hold is over (commitDue and freezeDue wait only while now < commitHoldUntil), so the mutant asks for one more tick at now + 1 where the original asks for the next deadline; every deadline a tick tests compares the clock with >=, so that extra tick finds due only what the tick before found due or what falls due at now + 1 anyway, does what the original's next tick would, and asks for the same wake after it: the same requests leave at the same times",
    [['machines/owner.ts', 'ownerMachine.actions.tick', 'boundary', 'context.commitHoldUntil > now']],
  ),
  // ---- end machines/ (mutm30) ----
  ...KILLED_BY_TESTS,
  ...KILLED_BY_TESTS_IMPL,
  ...ARGUED_IMPL,
];
