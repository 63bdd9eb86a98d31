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

/** Told of every simple step taken (adversary/simple-step.test.ts compares each with xstate's own). */
export type SimpleAudit = (machine: AnyStateMachine, snapshot: unknown, event: unknown, stepped: Stepped<AnyStateMachine, unknown>) => void;
let simpleAudit: SimpleAudit | undefined;

/** Runs `f` with `audit` told of every simple step {@link step} takes (for the agreement tests). */
export function withSimpleStepAudit<T>(audit: SimpleAudit, f: () => T): T {
  const before = simpleAudit;
  simpleAudit = audit;
  try {
    return f();
  } finally {
    simpleAudit = before;
  }
}

/** Steps a machine by one event: pure, deterministic, nothing executed. */
export function step<TMachine extends AnyStateMachine, TEffect>(
  machine: TMachine,
  snapshot: SnapshotFrom<TMachine>,
  event: EventFromLogic<TMachine>,
): Stepped<TMachine, TEffect> {
  if (FAST.has(machine)) {
    const r = simpleStep(machine, snapshot, event as { type: string });
    if (r !== undefined) {
      simpleAudit?.(machine, snapshot, event, r);
      return r as Stepped<TMachine, TEffect>;
    }
  }
  return xstateStep(machine, snapshot, event);
}

/** Steps a machine by one event through xstate's own macrostep (what {@link step} does but for the simple steps of the machines marked {@link fastStepped}). */
export function xstateStep<TMachine extends AnyStateMachine, TEffect>(
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

// ---------------------------------------------------------------- the simple step (issue 23)

/**
 * The machines whose simple steps {@link step} takes without xstate's macrostep: every role machine
 * the driver steps (the relay, both connection ends, the owner and the member; the login machines
 * run as actors). Most of their steps are simple: every relay request and frame, and a simulated
 * room's messages, entries and acknowledgements. xstate's generic macrostep (state node sets, conflict
 * removal, eventless selection, action resolution through several closures and objects) cost the
 * relay about as much CPU and garbage per message as the relay logic it runs (issue 23). The
 * machine definition stays the one source of truth: the simple step reads the transitions, guards
 * and actions from it, takes only what it can take exactly as xstate does, and hands everything
 * else to xstate (driver.test.ts compares both on every kind of event of the relay's machines, and
 * adversary/simple-step.test.ts on every simple step of whole runs of all of them).
 */
const FAST = new WeakSet<AnyStateMachine>();

/** Marks `machine` for the simple step; returns it. */
export function fastStepped<TMachine extends AnyStateMachine>(machine: TMachine): TMachine {
  FAST.add(machine);
  return machine;
}

/** Thrown inside a simple step that meets something it does not take: xstate takes the step. */
const NOT_SIMPLE: unique symbol = Symbol('not a simple step');

type Guard = unknown;
type Collect = (args: { context: object; event: object; enqueue: unknown; check: unknown; self: unknown; system: unknown }, params: undefined) => void;
interface Candidate {
  readonly guard: Guard;
  readonly collects: readonly Collect[];
  /** The transition object as the state node holds it (what the coverage observer counts). */
  readonly transition: object;
  /** A transition with a target: xstate takes it (exits, entries, a new configuration). */
  readonly targets: boolean;
}

/**
 * What a simple step in one atomic state does with one event type: the candidate transitions in
 * xstate's order (the state's own, then each ancestor's up to the root), and the guards of the
 * eventless transitions xstate evaluates after the step (the state's, then each ancestor's).
 */
interface Plan {
  readonly candidates: readonly Candidate[];
  readonly always: readonly Guard[];
}

interface Node {
  readonly type: string;
  readonly parent?: Node;
  readonly config: { readonly always?: unknown; readonly after?: unknown; readonly invoke?: unknown; readonly entry?: unknown; readonly exit?: unknown };
  readonly states: Readonly<Record<string, Node>>;
  readonly transitions: ReadonlyMap<string, readonly { readonly target?: readonly unknown[]; readonly reenter?: boolean; readonly guard?: unknown; readonly actions: readonly unknown[] }[]>;
  readonly always?: readonly { readonly guard?: unknown }[];
}

/** Per machine, per atomic state node, per event type: the plan, or undefined when a step of that kind is not simple. */
const plans = new WeakMap<AnyStateMachine, WeakMap<Node, Map<string, Plan | undefined>>>();

/** No delayed transitions and no invocations anywhere: a step runs no timers and starts no actors. */
function settles(n: Node): boolean {
  if (n.config.after !== undefined || n.config.invoke !== undefined) return false;
  return Object.values(n.states ?? {}).every(settles);
}

/** The atomic state node and its ancestors, innermost first (xstate's transitionAtomicNode, then transitionCompoundNode outwards). */
function lineage(node: Node): Node[] {
  const out: Node[] = [];
  for (let n: Node | undefined = node; n !== undefined; n = n.parent) out.push(n);
  return out;
}

function planOf(machine: AnyStateMachine, node: Node, eventType: string): Plan | undefined {
  let byNode = plans.get(machine);
  if (!byNode) plans.set(machine, (byNode = new WeakMap()));
  let byKey = byNode.get(node);
  if (!byKey) byNode.set(node, (byKey = new Map()));
  if (byKey.has(eventType)) return byKey.get(eventType);
  let plan: Plan | undefined;
  const impl = machine.implementations as { actions: Record<string, unknown> };
  if (node.type === 'atomic' && settles(machine.root as unknown as Node) && !eventType.startsWith('xstate.')) {
    let candidates: Candidate[] | undefined = [];
    const always: Guard[] = [];
    for (const n of lineage(node)) {
      // wildcard descriptors would add candidates of their own
      if ([...n.transitions.keys()].some((k) => k.includes('*'))) candidates = undefined;
      for (const t of n.transitions.get(eventType) ?? []) {
        if (candidates === undefined) break;
        const targets = (t.target !== undefined && t.target.length > 0) || t.reenter === true;
        const collects: Collect[] = [];
        for (const a of t.actions) {
          const f = (typeof a === 'string' ? impl.actions[a] : a) as ((() => void) & { type?: string; collect?: Collect }) | undefined;
          if (typeof f === 'function' && f.type === 'xstate.enqueueActions' && f.collect !== undefined) collects.push(f.collect);
          else if (!targets) candidates = undefined;
        }
        const g = t.guard;
        if (g !== undefined && typeof g !== 'string' && !(typeof g === 'function' && 'check' in g)) candidates = undefined;
        candidates?.push({ guard: g, collects, transition: t, targets });
      }
      for (const t of n.always ?? []) {
        // an eventless transition without a guard is always taken: no step in this state is simple
        if (t.guard === undefined || (typeof t.guard !== 'string' && !(typeof t.guard === 'function' && 'check' in t.guard))) candidates = undefined;
        always.push(t.guard);
      }
      if (candidates === undefined) break;
    }
    plan = candidates === undefined ? undefined : { candidates, always };
  }
  byKey.set(eventType, plan);
  return plan;
}

/** A guard as xstate's evaluateGuard reads it: a named guard of the machine, or a built-in one (`and`, ...) through its own check. */
function guardPasses(machine: AnyStateMachine, guard: Guard, snapshot: { context: object }, event: object): boolean {
  if (guard === undefined) return true;
  const guards = (machine.implementations as { guards: Record<string, unknown> }).guards;
  const g = (typeof guard === 'string' ? guards[guard] : guard) as ((a: object, p: undefined) => boolean) & { check?: (s: object, a: object, g: object) => boolean };
  if (typeof g !== 'function') throw NOT_SIMPLE;
  const args = { context: snapshot.context, event };
  return g.check !== undefined ? g.check(snapshot, args, g) : g(args, undefined);
}

function refuse(): never {
  throw NOT_SIMPLE;
}

/** What a simple step's actions get as `self` and `system`: the step has neither, so any use of them refuses it (xstate takes the step). */
const NO_ACTOR: object = new Proxy(Object.create(null) as object, { get: refuse, set: refuse, has: refuse, ownKeys: refuse, getOwnPropertyDescriptor: refuse, defineProperty: refuse, deleteProperty: refuse, getPrototypeOf: refuse });

/**
 * What a simple step's `enqueueActions` get as `enqueue` (one object per step, no closures): it
 * takes `assign` of an object and `emit` of an event; anything else (calling it, `raise`, `sendTo`,
 * an assignment by function...) throws NOT_SIMPLE and xstate takes the step.
 */
class Enqueue {
  assigned = false;
  readonly effects: unknown[] = [];
  constructor(public context: object) {}
  assign(update: unknown): void {
    if (typeof update !== 'object' || update === null) throw NOT_SIMPLE;
    for (const k in update) if (typeof (update as Record<string, unknown>)[k] === 'function') throw NOT_SIMPLE;
    this.context = Object.assign({}, this.context, update);
    this.assigned = true;
  }
  emit(ev: unknown): void {
    if (typeof ev === 'function') throw NOT_SIMPLE;
    this.effects.push(ev);
  }
}
// the rest of xstate's enqueue is not a simple step: each refuses it (on the prototype: no closure per step)
for (const name of ['cancel', 'raise', 'sendTo', 'sendParent', 'spawnChild', 'stopChild']) Object.defineProperty(Enqueue.prototype, name, { value: refuse });

/**
 * One simple step: an atomic state (at any depth, not in a parallel state) of a machine without
 * delayed transitions or invocations, the first candidate whose guard passes taken, targetless,
 * its actions `enqueueActions` that assign objects and emit events, and no eventless transition
 * enabled afterwards (in a state with eventless transitions, only steps without actions). As
 * xstate: the same snapshot when nothing is assigned, else the snapshot with the context each
 * assignment made (`Object.assign({}, context, update)`); the emitted events in order; the
 * installed coverage observer told of the transition taken. Undefined: xstate takes the step (a
 * target, another kind of action, an eventless transition enabled, a guard that throws, which
 * xstate evaluates again and raises as it does, wrapped in its own message). Guards are pure, and
 * no action has run when xstate takes the step, so xstate's result is its own; but an action that
 * uses what the simple step does not take (enqueue's raise, sendTo..., an assignment by function,
 * `self`, `system`, `check`) has run up to there, and xstate runs it again from the start: such an
 * action must do so before any work that leaves a trace outside the snapshot (no machine's does).
 * An action that throws is not run again: its exception goes up as it is, as from xstate's step
 * (which raises an action's exception unwrapped), so that an action runs once per step (the
 * symbolic backend numbers its ciphertexts: run twice, one would be numbered twice).
 */
export function simpleStep(machine: AnyStateMachine, snapshot: unknown, event: { type: string }): Stepped<AnyStateMachine, unknown> | undefined {
  const snap = snapshot as { status: string; value: unknown; context: object; _nodes: readonly Node[] };
  if (snap.status !== 'active') return undefined;
  let leaf: Node | undefined;
  for (const n of snap._nodes) {
    if (n.type === 'compound') continue;
    if (n.type !== 'atomic' || leaf !== undefined) return undefined; // parallel regions, final or history nodes
    leaf = n;
  }
  if (leaf === undefined) return undefined;
  const plan = planOf(machine, leaf, event.type);
  if (plan === undefined) return undefined;
  // whether the exception caught below came from an action (raised as it is) or from a guard (xstate takes the step)
  let acting = false;
  try {
    let next = snap;
    let effects: unknown[] = [];
    let taken: object | undefined;
    for (const c of plan.candidates) {
      if (!guardPasses(machine, c.guard, snap, event)) continue;
      if (c.targets) return undefined;
      // an eventless transition enabled after these actions would have xstate run them again: not
      // harmless when an action leaves a trace outside the snapshot (the symbolic backend numbers
      // its ciphertexts), so xstate takes every step that has actions in a state with eventless transitions
      if (plan.always.length > 0 && c.collects.length > 0) return undefined;
      const q = new Enqueue(snap.context);
      acting = true;
      for (const collect of c.collects) collect({ context: q.context, event, enqueue: q, check: refuse, self: NO_ACTOR, system: NO_ACTOR }, undefined);
      acting = false;
      if (q.assigned) next = { ...snap, context: q.context };
      effects = q.effects;
      taken = c.transition;
      break;
    }
    // xstate's macrostep then looks for an enabled eventless transition: it takes those itself
    for (const g of plan.always) if (guardPasses(machine, g, next, event)) return undefined;
    if (taken !== undefined) observer()?.took(machine, [taken]);
    return { snapshot: next as unknown as SnapshotFrom<AnyStateMachine>, effects };
  } catch (e) {
    if (e === NOT_SIMPLE || !acting) return undefined;
    throw e;
  }
}
