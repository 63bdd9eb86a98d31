/**
 * Secrecy oracles (spec 12): PROP-01, 02, 03, 11, 12 and 16 judged on the adversary's knowledge,
 * the Dolev-Yao closure of everything it observed (adversary/knowledge.ts).
 */
import { equalBytes } from '../../impl/bytes.ts';
import type { OwnerContext } from '../../machines/owner.ts';
import type { ClientNode, World } from '../../simulator/world.ts';
import type { Knowledge } from '../knowledge.ts';
import { rooms } from './rooms.ts';
import type { PropId, Violation } from './types.ts';

/** What the secrecy oracles need to know about the adversary's position in a run. */
export interface SecrecyContext {
  /** Clients the adversary controls (CAP-16). */
  readonly controlled: ReadonlySet<string>;
  /** When each controlled member was removed (virtual ms since the start). */
  readonly removedAt: ReadonlyMap<string, number>;
  /** Epochs (compat: generations) of the first room (its owner's client is `owner`) whose secret was leaked to the adversary, with when (CAP-17). */
  readonly leaks: ReadonlyMap<number, number>;
  /**
   * hardened: members of the first room whose ML-KEM private keys leaked (CAP-17), with the
   * highest key version leaked (every version up to it). Their keys open every later entry
   * sealed to them until a key update made after the leak is committed (PROP-12).
   */
  readonly kemLeaks?: ReadonlyMap<string, number>;
}

/** Secrecy properties PROP-01, 02, 03, 11, 12, 16 against the adversary's knowledge closure. */
export const SECRECY_PROPERTIES: readonly PropId[] = ['PROP-01', 'PROP-02', 'PROP-03', 'PROP-11', 'PROP-12', 'PROP-16'];

/**
 * Checks the secrecy properties: which epoch secrets (compat: room keys), tokens and
 * plaintexts the adversary knows, against which epochs it was entitled to know.
 */
export function checkSecrecy(world: World, k: Knowledge, x: SecrecyContext, report: (v: Omit<Violation, 't'>) => void): void {
  // each room is judged on its own owner's records (spec 7.11); leaks name epochs of the first room
  const R = rooms(world);
  for (const owner of R.owners()) {
    if (x.controlled.has(owner.name)) continue;
    const leaks = owner.name === 'owner' ? x.leaks : new Map<number, number>();
    const kemLeaks = owner.name === 'owner' ? (x.kemLeaks ?? new Map<string, number>()) : new Map<string, number>();
    const members = new Set([...world.clients.values()].filter((n) => R.ownerOf(n) === owner).map((n) => n.name));
    checkRoom(world, k, { ...x, leaks, kemLeaks }, owner, members, report);
  }
}

/** The secrecy properties of the room `owner` keeps, whose clients are `members` (the owner among them). */
function checkRoom(world: World, k: Knowledge, x: SecrecyContext, owner: ClientNode, members: ReadonlySet<string>, report: (v: Omit<Violation, 't'>) => void): void {
  const ctx = owner.snapshot.context as OwnerContext;
  const hardened = world.options.profile === 'hardened';
  const t0 = world.startTime;
  // epoch e: its secret, when it began, and which controlled members were in it
  const starts = new Map<number, number>([[0, 0]]);
  for (const s of owner.statuses) if (s.status.kind === 'epoch') starts.set(s.status.epoch, s.at - t0);
  const secrets: [number, Uint8Array][] = [];
  if (ctx.group) for (const [e, r] of Object.entries(ctx.group.epochs)) if (r.keys) secrets.push([Number(e), r.keys.epochSecret]);
  if (ctx.compat) for (const key of ctx.compat.keys) secrets.push([key.generation, key.key]);
  const admitted = (name: string): number | undefined => {
    const id = world.clients.get(name)!.identity.fp;
    const s = owner.statuses.find((y) => y.status.kind === 'admitted' && equalBytes(y.status.memberId, id));
    return s ? s.at - t0 : undefined;
  };
  const insiders = (e: number): string[] => {
    const start = starts.get(e) ?? Infinity;
    const end = starts.get(e + 1) ?? Infinity;
    return [...x.controlled].filter((name) => members.has(name)).filter((name) => {
      if (hardened) {
        const id = world.clients.get(name)!.identity.fp;
        return (ctx.group?.epochs[e]?.roster ?? []).some((r) => equalBytes(r.member_id, id));
      }
      const a = admitted(name);
      const r = x.removedAt.get(name) ?? Infinity;
      return a !== undefined && a < end && r > start;
    });
  };
  /**
   * PROP-01's exception, PROP-12 (hardened): epoch `e` follows a leaked epoch secret, and a
   * member whose ML-KEM private keys leaked still has a leaked key in the owner's roster of `e`:
   * no key update of it made after the leak is committed by then, so its entry opens.
   */
  const unhealed = (e: number): boolean => {
    if (!hardened || ![...x.leaks.keys()].some((l) => l < e)) return false;
    const roster = ctx.group?.epochs[e]?.roster ?? [];
    return [...(x.kemLeaks ?? new Map<string, number>())].some(([name, version]) => {
      const id = world.clients.get(name)?.identity.fp;
      const rec = id && roster.find((r) => equalBytes(r.member_id, id));
      return rec !== undefined && rec.kem_cert.version <= version;
    });
  };
  const what = hardened ? 'epoch secret of epoch' : 'room key of generation';
  const firstLeak = Math.min(...x.leaks.keys());
  for (const [e, secret] of secrets) {
    if (!k.knows(secret) || insiders(e).length > 0 || x.leaks.has(e) || unhealed(e)) continue;
    const start = starts.get(e) ?? 0;
    const removedBefore = [...x.removedAt].filter(([, r]) => r <= start).map(([n]) => n);
    const leakedBefore = [...x.leaks].filter(([le, at]) => le < e && at <= start);
    const via = k.provenance(secret)?.via ?? '?';
    report({ prop: 'PROP-01', party: owner.name, detail: `the adversary knows the ${what} ${e} (through ${via}), which no member it controls was in` });
    if (removedBefore.length > 0) report({ prop: 'PROP-11', party: owner.name, detail: `${removedBefore.join(', ')}, removed before it began, knows the ${what} ${e}` });
    if (leakedBefore.length > 0)
      report({ prop: 'PROP-12', party: owner.name, detail: `after the leak of epoch ${firstLeak} and a later rotation${hardened && (x.kemLeaks?.size ?? 0) > 0 ? ' (and the leaked members\' key updates committed)' : ''}, the adversary knows the ${what} ${e}` });
    const p = k.provenance(secret);
    if (p?.via === 'compat welcome' && p.withToken === false) report({ prop: 'PROP-16', party: owner.name, detail: `the ${what} ${e} was obtained through invite ${p.inviteId?.slice(0, 16)} without its token` });
  }
  // PROP-02: plaintexts of honest members' messages in those epochs
  for (const node of world.clients.values()) {
    if (x.controlled.has(node.name) || !members.has(node.name)) continue;
    for (const s of node.statuses) {
      if (s.status.kind !== 'sent' || !k.plaintexts.has(s.status.text)) continue;
      const e = s.status.epoch;
      if (insiders(e).length === 0 && !x.leaks.has(e) && !unhealed(e)) report({ prop: 'PROP-02', party: node.name, detail: `the adversary reads "${s.status.text}" (${what} ${e})` });
    }
  }
  // PROP-03: invite tokens
  for (const s of owner.statuses) {
    if (s.status.kind === 'invite' && k.knows(s.status.invite.token)) report({ prop: 'PROP-03', party: owner.name, detail: 'the adversary knows an invite token' });
  }
}
