/**
 * The options of a simulated run and their defaults, without the simulator: `pqroom simulate` and
 * `pqroom audit` check their command line against these before they load the machines and the
 * crypto (simulator/run.ts runs them).
 */
import { REAL_BACKENDS } from '../impl/crypto/backend-names.ts';
import type { Profile } from '../impl/suite.ts';
import { NO_FAULTS, type Faults } from './faults.ts';

/** The crypto backends a run can use: `real` is the fastest real backend present (impl/crypto/backends.ts). */
export const BACKENDS = ['real', 'symbolic', ...REAL_BACKENDS] as const;

/** The crypto backends a run can use. */
export type Backend = (typeof BACKENDS)[number];

/** True when `s` names a backend. */
export function isBackend(s: unknown): s is Backend {
  return (BACKENDS as readonly unknown[]).includes(s);
}

/** Throws one line when `b` is a real backend this process does not have (the real backends are loaded for a real backend's name, not for `symbolic`). */
export async function requireBackend(b: Backend): Promise<Backend> {
  if (b === 'symbolic') return b;
  const { loadRealBackends, realCrypto } = await import('../impl/crypto/backends.ts');
  await loadRealBackends();
  if (b !== 'real') realCrypto(b);
  return b;
}

/** Everything a run depends on. */
export interface RunOptions {
  /** A name from `SCENARIOS`. */
  readonly scenario: string;
  /** The seed (a non-negative safe integer). */
  readonly seed: number;
  /** The profile of the relay and every client. */
  readonly profile: Profile;
  /** Faults. */
  readonly faults: Faults;
  /** Crypto backend. */
  readonly backend: Backend;
  /** Scenario size overrides. */
  readonly messages?: number;
  readonly members?: number;
}

/** The default options of `pqroom simulate`. */
export const DEFAULT_RUN: RunOptions = { scenario: 'room', seed: 1, profile: 'hardened', faults: NO_FAULTS, backend: 'real' };
