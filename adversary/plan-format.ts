/**
 * The plan format of spec 11.2.1, checked: a plan read from JSON (a file, a trace header, a live
 * relay's `--adversary`) is taken only when every step is one the malicious relay can carry out,
 * and a plan that is not gets one error naming the first wrong step and field.
 */
import { MsgType } from '../impl/messages/index.ts';
import type { Plan } from './relay.ts';

/** What each operation needs: its capability ids, and its fields beyond `cap`, `op` and `match`. */
const OPS: Readonly<Record<string, { readonly caps: readonly string[]; readonly fields: Readonly<Record<string, 'number' | 'string' | 'boolean' | 'bytes' | 'mutation' | 'msg'>>; readonly optional?: readonly string[] }>> = {
  drop: { caps: ['CAP-02'], fields: {} },
  delay: { caps: ['CAP-03'], fields: { ms: 'number' } },
  swap: { caps: ['CAP-04'], fields: {} },
  reindex: { caps: ['CAP-04'], fields: { index: 'number' } },
  replay: { caps: ['CAP-05'], fields: { afterMs: 'number', to: 'string', reappend: 'boolean' }, optional: ['to', 'reappend'] },
  mutate: { caps: ['CAP-07', 'CAP-08'], fields: { path: 'string', mutation: 'mutation' } },
  retype: { caps: ['CAP-07'], fields: { to: 'msg' } },
  withhold: { caps: ['CAP-11'], fields: {} },
  truncate: { caps: ['CAP-11'], fields: { keep: 'number' } },
  freeze: { caps: ['CAP-11'], fields: {} },
  substitute: { caps: ['CAP-09'], fields: { craft: 'string' } },
  rewrite: { caps: ['CAP-09'], fields: { craft: 'string' } },
  rollback: { caps: ['CAP-09'], fields: { to: 'number' }, optional: ['to'] },
  inject: { caps: ['CAP-06'], fields: { bytes: 'bytes', to: 'string' }, optional: ['to'] },
  post: { caps: ['CAP-13'], fields: { bytes: 'bytes', as: 'string' } },
  crash: { caps: ['FAULT'], fields: { downtimeMs: 'number', client: 'string' }, optional: ['client'] },
  'restart-relay': { caps: ['FAULT'], fields: { downtimeMs: 'number' } },
};

/** The operations a plan may use (spec 11.2.1). */
export const PLAN_OPS: readonly string[] = Object.keys(OPS);

const MATCH_FIELDS: Readonly<Record<string, 'number' | 'string' | 'boolean'>> = { dir: 'string', client: 'string', msg: 'string', sender: 'string', toOthers: 'boolean', nth: 'number', after: 'number', before: 'number' };

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
const isCount = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Why `m` is not a match, or undefined when it is one. */
function matchProblem(m: unknown): string | undefined {
  if (!isObject(m)) return 'must be an object { dir, ... }';
  if (m.dir !== 'down' && m.dir !== 'up') return 'dir must be "down" or "up"';
  for (const [k, v] of Object.entries(m)) {
    const want = MATCH_FIELDS[k];
    if (want === undefined) return `has an unknown field ${k} (known: ${Object.keys(MATCH_FIELDS).join(', ')})`;
    if (want === 'number' ? !isCount(v) : typeof v !== want) return `${k} must be ${want === 'number' ? 'a whole number, 0 or more' : `a ${want}`}`;
  }
  if (m.nth === 0) return 'nth counts from 1';
  return undefined;
}

/** Why `x` is not a mutation, or undefined when it is one. */
function mutationProblem(x: unknown): string | undefined {
  if (!isObject(x)) return 'must be an object { op, ... }';
  if (x.op === 'flip') return undefined;
  if (x.op === 'add') return Number.isSafeInteger(x.by) ? undefined : 'add needs a whole number "by"';
  if (x.op === 'set') {
    const v = x.value;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return undefined;
    return isObject(v) && typeof v.hex === 'string' && /^([0-9a-f]{2})*$/.test(v.hex) ? undefined : 'set needs a value: a number, a boolean, a string or { "hex": ... }';
  }
  if (x.op === 'member') return typeof x.name === 'string' ? undefined : 'member needs a client "name"';
  if (x.op === 'room') return typeof x.of === 'string' ? undefined : 'room needs a client "of"';
  return 'op must be flip, add, set, member or room';
}

/** Why `x` is not plan bytes, or undefined when it is. */
function bytesProblem(x: unknown): string | undefined {
  if (!isObject(x)) return 'must be { "hex": ... } or { "recorded": MATCH }';
  if ('hex' in x === 'recorded' in x) return 'needs exactly one of "hex" and "recorded"';
  if ('hex' in x && (typeof x.hex !== 'string' || !/^([0-9a-f]{2})+$/.test(x.hex))) return 'hex must be lower-case hex, a whole number of bytes';
  if ('recorded' in x) {
    const p = matchProblem(x.recorded);
    if (p !== undefined) return `recorded ${p}`;
  }
  if (x.mutate !== undefined) {
    if (!isObject(x.mutate) || typeof x.mutate.path !== 'string') return 'mutate must be { "path": ..., "mutation": ... }';
    const p = mutationProblem(x.mutate.mutation);
    if (p !== undefined) return `mutate.mutation ${p}`;
  }
  for (const k of Object.keys(x)) if (!['hex', 'recorded', 'mutate'].includes(k)) return `has an unknown field ${k}`;
  return undefined;
}

/**
 * Checks that `x` is a plan (spec 11.2.1) and returns it; throws an Error whose message names
 * the first wrong step (1-based) and what is wrong with it.
 */
export function checkPlan(x: unknown): Plan {
  if (!Array.isArray(x)) throw new Error('a plan is a JSON list of steps ({ "cap", "op", "match", ... })');
  x.forEach((step: unknown, i) => {
    const where = `step ${i + 1}`;
    if (!isObject(step)) throw new Error(`${where}: must be an object { "cap", "op", "match", ... }`);
    const spec = typeof step.op === 'string' ? OPS[step.op] : undefined;
    if (spec === undefined) throw new Error(`${where}: op must be one of ${PLAN_OPS.join(', ')}`);
    if (typeof step.cap !== 'string' || !spec.caps.includes(step.cap)) throw new Error(`${where}: ${step.op} is a use of ${spec.caps.join(' or ')}, not ${String(step.cap)}`);
    const mp = matchProblem(step.match);
    if (mp !== undefined) throw new Error(`${where}: match ${mp}`);
    for (const [k, want] of Object.entries(spec.fields)) {
      const v = step[k];
      if (v === undefined) {
        if (spec.optional?.includes(k)) continue;
        throw new Error(`${where}: ${step.op} needs "${k}"`);
      }
      const problem =
        want === 'number' ? (isCount(v) ? undefined : 'must be a whole number, 0 or more')
        : want === 'mutation' ? mutationProblem(v)
        : want === 'bytes' ? bytesProblem(v)
        : want === 'msg' ? (typeof v === 'string' && v in MsgType ? undefined : 'must name a message type of spec 4')
        : typeof v === want ? undefined : `must be a ${want}`;
      if (problem !== undefined) throw new Error(`${where}: ${k} ${problem}`);
    }
    for (const k of Object.keys(step)) if (!['cap', 'op', 'match', ...Object.keys(spec.fields)].includes(k)) throw new Error(`${where}: ${step.op} has no field "${k}"`);
  });
  return x as Plan;
}
