/**
 * The `pqroom machines` command: every role's states and transitions, from the machine definitions.
 * The command line is checked before the machines (XState and the protocol they step) are loaded,
 * so that a mistaken invocation or `--help` does not load them (issue 24).
 */
import { CliError, parseCommand, runCommand } from '../impl/cli-args.ts';

/** The roles describe.ts describes, in its order (machines/cli.test.ts keeps the two the same). */
export const ROLES: readonly string[] = ['owner', 'member', 'relay', 'client connection', 'relay connection'];

const HELP = `usage: pqroom machines [--format json|mermaid] [--role ROLE]

Prints each role's state machine, generated from the XState definitions themselves
(machines/*.ts): its states and every transition with event, guard and target.

options:
  --format json     one JSON document: [{ role, id, initial, states, transitions }]
  --format mermaid  one Mermaid stateDiagram-v2 per role (default)
  --role ROLE       only this role: owner, member, relay, "client connection",
                    "relay connection"
  -h, --help        show this help`;

/** Runs `pqroom machines ...`; returns the exit code (errors in one line on `err`). */
export function main(argv: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  return runCommand('machines', err, async () => {
    const p = parseCommand('machines', argv, { format: { type: 'string' }, role: { type: 'string' } });
    if (p.help) {
      out(HELP);
      return 0;
    }
    const format = p.oneOf('format', ['json', 'mermaid'], 'mermaid');
    const role = p.str('role');
    if (role !== undefined && !ROLES.includes(role)) throw new CliError(`--role: no role named '${role}' (one of ${ROLES.join(', ')})`);
    const { describeAll, mermaid } = await import('./describe.ts');
    const all = describeAll().filter((m) => role === undefined || m.role === role);
    if (format === 'json') out(JSON.stringify(all.map(({ role: r, id, initial, states, transitions }) => ({ role: r, id, initial, states, transitions })), null, 2));
    else out(all.map((m) => mermaid(m)).join('\n\n'));
    return 0;
  });
}
