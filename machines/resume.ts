/**
 * Resuming a client after a restart (REQ-MEM-026): the role machine continues from the state it
 * persisted after its last step, with a fresh random generator (REQ-CRY-015: a stored generator
 * state is never resumed), offline, and with no request counted as in flight (it re-sends what is
 * still unanswered and fetches what it missed). The simulated world's restarts and the browser
 * client's reload both resume through here.
 */
import type { AnyStateMachine, SnapshotFrom } from 'xstate';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import type { DrbgState } from '../impl/rng.ts';
import type { ClientCore } from './client-core.ts';

/** What a client persists of its role machine: its state value and its context, less the crypto provider (a program, not state). */
export interface PersistedRole {
  readonly value: unknown;
  readonly context: Omit<ClientCore, 'crypto'> & Record<string, unknown>;
}

/** The persisted form of a role machine's snapshot. */
export function persistedRole(snapshot: { readonly value: unknown; readonly context: unknown }): PersistedRole {
  const { crypto: _crypto, ...context } = snapshot.context as ClientCore & Record<string, unknown>;
  return { value: snapshot.value, context };
}

/** The role machine `machine` resumed from `persisted`, over `crypto`, with the fresh generator `rng`. */
export function resumeRole<M extends AnyStateMachine>(machine: M, persisted: PersistedRole, crypto: CryptoProvider, rng: DrbgState): SnapshotFrom<M> {
  const ctx = persisted.context;
  const context = { ...ctx, crypto, rng, online: false, sync: { ...ctx.sync, inFlight: undefined, mailInFlight: undefined } };
  return machine.resolveState({ value: persisted.value as never, context }) as SnapshotFrom<M>;
}
