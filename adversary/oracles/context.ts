/**
 * What the oracles of one run share: the world they judge, who the adversary controls, what the
 * malicious relay observed, and how a violation is recorded. The monitor (monitor.ts) builds one
 * and hands it to the oracles it delegates to (invites.ts, rosters.ts).
 */
import { peekType } from '../../impl/codec.ts';
import type { Bytes } from '../../impl/bytes.ts';
import type { ClientNode, World } from '../../simulator/world.ts';
import type { Observation } from '../relay.ts';
import type { Rooms } from './rooms.ts';
import type { PropId } from './types.ts';

/** The run an oracle judges, and how it reports. */
export interface OracleContext {
  /** The simulated world (ground truth: what honest parties sent and created). */
  readonly world: World;
  /** The clients the adversary controls (CAP-16): never judged as honest. */
  readonly controlled: ReadonlySet<string>;
  /** The malicious relay's record of every message up and down. */
  readonly observed: () => readonly Observation[];
  /** The rooms of the world: owners, members, room ids. */
  readonly rooms: Rooms;
  /** Whether the world runs the hardened profile. */
  readonly hardened: boolean;
  /** The honest clients. */
  readonly honest: () => readonly ClientNode[];
  /** The client an id (hex) names, as seen from `from` when it names several. */
  readonly clientById: (id: string, from?: ClientNode) => ClientNode | undefined;
  /** Records a violation (once per property, party and detail). */
  readonly violate: (prop: PropId, party: string, detail: string) => void;
}

/** Whether `bytes` is a message of `type` (false for anything that does not even have a type). */
export function isType(bytes: Bytes, type: number): boolean {
  try {
    return peekType(bytes) === type;
  } catch {
    return false;
  }
}
