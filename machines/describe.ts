/**
 * Reads the machine definitions themselves: every state, and every transition with its event,
 * guard and target. `pqroom machines` prints this; the spec-agreement and coverage tests use it.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { clientConnectionMachine, relayConnectionMachine } from './connection.ts';
import { memberMachine } from './member.ts';
import { ownerMachine } from './owner.ts';
import { relayMachine } from './relay.ts';

/** One transition of a machine. */
export interface TransitionInfo {
  /** Source state path, dotted (`active.ready`); `*` for root-level transitions (from any state). */
  readonly source: string;
  /** Event type, or `always` for eventless transitions. */
  readonly event: string;
  /** Guard name, if any. */
  readonly guard: string | undefined;
  /** Target state path, or undefined for a self-handling transition. */
  readonly target: string | undefined;
  /** Actions by name. */
  readonly actions: readonly string[];
}

/** A role's machine, described. */
export interface MachineInfo {
  /** Role name as in the spec. */
  readonly role: string;
  /** Machine id. */
  readonly id: string;
  /** Every state path, dotted, in document order. */
  readonly states: readonly string[];
  /** Leaf (atomic) states. */
  readonly atomic: readonly string[];
  /** Initial state path. */
  readonly initial: string;
  /** The initial child of each compound state, by path. */
  readonly initialChild: Readonly<Record<string, string>>;
  /** Every transition. */
  readonly transitions: readonly TransitionInfo[];
}

/** The machines of every role, by role name. */
export const ROLE_MACHINES: readonly { readonly role: string; readonly machine: AnyStateMachine }[] = [
  { role: 'owner', machine: ownerMachine },
  { role: 'member', machine: memberMachine },
  { role: 'relay', machine: relayMachine },
  { role: 'client connection', machine: clientConnectionMachine },
  { role: 'relay connection', machine: relayConnectionMachine },
];

function pathOf(node: AnyStateNode): string {
  return node.path.length === 0 ? '*' : node.path.join('.');
}

function guardName(g: unknown): string | undefined {
  if (g === undefined) return undefined;
  if (typeof g === 'string') return g;
  if (typeof g === 'object' && g !== null && 'type' in g) {
    const t = (g as { type: string; guards?: unknown[] }).type;
    if (t === 'xstate.and' || t === 'xstate.or' || t === 'xstate.not') {
      const parts = ((g as { guards?: unknown[] }).guards ?? []).map(guardName);
      return `${t.slice(7)}(${parts.join(', ')})`;
    }
    return t;
  }
  if (typeof g === 'function') return (g as { name?: string }).name || 'inline';
  return undefined;
}

function actionName(a: unknown): string {
  if (typeof a === 'string') return a;
  if (typeof a === 'object' && a !== null && 'type' in a) return String((a as { type: string }).type);
  if (typeof a === 'function') return (a as { type?: string; name?: string }).type ?? ((a as { name?: string }).name || 'inline');
  return 'inline';
}

interface Walked {
  readonly info: MachineInfo;
  /** xstate's transition objects, index for index with `info.transitions`. */
  readonly defs: readonly object[];
}

function walk(role: string, machine: AnyStateMachine): Walked {
  const states: string[] = [];
  const atomic: string[] = [];
  const transitions: TransitionInfo[] = [];
  const defs: object[] = [];
  const initialChild: Record<string, string> = {};
  const add = (source: string, event: string, t: { guard?: unknown; target?: readonly AnyStateNode[]; actions?: readonly unknown[] }): void => {
    transitions.push({ source, event, guard: guardName(t.guard), target: t.target?.map((n: AnyStateNode) => pathOf(n)).join(','), actions: (t.actions ?? []).map(actionName) });
    defs.push(t);
  };
  const visit = (node: AnyStateNode): void => {
    const source = pathOf(node);
    if (node.path.length > 0) {
      states.push(source);
      if (Object.keys(node.states).length === 0) atomic.push(source);
      const first = node.initial?.target?.[0] as AnyStateNode | undefined;
      if (first) initialChild[source] = pathOf(first);
    }
    for (const [event, list] of node.transitions) for (const t of list) add(source, event, t);
    for (const t of node.always ?? []) add(source, 'always', t);
    for (const child of Object.values(node.states)) visit(child as AnyStateNode);
  };
  visit(machine.root);
  const initialNode = machine.root.initial?.target?.[0] as AnyStateNode | undefined;
  return { info: { role, id: machine.id, states, atomic, initial: initialNode ? pathOf(initialNode) : '', initialChild, transitions }, defs };
}

/** Describes a machine from its definition. */
export function describeMachine(role: string, machine: AnyStateMachine): MachineInfo {
  return walk(role, machine).info;
}

/**
 * xstate's own transition objects of a machine, index for index with
 * `describeMachine(...).transitions`: what machines/observe.ts reports a microstep took.
 */
export function transitionObjects(machine: AnyStateMachine): readonly object[] {
  return walk('', machine).defs;
}

/** Every role's machine, described. */
export function describeAll(): MachineInfo[] {
  return ROLE_MACHINES.map(({ role, machine }) => describeMachine(role, machine));
}

/** A Mermaid `stateDiagram-v2` of a machine, generated from its definition. */
export function mermaid(info: MachineInfo): string {
  const id = (p: string): string => p.replace(/[^A-Za-z0-9_]/g, '_');
  const lines = ['stateDiagram-v2', `  %% ${info.role} (${info.id})`];
  const nested = new Map<string, string[]>();
  for (const s of info.states) {
    const parent = s.includes('.') ? s.slice(0, s.lastIndexOf('.')) : '';
    nested.set(parent, [...(nested.get(parent) ?? []), s]);
  }
  const emitState = (s: string, indent: string): void => {
    const children = nested.get(s);
    if (children) {
      lines.push(`${indent}state ${id(s)} {`);
      const init = children[0]!;
      lines.push(`${indent}  [*] --> ${id(init)}`);
      for (const ch of children) emitState(ch, `${indent}  `);
      lines.push(`${indent}}`);
    } else {
      lines.push(`${indent}${id(s)} : ${s.split('.').pop()}`);
    }
  };
  lines.push(`  [*] --> ${id(info.initial)}`);
  for (const s of nested.get('') ?? []) emitState(s, '  ');
  for (const t of info.transitions) {
    if (!t.target) continue;
    const label = t.guard ? `${t.event} [${t.guard}]` : t.event;
    for (const target of t.target.split(',')) {
      const sources = t.source === '*' ? info.atomic.filter((a) => a !== target) : [t.source];
      for (const from of sources) lines.push(`  ${id(from)} --> ${id(target)} : ${label}`);
    }
  }
  return lines.join('\n');
}
