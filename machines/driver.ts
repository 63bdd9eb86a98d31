/**
 * The pure driver: steps a machine snapshot (xstate's `initialTransition`, then the machine's
 * own `transition` with an inert actor scope) and returns the effects the machine emitted,
 * without executing anything. The simulator, the tests and the live relay all drive the
 * machines through it.
 */
import { createActor, initialTransition, type AnyActorScope, type AnyStateMachine, type EventFromLogic, type InputFrom, type InspectionEvent, type SnapshotFrom } from 'xstate';
import { inspectMicrosteps, observer } from './observe.ts';

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
  observer()?.started(machine);
  return { snapshot, effects: emitted<TEffect>(actions) };
}

/**
 * One actor scope per machine, reused by every step. xstate's own pure `transition()` builds a
 * fresh throwaway actor and actor system for every call, which costs more than the step itself
 * (about 57 µs of a 118 µs frame round trip through both connection machines, measured with
 * `npm run bench`). The scope is inert like xstate's: nothing deferred, nothing emitted, no
 * child actors (pqroom machines spawn none and schedule nothing); the action executor only
 * collects the actions of the step being taken, so a step stays a pure function of its inputs.
 */
const scopes = new WeakMap<AnyStateMachine, AnyActorScope>();

function sendInspectionEvent(ev: InspectionEvent): void {
  if (observer() !== undefined) inspectMicrosteps(ev);
}

function scopeOf(machine: AnyStateMachine): AnyActorScope {
  let scope = scopes.get(machine);
  if (!scope) {
    const self = createActor(machine);
    // The audit's machine coverage (machines/observe.ts) gets each microstep straight from the
    // system, and only while an observer is installed: xstate's own inspection path copies every
    // microstep's event and walks its observers even when nothing listens to it.
    const system = Object.create(self.system, { _sendInspectionEvent: { value: sendInspectionEvent } }) as typeof self.system;
    scope = { self, id: '', sessionId: '', logger: () => {}, defer: () => {}, emit: () => {}, system, stopChild: () => {}, actionExecutor: () => {} };
    scopes.set(machine, scope);
  }
  return scope;
}

/** Steps a machine by one event: pure, deterministic, nothing executed. */
export function step<TMachine extends AnyStateMachine, TEffect>(
  machine: TMachine,
  snapshot: SnapshotFrom<TMachine>,
  event: EventFromLogic<TMachine>,
): Stepped<TMachine, TEffect> {
  const actions: { type: string; params?: unknown }[] = [];
  const scope = scopeOf(machine);
  scope.actionExecutor = (a) => {
    actions.push(a);
  };
  try {
    const next = machine.transition(snapshot, event, scope) as SnapshotFrom<TMachine>;
    return { snapshot: next, effects: emitted<TEffect>(actions) };
  } finally {
    scope.actionExecutor = () => {};
  }
}

/**
 * Wraps a machine's context factory. xstate 5's pure `transition()` builds a throwaway actor on
 * every call, and that actor evaluates the context factory once, with no input. A factory that
 * dereferences its input throws there, and xstate catches it: an Error and its stack trace on
 * every step, the largest single cost of stepping a machine (measured with `npm run bench`).
 * The probe gets an empty context instead; the snapshot being stepped is never built from it.
 */
export function fromInput<TInput, TContext>(f: (input: TInput) => TContext): (a: { input: TInput }) => TContext {
  return ({ input }) => (input === undefined ? ({} as TContext) : f(input));
}
