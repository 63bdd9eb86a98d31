/** The `pqroom machines` command: every role's states and transitions, from the machine definitions. */
import { describeAll, mermaid } from './describe.ts';

const HELP = `usage: pqroom machines [--format json|mermaid] [--role ROLE]

Prints each role's state machine, generated from the XState definitions themselves
(machines/*.ts): its states and every transition with event, guard and target.

options:
  --format json     one JSON document: [{ role, id, initial, states, transitions }]
  --format mermaid  one Mermaid stateDiagram-v2 per role (default)
  --role ROLE       only this role: owner, member, relay, "client connection",
                    "relay connection"
  -h, --help        show this help`;

/** Runs `pqroom machines ...`; returns the exit code. */
export function main(argv: readonly string[], out: (s: string) => void = console.log): number {
  let format = 'mermaid';
  let role: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      out(HELP);
      return 0;
    }
    if (a === '--format') format = argv[++i] ?? '';
    else if (a.startsWith('--format=')) format = a.slice(9);
    else if (a === '--role') role = argv[++i];
    else if (a.startsWith('--role=')) role = a.slice(7);
    else {
      out(`pqroom machines: unknown argument ${a}\n\n${HELP}`);
      return 2;
    }
  }
  const all = describeAll().filter((m) => role === undefined || m.role === role);
  if (all.length === 0) {
    out(`pqroom machines: no role named ${role ?? ''}`);
    return 2;
  }
  if (format === 'json') {
    out(JSON.stringify(all.map(({ role: r, id, initial, states, transitions }) => ({ role: r, id, initial, states, transitions })), null, 2));
    return 0;
  }
  if (format === 'mermaid') {
    out(all.map((m) => mermaid(m)).join('\n\n'));
    return 0;
  }
  out(`pqroom machines: --format must be json or mermaid\n\n${HELP}`);
  return 2;
}
