/**
 * The suite's own mutants (spec 12.2, in the style of the audit's): the honest relay with the
 * check of one requirement switched off each (`startRelay({ checkOff })`). The conformance suite
 * must catch every one with a failing case that names the requirement given here; the tests run
 * each against the cases that `only` selects and report the suite's mutation score.
 */
import type { ReqId } from '../../../impl/errors.ts';

/** One broken relay. */
export interface RelayMutant {
  /** The requirement whose check is switched off. */
  readonly removes: ReqId;
  /** The check, in words. */
  readonly check: string;
  /** The cases run against it (a requirement id or a part of a case's name). */
  readonly only: string;
  /** The requirement id of the failing case that must catch it. */
  readonly caughtBy: ReqId;
  /** The profile it is run in. */
  readonly profile: 'hardened' | 'compat';
}

export const RELAY_MUTANTS: readonly RelayMutant[] = [
  { removes: 'REQ-REL-001', check: 'every request is checked against the authorization matrix', only: '×', caughtBy: 'REQ-REL-011', profile: 'hardened' },
  { removes: 'REQ-REL-001', check: 'every request is checked against the authorization matrix (compat)', only: '×', caughtBy: 'REQ-REL-011', profile: 'compat' },
  { removes: 'REQ-REL-004', check: 'a retransmission is answered with the first answer and has no other effect', only: 'REQ-REL-004', caughtBy: 'REQ-REL-004', profile: 'hardened' },
  { removes: 'REQ-REL-010', check: 'a room id in use is refused', only: 'REQ-REL-010', caughtBy: 'REQ-REL-010', profile: 'hardened' },
  { removes: 'REQ-REL-011', check: 'an invite id is new for its room and, hardened, not expired', only: 'REQ-REL-011', caughtBy: 'REQ-REL-011', profile: 'hardened' },
  { removes: 'REQ-REL-012', check: 'a join through an expired invite is refused', only: 'REQ-REL-012', caughtBy: 'REQ-REL-012', profile: 'hardened' },
  { removes: 'REQ-REL-013', check: 'a welcome is delivered only for a claimed invite', only: 'REQ-REL-013', caughtBy: 'REQ-REL-013', profile: 'hardened' },
  { removes: 'REQ-REL-014', check: 'only the claimant confirms', only: 'REQ-REL-014', caughtBy: 'REQ-REL-014', profile: 'hardened' },
  { removes: 'REQ-REL-015', check: "an add commit is the owner's, of the next epoch, on the head", only: 'REQ-REL-015', caughtBy: 'REQ-REL-015', profile: 'hardened' },
  { removes: 'REQ-REL-016', check: "an application message's sender is the principal", only: 'REQ-REL-016', caughtBy: 'REQ-REL-016', profile: 'hardened' },
  { removes: 'REQ-REL-018', check: 'a removal counts every message of the removed member the log holds', only: 'REQ-REL-018', caughtBy: 'REQ-REL-018', profile: 'hardened' },
  { removes: 'REQ-REL-022', check: 'published keys are the principal\'s own', only: 'REQ-REL-022', caughtBy: 'REQ-REL-022', profile: 'hardened' },
  { removes: 'REQ-REL-040', check: 'a connection is closed after 16 malformed frames', only: 'REQ-REL-040', caughtBy: 'REQ-REL-040', profile: 'hardened' },
  { removes: 'REQ-REL-041', check: 'requests over the rate limit are refused', only: 'REQ-REL-041', caughtBy: 'REQ-REL-041', profile: 'hardened' },
  { removes: 'REQ-TRN-004', check: "the relay verifies ClientAuth's signature", only: 'REQ-TRN-004', caughtBy: 'REQ-TRN-004', profile: 'hardened' },
];
