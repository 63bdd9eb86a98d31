/**
 * Watching which transitions the role machines take (the audit's machine coverage of the
 * transition tables of spec 6.10, 7.10, 8.11 and the login machines of spec 9): while an
 * observer is installed, the pure driver and the actors created with {@link inspectActors}
 * report every machine start and every microstep's transitions. Nothing here changes what a
 * machine does; without an observer it costs one check per microstep.
 */
import type { AnyStateMachine, InspectionEvent } from 'xstate';

const logicOf = (ev: InspectionEvent): AnyStateMachine => (ev.actorRef as unknown as { logic: AnyStateMachine }).logic;

/** Receives what the machines did while it is installed. */
export interface TransitionObserver {
  /** A machine instance started (entered its initial states). */
  started(machine: AnyStateMachine): void;
  /** One microstep took these transitions: xstate's own transition objects, as its state nodes hold them. */
  took(machine: AnyStateMachine, transitions: readonly object[]): void;
}

let current: TransitionObserver | undefined;

/** The observer installed now, if any. */
export function observer(): TransitionObserver | undefined {
  return current;
}

/** Runs `f` with `o` installed (runs are synchronous, so nothing else is observed meanwhile). */
export function withTransitionObserver<T>(o: TransitionObserver | undefined, f: () => T): T {
  const before = current;
  current = o;
  try {
    return f();
  } finally {
    current = before;
  }
}

/** An xstate inspector that reports microsteps to the installed observer (the driver's scopes use it). */
export function inspectMicrosteps(ev: InspectionEvent): void {
  if (current && ev.type === '@xstate.microstep') current.took(logicOf(ev), (ev as unknown as { _transitions: readonly object[] })._transitions);
}

/** The inspector for `createActor(machine, { inspect: inspectActors })`: starts and microsteps. */
export function inspectActors(ev: InspectionEvent): void {
  if (current && ev.type === '@xstate.actor') current.started(logicOf(ev));
  else inspectMicrosteps(ev);
}
