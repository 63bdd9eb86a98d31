/**
 * Generated mutants that survive the campaign, each with the argument why no run can tell it from
 * the code as written (`pqroom mutate` reads this list: a survivor not listed here is reported as
 * unexplained, and an entry whose mutant is gone or whose text changed is reported as stale).
 *
 * - `equivalent`: no input changes what the protocol does (another check rejects the same input
 *   first or later, or the mutated value cannot differ where it matters);
 * - `unreachable`: the hardened campaign cannot reach it by construction (compat-only code), said
 *   with what does;
 * - `killed-by-test`: the campaign does not notice it, a unit test does (`why` names the test; it was
 *   checked to fail on the mutant with `pqroom mutate --generated --from FILE --tests`).
 */

/** An argued survivor. */
export interface ArguedSurvivor {
  /** The generated mutant's id (`file:line:operator`). */
  readonly id: string;
  /** The text it replaces, as generated (whitespace collapsed): the argument holds for this text only. */
  readonly original: string;
  readonly kind: 'equivalent' | 'unreachable' | 'killed-by-test';
  /** Why. */
  readonly why: string;
}

const COMPAT =
  "compat profile code (spec 6.9, 7.9): the generated mutants run against the hardened campaign, which never takes a compat branch; the compat profile's weaknesses are what the audit's compat column shows, and its tests are impl/protocol/compat*.test.ts";
const OWN_KEY =
  "the symbolic stand-in's check of its caller's own secret key or seed: every seed comes from the party's own RNG with the size the key schedule asks for and every secret key from its own keygen, neither from the wire, so no run (honest or adversarial) reaches it with a wrong one; it guards against a bug of pqroom's callers, not an input";
const CONTEXT =
  "the ML-DSA context bound of the symbolic stand-in: every context pqroom signs with is sigContext(label) of a fixed protocol label (impl/labels.ts), far below 255 bytes, so moving or removing the bound changes no run; the real backends' bound is checked by the differential case 'ML-DSA Sign with a 256-byte context is refused' and Wycheproof";
const EARLY_REPLAY =
  "the early replay cut, before any signature work (REQ-MEM-016): every message it rejects (base <= seq < next) is rejected again with REQ-MEM-016 after the signature check (the seq < s.next test below, REQ-MEM-018 having excluded seq < base), or by REQ-MEM-014 when its signature is broken; the view is unchanged either way, so only the work spent differs";

/** The argued survivors. */
export const ARGUED_SURVIVORS: readonly ArguedSurvivor[] = [
  ...(
    [
      ['impl/protocol/compat-group.ts:63:negate', '!equalBytes(msg.room_id, view.roomId)'],
      ['impl/protocol/compat-group.ts:63:no-guard', '!equalBytes(msg.room_id, view.roomId)'],
      ['impl/protocol/compat-group.ts:65:negate', '!opened'],
      ['impl/protocol/compat-group.ts:65:no-guard', '!opened'],
      ['impl/protocol/compat-group.ts:79:negate', '!equalBytes(msg.room_id, view.roomId)'],
      ['impl/protocol/compat-group.ts:79:no-guard', '!equalBytes(msg.room_id, view.roomId)'],
      ['impl/protocol/compat-group.ts:81:negate', '!opened || opened.plaintext.length !== 32'],
      ['impl/protocol/compat-group.ts:81:no-guard', '!opened || opened.plaintext.length !== 32'],
      ['impl/protocol/compat.ts:63:drop-call', "check(plain !== undefined, 'REQ-INV-031', 'compat welcome does not open');"],
      ['impl/protocol/compat.ts:82:drop-call', "check(plain !== undefined, 'REQ-OWN-041', 'compat confirmation does not open under the room key');"],
      ['impl/protocol/compat.ts:83:drop-call', "check(equalBytes(plain, concat(conf.invite_id, memberId)), 'REQ-OWN-041', 'compat confirmation names another joiner');"],
      ['impl/protocol/compat.ts:98:drop-call', "requireSigned(c, CompatMemberAdd, add, 'compat member add', ownerIdentityPk, 'REQ-REL-015', 'CompatMemberAdd');"],
    ] as const
  ).map(([id, original]) => ({ id, original, kind: 'unreachable' as const, why: COMPAT })),
  ...(
    [
      ['impl/crypto/symbolic.ts:163:no-guard', 'seed.length !== 32'],
      ['impl/crypto/symbolic.ts:171:no-guard', '!seed'],
      ['impl/crypto/symbolic.ts:189:no-guard', 'seed.length !== 64'],
      ['impl/crypto/symbolic.ts:208:no-guard', '!seed'],
    ] as const
  ).map(([id, original]) => ({ id, original, kind: 'equivalent' as const, why: OWN_KEY })),
  ...['no-guard', 'boundary', 'bound+1', 'bound-1'].map((op) => ({ id: `impl/crypto/symbolic.ts:172:${op}`, original: 'context.length > 255', kind: 'equivalent' as const, why: CONTEXT })),
  { id: 'impl/protocol/group.ts:190:no-guard', original: 'replayCheck && known?.next !== undefined && msg.seq < known.next && (known.base === undefined || msg.seq >= known.base)', kind: 'equivalent', why: EARLY_REPLAY },
  { id: 'impl/protocol/group.ts:190:boundary#1', original: 'msg.seq >= known.base', kind: 'equivalent', why: EARLY_REPLAY },
  {
    id: 'impl/protocol/group.ts:212:no-guard',
    original: 'replayCheck && s.next !== undefined && msg.seq < s.next',
    kind: 'equivalent',
    why: 'the late replay check repeats the early cut (line 190) on the same sender view: every message it would reject (base <= seq < next, REQ-MEM-018 having rejected seq < base) the early cut rejected before the signature work, so it never fires (the probes agree: reached, never different)',
  },
  ...(['negate', 'no-guard', 'boundary'] as const).map((op) => ({
    id: `impl/protocol/group.ts:179:${op}`,
    original: 'view.futureMessages.length >= MAX_FUTURE_ITEMS',
    kind: 'killed-by-test' as const,
    why: 'impl/protocol/group.test.ts "REQ-MEM-011 should hold at most MAX_FUTURE_ITEMS messages of later epochs, and reject the next one" (new: the campaign never sends 4,096 messages ahead of an epoch)',
  })),
  ...(['negate', 'no-guard', 'boundary'] as const).map((op) => ({
    id: `impl/protocol/group.ts:285:${op}`,
    original: 'Object.keys(view.futureCommits).length >= MAX_FUTURE_ITEMS',
    kind: 'killed-by-test' as const,
    why: 'impl/protocol/group.test.ts "REQ-MEM-042 should hold at most MAX_FUTURE_ITEMS commits of later epochs, and reject the next one" (new: the campaign never holds 4,096 commits)',
  })),
];
