/**
 * The `pqroom demo` command (simulator/live/demo.ts runs the demo): reads and checks the command
 * line and its files before the live clients, the machines and the crypto are loaded, so that a
 * mistaken invocation or `--help` does not load them (issue 24).
 */
import { fromHex } from '../../impl/bytes.ts';
import { checkOutputFile, CliError, parseCommand, runCommand } from '../../impl/cli-args.ts';

/** The default time limit, sized to the work: logins at the interactive KDF, joins, and the messages each member receives. */
export function defaultTimeoutS(members: number, messages: number): number {
  return Math.ceil(30 + 10 * (members + 1) + 0.05 * messages * (members + 1));
}

const HELP = `usage: pqroom demo --relay ws://HOST:PORT [--members N] [--messages M] [--profile hardened|compat]
                   [--relay-key HEX] [--timeout S] [--trace FILE] [--no-login] [--insecure-test-kdf]

Starts an owner and N invitees as WebSocket clients of a running relay (pqroom relay),
creates a room, invites and joins everyone, sends M messages (the owner rotates every 50),
removes one member halfway (hardened), and prints a transcript. Exit 0 only if every member
received and verified every message it was entitled to and no client raised an alarm; 1 when
something failed (a relay that does not answer, a relay key other than --relay-key, a login the
relay refuses or requires end the demo at once with the cause); 2 on bad arguments.

  --relay URL      the relay, ws://HOST:PORT or wss://HOST:PORT (required)
  --members N      invitees, 1 to 100 (default 3)
  --messages M     messages, at least 1 (default 250)
  --profile P      hardened (default) or compat; the relay's must be the same
  --relay-key HEX  the relay key to pin (default: fetched from the relay's /relay-key, trust on
                   first use); compared with the one served, both fingerprints shown if they differ
  --timeout S      give up after S seconds (default: sized to the work, 30 + 10 per client +
                   0.05 per message per client)
  --trace FILE     write a JSONL trace of every client (render it with pqroom replay --mermaid)
  --no-login       do not register and log in (spec 9) before going online; by default every
                   client does, with the interactive KDF profile (64 MiB, t=3), and its
                   connection is rekeyed with the session (REQ-LOG-020)
  --insecure-test-kdf
                   INSECURE, tests and throwaway accounts only: register and log in with the
                   test KDF profile (64 KiB, t=1), which a real client refuses (REQ-LOG-019);
                   the relay must run with --insecure-test-kdf too (REQ-LOG-018)

Against a malicious relay (pqroom relay --adversary PLAN) the transcript shows what the
clients refused (REFUSED), raised (ALARM) or accepted twice (DUPLICATE).`;

/** `pqroom demo`; errors in one line on `err`. */
export async function main(argv: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  return runCommand('demo', err, async () => {
    const s = { type: 'string' } as const;
    const p = parseCommand('demo', argv, { relay: s, members: s, messages: s, profile: s, 'relay-key': s, timeout: s, trace: s, 'no-login': { type: 'boolean' }, 'insecure-test-kdf': { type: 'boolean' } });
    if (p.help) {
      out(HELP);
      return 0;
    }
    const relay = p.str('relay');
    if (relay === undefined) throw new CliError('--relay ws://HOST:PORT is required (the address pqroom relay printed)');
    if (!/^wss?:\/\/[^/]+/.test(relay)) throw new CliError(`--relay must be a ws:// or wss:// address, not '${relay}'${/^https?:/.test(relay) ? ` (try ${relay.replace(/^http/, 'ws')})` : ''}`);
    const members = p.int('members', 3, { min: 1, max: 100 });
    const messages = p.int('messages', 250, { min: 1 });
    const profile = p.oneOf('profile', ['hardened', 'compat'], 'hardened');
    const timeout = p.int('timeout', defaultTimeoutS(members, messages), { min: 1 });
    const keyHex = p.str('relay-key');
    if (keyHex !== undefined && !/^([0-9a-fA-F]{2})+$/.test(keyHex)) throw new CliError('--relay-key must be the relay key in hex, as served at /relay-key');
    const relayPk = keyHex === undefined ? undefined : fromHex(keyHex.toLowerCase());
    const trace = p.str('trace');
    if (trace !== undefined) checkOutputFile('--trace', trace);
    const insecureTestKdf = p.flag('insecure-test-kdf');
    if (insecureTestKdf) err('INSECURE: logins use the test KDF profile (m=64 KiB, t=1) of --insecure-test-kdf, for throwaway demo accounts; a real client refuses it (REQ-LOG-012, REQ-LOG-019)');
    // the clients (the machines, the crypto) are loaded once the command line holds (issue 24)
    const { runDemo } = await import('./demo.ts');
    try {
      const r = await runDemo({ relay, members, messages, profile, timeoutMs: timeout * 1000, out, ...(relayPk === undefined ? {} : { relayPk }), ...(trace === undefined ? {} : { trace }), login: !p.flag('no-login'), insecureTestKdf });
      return r.ok ? 0 : 1;
    } catch (e) {
      throw new CliError((e as Error).message, 1);
    }
  });
}
