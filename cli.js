#!/usr/bin/env node
// The `pqroom` command. It registers the TypeScript loader (tsx) so that the sources run as
// they are, with no build step after `npm ci`, then hands over to a subcommand's module.
import { register } from 'tsx/esm/api';

register();

const COMMANDS = {
  audit: ['./adversary/cli.ts', 'attack both profiles with a malicious relay: properties, attacks, mutants (writes reports/out)'],
  machines: ['./machines/cli.ts', "print every role's state machine (JSON or Mermaid)"],
  report: ['./reports/page/cli.ts', 'write the audit report page (index.html), audit.md and junit.xml from a saved result'],
  traceability: ['./reports/traceability.ts', 'write the traceability report: each requirement, the code citing it, its tests'],
  simulate: ['./simulator/cli.ts', 'run a named scenario in the deterministic simulator (seed, faults, trace)'],
  relay: ['./simulator/live-relay.ts', 'run the relay over WebSocket, its state in SQLite (--port, --db, --profile)'],
  account: ['./impl/accounts/cli.ts', "a person's keys: create a vault, show its fingerprint and emoji, rotate, change password"],
  demo: ['./simulator/demo.ts', 'an owner and N members chatting through a running relay, over real sockets'],
  replay: ['./simulator/replay.ts', 'run a recorded trace again and confirm it is identical'],
  vectors: ['./vectors/cli.ts', 'generate and verify the conformance vectors'],
};

function help() {
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
    "Run 'pqroom <command> --help' for a command's options.",
  ].join('\n');
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
  console.log(help());
  process.exit(cmd === undefined ? 2 : 0);
}
const entry = COMMANDS[cmd];
if (!entry) {
  console.error(`pqroom: unknown command '${cmd}'\n\n${help()}`);
  process.exit(2);
}
const mod = await import(new URL(entry[0], import.meta.url).href);
const code = await mod.main(args);
process.exitCode = typeof code === 'number' ? code : 0;
