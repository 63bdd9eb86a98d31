/**
 * Attack plans for the live relay (`pqroom relay --adversary PLAN`): the malicious relay of the
 * simulator, on real sockets, so that real clients can be watched detecting an attack (spec 11.2).
 * A plan is a preset's name or a JSON file holding a plan (a list of capability uses, the format
 * of adversary/relay.ts). Live, a client is named by the first 16 hex characters of its principal;
 * the presets name no client, so they hit whoever receives the matching frame.
 */
import { readFileSync } from 'node:fs';
import type { LiveTapPlan } from '../simulator/live/relay.ts';
import { checkPlan } from './plan-format.ts';
import { maliciousRelay, type MaliciousRelay, type Plan } from './relay.ts';

/** A named live plan. */
export interface LivePlan {
  readonly name: string;
  /** What it does and what an honest client of each profile should make of it. */
  readonly describe: string;
  readonly plan: Plan;
}

/** The presets. */
export const LIVE_PLANS: readonly LivePlan[] = [
  {
    name: 'tamper',
    describe: 'CAP-07: flips a bit of the ciphertext of the 20th message the relay delivers to someone other than its sender; the recipient must refuse it (AEAD)',
    plan: [{ cap: 'CAP-07', op: 'mutate', match: { dir: 'down', msg: 'RoomDelivery', toOthers: true, nth: 20 }, path: 'payload.ciphertext', mutation: { op: 'flip' } }],
  },
  {
    name: 'replay',
    describe: 'CAP-05: appends the 20th room entry it delivers (to someone other than its sender) to the log again, 200 ms later, as if its sender had sent it twice; hardened members refuse the copy (REQ-MEM-016), compat members show it twice (W6)',
    plan: [{ cap: 'CAP-05', op: 'replay', match: { dir: 'down', msg: 'RoomDelivery', toOthers: true, nth: 20 }, afterMs: 200, reappend: true }],
  },
  {
    name: 'withhold',
    describe: 'CAP-11: withholds the 20th room entry it delivers to someone other than its sender from that recipient, live and in every history page; hardened members see the gap in the sender\'s sequence numbers, compat members cannot',
    plan: [{ cap: 'CAP-11', op: 'withhold', match: { dir: 'down', msg: 'RoomDelivery', toOthers: true, nth: 20 } }],
  },
];

/** A preset by name, or a plan read from a JSON file (throws with a readable message). */
export function loadLivePlan(arg: string): LivePlan {
  const preset = LIVE_PLANS.find((p) => p.name === arg);
  if (preset) return preset;
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch {
    throw new Error(`--adversary: ${arg} is neither a preset (${LIVE_PLANS.map((p) => p.name).join(', ')}) nor a readable plan file`);
  }
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch {
    throw new Error(`--adversary: ${arg} is not JSON`);
  }
  try {
    return { name: arg, describe: `the plan in ${arg}`, plan: checkPlan(plan) };
  } catch (e) {
    throw new Error(`--adversary: ${arg}: ${(e as Error).message} (spec 11.2.1)`);
  }
}

/** The malicious relay for a live plan, armed from the start; `principalOf` names live clients. */
export function liveAdversary(plan: LivePlan, principalOf: (name: string) => string | undefined): MaliciousRelay {
  const relay = maliciousRelay(plan.plan, (name) => principalOf(name) ?? (/^[0-9a-f]{64}$/.test(name) ? name : undefined), { keepObserved: false });
  relay.arm();
  return relay;
}

/** What `pqroom relay --adversary ARG` plugs into the live relay (cli.js passes this loader to it). */
export function loadLiveTap(arg: string): LiveTapPlan {
  const plan = loadLivePlan(arg);
  return { name: plan.name, describe: plan.describe, traceHeader: { plan: plan.plan }, tap: (principalOf) => liveAdversary(plan, principalOf) };
}
