/**
 * One simulated run from its options alone: the seed, the scenario, the profile, the faults and
 * the crypto backend. The trace's first line records exactly those options, so that
 * `pqroom replay` can run it again and compare the new trace with the old, line by line.
 */
import { fastestReal, realCrypto } from '../impl/crypto/backends.ts';
import type { CryptoProvider } from '../impl/crypto/provider.ts';
import { symbolicCrypto } from '../impl/crypto/symbolic.ts';
import { faultsToString, parseFaults } from './faults.ts';
import { isBackend, type Backend, type RunOptions } from './options.ts';
import { findScenario, runScenario, summarize, type RunSummary, type ScenarioResult } from './scenarios.ts';
import type { TraceEvent } from './trace.ts';
import type { RelayTap } from './relay-host.ts';
import { createWorld, type World } from './world.ts';

// the options of a run, checked by the command lines without this module
export { BACKENDS, DEFAULT_RUN, isBackend, type Backend, type RunOptions } from './options.ts';

/** The trace format this module writes and reads. */
export const TRACE_FORMAT = 'pqroom-trace/1';

/**
 * `noble`, `liboqs`, `native`: the production primitives (ML-KEM-768, ML-DSA-65) from that
 * implementation, node:crypto's hashes and ChaCha20-Poly1305; all give the same bytes. `real`: the
 * fastest of them present. `symbolic`: real hashes and KDFs, but table-backed ML-KEM, ML-DSA and
 * AEADs with the real sizes (impl/crypto/symbolic.ts): the same protocol behaviour, several times
 * faster. Throws one line when the backend asked for is not present here. A real backend's provider
 * is there once the process has loaded the real backends (`loadRealBackends`, impl/crypto/backends.ts;
 * the commands and the campaign do it before a real run): this module does not, so that a symbolic
 * run never loads liboqs.
 */
export function backendCrypto(b: Backend): CryptoProvider {
  return b === 'symbolic' ? symbolicCrypto() : realCrypto(b === 'real' ? fastestReal() : b);
}

/** The backend as results report it: `real` with the backend it stands for here. */
export function backendLabel(b: Backend): string {
  return b === 'real' ? `real (${fastestReal()})` : b;
}

/** The outcome of a run. */
export interface RunOutput {
  /** The world after the run. */
  readonly world: World;
  /** The scenario's result, unless a step failed. */
  readonly result: ScenarioResult | undefined;
  /** Why a step failed, if one did. */
  readonly error: string | undefined;
  /** The summary (also the trace's last line). */
  readonly summary: RunSummary;
  /** The trace as JSON Lines (empty unless asked for): header, events, summary. */
  readonly trace: string;
}

/** The trace's first line for these options. */
export function runHeader(o: RunOptions): TraceEvent {
  return {
    t: 0,
    kind: 'run',
    format: TRACE_FORMAT,
    scenario: o.scenario,
    seed: o.seed,
    profile: o.profile,
    faults: faultsToString(o.faults),
    backend: o.backend,
    ...(o.messages === undefined ? {} : { messages: o.messages }),
    ...(o.members === undefined ? {} : { members: o.members }),
  };
}

/** Reads the options back from a trace's first line; throws a clear error when it is not one. */
export function optionsFromHeader(line: string): RunOptions {
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error('the first line of the trace is not JSON');
  }
  if (h.kind !== 'run' || h.format !== TRACE_FORMAT) throw new Error(`the first line of the trace is not a ${TRACE_FORMAT} run header`);
  const str = (k: string): string => {
    if (typeof h[k] !== 'string') throw new Error(`run header: ${k} missing`);
    return h[k];
  };
  const seed = h.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) throw new Error('run header: seed must be a non-negative integer');
  const profile = str('profile');
  if (profile !== 'hardened' && profile !== 'compat') throw new Error(`run header: unknown profile ${profile}`);
  const backend = str('backend');
  if (!isBackend(backend)) throw new Error(`run header: unknown backend ${backend}`);
  const opt = (k: string): number | undefined => (typeof h[k] === 'number' ? h[k] : undefined);
  const messages = opt('messages');
  const members = opt('members');
  return {
    scenario: str('scenario'),
    seed,
    profile,
    faults: parseFaults(str('faults')),
    backend,
    ...(messages === undefined ? {} : { messages }),
    ...(members === undefined ? {} : { members }),
  };
}

/**
 * Something plugged into a simulated run from outside the simulator (cli.js plugs in the
 * adversary's malicious relay for `pqroom simulate --adversary`): a relay tap, what the trace's
 * first line says of it (so that a rebuilder can make it again), a watch on the world, and its
 * verdict at the end.
 */
export interface RunPlugin {
  /** The relay tap (spec 11.2). */
  readonly tap: RelayTap;
  /** Fields added to the trace's first line. */
  readonly header: Readonly<Record<string, unknown>>;
  /** Called once the world exists, before the scenario runs. */
  attach(world: World): void;
  /** Called after every step of the world. */
  onStep(): void;
  /** Called when the run has ended (`removed`: the members the scenario removed): lines for the person, and whether anything it judges failed. */
  finish(world: World, removed: readonly string[]): { readonly lines: readonly string[]; readonly failed: boolean };
}

/** The outcome of a run with a plugin. */
export interface PluggedOutput extends RunOutput {
  /** The plugin's verdict. */
  readonly verdict: { readonly lines: readonly string[]; readonly failed: boolean } | undefined;
}

/**
 * Runs a scenario; with `trace`, records the whole run. A failed step ends the run and is reported,
 * never thrown. `crypto` replaces the backend's provider (tests mix backends primitive by primitive).
 */
export function simulate(o: RunOptions, trace = false, plugin?: RunPlugin, crypto: CryptoProvider = backendCrypto(o.backend)): PluggedOutput {
  const named = findScenario(o.scenario);
  if (!named) throw new Error(`no scenario named ${o.scenario}`);
  const world = createWorld({
    seed: o.seed,
    profile: o.profile,
    crypto,
    faults: o.faults,
    clientConfig: named.clientConfig ?? {},
    trace,
    ...(plugin === undefined ? {} : { tap: plugin.tap, onStep: () => plugin.onStep() }),
  });
  plugin?.attach(world);
  let result: ScenarioResult | undefined;
  let error: string | undefined;
  try {
    result = runScenario(world, named, { ...(o.messages === undefined ? {} : { messages: o.messages }), ...(o.members === undefined ? {} : { members: o.members }) });
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const summary = summarize(world, result ?? { sent: [], checks: [], ok: false, members: [], removed: [] }, error);
  const verdict = plugin?.finish(world, result?.removed ?? []);
  const end = { t: world.now() - world.startTime, kind: 'summary', ...summary, ...(verdict === undefined ? {} : { verdict: verdict.lines, failed: verdict.failed }) };
  const text = trace ? [JSON.stringify({ ...runHeader(o), ...plugin?.header }), ...world.trace.lines(), JSON.stringify(end)].join('\n') + '\n' : '';
  return { world, result, error, summary, trace: text, verdict };
}
