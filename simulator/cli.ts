/** The `pqroom simulate` command: one seeded run of a named scenario, with faults, summary and trace. */
import { readFileSync, writeFileSync } from 'node:fs';
import { checkInputFile, checkOutputFile, CliError, parseCommand, runCommand } from '../impl/cli-args.ts';
import { parseFaults, faultsToString, type Faults } from './faults.ts';
import { traceToMermaid } from './mermaid.ts';
import { BACKENDS, DEFAULT_RUN, isBackend, requireBackend, type RunOptions } from './options.ts';
import type { RunPlugin } from './run.ts';
import { SCENARIOS } from './scenarios.ts';
import { parseTrace } from './trace.ts';

const HELP = `usage: pqroom simulate [--scenario NAME] [--seed N] [--profile hardened|compat]
                       [--faults SPEC|@FILE] [--backend B]
                       [--messages N] [--members N]
                       [--trace FILE] [--mermaid FILE] [--mermaid-from MS] [--mermaid-to MS]
                       [--mermaid-limit N] [--adversary PLAN] [--json]
       pqroom simulate --list

Runs a named scenario in the deterministic simulator: the owner, the members and the relay
are the protocol's state machines, the network is seeded and virtual. The same options give
the same trace, byte for byte. Prints a summary and the run's checks; exits 0 when every
check holds, 1 when one fails, 2 on a usage error.

options:
  --scenario NAME   scenario to run (default room; --list names them)
  --seed N          the seed every random choice derives from (default 1)
  --profile P       hardened (default) or compat
  --faults SPEC     network faults, e.g. drop=0.05,dup=0.02,reorder=0.1:300,delay=0.05:2000,
                    jitter=20,latency=5,partition=alice+bob@20000~5000,crash=bob@30000~4000,
                    relay-restart=@40000~2000 (times in virtual ms after the start);
                    a JSON object; or @FILE holding either. Default: none
  --backend B       real (default): ML-KEM-768 and ML-DSA-65 as deployed, from the fastest
                    backend present; noble, liboqs or native: that one (the same bytes);
                    symbolic: the same protocol over table-backed stand-ins, faster
  --messages N      scenario size: messages (each scenario has a default)
  --members N       scenario size: members at the start (room, rotation-load)
  --trace FILE      write the trace (JSON Lines; its first line is what pqroom replay needs)
  --mermaid FILE    write the run as a Mermaid sequenceDiagram
  --mermaid-from MS, --mermaid-to MS, --mermaid-limit N
                    the window and the most lines drawn (default: whole run, 600 lines)
  --adversary PLAN  the relay is the malicious relay of spec 11.2 executing PLAN (a JSON plan
                    file, spec 11.2.1, or a preset: tamper, replay, withhold), and the
                    property oracles of spec 12 judge the run; exit 1 when one fails (the
                    scenario's own checks are shown, but an attack may deny service)
  --json            print the summary as JSON instead of text
  --list            print the scenarios, one per line, name first
  -h, --help        show this help`;

/** Parsed command line of `pqroom simulate`. */
interface Args {
  run: RunOptions;
  trace?: string;
  mermaid?: string;
  mermaidFrom?: number;
  mermaidTo?: number;
  mermaidLimit?: number;
  json: boolean;
  list: boolean;
  help: boolean;
  adversary?: string;
}

/** A non-negative integer option value, or an error naming the option (shared by the CLIs). */
export function intArg(name: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new Error(`${name} needs a non-negative integer`);
  return n;
}

/** Reads `--faults`: a spec string, JSON, or @FILE holding either. */
export function readFaults(v: string, option = '--faults'): Faults {
  if (v.startsWith('@')) checkInputFile(option, v.slice(1));
  const text = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v;
  try {
    return parseFaults(text);
  } catch (e) {
    const m = (e as Error).message.replace(/^faults: /, '');
    throw new CliError(`${option} ${v.length > 60 ? `${v.slice(0, 57)}...` : v}: ${e instanceof SyntaxError ? `not valid JSON (${m})` : m}; pqroom simulate --help shows the form`);
  }
}

async function parseArgs(argv: readonly string[]): Promise<Args> {
  const p = parseCommand('simulate', argv, {
    list: { type: 'boolean' },
    json: { type: 'boolean' },
    scenario: { type: 'string' },
    seed: { type: 'string' },
    profile: { type: 'string' },
    faults: { type: 'string' },
    backend: { type: 'string' },
    messages: { type: 'string' },
    members: { type: 'string' },
    trace: { type: 'string' },
    mermaid: { type: 'string' },
    'mermaid-from': { type: 'string' },
    'mermaid-to': { type: 'string' },
    'mermaid-limit': { type: 'string' },
    adversary: { type: 'string' },
  });
  const a: Args = { run: DEFAULT_RUN, json: p.flag('json'), list: p.flag('list'), help: p.help };
  if (a.help || a.list) return a;
  let run: RunOptions = { ...DEFAULT_RUN, seed: p.int('seed', DEFAULT_RUN.seed), profile: p.oneOf('profile', ['hardened', 'compat'], DEFAULT_RUN.profile) };
  const scenario = p.str('scenario');
  if (scenario !== undefined) {
    if (!SCENARIOS.some((s) => s.name === scenario)) throw new CliError(`--scenario: no scenario named '${scenario}' (pqroom simulate --list names them)`);
    run = { ...run, scenario };
  }
  const faults = p.str('faults');
  if (faults !== undefined) run = { ...run, faults: readFaults(faults) };
  const backend = p.str('backend');
  if (backend !== undefined) {
    if (!isBackend(backend)) throw new CliError(`--backend must be one of ${BACKENDS.join(', ')}, not '${backend}'`);
    try {
      run = { ...run, backend: await requireBackend(backend) };
    } catch (e) {
      throw new CliError(`--backend ${backend}: ${(e as Error).message}`);
    }
  }
  if (p.str('messages') !== undefined) run = { ...run, messages: p.int('messages', 0, { min: 1 }) };
  if (p.str('members') !== undefined) {
    const named = SCENARIOS.find((s) => s.name === run.scenario)!;
    if (named.sizedByMembers !== true) throw new CliError(`--members: scenario ${run.scenario} has a fixed cast and does not take --members (${SCENARIOS.filter((s) => s.sizedByMembers).map((s) => s.name).join(' and ')} do)`);
    run = { ...run, members: p.int('members', 0, { min: 1, max: 100 }) };
  }
  a.run = run;
  const trace = p.str('trace');
  const mermaid = p.str('mermaid');
  if (trace !== undefined) checkOutputFile('--trace', (a.trace = trace));
  if (mermaid !== undefined) checkOutputFile('--mermaid', (a.mermaid = mermaid));
  if (p.str('mermaid-from') !== undefined) a.mermaidFrom = p.int('mermaid-from', 0);
  if (p.str('mermaid-to') !== undefined) a.mermaidTo = p.int('mermaid-to', 0);
  if (p.str('mermaid-limit') !== undefined) a.mermaidLimit = p.int('mermaid-limit', 0, { min: 1 });
  const adversary = p.str('adversary');
  if (adversary !== undefined) a.adversary = adversary;
  return a;
}

/** Writes a Mermaid rendering of a trace text. */
export function writeMermaid(file: string, traceText: string, o: { from?: number; to?: number; limit?: number }): void {
  writeFileSync(file, traceToMermaid(parseTrace(traceText), { ...(o.from === undefined ? {} : { from: o.from }), ...(o.to === undefined ? {} : { to: o.to }), ...(o.limit === undefined ? {} : { limit: o.limit }) }));
}

/** Makes the plugin of `--adversary ARG` for a run (cli.js passes the adversary's, loaded at the first call). */
export type AdversaryLoader = (arg: string, run: RunOptions) => RunPlugin | Promise<RunPlugin>;

/**
 * Runs `pqroom simulate ...`; returns the exit code (errors in one line on `err`). `loadAdversary` makes the malicious relay of `--adversary` (cli.js passes the adversary's).
 * The command line is read and checked (files included) before the simulator, the machines and the
 * crypto are loaded: a mistaken invocation or `--help` does not load them (issue 24).
 */
export function main(argv: readonly string[], out: (s: string) => void = console.log, loadAdversary?: AdversaryLoader, err: (s: string) => void = console.error): Promise<number> {
  return runCommand('simulate', err, () => simulateCommand(argv, out, loadAdversary));
}

async function simulateCommand(argv: readonly string[], out: (s: string) => void, loadAdversary?: AdversaryLoader): Promise<number> {
  const a = await parseArgs(argv);
  if (a.help) {
    out(HELP);
    return 0;
  }
  if (a.list) {
    const w = Math.max(...SCENARIOS.map((s) => s.name.length));
    out(SCENARIOS.map((s) => `${s.name.padEnd(w)}  ${s.description}`).join('\n'));
    return 0;
  }
  let plugin: RunPlugin | undefined;
  if (a.adversary !== undefined) {
    if (!loadAdversary) throw new CliError('--adversary needs the adversary, which this entry point does not load (run it through cli.js)');
    try {
      plugin = await loadAdversary(a.adversary, a.run);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  }
  const { backendLabel, simulate } = await import('./run.ts');
  if (a.run.backend !== 'symbolic') await (await import('../impl/crypto/backends.ts')).loadRealBackends();
  const wantTrace = a.trace !== undefined || a.mermaid !== undefined;
  const r = simulate(a.run, wantTrace, plugin);
  if (a.trace !== undefined) writeFileSync(a.trace, r.trace);
  if (a.mermaid !== undefined) writeMermaid(a.mermaid, r.trace, { from: a.mermaidFrom, to: a.mermaidTo, limit: a.mermaidLimit });
  const s = r.summary;
  if (a.json) {
    out(JSON.stringify({ scenario: a.run.scenario, seed: a.run.seed, profile: a.run.profile, faultSpec: faultsToString(a.run.faults), backend: a.run.backend, crypto: backendLabel(a.run.backend), ...s, checks: r.result?.checks ?? [], ...(r.verdict === undefined ? {} : { adversary: r.verdict }) }, null, 2));
    return r.verdict !== undefined ? (r.verdict.failed ? 1 : 0) : s.ok ? 0 : 1;
  }
  const lines = [
    `scenario ${a.run.scenario}: ${a.run.profile}, seed ${a.run.seed}, faults ${faultsToString(a.run.faults)}, backend ${backendLabel(a.run.backend)}`,
    `  messages  sent ${s.sent}, delivered ${s.delivered} (all members), lost ${s.lost}, refused ${s.refused}`,
    `  security  alarms ${s.alarms}, rejections ${s.rejections}, epochs ${s.epochs}`,
    `  network   ${Object.keys(s.faults).length === 0 ? 'no faults applied' : Object.entries(s.faults).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  run       ${s.events} events, ${((r.world.now() - r.world.startTime) / 1000).toFixed(1)} s virtual`,
    `  transcript ${s.transcriptHash}`,
  ];
  if (r.error !== undefined) lines.push(`run stopped: ${r.error}`);
  const checks = r.result?.checks ?? [];
  const failed = checks.filter((c) => !c.ok);
  lines.push(`checks: ${checks.length - failed.length} of ${checks.length} hold`);
  for (const c of checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.ok ? '' : `: ${c.detail}`}`);
  if (r.verdict !== undefined) lines.push(...r.verdict.lines);
  if (a.trace !== undefined) lines.push(`trace written to ${a.trace} (replay: pqroom replay ${a.trace})`);
  if (a.mermaid !== undefined) lines.push(`diagram written to ${a.mermaid}`);
  out(lines.join('\n'));
  if (r.verdict !== undefined) return r.verdict.failed ? 1 : 0;
  return s.ok ? 0 : 1;
}
