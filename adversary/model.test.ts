/**
 * Model-based adversary tests (fast-check `fc.commands`): a live room under the malicious
 * relay, driven one command at a time: members send, the relay drops, swaps, replays,
 * withholds or re-signs the next delivery to someone, withholds or forges a key update, a
 * member asks for a key update (spec 7.12), time passes, a member goes offline and comes back. After every command the property oracles must be silent (hardened); a failure
 * shrinks to the shortest command sequence that shows it, printed with its seed and path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../impl/bytes.ts';
import { forEachSeed } from '../impl/fc-seeds.ts';
import { withCheckOff } from '../impl/mutants.ts';
import type { Profile } from '../impl/suite.ts';
import { backendCrypto } from '../simulator/run.ts';
import { scenario, SETTLE_MS, type ScenarioRun } from '../simulator/scenarios.ts';
import { createWorld, type World } from '../simulator/world.ts';
import { propertyMonitor, type Monitor } from './oracles/index.ts';
import { maliciousRelay, type MaliciousRelay, type PlanStep } from './relay.ts';

// the fixed regression seed and its budget; CI adds a seed of its own (`impl/fc-seeds.ts`)
const RUNS = 200;
const SEED = 20261123;
const MEMBERS = ['alice', 'bob'] as const;

interface Model {
  sent: number;
}
interface Real {
  readonly world: World;
  readonly relay: MaliciousRelay;
  readonly monitor: Monitor;
  readonly profile: Profile;
}

function room(profile: Profile, seed: number): Real {
  let world: World | undefined;
  const relay = maliciousRelay([], (name) => {
    const n = world?.clients.get(name);
    return n ? toHex(n.identity.fp) : undefined;
  });
  let monitor: Monitor | undefined;
  world = createWorld({ seed, profile, crypto: backendCrypto('symbolic'), clientConfig: { rotateEvery: 6 }, tap: relay, onStep: () => monitor?.step() });
  monitor = propertyMonitor(world, new Set(), () => relay.observed);
  const run: ScenarioRun = { world, members: [], removed: [], speakers: new Set(), next: 0, extraChecks: [] };
  for (const s of scenario('model', 'model-based room').members(...MEMBERS).create().admit(...MEMBERS).steps) s(run);
  relay.arm();
  return { world, relay, monitor, profile };
}

const chatLabel = (p: Profile): string => (p === 'hardened' ? 'RoomDelivery(AppMessage)' : 'RoomDelivery(CompatChat)');

/** Asserts the oracles are silent so far. */
function quiet(r: Real): void {
  const v = r.monitor.violations[0];
  if (v) throw new Error(`${v.prop} at ${v.party}, t=${v.t}: ${v.detail}`);
}

class Send implements fc.Command<Model, Real> {
  constructor(readonly who: string) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    r.world.user(this.who, { type: 'user.send', text: `c${m.sent} from ${this.who}` });
    m.sent++;
    r.world.runUntil(r.world.now() + 150);
    quiet(r);
  }
  toString = (): string => `send(${this.who})`;
}

class Relay implements fc.Command<Model, Real> {
  constructor(
    readonly op: 'drop' | 'swap' | 'replay' | 'withhold' | 'forge-sender' | 'reindex' | 'drop-update' | 'urgent-update',
    readonly to: string,
    /** reindex: the log index the chat is delivered under. */
    readonly index = 2,
  ) {}
  check = (): boolean => true;
  run(_m: Model, r: Real): void {
    const match = { dir: 'down' as const, client: this.to, msg: chatLabel(r.profile), nth: 1 };
    // key updates (spec 7.12, hardened): the member's next one withheld, or the next one the owner gets made urgent (its signature then fails)
    const step: PlanStep =
      this.op === 'drop-update'
        ? { cap: 'CAP-02', op: 'drop', match: { dir: 'up', client: this.to, msg: 'PostKeyUpdate', nth: 1 } }
        : this.op === 'urgent-update'
          ? { cap: 'CAP-07', op: 'mutate', match: { dir: 'down', client: 'owner', msg: 'MailboxDelivery(KeyUpdate)', nth: 1 }, path: 'entry.payload.urgent', mutation: { op: 'set', value: 1 } }
          : this.op === 'drop'
        ? { cap: 'CAP-02', op: 'drop', match }
        : this.op === 'swap'
          ? { cap: 'CAP-04', op: 'swap', match }
          : this.op === 'replay'
            ? { cap: 'CAP-05', op: 'replay', match, afterMs: 400, reappend: true }
            : this.op === 'withhold'
              ? { cap: 'CAP-11', op: 'withhold', match }
              : this.op === 'reindex'
                ? { cap: 'CAP-04', op: 'reindex', match, index: this.index }
                : { cap: 'CAP-07', op: 'mutate', match, path: 'payload.sender', mutation: { op: 'member', name: 'owner' } };
    r.relay.addStep(step);
    quiet(r);
  }
  toString = (): string =>
    this.op === 'reindex'
      ? `reindex(next chat to ${this.to}, index ${this.index})`
      : this.op === 'drop-update'
        ? `drop(next key update from ${this.to})`
        : this.op === 'urgent-update'
          ? 'urgent(next key update to owner)'
          : `${this.op}(next chat to ${this.to})`;
}

/** REQ-MEM-052: a member's user asks for a key update (compat: refused, it has none). */
class Update implements fc.Command<Model, Real> {
  constructor(readonly who: string) {}
  check = (): boolean => true;
  run(_m: Model, r: Real): void {
    r.world.user(this.who, { type: 'user.update' });
    r.world.runUntil(r.world.now() + 150);
    quiet(r);
  }
  toString = (): string => `update(${this.who})`;
}

class Wait implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  run(_m: Model, r: Real): void {
    r.world.runUntil(r.world.now() + this.ms);
    quiet(r);
  }
  toString = (): string => `wait(${this.ms})`;
}

class Offline implements fc.Command<Model, Real> {
  constructor(readonly who: string) {}
  check = (): boolean => true;
  run(_m: Model, r: Real): void {
    r.world.disconnect(this.who);
    r.world.runUntil(r.world.now() + 500);
    r.world.connect(this.who);
    quiet(r);
  }
  toString = (): string => `offline-and-back(${this.who})`;
}

const who = fc.constantFrom<string>('owner', ...MEMBERS);
const commands = fc.commands(
  [
    who.map((w) => new Send(w)),
    who.map((w) => new Send(w)),
    fc.tuple(fc.constantFrom('drop', 'swap', 'replay', 'withhold', 'forge-sender', 'reindex', 'drop-update', 'urgent-update') as fc.Arbitrary<Relay['op']>, who, fc.integer({ min: 1, max: 12 })).map(([op, to, index]) => new Relay(op, to, index)),
    fc.constantFrom<string>(...MEMBERS).map((w) => new Update(w)),
    fc.integer({ min: 100, max: 5_000 }).map((ms) => new Wait(ms)),
    fc.constantFrom<string>(...MEMBERS).map((w) => new Offline(w)),
  ],
  { maxCommands: 14, size: 'max' },
);

/** Runs the commands, lets the room settle, and judges what must eventually hold. */
function playAndSettle(profile: Profile, seed: number, cmds: Iterable<fc.Command<Model, Real>>): Real {
  let real: Real | undefined;
  fc.modelRun(() => {
    real = room(profile, seed);
    return { model: { sent: 0 }, real };
  }, cmds);
  real!.world.runUntil(real!.world.now() + SETTLE_MS);
  real!.monitor.finish([]);
  quiet(real!);
  return real!;
}

describe('model-based adversary (fc.commands)', () => {
  it(`hardened: no property fails after any command of ${RUNS} generated command sequences per seed, nor once the room settles`, () => {
    forEachSeed(import.meta.url, SEED, RUNS, ({ seed: fcSeed, numRuns }) => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 10_000 }), commands, (seed, cmds) => {
          playAndSettle('hardened', seed, cmds);
        }),
        { numRuns, seed: fcSeed },
      );
    });
  }, 600_000);

  it('REQ-MEM-061: a genuine message the relay serves under an index the member already processed is processed, so a withheld one is alarmed (found by generation: PQROOM_FC_SEED=7, 3000 runs)', () => {
    // The shrunk counterexample, kept as it was printed: world seed 1, path "2170:0:2:8:19".
    // The relay withholds owner's c0 from alice, swaps her next two deliveries, and after her
    // reconnect owner's c2 arrives under an index she already processed. A member that skipped it
    // by index never saw evidence of c0 and raised nothing (PROP-10 broken in hardened).
    const cmds = [new Relay('withhold', 'alice'), new Send('owner'), new Relay('swap', 'alice'), new Offline('alice'), new Send('alice'), new Send('owner'), new Wait(100)];
    const r = playAndSettle('hardened', 1, cmds);
    const alice = r.world.clients.get('alice')!;
    // c2 cannot be delivered before the c0 it follows (REQ-MEM-017); it is held, the full fetch
    // finds no c0, and alice alarms for owner's missing message
    const owner = toHex(r.world.clients.get('owner')!.identity.fp);
    expect(alice.deliveries.map((d) => d.text)).not.toContain('c0 from owner');
    const alarms = r.world.raised.filter((x) => x.party === 'alice' && x.kind === 'alarm');
    expect(alarms.map((x) => [x.reqId, x.detail.slice(0, 23)])).toContainEqual(['REQ-MEM-020', `sender ${owner.slice(0, 16)}`]);
    // the mutant that skips by index alone (mutant index-as-evidence) fails the same sequence
    expect(() => withCheckOff('REQ-MEM-061', () => playAndSettle('hardened', 1, cmds))).toThrow(/^PROP-10 at alice/);
  }, 60_000);

  it('compat: generation finds a violated property and shrinks it to a short command sequence that replays the same way', () => {
    const out = fc.check(
      fc.property(fc.integer({ min: 1, max: 10_000 }), commands, (seed, cmds) => {
        playAndSettle('compat', seed, cmds);
      }),
      { numRuns: 100, seed: SEED },
    );
    expect(out.failed).toBe(true);
    const [seed, cmds] = out.counterexample!;
    const shown = [...cmds].map(String);
    expect(shown.length).toBeLessThanOrEqual(4);
    // the shrunk sequence fails again, with the same first violation
    const first = (): string => {
      try {
        playAndSettle('compat', seed, cmds);
        return 'no violation';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const a = first();
    expect(a).toMatch(/^PROP-\d\d at /);
    expect(first()).toBe(a);
  }, 600_000);
});
