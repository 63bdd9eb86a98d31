/**
 * `pqroom account`: a person's keys in a vault file (spec 10): create one (with the breached
 * password check, REQ-KEY-041), show its fingerprint, emoji and comparison string, rotate its
 * ML-KEM key, change its password; and serve the browser keystore page (IndexedDB, REQ-KEY-015).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { checkInputFile, checkOutputFile, CliError, parseCommand, runCommand } from '../cli-args.ts';
import { PqroomError } from '../errors.ts';
import type { KDF_PROFILES } from '../protocol/login.ts';
import type { Profile } from '../suite.ts';
import type { HibpOptions, HibpPolicy } from './hibp.ts';
import type { Account } from './keystore.ts';

// Only the command line's parser is loaded before the line and the files hold (issue 24): the vault
// (Argon2id, the codec, the identity), the keys' crypto and the breach check's SHA-1 are imported
// where they are used, below.

/** The --kdf profiles by name, in KDF_PROFILES' order (the type keeps the two the same). */
const KDF_NAMES = Object.keys({ seed: 0, interactive: 0, test: 0 } satisfies Record<keyof typeof KDF_PROFILES, 0>) as (keyof typeof KDF_PROFILES)[];

const help = (hibpEndpoint: string): string => `usage: pqroom account <create|show|rotate|passwd|page> [options]

A person's keys (spec 10): the ML-DSA-65 identity and the ML-KEM-768 keys, sealed in a
vault file with Argon2id and XChaCha20-Poly1305 (hardened) or the seed's SHA-256 (compat).

  create   a new identity in a new vault file (never over an existing file); checks
           the password against Have I Been Pwned first (5 hex characters of its SHA-1 leave)
  show     the fingerprint (hex groups), the 8 emoji of the login self-check, the string
           to compare with a peer (hardened: 128 bits; compat: the seed's prompt)
  rotate   a new ML-KEM key, version + 1, signed by the identity; old keys kept
  passwd   seal the vault again under a new password (PQROOM_NEW_PASSWORD)
  page     serve the browser keystore (vault in IndexedDB) on loopback

options:
  --vault FILE          the vault file (create, show, rotate, passwd)
  --user ID             the user id the vault is sealed to (default: the file's)
  --profile P           hardened (default) or compat
  --kdf K               Argon2id profile for create/passwd: interactive (default), seed
                        (500 MiB, t=3, p=2, the seed's), test (64 KiB, tests only)
  --hibp URL            the range endpoint, http(s) (default ${hibpEndpoint})
  --hibp-offline FILE   check against a local list of SHA-1 hashes instead (HASH[:COUNT])
  --no-hibp             skip the breach check (--hibp, --hibp-offline, --no-hibp: one at most)
  --hibp-policy P       refuse (default) or allow when the service cannot be reached
  --port P              page: the port (default 0, any free one); 127.0.0.1 only
  -h, --help            this help

The password is read from the environment variable PQROOM_PASSWORD, else from the first
line of standard input (hidden when it is a terminal).`;

/** What the command reads and writes; tests pass their own. */
export interface AccountIo {
  readonly out: (s: string) => void;
  /** Errors and warnings (default: out). */
  readonly err?: (s: string) => void;
  /** Whether passwords are typed on a terminal (a new one is then asked twice). */
  readonly interactive?: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly readLine: (prompt: string) => Promise<string>;
}

let piped: string[] | undefined;

/** Reads the next line of standard input; on a terminal, without echoing it. */
async function readLine(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    if (piped === undefined) {
      let data = '';
      for await (const chunk of stdin) data += String(chunk);
      piped = data.split(/\r?\n/);
    }
    return piped.shift() ?? '';
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve) => {
    let line = '';
    const onData = (b: Buffer): void => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(line);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        line = ch === '\u007f' ? line.slice(0, -1) : line + ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function show(out: (s: string) => void, userId: string, profile: Profile, a: Account): Promise<void> {
  const { compatVerificationPrompt, fingerprintEmoji, fingerprintHexGroups, safetyString } = await import('../fingerprint.ts');
  const fp = a.identity.fp;
  out(`user         ${userId}`);
  out(`fingerprint  ${fingerprintHexGroups(fp)}`);
  out(`emoji        ${fingerprintEmoji(fp)}`);
  out(profile === 'hardened' ? `compare      ${safetyString(fp)}   (read it to your peer: 128 bits, REQ-KEY-031)` : `compare      ${compatVerificationPrompt(fp)}…   (the seed's check: the peer types the last 5 characters, REQ-KEY-030)`);
  out(`ML-KEM keys  ${a.identity.kemKeys.map((k) => `v${k.version}`).join(', ')} (newest last; old ones kept to read old messages)`);
  out(`vault KDF    ${a.kdf.algorithm}${a.kdf.algorithm === 'argon2id' ? ` m=${a.kdf.memory_kib} KiB t=${a.kdf.iterations} p=${a.kdf.parallelism}` : ' (unsalted, fast: W13)'}`);
  out(`trusted      ${a.contents.trusted.length} peer statement(s); ${a.contents.peers.length} peer key record(s)`);
}

async function servePage(port: number, out: (s: string) => void): Promise<number> {
  const { build } = await import('esbuild');
  const { createServer } = await import('node:http');
  const bundle = await build({ entryPoints: [join(import.meta.dirname, 'browser.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'error' });
  const js = bundle.outputFiles[0]!.contents;
  const html = readFileSync(join(import.meta.dirname, 'vault-page.html'));
  const server = createServer((req, res) => {
    const body = req.url === '/vault.js' ? js : req.url === '/' ? html : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': req.url === '/vault.js' ? 'text/javascript' : 'text/html; charset=utf-8' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  out(`the browser keystore is at http://127.0.0.1:${(server.address() as AddressInfo).port}/ (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
  server.close();
  return 0;
}

const SUBCOMMANDS = ['create', 'show', 'rotate', 'passwd', 'page'] as const;

/** Runs `pqroom account ...`; returns the exit code (errors in one line on `err`). */
export async function main(argv: readonly string[], io: AccountIo = { out: console.log, err: console.error, env: process.env, readLine, interactive: process.stdin.isTTY === true }): Promise<number> {
  const err = io.err ?? io.out;
  // errors name the subcommand: `pqroom account rotate: ...`
  const sub = argv.find((a) => !a.startsWith('-'));
  const named = sub !== undefined && (SUBCOMMANDS as readonly string[]).includes(sub) ? `account ${sub}` : 'account';
  return runCommand(named, err, () => account(argv, io, err));
}

async function account(argv: readonly string[], io: AccountIo, err: (s: string) => void): Promise<number> {
  const { out } = io;
  const s = { type: 'string' } as const;
  const p = parseCommand('account', argv, { vault: s, user: s, profile: s, kdf: s, hibp: s, 'hibp-offline': s, 'no-hibp': { type: 'boolean' }, 'hibp-policy': s, port: s }, { positionals: 1 });
  const sub = p.positionals[0];
  if (p.help) {
    out(help((await import('./hibp.ts')).HIBP_ENDPOINT));
    return 0;
  }
  // 1. the command line
  if (sub === undefined) throw new CliError(`which subcommand? one of ${SUBCOMMANDS.join(', ')} (pqroom account --help)`);
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new CliError(`unknown subcommand ${sub}: one of ${SUBCOMMANDS.join(', ')} (pqroom account --help)`);
  const profile = p.oneOf('profile', ['hardened', 'compat'], 'hardened');
  const kdfName = p.oneOf('kdf', KDF_NAMES, 'interactive');
  const policy = p.oneOf('hibp-policy', ['refuse', 'allow'], 'refuse');
  // the range endpoint is checked with the line, not found wrong after the password prompt
  const endpoint = p.str('hibp');
  if (endpoint !== undefined && !(URL.canParse(endpoint) && /^https?:$/.test(new URL(endpoint).protocol))) throw new CliError(`--hibp must be an http:// or https:// URL (the range endpoint, e.g. https://api.pwnedpasswords.com/range/), not '${endpoint}'`);
  // one source for the breach check: two given together would leave one of them silently unused
  const sources = (['hibp', 'hibp-offline', 'no-hibp'] as const).filter((o) => (o === 'no-hibp' ? p.flag(o) : p.str(o) !== undefined));
  if (sources.length > 1) throw new CliError(`--${sources[0]} and --${sources[1]} cannot be given together: the breach check uses one of the service (--hibp), a local list (--hibp-offline) or none (--no-hibp)`);
  if (sub === 'page') return servePage(p.int('port', 0, { max: 65535 }), out);
  const file = p.str('vault');
  if (file === undefined) throw new CliError('--vault FILE is required');
  // 2. the files: inputs and outputs are checked before the breach check or any key is made
  if (sub === 'create') {
    checkOutputFile('--vault', file);
    // create never overwrites a vault, nor anything else at the path (the file store keeps one user's vault a file)
    if (existsSync(file)) throw new CliError(`--vault ${file} exists already; create never overwrites a file: choose another path`);
  } else checkInputFile('--vault', file);
  let offline: Map<string, number> | undefined;
  const offlineFile = p.str('hibp-offline');
  if (offlineFile !== undefined) {
    checkInputFile('--hibp-offline', offlineFile);
    // the list is read by the breach check's module (with it noble's SHA-1; not the vault nor the keys' crypto)
    const { parseOfflineList } = await import('./hibp.ts');
    try {
      offline = parseOfflineList(readFileSync(offlineFile, 'utf8'));
    } catch (e) {
      throw new CliError(`--hibp-offline ${offlineFile}: ${(e as Error).message} (one SHA-1 hash a line, HASH[:COUNT])`);
    }
  }
  // 3. the user: --user, else the one the vault file's header names; the header is read before the
  // password is asked (with the vault's module, loaded for it): a file that is not a vault is an input
  // that cannot be read (exit 2), and so is a vault of another user than --user
  let userId = p.str('user');
  if (sub !== 'create') {
    const [{ readVaultFile }, { vaultHeader }] = await Promise.all([import('./vault-file.ts'), import('./vault.ts')]);
    let owner: string;
    try {
      owner = vaultHeader(readVaultFile(file)).user_id;
    } catch (e) {
      if (!(e instanceof PqroomError)) throw e;
      throw new CliError(`--vault ${file}: ${e.message} (is ${file} a pqroom vault? pqroom account create makes one)`);
    }
    if (userId !== undefined && userId !== owner) throw new CliError(`--user ${userId}: ${file} holds the vault of ${owner}; leave --user out or give ${owner}`);
    userId = owner;
  }
  if (userId === undefined) throw new CliError('--user ID is required');
  // once the line and the files hold: a mistake is one line on stderr, without this warning before it
  if (p.str('kdf') === 'test' && (sub === 'create' || sub === 'passwd')) err('WARNING: --kdf test (64 KiB, t=1) makes the vault trivial to brute-force; for tests only, never for real keys');
  try {
    const password = io.env.PQROOM_PASSWORD ?? (await io.readLine('password: '));
    // no terminal and no PQROOM_PASSWORD: say where a password comes from (the vault refuses an empty one)
    if (password === '') throw new CliError('no password given: set PQROOM_PASSWORD, give it as the first line of standard input, or run on a terminal');
    // 4. the machinery, loaded once the command line, the files and the password are there (issue 24)
    const { nodeCrypto } = await import('../crypto/node.ts');
    const { systemRng } = await import('../rng.ts');
    const { KDF_PROFILES } = await import('../protocol/login.ts');
    const { changePassword, createAccount, openAccount, rotateAccountKem } = await import('./keystore.ts');
    const { fileVaultStore } = await import('./vault-file.ts');
    const vaults = fileVaultStore(file);
    const kdf = KDF_PROFILES[kdfName];
    /** REQ-KEY-041: every password that is set (create, passwd) passes the same breach check. */
    const acceptable = async (candidate: string): Promise<boolean> => {
      if (p.flag('no-hibp')) return true;
      const { checkPassword, HIBP_ENDPOINT, registrationDecision } = await import('./hibp.ts');
      const h: HibpOptions = offline !== undefined ? { offline } : { endpoint: endpoint ?? HIBP_ENDPOINT };
      const d = registrationDecision(await checkPassword(candidate, h), (policy === 'allow' ? 'allow-when-unavailable' : 'refuse-when-unavailable') satisfies HibpPolicy);
      (d.proceed ? out : err)(`breach check: ${d.reason}`);
      return d.proceed;
    };
    /** A new password typed on a terminal is asked twice (issue 26). */
    const confirmed = async (first: string, fromEnv: boolean): Promise<void> => {
      if (fromEnv || io.interactive !== true) return;
      if ((await io.readLine('the same password again: ')) !== first) throw new CliError(`the two passwords differ; nothing was written, run it again`, 1);
    };
    if (sub === 'create') {
      await confirmed(password, io.env.PQROOM_PASSWORD !== undefined);
      if (!(await acceptable(password))) return 1;
      const a = await createAccount(nodeCrypto, systemRng, vaults, { userId, password, profile, kdf });
      out(`created ${file}`);
      await show(out, userId, profile, a);
      return 0;
    }
    if (sub === 'show') await show(out, userId, profile, await openAccount(nodeCrypto, vaults, { userId, password, profile }));
    else if (sub === 'rotate') {
      const a = await rotateAccountKem(nodeCrypto, systemRng, vaults, { userId, password, profile });
      out(`ML-KEM key rotated to v${a.identity.kemKeys.at(-1)!.version}; ${file} rewritten`);
      await show(out, userId, profile, a);
    } else {
      const newPassword = io.env.PQROOM_NEW_PASSWORD ?? (await io.readLine('new password: '));
      await confirmed(newPassword, io.env.PQROOM_NEW_PASSWORD !== undefined);
      if (!(await acceptable(newPassword))) return 1;
      await changePassword(nodeCrypto, systemRng, vaults, { userId, password, newPassword, profile, kdf: p.str('kdf') === undefined ? undefined : kdf });
      out(`${file} sealed under the new password`);
    }
    return 0;
  } catch (e) {
    // the work failed: a wrong password (REQ-KEY-012), a vault the profile refuses (REQ-KEY-014)
    if (!(e instanceof PqroomError)) throw e;
    throw new CliError(e.message, 1);
  }
}
