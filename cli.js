#!/usr/bin/env node
/**
 * The `pqroom` command. {@link run} is the command itself (tests call it in-process too, through
 * impl/cli-batch-testkit.js); what belongs to the process is at the end, done only when this file
 * is the program: the TypeScript loader (tsx), registered so that the sources run as they are with
 * no build step after `npm ci`, the exit, and the handlers of errors nothing awaits.
 *
 * Output goes where it goes in the process, to console.log and console.error (the subcommands' own
 * defaults). `run` resolves with the exit code and whether the process ends at once (`exit`: a
 * failure, the help, the version; a command's own result lets its handles close first).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const COMMANDS = {
  audit: ['./reports/audit-cli.ts', 'attack both profiles with a malicious relay: properties, attacks, mutants (writes reports/out)'],
  mutate: ['./adversary/mutation/cli.ts', 'generated mutants of the check sites of impl/ and machines/ against the campaign: score and survivors'],
  machines: ['./machines/cli.ts', "print every role's state machine (JSON or Mermaid)"],
  report: ['./reports/page/cli.ts', 'write the audit report page (index.html), audit.md and junit.xml from a saved result'],
  traceability: ['./reports/traceability.ts', 'write the traceability report: each requirement, the code citing it, its tests'],
  simulate: ['./simulator/cli.ts', 'run a named scenario in the deterministic simulator (seed, faults, trace)'],
  relay: ['./simulator/live/relay-cli.ts', 'run the relay over WebSocket, its state in SQLite (--port, --db, --profile)'],
  account: ['./impl/accounts/cli.ts', "a person's keys: create a vault, show its fingerprint and emoji, rotate, change password"],
  conformance: ['./simulator/live/conformance/cli.ts', 'audit any relay over the wire: scripted cases, each naming its requirement (--relay URL)'],
  demo: ['./simulator/live/demo-cli.ts', 'an owner and N members chatting through a running relay, over real sockets'],
  replay: ['./simulator/replay-cli.ts', 'run a recorded trace again and confirm it is identical'],
  vectors: ['./vectors/cli.ts', 'generate and verify the conformance vectors'],
};

/** The help of `pqroom --help`. */
export function help() {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: pqroom <command> [options]',
    '',
    'pqroom: reference implementation and audit harness of a post-quantum end-to-end',
    'encrypted group chat protocol. The protocol is specified in spec/.',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([k, [, d]]) => `  ${k.padEnd(w)}  ${d}`),
    '',
    "Run 'pqroom <command> --help' (or 'pqroom help <command>') for a command's options;",
    "'pqroom --version' prints the version.",
    '',
    'exit status: 0 ok, 1 the work found a failure, 2 usage (a bad option, an input that cannot be',
    'read, an output that cannot be written); errors and warnings go to stderr, results to stdout.',
  ].join('\n');
}

// The command line composes the layers (impl <- machines <- simulator <- adversary): the
// simulator's live relay takes any relay tap and its replay any rebuilder of a recorded run; here
// the adversary's are plugged in, as main's arguments after the output function. Replay's and
// simulate's, relay's and conformance's are loaded when the command comes to use them, not before it has read its command line.
const PLUG_INS = {
  relay: async () => [console.log, async (arg) => (await import('./adversary/live-plans.ts')).loadLiveTap(arg)],
  replay: async () => [console.log, async () => [(await import('./adversary/audit.ts')).rebuildAuditTrace, (await import('./adversary/sim-plans.ts')).rebuildSimulationTrace]],
  simulate: async () => [console.log, async (arg, run) => (await import('./adversary/sim-plans.ts')).loadSimulationAdversary(arg, run)],
  // --vectors FILE: the vector file's form and digests are checked by vectors/, beside the live suite
  // (loaded when a --vectors file is read, not for every conformance command line)
  conformance: async () => [console.log, async (text) => (await import('./vectors/format.ts')).parseVectorFile(text)],
  // the relay conformance vectors are recorded against the project's relay (simulator/live), above vectors/
  vectors: async () => [console.log, console.error, async (kind) => (await import('./simulator/live/conformance/vectors/record.ts')).recordCases(kind)],
};
// before `npm ci` there is no loader: say so in one line instead of a module-resolution stack trace
const checkout = fileURLToPath(new URL('.', import.meta.url));
const notInstalled = (what) => {
  console.error(`pqroom: ${what} is not installed; run 'npm ci' in ${checkout} first`);
  return { code: 2, exit: true };
};

/**
 * Registers the TypeScript loader (tsx) for the subcommands' sources, once; says what is missing if
 * it is not installed (cli.js passes this as `loader`; a test runner that loads TypeScript itself does not).
 */
export async function useTsx() {
  try {
    import.meta.resolve('tsx/esm/api');
  } catch {
    return 'tsx (the TypeScript loader)';
  }
  const { register } = await import('tsx/esm/api');
  register();
  return undefined;
}

/**
 * Runs `pqroom ...argv`. `loader` (cli.js: {@link useTsx}) is called before a subcommand's module is
 * loaded, and names what is not installed; `guard` is handed the failure reporter before the
 * subcommand runs (cli.js routes the process's uncaught errors to it).
 */
export async function run(argv, { loader, guard } = {}) {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v') {
    const { readFileSync } = await import('node:fs');
    console.log(`pqroom ${JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version}`);
    return { code: 0, exit: true };
  }
  // `pqroom help CMD` is `pqroom CMD --help`
  const [cmd, ...args] = first === 'help' && rest.length > 0 ? [rest[0], '--help'] : [first, ...rest];
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    if (cmd === undefined) console.error(help());
    else console.log(help());
    return { code: cmd === undefined ? 2 : 0, exit: true };
  }
  const entry = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!entry) {
    console.error(`pqroom: unknown command '${cmd}'; 'pqroom --help' lists the commands`);
    return { code: 2, exit: true };
  }
  const missingLoader = loader ? await loader() : undefined;
  if (missingLoader) return notInstalled(missingLoader);
  let mod;
  try {
    mod = await import(new URL(entry[0], import.meta.url).href);
  } catch (e) {
    // a dependency missing from a partial install; any other failure to load is a bug, shown as it is
    const missing = e?.code === 'ERR_MODULE_NOT_FOUND' && /^Cannot find package '([^']+)'/.exec(e.message);
    if (missing) return notInstalled(`the package ${missing[1]}`);
    throw e;
  }
  // Exit codes (every command): 0 ok, 1 the work found a failure, 2 usage. Every mistake is one line
  // on stderr (what is wrong, what to do), never a stack trace; PQROOM_DEBUG=1 shows the stack.
  const { describeFailure } = await import('./impl/cli-args.ts');
  const fail = (e) => {
    const { line, code } = describeFailure(e);
    console.error(`pqroom ${cmd}: ${line}`);
    if (process.env.PQROOM_DEBUG) console.error(e);
    return { code, exit: true };
  };
  guard?.(fail);
  try {
    const code = await mod.main(args, ...(PLUG_INS[cmd] ? await PLUG_INS[cmd]() : []));
    return { code: typeof code === 'number' ? code : 0, exit: false };
  } catch (e) {
    return fail(e);
  }
}

// the process: only when this file is the program (node cli.js, npx pqroom through its link)
const program = (() => {
  try {
    return process.argv[1] === undefined ? undefined : realpathSync(process.argv[1]);
  } catch {
    return undefined; // not a file (node -e, a REPL): this file is imported, not run
  }
})();
if (program === fileURLToPath(import.meta.url)) {
  const { code, exit } = await run(process.argv.slice(2), {
    loader: useTsx,
    guard: (fail) => {
      const end = (e) => process.exit(fail(e).code);
      // output piped into a program that stopped reading (`| head`): not an error of pqroom's
      process.stdout.on('error', (e) => (e.code === 'EPIPE' ? process.exit(0) : end(e)));
      process.on('uncaughtException', end);
      process.on('unhandledRejection', end);
    },
  });
  if (exit) process.exit(code);
  process.exitCode = code;
}
