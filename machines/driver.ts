/**
 * The pure driver: steps a machine snapshot with `initialTransition` / `transition` from xstate
 * and returns the effects the machine emitted, without executing anything. The simulator, the
 * tests and the live relay all drive the machines through it.
 */
import { initialTransition, transition, type AnyStateMachine, type EventFromLogic, type InputFrom, type SnapshotFrom } from 'xstate';

/** The next snapshot and the effects emitted on the way there. */
export interface Stepped<TMachine extends AnyStateMachine, TEffect> {
  /** The machine's next snapshot. */
  readonly snapshot: SnapshotFrom<TMachine>;
  /** The effects, in the order the machine emitted them. */
  readonly effects: readonly TEffect[];
}

function emitted<TEffect>(actions: readonly { type: string; params?: unknown }[]): TEffect[] {
  const out: TEffect[] = [];
  for (const a of actions) {
    if (a.type === 'xstate.emit') out.push((a.params as { event: TEffect }).event);
  }
  return out;
}

/** Starts a machine: its initial snapshot and entry effects. */
export function start<TMachine extends AnyStateMachine, TEffect>(machine: TMachine, input: InputFrom<TMachine>): Stepped<TMachine, TEffect> {
  const [snapshot, actions] = (initialTransition as (m: AnyStateMachine, i: unknown) => [SnapshotFrom<TMachine>, { type: string; params?: unknown }[]])(machine, input);
  return { snapshot, effects: emitted<TEffect>(actions) };
}

/** Steps a machine by one event: pure, deterministic, nothing executed. */
export function step<TMachine extends AnyStateMachine, TEffect>(
  machine: TMachine,
  snapshot: SnapshotFrom<TMachine>,
  event: EventFromLogic<TMachine>,
): Stepped<TMachine, TEffect> {
  const [next, actions] = transition(machine, snapshot, event) as unknown as [SnapshotFrom<TMachine>, { type: string; params?: unknown }[]];
  return { snapshot: next, effects: emitted<TEffect>(actions) };
}
