/** What a conformance case is and what it found (the suite's data, printed and written as JSON). */
import type { Bytes } from '../../../impl/bytes.ts';
import type { CryptoProvider } from '../../../impl/crypto/provider.ts';
import type { ReqId } from '../../../impl/errors.ts';
import type { Identity } from '../../../impl/protocol/identity.ts';
import type { StatefulRng } from '../../../impl/rng.ts';
import type { Profile } from '../../../impl/suite.ts';
import type { Peer } from './peer.ts';

import { Mismatch } from './mismatch.ts';

export { Mismatch };

/** What a case runs with: the relay under test and fresh principals. */
export interface CaseContext {
  readonly url: string;
  readonly crypto: CryptoProvider;
  readonly profile: Profile;
  /** hardened: the relay key pinned. */
  readonly relayPk?: Bytes;
  /** This case's generator. */
  readonly rng: StatefulRng;
  /** A new principal (a fresh identity). */
  identity(): Identity;
  /** Connects `who`; closed when the case ends. */
  connect(who: Identity, o?: { readonly spoilAuth?: (auth: Bytes) => Bytes; readonly relayPk?: Bytes }): Promise<Peer>;
  /** A request id not used before in this run. */
  reqId(): number;
  /**
   * The time (ms since the epoch) that expiries are computed from. A recorded case reads the time
   * of its first call throughout, so that an invite's expiry is recorded as an exact duration
   * (vectors/relay-conformance.md): use this, not Date.now(), for anything the relay compares with its clock.
   */
  now(): number;
  /** Waits `ms` (a case that lets time pass says so here, so that a recorded case waits as long: vectors/relay-conformance.md). */
  sleep(ms: number): Promise<void>;
  /**
   * Waits (up to `ms`) until `done()` holds of what `peer` received, else fails with a
   * {@link Mismatch} of `expected` and `got()`. A case waits here for what the spec promises will
   * come (a push) before a request that depends on it; a recorded case expects there, on that
   * connection, what it received so far that no request took (an `expect` step in the middle of
   * the case: vectors/relay-conformance.md), so that a replay waits for it too.
   */
  received(peer: Peer, done: () => boolean, expected: string, got: () => string, ms?: number): Promise<void>;
}

/** One scripted case. */
export interface Case {
  /** The requirement it checks. */
  readonly id: ReqId;
  /** What it checks, in a few words. */
  readonly name: string;
  /** The profiles it applies to (default both); on another it is reported as skipped. */
  readonly profiles?: readonly Profile[];
  /**
   * Why the case cannot be a fixed script, when it cannot (its requests depend on what the relay
   * answers, as a login proof on the relay's challenge does): the vector recorder leaves it out and
   * the vectors list it as skipped with this reason (vectors/relay-conformance.md).
   */
  readonly notAVector?: string;
  /**
   * The vector recorder records this case after every other case of its profile and writes it at
   * its place in the file, so that adding it to the vectors changed no other case (their
   * principals, connections, request ids and random bytes are numbered and drawn in recording
   * order: vectors/relay-conformance.md).
   */
  readonly recordLast?: true;
  /** Longest it may take (ms), when more than the run's limit: a case that moves tens of MiB. */
  readonly timeoutMs?: number;
  run(x: CaseContext): Promise<void>;
}

/** A case's outcome. */
export interface CaseResult {
  readonly verdict: 'pass' | 'FAIL' | 'skip';
  readonly id: ReqId;
  readonly name: string;
  readonly expected?: string;
  readonly got?: string;
  readonly ms: number;
}

/** Throws a {@link Mismatch} unless `ok`. */
export function expectThat(ok: boolean, expected: string, got: () => string): void {
  if (!ok) throw new Mismatch(expected, got());
}
