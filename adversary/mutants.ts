/**
 * Mutants (spec 12.2): the hardened profile with exactly one requirement's check switched off,
 * selectable by name. The harness must kill every one: some attack, run against the mutant,
 * makes some property fail. A mutant that survives is a hole in the harness and is reported.
 */
import type { ReqId } from '../impl/errors.ts';
import { withCheckOff, withChecksConsulted } from '../impl/mutants.ts';
import { NAMED_ATTACKS, runNamed, type Outcome } from './named.ts';
import type { Backend } from '../simulator/run.ts';
import type { PropId } from './oracles/index.ts';

/** One mutant. */
export interface Mutant {
  /** Its name (`pqroom audit --mutant NAME`). */
  readonly id: string;
  /** The requirement whose check it switches off. */
  readonly removes: ReqId;
  /** What that check is. */
  readonly check: string;
  /** Attacks expected to kill it, tried first (every attack is tried after them). */
  readonly killers: readonly string[];
  /** The property its first killer must break (pinned: a kill by another property or an exception is not this mutant's kill). */
  readonly breaks?: PropId;
  /**
   * The first killer's run ends with the room stalled (a step whose outcome never came) rather than completing.
   * Pinned like the property: a stall where none is pinned, or none where one is, is no kill.
   */
  readonly stalls?: true;
}

/** Every mutant of the hardened profile. */
export const MUTANTS: readonly Mutant[] = [
  { id: 'no-token-mac', removes: 'REQ-OWN-014', check: "a join request's token_mac verifies under the invite's token", killers: ['ATK-01b'], breaks: 'PROP-16' },
  { id: 'no-owner-invite-expiry', removes: 'REQ-OWN-013', check: "the owner admits a join request only while its invite has not expired", killers: ['ATK-02b'], breaks: 'PROP-29' },
  { id: 'no-invitee-invite-expiry', removes: 'REQ-INV-002', check: 'an invitee begins a join only with an invite that has not expired', killers: ['ATK-02d'], breaks: 'PROP-29' },
  { id: 'no-welcome-expiry', removes: 'REQ-INV-017', check: "an invitee accepts a welcome only while its invite has not expired", killers: ['ATK-02c'], breaks: 'PROP-29' },
  { id: 'no-replay-window', removes: 'REQ-MEM-016', check: 'a (sender, seq) already accepted is rejected', killers: ['ATK-11', 'ATK-15'], breaks: 'PROP-18' },
  { id: 'no-seq-order', removes: 'REQ-MEM-017', check: 'messages are delivered in seq order per sender, later ones held', killers: ['ATK-13', 'ATK-12'], breaks: 'PROP-10' },
  { id: 'no-gap-alarm', removes: 'REQ-MEM-020', check: 'a gap history cannot fill raises an alarm', killers: ['ATK-13', 'ATK-17'], breaks: 'PROP-10' },
  { id: 'index-as-evidence', removes: 'REQ-MEM-061', check: 'an entry at a log index already processed is skipped only when the member already has it (the index is a hint, never evidence)', killers: ['ATK-13b'], breaks: 'PROP-10' },
  { id: 'no-stale-view-alarm', removes: 'REQ-MEM-030', check: 'evidence of a later epoch whose commit never comes raises an alarm', killers: ['ATK-08'], breaks: 'PROP-14' },
  { id: 'newer-head-ignored', removes: 'REQ-MEM-063', check: 'an owner-signed roster head of a later epoch is evidence that commits are missing (fetched, then alarmed)', killers: ['ATK-08b'], breaks: 'PROP-14' },
  { id: 'no-sender-signature', removes: 'REQ-MEM-014', check: "an application message's ML-DSA signature verifies under its sender's identity key", killers: ['ATK-14'], breaks: 'PROP-04' },
  { id: 'no-commit-signature', removes: 'REQ-MEM-041', check: "a commit's signature verifies under the owner's identity key", killers: ['ATK-07'], breaks: 'PROP-06' },
  { id: 'no-suite-check', removes: 'REQ-ENC-003', check: "a message's header names a registered suite, the one of its room or connection", killers: ['ATK-20'], breaks: 'PROP-17' },
  { id: 'no-relay-key-pinning', removes: 'REQ-TRN-002', check: "the ServerHello's relay key is the pinned one", killers: ['ATK-27'], breaks: 'PROP-19' },
  { id: 'no-server-hello-signature', removes: 'REQ-TRN-003', check: "the ServerHello's signature over the transcript verifies under the relay key", killers: ['ATK-27b'], breaks: 'PROP-19' },
  { id: 'no-client-auth-check', removes: 'REQ-TRN-004', check: "the relay verifies ClientAuth's signature before it attributes a connection", killers: ['ATK-06'], breaks: 'PROP-20' },
  // once claimed equivalent behind REQ-MEM-021; ATK-28c refutes it (spec 12.2)
  { id: 'no-epoch-roster-check', removes: 'REQ-MEM-013', check: "the sender is in the roster of the message's epoch (not merely of some epoch)", killers: ['ATK-28c'], breaks: 'PROP-30' },
  { id: 'no-final-head', removes: 'REQ-MEM-021', check: "a removed sender's messages beyond the head its removal counted are rejected", killers: ['ATK-28'], breaks: 'PROP-26' },
  { id: 'no-welcome-owner-check', removes: 'REQ-INV-012', check: "the welcome's roster owner is the owner the invite names, and the welcome is signed by it", killers: ['ATK-04'], breaks: 'PROP-07', stalls: true },
  { id: 'replays-count-for-rotation', removes: 'REQ-OWN-030', check: 'only distinct authentic messages advance the rotation counter', killers: ['ATK-26'], breaks: 'PROP-18' },
  { id: 'resign-refused-commit', removes: 'REQ-OWN-024', check: 'a refused commit is posted again byte for byte, never replaced by a second commit for its epoch', killers: ['ATK-19'], breaks: 'PROP-14' },
  { id: 'accepted-only-removal-head', removes: 'REQ-OWN-036', check: "a removal's head for the removed member counts every message of it the log holds, accepted or not", killers: ['ATK-29'], breaks: 'PROP-27', stalls: true },
  { id: 'resign-timed-out-add', removes: 'REQ-OWN-021', check: "a timed-out join's add commit is published as signed, the one its welcome carried", killers: ['ATK-19b'], breaks: 'PROP-14', stalls: true },
  { id: 'old-key-entry', removes: 'REQ-KS-007', check: "the commit that installs a member's key update seals its entry to the updated key", killers: ['ATK-10c'], breaks: 'PROP-12' },
  { id: 'stale-update-accepted', removes: 'REQ-OWN-052', check: "a key update's version is above the member's roster record and any update of it the owner holds pending", killers: ['ATK-30c'], breaks: 'PROP-18' },
  { id: 'no-update-signature', removes: 'REQ-OWN-051', check: "a key update's signature verifies under the member's identity key", killers: ['ATK-30d'], breaks: 'PROP-18' },
  { id: 'no-update-room-binding', removes: 'REQ-OWN-050', check: "a key update names this room and an epoch that exists", killers: ['ATK-30e'], breaks: 'PROP-18' },
  { id: 'no-routine-update', removes: 'REQ-MEM-052', check: "a member makes a key update once the epoch that committed its key is K epochs (or T) behind", killers: ['ATK-10'], breaks: 'PROP-31' },
  { id: 'no-login-signature', removes: 'REQ-LOG-010', check: "the login challenge is signed by the pinned relay key, checked before the password is used", killers: ['ATK-24'], breaks: 'PROP-21' },
  { id: 'no-login-kdf-floor', removes: 'REQ-LOG-012', check: "the login challenge's KDF parameters are at least the client's floor", killers: ['ATK-24b'], breaks: 'PROP-28' },
  { id: 'no-login-pin', removes: 'REQ-LOG-017', check: "the login challenge's salt and KDF parameters are the ones the account registered with (pinned)", killers: ['ATK-24c'], breaks: 'PROP-28' },
  { id: 'no-login-binding', removes: 'REQ-LOG-011', check: 'the login challenge echoes this login (username, client nonce) and this connection (channel binding)', killers: ['ATK-25'], breaks: 'PROP-21' },
  { id: 'no-login-confirm', removes: 'REQ-LOG-013', check: 'each side checks the other\'s confirmation over the transcript', killers: ['ATK-25'], breaks: 'PROP-22' },
  { id: 'login-session-reuse', removes: 'REQ-LOG-014', check: 'a login session accepts exactly one response', killers: ['ATK-25'], breaks: 'PROP-22' },
  { id: 'short-fingerprint-check', removes: 'REQ-KEY-031', check: 'a peer is verified only if all 32 hex characters (128 bits) of its fingerprint match', killers: ['ATK-22'], breaks: 'PROP-23' },
  { id: 'no-key-change-alarm', removes: 'REQ-KEY-033', check: 'a key served for a verified peer that is not the verified one raises the key-change alarm', killers: ['ATK-21'], breaks: 'PROP-24' },
  { id: 'no-kem-rollback-check', removes: 'REQ-KEY-003', check: 'an ML-KEM key older than the newest seen, or a second one with the same version, is refused', killers: ['ATK-23'], breaks: 'PROP-25' },
];

/**
 * Mutants no property can tell from the hardened profile, because a second check stops the
 * same attack: equivalent mutants, kept out of the score and shown with that second check.
 * Each entry is demonstrated by a test: under `attack`, the mutant breaks no property and an
 * honest party raises `stoppedBy`.
 */
export const EQUIVALENT_MUTANTS: readonly (Mutant & { readonly attack: string; readonly stoppedBy: ReqId; readonly why: string })[] = [
  {
    id: 'no-relay-invite-expiry',
    removes: 'REQ-REL-012',
    check: 'the relay takes a join request only while its invite has not expired',
    killers: [],
    attack: 'ATK-02e',
    stoppedBy: 'REQ-OWN-013',
    why: 'the relay is trusted with availability only: a join request that reaches it after the expiry is refused by the owner (REQ-OWN-013), and an honest invitee never sends one through an expired invite (REQ-INV-002); the relay check spares the owner the work',
  },
  {
    id: 'no-welcome-commit-check',
    removes: 'REQ-INV-013',
    check: "the welcome's GroupInfo.commit is signed by the owner, for this room, epoch and invite",
    killers: [],
    attack: 'ATK-04',
    stoppedBy: 'REQ-INV-012',
    why: "a commit the owner did not sign comes in a welcome from someone other than the owner, whose welcome REQ-INV-012 refuses first (the owner signs no commit but its own)",
  },
  {
    id: 'no-frame-replay-check',
    removes: 'REQ-TRN-005',
    check: 'a frame opens under the direction key and its seq was not accepted before on the connection',
    killers: [],
    attack: 'ATK-11',
    stoppedBy: 'REQ-MEM-016',
    why: 'the relay is the other end of every connection and can send any frame afresh under its keys, so a replayed frame gives it nothing; what a replay could do, a replayed message does, and the member refuses it (REQ-MEM-016)',
  },
  {
    id: 'no-entitlement-start',
    removes: 'REQ-MEM-019',
    check: "a sender's first expected message is the one whose prev_epoch precedes the member's join",
    killers: [],
    attack: 'ATK-17b',
    stoppedBy: 'REQ-MEM-018',
    why: 'a wrongly chosen first message contradicts the prev_epoch chain of the next one',
  },
  {
    id: 'foreign-own-key-installed',
    removes: 'REQ-MEM-054',
    check: "a commit that updates this member's own record carries the certificate of an update it made for this room",
    killers: [],
    attack: 'ATK-30e',
    stoppedBy: 'REQ-OWN-050',
    why: "the owner commits only an update signed for this room (REQ-OWN-050) by the member (REQ-OWN-051) and newer than its record (REQ-OWN-052), and the relay cannot sign a commit as the owner (REQ-MEM-041): a certificate of the member's own that it did not make for this room, such as its key of another room (ATK-30e), is refused by the owner before any commit carries it",
  },
  {
    id: 'no-rotation-update-check',
    removes: 'REQ-MEM-053',
    check: "the key updates of a rotation name current members other than the owner, once each, change only the certificate, and raise its version",
    killers: [],
    attack: 'ATK-30f',
    stoppedBy: 'REQ-MEM-041',
    why: "the updates of a rotation are signed with the commit by the owner, which the relay cannot sign as (REQ-MEM-041): a rotation whose updates the relay changed (ATK-30f) no longer verifies; the owner commits only updates it checked (REQ-OWN-050..052), each as the member's current record with the certificate replaced (REQ-OWN-053)",
  },
];

/** What the harness found for one mutant. */
export interface MutantResult {
  readonly mutant: Mutant;
  readonly killed: boolean;
  /** The run that killed it: attack, seed, first violation. */
  readonly by?: { readonly attack: string; readonly seed: number; readonly prop: string; readonly detail: string };
  /** Runs tried. */
  readonly runs: number;
  /** Runs whose violations were not counted as a kill: the room stalled, or the run threw (each `ATK-nn seed: why`). */
  readonly refused: readonly string[];
  /** The killing run's outcome, with its trace, when the hunt was asked for traces. */
  readonly outcome?: Outcome;
}

/** Runs one attack against a mutant. */
export function runAgainstMutant(m: Mutant, attackId: string, seed: number, backend: Backend = 'symbolic', trace = false): Outcome {
  return withCheckOff(m.removes, () => runNamed(attackId, { profile: 'hardened', seed, backend, trace }));
}

/** The attacks a hunt tries on each seed, in order: the mutant's killers, then every other named attack. */
export function huntOrder(m: Mutant): string[] {
  // an attack that breaks the unmutated profile (an open finding) would "kill" every mutant: left out
  return [...m.killers, ...NAMED_ATTACKS.filter((a) => !m.killers.includes(a.id) && a.openFinding === undefined).map((a) => a.id)];
}

/** What one run makes of a mutant's hunt: its kill, a refusal (why its violations are no kill), or nothing. */
type Judged = { readonly kill: { readonly prop: string; readonly detail: string } } | { readonly refused: string } | undefined;

/** Judges the run of `attack` on `seed` against `m`: its outcome, or what it threw (an exception is a bug of the harness or the mutant, never a kill). */
function judge(m: Mutant, attack: string, seed: number, r: { readonly outcome?: Outcome; readonly error?: unknown }): Judged {
  const o = r.outcome;
  if (o === undefined) return { refused: `${attack} seed ${seed}: threw ${r.error instanceof Error ? r.error.message : String(r.error)}` };
  // the first killer: the pinned property and the pinned status (stalled or not)
  if (attack === m.killers[0] && m.breaks !== undefined) {
    const v = o.violations.find((x) => x.prop === m.breaks);
    if (v && (o.stalled !== undefined) === (m.stalls === true)) return { kill: v };
    if (o.violations.length > 0) return { refused: `${attack} seed ${seed}: ${v ? `${o.stalled === undefined ? 'completed' : `stalled (${o.stalled})`}, not as pinned` : `broke ${o.violations.map((x) => x.prop).join(', ')}, not the pinned ${m.breaks}`}` };
    return undefined;
  }
  // any other attack: a room that stalled is judged on what happened, but a property broken there is no kill
  if (o.stalled !== undefined) return o.violations.length > 0 ? { refused: `${attack} seed ${seed}: stalled (${o.stalled})` } : undefined;
  const v = o.violations[0];
  return v ? { kill: v } : undefined;
}

/** Runs `f`, returning what it returned or threw. */
function attempt(f: () => Outcome): { readonly outcome?: Outcome; readonly error?: unknown } {
  try {
    return { outcome: f() };
  } catch (error) {
    return { error };
  }
}

/** The runs of a hunt in order, each an attack on a seed: seed by seed, `huntOrder` on each; with `range`, only the runs `from` (included) to `to` (excluded). */
function huntRuns(order: readonly string[], seeds: readonly number[], range?: { readonly from: number; readonly to: number }): { attack: string; seed: number }[] {
  const all = seeds.flatMap((seed) => order.map((attack) => ({ attack, seed })));
  return range === undefined ? all : all.slice(range.from, range.to);
}

/**
 * Tries the mutant's killers, then every other attack, on `seeds` seeds each, until a property fails.
 * `range` hunts only the runs `from` (included) to `to` (excluded) of that sequence (seed by seed,
 * `huntOrder` on each): a hunt cut in consecutive ranges gives, range by range up to the first kill,
 * the runs, refusals and kill of the whole hunt (adversary/parallel.ts hunts in chunks so). With
 * `trace`, the runs are made with a trace, and the killing run's outcome is returned with it.
 */
export function huntMutant(m: Mutant, seeds: readonly number[] = [1], o: { readonly range?: { readonly from: number; readonly to: number }; readonly trace?: boolean } = {}): MutantResult {
  let runs = 0;
  const refused: string[] = [];
  for (const { attack, seed } of huntRuns(huntOrder(m), seeds, o.range)) {
    runs++;
    const r = attempt(() => runAgainstMutant(m, attack, seed, 'symbolic', o.trace === true));
    const j = judge(m, attack, seed, r);
    if (j !== undefined && 'refused' in j) refused.push(j.refused);
    if (j !== undefined && 'kill' in j) return { mutant: m, killed: true, by: { attack, seed, prop: j.kill.prop, detail: j.kill.detail }, runs, refused, ...(o.trace === true ? { outcome: r.outcome! } : {}) };
  }
  return { mutant: m, killed: false, runs, refused };
}

/**
 * How a shared hunt makes the unmutated runs that a campaign also records (adversary/parallel.ts):
 * for such a run of `attack` on `seed`, a maker that runs it (`run(trace)`, observed or traced as
 * the campaign records it) and returns its outcome; undefined for the others, made without a trace.
 */
export type RecordedRuns = (attack: string, seed: number) => ((run: (trace: boolean) => Outcome) => Outcome) | undefined;

/**
 * The hunts of several mutants that name no killer (the equivalent ones), which try the same runs
 * in the same order: each result is `huntMutant(m, seeds, { range })`'s, but each run is made once
 * with every check in force, and again against a mutant only when the run asked for its check. A
 * run that never asks for the check a mutant removes is, against that mutant, the very same run
 * (impl/mutants.ts `withChecksConsulted`): its outcome is the mutant's without running it again.
 * A run `recorded` names is made through its maker, even when every hunt has ended before it.
 * `ms` is each mutant's share of the time: the runs made once, shared equally, and its own.
 */
export function huntMutants(ms: readonly Mutant[], seeds: readonly number[], range?: { readonly from: number; readonly to: number }, recorded?: RecordedRuns): (MutantResult & { readonly ms: number })[] {
  if (ms.some((m) => m.killers.length > 0)) throw new Error('huntMutants: a mutant that names killers is hunted alone (huntMutant)');
  const hunts = ms.map((m) => ({ m, runs: 0, refused: [] as string[], by: undefined as MutantResult['by'], ms: 0 }));
  let shared = 0;
  const first = ms[0];
  if (first === undefined) return [];
  for (const { attack, seed } of huntRuns(huntOrder(first), seeds, range)) {
    const live = hunts.filter((h) => h.by === undefined);
    const make = recorded?.(attack, seed);
    if (live.length === 0 && make === undefined) continue;
    const t0 = performance.now();
    const run = (trace: boolean): Outcome => runNamed(attack, { profile: 'hardened', seed, backend: 'symbolic', trace });
    const once = withChecksConsulted(() => (make ? make(run) : run(false)));
    shared += performance.now() - t0;
    for (const h of live) {
      const t1 = performance.now();
      h.runs++;
      const r = once.consulted.has(h.m.removes) ? attempt(() => runAgainstMutant(h.m, attack, seed)) : { ...('value' in once ? { outcome: once.value } : {}), ...('error' in once ? { error: once.error } : {}) };
      const j = judge(h.m, attack, seed, r);
      if (j !== undefined && 'refused' in j) h.refused.push(j.refused);
      if (j !== undefined && 'kill' in j) h.by = { attack, seed, prop: j.kill.prop, detail: j.kill.detail };
      h.ms += performance.now() - t1;
    }
  }
  return hunts.map((h) => ({ mutant: h.m, killed: h.by !== undefined, ...(h.by ? { by: h.by } : {}), runs: h.runs, refused: h.refused, ms: Math.round(h.ms + shared / hunts.length) }));
}
