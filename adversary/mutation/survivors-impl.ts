/**
 * Generated mutants of `impl/` that survive both the campaign and the unit tests, each with the
 * argument why no input tells it from the code as written (issue 30; `equivalent` and
 * `unreachable` as in adversary/mutation/survivors.ts, which lists these with the others). Kept
 * apart from survivors.ts so that the arguments about `impl/` and about `machines/` are merged
 * without touching each other; the `impl/` survivors a unit test kills are in
 * adversary/mutation/killed-by-test-impl.ts.
 */
import type { ArguedSurvivor } from './argument.ts';
import type { Operator } from './sites.ts';

type Site = readonly [file: string, fn: string, operator: Operator, original: string, nth?: number];
const argue = (kind: ArguedSurvivor['kind'], why: string, sites: readonly Site[]): ArguedSurvivor[] =>
  sites.map(([file, fn, operator, original, nth]) => ({ file, fn, operator, original, ...(nth === undefined ? {} : { nth }), kind, why }));

const GROUP = 'impl/protocol/group.ts';
/** Why a view holds exactly the records of its join epoch to its current one. */
const RECORDS =
  'a view holds the record of its join epoch and of every later epoch up to its current one, and of no other: newGroupView starts with the join epoch\'s, receiveCommit and installOwnCommit each add the next epoch\'s, and no record is ever removed or replaced';

/** The arguments about `impl/` survivors. */
export const ARGUED_IMPL: readonly ArguedSurvivor[] = [
  ...argue('equivalent', `${RECORDS}; so a message of an epoch before the join epoch has no record, and the \`!record\` test right below rejects it with the same REQ-MEM-012 and the view unchanged (only the detail differs)`, [
    [GROUP, 'receiveAppMessage', 'no-guard', 'msg.epoch < view.joinEpoch'],
  ]),
  ...argue('equivalent', `${RECORDS}; past the join-epoch test above (REQ-MEM-012) and the later-epoch branch, the message's epoch is one of those, so the record is always there and the guard never fires`, [
    [GROUP, 'receiveAppMessage', 'no-guard', '!record'],
  ]),
  ...argue(
    'equivalent',
    "the early cut of an identical copy of a held message, before any signature work (REQ-MEM-016): without it the copy passes every check its first copy passed (the epoch's record, roster and keys never change, the same bytes verify again, a held message is at or above the sender's base and next, and below any final head, applyFinalHeads dropping the others) and the `dup` test after the signature check rejects it with the same REQ-MEM-016 and the same detail ('is already held'), the view unchanged; only the work spent differs",
    [[GROUP, 'receiveAppMessage', 'no-guard', 'replayCheck && known?.held.some((h) => h.seq === msg.seq && equalBytes(h.bytes, bytes))']],
  ),
  ...argue(
    'equivalent',
    "a message with seq equal to the sender's base never reaches this test: deliverReady sets the base only to the first held message when that message's prev_epoch starts a chain (NO_EPOCH or before the join epoch), which is the same condition its chain test asks, so it is delivered at once and next > base whenever base is set; so the early cut (base <= seq < next) has already rejected seq = base with REQ-MEM-016",
    [[GROUP, 'receiveAppMessage', 'boundary', 'msg.seq < s.base']],
  ),
  ...argue(
    'equivalent',
    "a bound inside the hand-written mutant switch REQ-MEM-017 (`!enforced('REQ-MEM-017') && ...`, impl/mutants.ts): the generated mutants run with every hand-written one off, so the first conjunct is false and the bound is never evaluated",
    [[GROUP, 'deliverReady', 'boundary', 's.held[0].seq > s.next']],
  ),
  ...argue(
    'equivalent',
    "the only record without keys is the epoch of this member's own removal (receiveCommit: removedMe), which sets view.removed; both callers return before requireKeys on a removed view (receiveCommit ignores a commit after removal, prepareMessage throws REQ-MEM-003 first), and the join and genesis records always carry keys (machines/member.ts, machines/owner/genesis.ts), so the guard never fires",
    [[GROUP, 'requireKeys', 'no-guard', '!r.keys']],
  ),
  ...argue(
    'equivalent',
    'at head.epoch = view.servedEpoch the mutant sets servedEpoch to the value it already has: the view it returns equals the one given field by field, with the same events',
    [[GROUP, 'checkServedRoster', 'boundary', 'head.epoch <= view.servedEpoch']],
  ),
  ...argue(
    'equivalent',
    "verifyKemCert, called next with the same id, checks kem_cert.member_id = SHA-256(identity_pk) of the roster record; that record was found by u.member_id and its member_id is SHA-256 of its identity key (every roster record passed verifyMemberRecord on its way in), so a certificate for another member is refused there with the same ids.fresh",
    [['impl/protocol/key-update.ts', 'checkKeyUpdate', 'drop-call', "check(equalBytes(u.kem_cert.member_id, u.member_id), ids.fresh, 'KeyUpdate.kem_cert is for another member');"]],
  ),
  ...argue(
    'equivalent',
    "the guard of the hand-written mutant switch REQ-MEM-054: with every hand-written mutant off, as the generated mutants run, `!enforced('REQ-MEM-054')` is false, so making it `false` changes nothing",
    [['impl/protocol/key-update.ts', 'checkOwnUpdate', 'no-guard', "!enforced('REQ-MEM-054')"]],
  ),
  ...argue(
    'equivalent',
    "both checks that end checkOwnUpdate throw REQ-MEM-054 (the second is check(false, ...)): dropping the first, or moving its bound, only changes which of the two details the same rejection carries",
    [
      ['impl/protocol/key-update.ts', 'checkOwnUpdate', 'drop-call', "check(outstanding !== undefined || replaced.length > 0, 'REQ-MEM-054', 'the commit updates this member, which has no update outstanding');"],
      ['impl/protocol/key-update.ts', 'checkOwnUpdate', 'boundary', 'replaced.length > 0'],
      ['impl/protocol/key-update.ts', 'checkOwnUpdate', 'bound+1', 'replaced.length > 0'],
      ['impl/protocol/key-update.ts', 'checkOwnUpdate', 'bound-1', 'replaced.length > 0'],
    ],
  ),
  ...argue(
    'equivalent',
    "the guard of the hand-written mutant switch REQ-REL-009 (`m?.role === 'removed' && !enforced('REQ-REL-009')`): with every hand-written mutant off its second conjunct is false, so making the condition `false` changes nothing",
    [['impl/protocol/relay-state/state.ts', 'roleOf', 'no-guard', "m?.role === 'removed' && !enforced('REQ-REL-009')"]],
  ),
];
