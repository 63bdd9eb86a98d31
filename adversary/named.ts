/**
 * One entry point for every named attack of spec 11.4, whichever world it runs in: the room
 * attacks (adversary/attacks.ts, the simulated room under the malicious relay) and the login
 * attacks (adversary/login-attacks.ts, the login world) and the trust attacks
 * (adversary/trust-attacks.ts, a served directory). The audit, the mutant hunt and
 * `pqroom replay` see both through {@link Outcome}.
 */
import type { ReqId } from '../impl/errors.ts';
import type { Profile } from '../impl/suite.ts';
import type { Backend } from '../simulator/run.ts';
import { ATTACKS, runAttack, type AttackResult, type NamedAttack } from './attacks.ts';
import { findLoginAttack, LOGIN_ATTACKS, runLoginAttack } from './login-attacks.ts';
import { LOGIN_PROPERTIES } from './login-oracles.ts';
import { findTrustAttack, runTrustAttack, TRUST_ATTACKS, TRUST_PROPERTIES } from './trust-attacks.ts';
import { CHECKED_PROPERTIES, SECRECY_PROPERTIES, type PropId, type Violation } from './oracles/index.ts';

const ROOM_PROPERTIES: readonly PropId[] = [...new Set([...CHECKED_PROPERTIES, ...SECRECY_PROPERTIES])];

/** What any attack run showed. */
export interface Outcome {
  readonly violations: readonly Violation[];
  readonly blocked: boolean;
  readonly detected: readonly ReqId[];
  /** How often each step of the attack fired. */
  readonly fired: readonly number[];
  /** What the attack achieved beyond the properties (login attacks). */
  readonly findings: readonly string[];
  /** The trace's event lines (empty unless traced). */
  readonly lines: readonly string[];
  /** Virtual milliseconds the run took. */
  readonly elapsed: number;
  /** The properties this kind of run checks (a room run cannot break a login property). */
  readonly checked: readonly PropId[];
  /** Set when the room could not go on (denial of service, spec 11.3): what stopped it. */
  readonly stalled?: string;
}

/** Every named attack that runs (room, trust and login), by id. */
export const NAMED_ATTACKS: readonly NamedAttack[] = [...ATTACKS, ...TRUST_ATTACKS, ...LOGIN_ATTACKS].sort((a, b) => a.id.localeCompare(b.id));

/** Runs the named attack `id` (throws for an unknown id). */
export function runNamed(id: string, o: { profile: Profile; seed: number; backend: Backend; trace?: boolean }): Outcome {
  const login = findLoginAttack(id);
  if (login) {
    const r = runLoginAttack(login, o);
    return loginOutcome({ ...r, lines: r.world.trace.lines(), elapsed: r.world.now() });
  }
  const trust = findTrustAttack(id);
  if (trust) {
    const r = runTrustAttack(trust, o);
    return { violations: r.violations, blocked: r.blocked, detected: r.detected, fired: r.fired, findings: [], lines: r.world.trace.lines(), elapsed: r.world.t, checked: TRUST_PROPERTIES };
  }
  const room = ATTACKS.find((a) => a.id === id);
  if (!room) throw new Error(`no attack named ${id}`);
  return roomOutcome(runAttack(room, o));
}

/** A run of the login world (a named login attack or a generated login plan) as an {@link Outcome}. */
export function loginOutcome(r: { readonly violations: readonly Violation[]; readonly detected: readonly ReqId[]; readonly fired: readonly number[]; readonly findings?: readonly string[]; readonly lines: readonly string[]; readonly elapsed: number }): Outcome {
  return { violations: r.violations, blocked: r.violations.length === 0, detected: r.detected, fired: r.fired, findings: r.findings ?? [], lines: r.lines, elapsed: r.elapsed, checked: LOGIN_PROPERTIES };
}

/** A room attack's result as an {@link Outcome}. */
export function roomOutcome(r: AttackResult): Outcome {
  return { violations: r.violations, blocked: r.blocked, detected: r.detected, fired: r.fired, findings: [], lines: r.world.trace.lines(), elapsed: r.world.now() - r.world.startTime, checked: ROOM_PROPERTIES, ...(r.stalled === undefined ? {} : { stalled: r.stalled }) };
}
