/**
 * The malicious relay in a simulated scenario (`pqroom simulate --adversary PLAN`, spec 11.2.1):
 * a plan (a JSON file or a live preset) executed from the first frame, the property oracles of
 * spec 12 watching every step, the secrecy oracles judging the adversary's knowledge at the end.
 * The trace's first line carries the plan, so that `pqroom replay` makes the same relay again.
 */
import { toHex } from '../impl/bytes.ts';
import { optionsFromHeader, simulate, type RunOptions, type RunPlugin } from '../simulator/run.ts';
import type { World } from '../simulator/world.ts';
import { knowledge } from './knowledge.ts';
import { loadLivePlan } from './live-plans.ts';
import { checkSecrecy, propertyMonitor, type Violation } from './oracles/index.ts';
import { checkPlan } from './plan-format.ts';
import { maliciousRelay, type Plan } from './relay.ts';

/** The plugin that runs `plan` (called `name`) against a scenario. */
export function adversaryPlugin(name: string, plan: Plan): RunPlugin {
  let world: World | undefined;
  const relay = maliciousRelay(plan, (client) => {
    const n = world?.clients.get(client);
    return n ? toHex(n.identity.fp) : undefined;
  });
  let monitor: ReturnType<typeof propertyMonitor> | undefined;
  return {
    tap: relay,
    header: { adversary: { name, plan } },
    attach(w) {
      world = w;
      monitor = propertyMonitor(w, new Set(), () => relay.observed);
      relay.arm();
    },
    onStep: () => monitor?.step(),
    finish(w, removed) {
      const m = monitor!;
      m.finish(removed);
      const k = knowledge(w.options.crypto);
      for (const o of relay.observed) k.observe(o);
      checkSecrecy(w, k, { controlled: new Set(), removedAt: new Map(), leaks: new Map() }, (v) => m.report(v));
      const violations: readonly Violation[] = m.violations;
      const props = [...new Set(violations.map((v) => v.prop))].sort();
      const lines = [
        `adversary ${name}: ${plan.length} plan step(s), fired ${relay.fired.join(', ') || 'none'}`,
        violations.length === 0 ? '  properties: none broken (spec 12)' : `  properties: BROKEN ${props.join(', ')}`,
        ...violations.slice(0, 10).map((v) => `    ${v.prop} at ${v.party}, t=${v.t} ms: ${v.detail}`),
        ...(violations.length > 10 ? [`    ... and ${violations.length - 10} more`] : []),
      ];
      return { lines, failed: violations.length > 0 };
    },
  };
}

/** What `pqroom simulate --adversary ARG` plugs in (cli.js passes this loader): a preset or a plan file. */
export function loadSimulationAdversary(arg: string, _run: RunOptions): RunPlugin {
  const p = loadLivePlan(arg);
  return adversaryPlugin(p.name, p.plan);
}

/** Rebuilds a `pqroom simulate --adversary` run from its trace's first line (undefined for a header of another kind). */
export function rebuildSimulationTrace(header: string): string | undefined {
  const h = JSON.parse(header) as { scenario?: unknown; adversary?: { name?: unknown; plan?: unknown } };
  if (typeof h.scenario !== 'string' || h.adversary === undefined) return undefined;
  const plan = checkPlan(h.adversary.plan);
  return simulate(optionsFromHeader(header), true, adversaryPlugin(String(h.adversary.name), plan)).trace;
}
