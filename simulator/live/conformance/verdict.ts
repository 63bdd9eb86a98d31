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
}

/** One scripted case. */
export interface Case {
  /** The requirement it checks. */
  readonly id: ReqId;
  /** What it checks, in a few words. */
  readonly name: string;
  /** The profiles it applies to (default both); on another it is reported as skipped. */
  readonly profiles?: readonly Profile[];
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
