/**
 * The `pqroom relay` command (simulator/live/relay.ts is the relay): reads and checks the command
 * line, the files and the address, then loads and starts the relay.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createSecureContext } from 'node:tls';
import { createServer as createNetServer } from 'node:net';
import { checkInputFile, checkOutputFile, CliError, parseCommand, runCommand } from '../../impl/cli-args.ts';
import type { LiveRelay, LiveTapLoader, LiveTapPlan } from './relay.ts';

const HELP = `usage: pqroom relay [--port P] [--host H] [--db FILE] [--profile hardened|compat]
                    [--trace FILE] [--adversary PLAN] [--rate N] [--burst N]
                    [--require-login] [--session-minutes M] [--insecure-test-kdf]
                    [--tls-cert FILE --tls-key FILE] [--allow-origin ORIGIN]...
                    [--workers N]

Runs the honest relay over WebSocket. State, logs and mailboxes live in the SQLite file
--db (default relay.db); restarting with the same file resumes every room.

  --port P      TCP port (default 8080; 0 picks a free one)
  --host H      address to bind (default 127.0.0.1)
  --db FILE     database file (default relay.db)
  --profile P   the profile served: hardened (default) or compat
  --trace FILE  write a JSONL trace of every frame (the simulator's format, wall-clock ms)
  --adversary PLAN
                be the malicious relay: PLAN is a preset (tamper, replay, withhold) or a
                JSON file holding a plan (adversary/relay.ts); live clients are named by
                the first 16 hex characters of their principal
  --require-login
                serve nothing but registration and login before a connection logged in
                (registration and login are always served; REQ-LOG-020)
  --session-minutes M
                login session lifetime (default 240); then the relay closes the connection
  --insecure-test-kdf
                INSECURE, tests and throwaway demo accounts only: register accounts with the
                test KDF profile (64 KiB, t=1) instead of the interactive one (64 MiB, t=3);
                clients must run with it too (pqroom demo --insecure-test-kdf; REQ-LOG-018)
  --tls-cert FILE, --tls-key FILE
                serve https and wss with this certificate chain and key (PEM); the web chat
                then also sends Strict-Transport-Security
  --allow-origin ORIGIN
                let pages of ORIGIN (e.g. https://chat.example) open a connection, besides the
                relay's own origin (REQ-WEB-002); repeatable
  --workers N   shard the rooms over N worker processes behind the one port, each with its
                own database FILE.shardK-of-N beside --db (spec 8.13): a room's requests go
                to its shard, a mailbox's and a directory entry's to their principal's; a
                worker that dies (kill -9) is restarted and resumes from its file, losing
                nothing it acknowledged. Default: the number the database was made with, else
                the number of cores (${availableParallelism()} here); a database keeps its number.
                1 runs the relay in this one process, as before; --adversary and --trace need 1
  --rate N      requests per second per connection (default 200, REQ-REL-041; with
                --workers, per connection and worker)
  --burst N     token-bucket burst per connection (default 400)
  -h, --help    this text

GET /healthz, /metrics (Prometheus), /relay-key and the web chat (/) on the same port. SIGTERM or SIGINT:
stop accepting, close connections, close the database.`;

/** Fails with one line, before the database is opened, when `host:port` cannot be listened on (in use, no such address). */
async function probeListen(host: string, port: number): Promise<void> {
  // port 0 too: the listen resolves the host, before any shard worker starts
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/**
 * `pqroom relay`; `loadTap` reads `--adversary` (cli.js passes the adversary's, adversary/live-plans.ts). Errors: one line on `err`.
 * The command line, the files and the address are checked before the relay (its machines, crypto,
 * database and web app) is loaded: a mistaken invocation or `--help` does not load it (issue 24).
 */
export async function main(argv: readonly string[], out: (s: string) => void = console.log, loadTap?: LiveTapLoader, err: (s: string) => void = console.error): Promise<number> {
  return runCommand('relay', err, async () => {
    const s = { type: 'string' } as const;
    const b = { type: 'boolean' } as const;
    const p = parseCommand('relay', argv, { port: s, host: s, db: s, profile: s, trace: s, adversary: s, rate: s, burst: s, 'require-login': b, 'session-minutes': s, 'insecure-test-kdf': b, 'tls-cert': s, 'tls-key': s, 'allow-origin': { type: 'string', multiple: true }, workers: s });
    if (p.help) {
      out(HELP);
      return 0;
    }
    const port = p.int('port', 8080, { max: 65535 });
    const host = p.str('host') ?? '127.0.0.1';
    const db = p.str('db') ?? 'relay.db';
    const profile = p.oneOf('profile', ['hardened', 'compat'], 'hardened');
    const trace = p.str('trace');
    const config: { rate?: number; burst?: number } = {};
    if (p.str('rate') !== undefined) config.rate = p.int('rate', 0, { min: 1 });
    if (p.str('burst') !== undefined) config.burst = p.int('burst', 0, { min: 1 });
    const sessionMs = p.str('session-minutes') === undefined ? undefined : p.int('session-minutes', 0, { min: 1 }) * 60_000;
    const requireLogin = p.flag('require-login');
    const insecureTestKdf = p.flag('insecure-test-kdf');
    const allowedOrigins = p.list('allow-origin');
    const [tlsCert, tlsKey] = [p.str('tls-cert'), p.str('tls-key')];
    if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together; give both or neither');
    if (tlsCert !== undefined) checkInputFile('--tls-cert', tlsCert);
    if (tlsKey !== undefined) checkInputFile('--tls-key', tlsKey);
    const tls = tlsCert !== undefined && tlsKey !== undefined ? { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) } : undefined;
    if (tls !== undefined) {
      // a file that is no PEM certificate, or a key that is not the certificate's, is named before anything starts
      try {
        createSecureContext(tls);
      } catch (e) {
        throw new CliError(`--tls-cert ${tlsCert} and --tls-key ${tlsKey} are not a PEM certificate and its private key (${(e as Error).message}); give those two files`);
      }
    }
    let adversary: LiveTapPlan | undefined;
    const plan = p.str('adversary');
    if (plan !== undefined) {
      if (loadTap === undefined) throw new CliError('--adversary: no malicious relay was plugged in (the pqroom command plugs in the one of adversary/live-plans.ts)');
      try {
        adversary = await loadTap(plan);
      } catch (e) {
        throw new CliError((e as Error).message.startsWith('--adversary') ? (e as Error).message : `--adversary: ${(e as Error).message}`);
      }
    }
    if (p.str('workers') !== undefined && (adversary !== undefined || trace !== undefined) && p.int('workers', 1, { min: 1, max: 64 }) > 1) throw new CliError('--adversary and --trace need --workers 1 (the malicious relay and the trace see one relay machine)');
    // every output and the address are checked before the database file is made
    if (db !== ':memory:') checkOutputFile('--db', db);
    if (trace !== undefined) checkOutputFile('--trace', trace);
    await probeListen(host, port);
    const { workersOf } = await import('./shards/front.ts');
    const given = p.str('workers') === undefined ? undefined : p.int('workers', 1, { min: 1, max: 64 });
    const made = workersOf(db);
    if (given !== undefined && made !== undefined && given !== made) throw new CliError(`--workers ${given}: ${db} holds a relay of ${made} worker${made === 1 ? '' : 's'}; give --workers ${made} or another --db`);
    const workers = given ?? made ?? (adversary !== undefined || trace !== undefined ? 1 : availableParallelism());
    let ref: LiveRelay | undefined;
    const tap = adversary?.tap((name) => ref?.principalOf(name));
    const { startRelay } = await import('./relay.ts');
    const { buildWebApp } = await import('./web/serve.ts');
    const web = await buildWebApp(profile);
    const relay = (ref = await startRelay({
      web,
      allowedOrigins,
      ...(tls === undefined ? {} : { tls }),
      port,
      host,
      db,
      profile,
      config,
      requireLogin,
      insecureTestKdf,
      workers,
      ...(sessionMs === undefined ? {} : { sessionMs }),
      ...(trace === undefined ? {} : { trace }),
      ...(tap === undefined ? {} : { tap, traceHeader: { adversary: adversary!.name, ...adversary!.traceHeader } }),
    }));
    out(`pqroom relay listening on ${relay.url} (db ${db}${workers > 1 ? `, ${workers} workers` : ''}); its key at http://${host}:${relay.port}/relay-key`);
    const { relayKeyFingerprint } = await import('../../impl/fingerprint.ts');
    const { fingerprint } = await import('../../impl/keyschedule.ts');
    const { nodeCrypto } = await import('../../impl/crypto/node.ts');
    out(`relay key fingerprint: ${relayKeyFingerprint(fingerprint(nodeCrypto, relay.publicKey))}`);
    out(`the web chat: ${tls === undefined ? 'http' : 'https'}://${host}:${relay.port}/`);
    if (insecureTestKdf) err('INSECURE: accounts register with the test KDF profile (m=64 KiB, t=1) of --insecure-test-kdf (REQ-LOG-018, REQ-LOG-019)');
    if (adversary) err(`MALICIOUS relay, plan ${adversary.name}: ${adversary.describe}`);
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => void relay.close(sig).then(resolve);
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  });
}
