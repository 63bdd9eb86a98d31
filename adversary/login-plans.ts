/**
 * Generated adversaries for the login (spec 9.6, 11.2 CAP-14): a plan is a list of things done
 * to the honest login frames of a fixed schedule (alice and bob register; alice, bob, then alice
 * again log in), by the frame's number: drop it, replay a copy of it later on some connection,
 * reflect it back the other way, or deliver an edited copy instead. fast-check generates plans
 * and shrinks a violation of PROP-21 or PROP-22 to the smallest one. The named attacks of
 * adversary/login-attacks.ts are hand-written instances of the same moves.
 */
import fc from 'fast-check';
import { toHex, type Bytes } from '../impl/bytes.ts';
import type { ReqId } from '../impl/errors.ts';
import type { Profile } from '../impl/suite.ts';
import { backendCrypto, type Backend } from '../simulator/run.ts';
import { createLoginWorld, type LoginFrame } from '../simulator/login-world.ts';
import { DICTIONARY } from './dictionary.ts';
import { loginDetected, loginViolations } from './login-oracles.ts';
import type { Violation } from './oracles/index.ts';

/** One move on the honest frame numbered `nth` (1-based, in the order the adversary sees them). */
export type LoginPlanStep =
  /** It is not delivered. */
  | { readonly op: 'drop'; readonly nth: number }
  /** It is delivered, and a copy is put on `onto` (its own connection, the other client's, or one of the adversary's) when frame `when` passes (right away when `when` is not later). */
  | { readonly op: 'replay'; readonly nth: number; readonly onto: 'same' | 'other' | 'own'; readonly when: number }
  /** It is delivered, and a copy goes back the other way on its connection (a reflection). */
  | { readonly op: 'reflect'; readonly nth: number }
  /** A copy with byte `at` (modulo its length) flipped is delivered instead. */
  | { readonly op: 'edit'; readonly nth: number; readonly at: number };

/** A login plan. */
export type LoginPlan = readonly LoginPlanStep[];

/** Honest frames of the schedule: 2 registrations and 3 logins of 4 messages each. */
export const LOGIN_SCHEDULE_FRAMES = 14;

/** What a plan's run found. */
export interface LoginPlanRun {
  readonly violations: readonly Violation[];
  /** How often each step fired. */
  readonly fired: readonly number[];
  /** Honest frames the adversary saw. */
  readonly frames: number;
  /** Requirement ids of the rejections honest parties raised. */
  readonly detected: readonly ReqId[];
  /** The trace's event lines (empty unless traced). */
  readonly lines: readonly string[];
  /** Virtual milliseconds the run took. */
  readonly elapsed: number;
}

/** Runs the schedule with the adversary executing `plan`. */
export function runLoginPlan(plan: LoginPlan, o: { readonly profile: Profile; readonly seed: number; readonly backend: Backend; readonly trace?: boolean }): LoginPlanRun {
  const w = createLoginWorld({ profile: o.profile, seed: o.seed, crypto: backendCrypto(o.backend), trace: o.trace ?? false });
  const pick = (): string => DICTIONARY[Number(BigInt(`0x${toHex(w.rng.bytes(4))}`) % BigInt(DICTIONARY.length))]!;
  const alice = w.addClient('alice', pick());
  const bob = w.addClient('bob', pick());
  const seen: LoginFrame[] = [];
  const fired = plan.map(() => 0);
  let own: string | undefined;
  const connOf = (f: LoginFrame, onto: 'same' | 'other' | 'own'): string =>
    onto === 'same' ? f.conn : onto === 'other' ? (f.conn === alice.conn ? bob.conn : alice.conn) : (own ??= w.adversaryConnection().conn);
  const copy = (f: LoginFrame, conn: string, dir: 'up' | 'down', bytes: Bytes = f.bytes): void => w.inject({ conn, dir, bytes, origin: 'replayed' });
  w.tap = (f) => {
    seen.push(f);
    const k = seen.length;
    let verdict: 'deliver' | 'drop' = 'deliver';
    plan.forEach((s, i) => {
      // replays scheduled for now, of a frame seen before
      if (s.op === 'replay' && s.when === k && s.nth < k) {
        copy(seen[s.nth - 1]!, connOf(seen[s.nth - 1]!, s.onto), seen[s.nth - 1]!.dir);
        fired[i]!++;
      }
      if (s.nth !== k) return;
      fired[i]!++;
      if (s.op === 'drop') verdict = 'drop';
      else if (s.op === 'replay') {
        if (s.when > k) fired[i]!--; // it fires when frame `when` passes
        else copy(f, connOf(f, s.onto), f.dir);
      } else if (s.op === 'reflect') copy(f, f.conn, f.dir === 'up' ? 'down' : 'up');
      else {
        const edited = Uint8Array.from(f.bytes);
        edited[s.at % edited.length]! ^= 1;
        copy(f, f.conn, f.dir, edited);
        verdict = 'drop';
      }
    });
    return verdict;
  };
  w.register('alice');
  w.register('bob');
  w.login('alice');
  w.login('bob');
  w.login('alice');
  w.settle();
  return { violations: loginViolations(w, new Set()), fired, frames: seen.length, detected: loginDetected(w), lines: w.trace.lines(), elapsed: w.now() };
}

/** Plans of 1 to `maxSteps` moves over the schedule's frames. */
export function arbLoginPlan(maxSteps = 3): fc.Arbitrary<LoginPlan> {
  const nth = fc.integer({ min: 1, max: LOGIN_SCHEDULE_FRAMES });
  const step: fc.Arbitrary<LoginPlanStep> = fc.oneof(
    fc.record({ op: fc.constant('drop' as const), nth }),
    fc.record({ op: fc.constant('replay' as const), nth, onto: fc.constantFrom('same' as const, 'other' as const, 'own' as const), when: nth }),
    fc.record({ op: fc.constant('reflect' as const), nth }),
    fc.record({ op: fc.constant('edit' as const), nth, at: fc.integer({ min: 0, max: 4095 }) }),
  );
  return fc.array(step, { minLength: 1, maxLength: maxSteps });
}
