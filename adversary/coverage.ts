/**
 * Machine coverage of the audit campaign: for every role machine (the transition tables of spec
 * 6.10, 7.10 and 8.11, and the login machines of spec 9), how often the campaign started it,
 * took each transition of its definition and entered each state. Counted from what the machines
 * report through machines/observe.ts while the campaign's runs go on.
 */
import type { AnyStateMachine } from 'xstate';
import { describeMachine, ROLE_MACHINES, transitionObjects, type MachineInfo, type TransitionInfo } from '../machines/describe.ts';
import { loginClientMachine } from '../machines/login-client.ts';
import { loginServerMachine } from '../machines/login-server.ts';
import type { TransitionObserver } from '../machines/observe.ts';

/** Every machine the coverage counts: the roles of `pqroom machines` and both ends of the login. */
export const COVERED_MACHINES: readonly { readonly role: string; readonly machine: AnyStateMachine }[] = [
  ...ROLE_MACHINES,
  { role: 'login client', machine: loginClientMachine },
  { role: 'login server', machine: loginServerMachine },
];

/** A transition's name in coverage counts: `source -> target on event [guard]` (`(stays)` for a targetless one). */
export function transitionKey(t: TransitionInfo): string {
  return `${t.source} -> ${t.target ?? '(stays)'} on ${t.event}${t.guard === undefined ? '' : ` [${t.guard}]`}`;
}

/** The transition keys of a machine, index for index with its transitions (a repeated key gets `#2`, `#3`). */
export function transitionKeys(info: MachineInfo): string[] {
  const seen = new Map<string, number>();
  return info.transitions.map((t) => {
    const k = transitionKey(t);
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return n === 1 ? k : `${k} #${n}`;
  });
}

/** How often the campaign used one machine. */
export interface MachineCoverage {
  readonly role: string;
  /** The machine's id. */
  readonly id: string;
  /** Instances started. */
  readonly starts: number;
  /** Entries into each state (at a start, or by a transition from outside it), every state of the definition. */
  readonly states: Readonly<Record<string, number>>;
  /** Each transition of the definition, by {@link transitionKey}, and how often it was taken. */
  readonly transitions: Readonly<Record<string, number>>;
}

/** An observer that counts; `coverage()` reads the counts so far. */
export interface CoverageCollector extends TransitionObserver {
  coverage(): MachineCoverage[];
}

function ancestorsOrSelf(path: string): string[] {
  if (path === '*' || path === '') return [];
  const parts = path.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

/**
 * What a collector needs to know of each machine, the same for every run: walked once per thread,
 * not once per run (issue 24: each run's walk was new code that V8 optimized again, about 70 ms of
 * compilation each time for 0.4 ms of work).
 */
let described: readonly { machine: AnyStateMachine; info: MachineInfo; keys: readonly string[]; index: ReadonlyMap<object, number> }[] | undefined;

function describedMachines(): NonNullable<typeof described> {
  described ??= COVERED_MACHINES.map(({ role, machine }) => {
    const info = describeMachine(role, machine);
    return { machine, info, keys: transitionKeys(info), index: new Map(transitionObjects(machine).map((d, i) => [d, i] as const)) };
  });
  return described;
}

/** A collector for every machine of {@link COVERED_MACHINES}. */
export function coverageCollector(): CoverageCollector {
  const machines = describedMachines().map(({ machine, info, keys, index }) => {
    return { machine, info, keys, index, starts: 0, taken: info.transitions.map(() => 0), entered: new Map(info.states.map((s) => [s, 0])) };
  });
  const byMachine = new Map(machines.map((m) => [m.machine, m] as const));
  const enter = (m: (typeof machines)[number], from: string, target: string): void => {
    const exclude = new Set(ancestorsOrSelf(from));
    const entered = ancestorsOrSelf(target).filter((s) => !exclude.has(s));
    for (let c = m.info.initialChild[target]; c !== undefined; c = m.info.initialChild[c]) entered.push(c);
    for (const s of entered) m.entered.set(s, (m.entered.get(s) ?? 0) + 1);
  };
  return {
    started(machine) {
      const m = byMachine.get(machine);
      if (!m) return;
      m.starts++;
      enter(m, '*', m.info.initial);
    },
    took(machine, transitions) {
      const m = byMachine.get(machine);
      if (!m) return;
      for (const d of transitions) {
        const i = m.index.get(d);
        if (i === undefined) throw new Error(`coverage: ${m.info.role} took a transition its definition does not list`);
        m.taken[i]!++;
        const t = m.info.transitions[i]!;
        if (t.target !== undefined) for (const target of t.target.split(',')) enter(m, t.source, target);
      }
    },
    coverage: () =>
      machines.map((m) => ({
        role: m.info.role,
        id: m.info.id,
        starts: m.starts,
        states: Object.fromEntries(m.entered),
        transitions: Object.fromEntries(m.keys.map((k, i) => [k, m.taken[i]!])),
      })),
  };
}
