/**
 * Generated attack plans (fast-check): capability uses over the frames of the attack room,
 * each drawn from small domains (which client, which sender, which occurrence), so that
 * shrinking ends at a short, readable plan. The hardened profile must hold every property over
 * every generated plan; in compat generation finds the seed weaknesses on its own.
 */
import fc from 'fast-check';
import type { Profile } from '../impl/suite.ts';
import type { Plan, PlanStep } from './relay.ts';

const CLIENTS = ['owner', 'alice', 'bob', 'carol'] as const;

/** Arbitrary plans of 1 to `maxSteps` capability uses against the room of `runAttack`. */
export function arbPlan(profile: Profile, maxSteps = 2): fc.Arbitrary<Plan> {
  const chat = profile === 'hardened' ? 'RoomDelivery(AppMessage)' : 'RoomDelivery(CompatChat)';
  const roster = profile === 'hardened' ? 'RosterInfo' : 'CompatRosterInfo';
  const rotation = profile === 'hardened' ? 'RoomDelivery(Commit)' : 'RoomDelivery(CompatRotation)';
  const client = fc.constantFrom(...CLIENTS);
  const nth = fc.integer({ min: 1, max: 6 });
  const roomMatch = fc.record({
    client,
    sender: fc.constantFrom(...CLIENTS),
    nth,
    msg: fc.constantFrom(chat, chat, rotation),
  });
  const down = (m: { client: string; sender: string; nth: number; msg: string }) =>
    m.msg === rotation ? { dir: 'down' as const, client: m.client, msg: m.msg, nth: m.nth } : { dir: 'down' as const, client: m.client, msg: m.msg, sender: m.sender, nth: m.nth };
  // key updates (spec 7.12, hardened only: compat has none): a member's update withheld or delayed, the owner's
  // copy handed to it again under a fresh mailbox index, or made urgent (its signature then fails)
  const member = fc.constantFrom('alice', 'bob', 'carol');
  const toOwner = fc.integer({ min: 1, max: 3 }).map((n) => ({ dir: 'down' as const, client: 'owner', msg: 'MailboxDelivery(KeyUpdate)', nth: n }));
  const updates: fc.Arbitrary<PlanStep>[] =
    profile === 'hardened'
      ? [
          fc.tuple(member, fc.integer({ min: 1, max: 3 })).map(([c, n]): PlanStep => ({ cap: 'CAP-02', op: 'drop', match: { dir: 'up', client: c, msg: 'PostKeyUpdate', nth: n } })),
          fc.tuple(toOwner, fc.integer({ min: 50, max: 20_000 })).map(([m, ms]): PlanStep => ({ cap: 'CAP-03', op: 'delay', match: m, ms })),
          fc.tuple(roomMatch, toOwner, fc.integer({ min: 1, max: 40 })).map(
            ([when, what, by]): PlanStep => ({ cap: 'CAP-06', op: 'inject', match: down(when), bytes: { recorded: what, mutate: { path: 'entry.index', mutation: { op: 'add', by } } }, to: 'owner' }),
          ),
          toOwner.map((m): PlanStep => ({ cap: 'CAP-07', op: 'mutate', match: m, path: 'entry.payload.urgent', mutation: { op: 'set', value: 1 } })),
        ]
      : [];
  const step: fc.Arbitrary<PlanStep> = fc.oneof(
    ...updates,
    roomMatch.map((m): PlanStep => ({ cap: 'CAP-02', op: 'drop', match: down(m) })),
    fc.tuple(roomMatch, fc.integer({ min: 50, max: 3_000 })).map(([m, ms]): PlanStep => ({ cap: 'CAP-03', op: 'delay', match: down(m), ms })),
    roomMatch.map((m): PlanStep => ({ cap: 'CAP-04', op: 'swap', match: down(m) })),
    fc.tuple(roomMatch, fc.integer({ min: 1, max: 40 })).map(([m, index]): PlanStep => ({ cap: 'CAP-04', op: 'reindex', match: down(m), index })),
    fc.tuple(roomMatch, fc.integer({ min: 10, max: 5_000 })).map(([m, afterMs]): PlanStep => ({ cap: 'CAP-05', op: 'replay', match: down(m), afterMs, reappend: true })),
    fc.tuple(roomMatch, client).map(([m, as]): PlanStep => ({ cap: 'CAP-07', op: 'mutate', match: down(m), path: 'payload.sender', mutation: { op: 'member', name: as } })),
    roomMatch.map((m): PlanStep => ({ cap: 'CAP-07', op: 'retype', match: down(m), to: profile === 'hardened' ? 'Commit' : 'CompatRotation' })),
    roomMatch.map((m): PlanStep => ({ cap: 'CAP-11', op: 'withhold', match: down(m) })),
    fc.tuple(client, fc.integer({ min: 0, max: 3 })).map(([c, keep]): PlanStep => ({ cap: 'CAP-11', op: 'truncate', match: { dir: 'down', client: c, msg: 'HistoryChunk' }, keep })),
    roomMatch.map((m): PlanStep => ({ cap: 'CAP-11', op: 'freeze', match: down(m) })),
    // CAP-09: an earlier roster or history page served again in place of the current one
    fc.tuple(client, fc.constantFrom(roster, 'HistoryChunk'), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 })).map(
      ([c, msg, nth, to]): PlanStep => ({ cap: 'CAP-09', op: 'rollback', match: { dir: 'down', client: c, msg, nth }, to }),
    ),
    // CAP-06: a room entry some client got, sent to another one, under a log index moved on by `shift`
    fc.tuple(roomMatch, roomMatch, fc.integer({ min: 0, max: 40 })).map(
      ([when, what, shift]): PlanStep => ({ cap: 'CAP-06', op: 'inject', match: down(when), bytes: { recorded: down(what), ...(shift === 0 ? {} : { mutate: { path: 'index', mutation: { op: 'add', by: shift } } }) }, to: when.client }),
    ),
    // CAP-13: a request some client made, given to the relay again as that client (a fresh req_id) or as another one
    fc.tuple(roomMatch, client, client, fc.constantFrom('Send', 'PostCommit', 'GetRoster', 'FetchHistory')).map(
      ([when, from, as, msg]): PlanStep => ({ cap: 'CAP-13', op: 'post', match: down(when), bytes: { recorded: { dir: 'up', client: from, msg }, mutate: { path: 'req_id', mutation: { op: 'add', by: 0x10000 } } }, as }),
    ),
    // CAP-06 across rooms (spec 7.11): a frame of the second room (owner2 and alice2, the owner's and
    // alice's people again: a plan naming them runs with that room) sent to a client of the first,
    // or the other way, as it was or rebound to the receiver's room (its room id set to it)
    fc.tuple(roomMatch, fc.constantFrom('owner2', 'alice2'), fc.constantFrom(chat, rotation, roster, 'HistoryChunk', 'MailboxChunk'), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.boolean()).map(
      ([when, annex, msg, nth, rebind, intoAnnex]): PlanStep => {
        const [to, from] = intoAnnex ? [annex, when.client] : [when.client, annex];
        return {
          cap: 'CAP-06',
          op: 'inject',
          match: intoAnnex ? { dir: 'down', client: annex, nth: when.nth } : down(when),
          bytes: { recorded: { dir: 'down', client: from, msg, nth }, ...(rebind ? { mutate: { path: 'room_id', mutation: { op: 'room', of: to } } } : {}) },
          to,
        };
      },
    ),
    // faults at the moment a frame passes: a client crashes, or the relay restarts (spec 11.2.1)
    fc.tuple(roomMatch, client, fc.integer({ min: 100, max: 20_000 })).map(([m, c, downtimeMs]): PlanStep => ({ cap: 'FAULT', op: 'crash', match: down(m), client: c, downtimeMs })),
    fc.tuple(roomMatch, fc.integer({ min: 100, max: 10_000 })).map(([m, downtimeMs]): PlanStep => ({ cap: 'FAULT', op: 'restart-relay', match: down(m), downtimeMs })),
  );
  return fc.array(step, { minLength: 1, maxLength: maxSteps });
}

/**
 * Fault schedules (the `--faults` syntax of spec 8.12) that a generated attack may run under: none
 * most of the time, else a lossy or reordering network, a member's crash, a partition or a
 * relay restart in the middle of the attack room's chat (it runs from about 5 s to 60 s).
 */
export function arbFaults(): fc.Arbitrary<string | undefined> {
  const client = fc.constantFrom(...CLIENTS);
  const at = fc.integer({ min: 5_000, max: 60_000 });
  const span = fc.integer({ min: 500, max: 20_000 });
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    fc.constantFrom('drop=0.03', 'dup=0.05', 'reorder=0.2:300', 'drop=0.02,dup=0.02,reorder=0.1:200'),
    fc.tuple(client, at, span).map(([c, a, s]) => `crash=${c}@${a}~${s}`),
    fc.tuple(client, at, span).map(([c, a, s]) => `partition=${c}@${a}~${s}`),
    fc.tuple(at, fc.integer({ min: 500, max: 5_000 })).map(([a, s]) => `relay-restart=@${a}~${s}`),
  );
}

/**
 * Rejects a generated plan none of whose steps fired (issue 30): the run was an honest room and
 * proves nothing about the plan, so it must not count as one where every property held. Call it
 * inside a fast-check property with the run's `fired` counts; fast-check draws another plan in
 * its place (a precondition), and fails the property if too many fire nothing.
 */
export function requireFired(fired: readonly number[]): void {
  fc.pre(fired.some((n) => n > 0));
}
