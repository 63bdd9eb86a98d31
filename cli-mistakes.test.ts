/**
 * Bad invocations of every `pqroom` command (issue 26): one case per kind of mistake, each run as
 * a person runs it, bounded in time, loopback only. Each must end with its documented exit code
 * (2 usage, 1 the work found a failure) and exactly one line on stderr that says what is wrong and
 * names the option, never a stack trace, and never wait out a timeout.
 *
 * How they run (issue 24: a `node cli.js` child costs about 0.25 s of CPU, mostly the TypeScript
 * loader's start): a representative set as real `node cli.js` children (at least one mistake of
 * every command, the unknown command, the help and version, each permission case's process as an
 * unprivileged user, a port in use, a demo with nothing listening), and the others several to a
 * child through impl/cli-batch-testkit.js, which calls cli.js's `run`, the function the process calls,
 * after the same loader; cli.js adds only the process's exit and the handlers of errors nothing
 * awaits (cli.test.ts proves those on a real child). A line of a shared child is held to the same
 * checks, and to leaving no handle open where cli.js would not exit at once.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type LiveRelay } from './simulator/live/relay.ts';

const here = import.meta.dirname;
const dir = mkdtempSync(join(tmpdir(), 'pqroom-mistakes-'));
const file = join(dir, 'a-file');
const missing = join(dir, 'no-such-folder');
writeFileSync(file, 'not a folder\n');
mkdirSync(join(dir, 'a-folder'));
writeFileSync(join(dir, 'junk.jsonl'), 'hello\n');
writeFileSync(join(dir, 'not-a-vault'), '{"hello": 1}\n');
writeFileSync(join(dir, 'empty'), '');
writeFileSync(join(dir, 'bad-list.txt'), 'not a hash\n');
writeFileSync(join(dir, 'empty-list.txt'), '# no breached hashes\n');

/**
 * Permission denied, even for root: root passes every permission check through its capabilities
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so when these tests run as root (as in CI's container)
 * the commands that must meet a folder or file they may not write or read run as root without
 * them (util-linux's setpriv drops them from the bounding set): root is then held to the owner's
 * permission bits like anyone, and still reads the checkout wherever it was cloned (running as
 * another user could not read a clone in a folder only root may enter). As anyone else, as themselves.
 */
const asRoot = process.getuid?.() === 0;
const withoutDac = ['--bounding-set=-dac_override,-dac_read_search,-fowner'];
chmodSync(dir, 0o755);
const readOnly = join(dir, 'read-only');
mkdirSync(readOnly);
chmodSync(readOnly, 0o555);
// a folder the user who runs the commands may write, holding a file it may not
const writable = join(dir, 'writable');
mkdirSync(writable);
const readOnlyFile = join(writable, 'read-only.jsonl');
writeFileSync(readOnlyFile, '');
chmodSync(readOnlyFile, 0o444);
const unreadable = join(dir, 'unreadable.vault');
writeFileSync(unreadable, '{}\n');
chmodSync(unreadable, 0o000);

/** How a command is run: its environment beside the test's, whether it runs as an unprivileged user, Node's own options. */
interface RunAs {
  readonly env?: Readonly<Record<string, string>>;
  readonly unprivileged?: boolean;
  readonly node?: readonly string[];
}

/** What a command line did: its exit code, its output, its milliseconds; for a line of a shared child, the handles it left open and whether cli.js would have exited at once. */
interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly exit?: boolean;
  readonly left?: readonly string[];
}

/** Runs `node [as.node] SCRIPT ...args` in the checkout (as an unprivileged user if asked), killed after `ms`. */
function child(script: string, args: readonly string[], ms: number, as: RunAs): Promise<Ran> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const argv = [...(as.node ?? []), join(here, script), ...args];
    const dropped = as.unprivileged === true && asRoot;
    const p = spawn(dropped ? 'setpriv' : process.execPath, dropped ? [...withoutDac, process.execPath, ...argv] : argv, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PQROOM_PASSWORD: 'pw', PQROOM_DEBUG: '', ...as.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += String(d)));
    p.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Runs `node cli.js ...args` in the checkout, killed after `ms`. */
function pqroom(args: readonly string[], ms = 30_000, as: RunAs = {}): Promise<Ran> {
  return child('cli.js', args, ms, as);
}

/** A command line for a shared child, with its environment beside the child's. */
interface Line {
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

let batches = 0;
/** Runs the lines one after another in one child (impl/cli-batch-testkit.js: cli.js's `run` for each), killed after `ms`; what each did. */
async function inOneChild(lines: readonly Line[], ms: number, as: RunAs = {}): Promise<Ran[]> {
  const file = join(dir, `lines-${batches++}.json`);
  writeFileSync(file, JSON.stringify(lines));
  const r = await child('impl/cli-batch-testkit.js', [join(here, 'cli.js'), file], ms, as);
  expect(r.code, `the shared child of ${lines.length} lines ended: ${r.stderr}`).toBe(0);
  const ran = JSON.parse(r.stdout) as Ran[];
  expect(ran).toHaveLength(lines.length);
  return ran;
}

/** A port nothing listens on (taken from the system, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The mistake's expected answer: exit code and what the one stderr line must say. */
type Case = readonly [what: string, args: () => readonly string[], code: 1 | 2, says: RegExp];

/** The checks of a mistake's answer on what a command line did (in its own child or a shared one). */
function expectAnswer(r: Ran, args: readonly string[], code: number, says: RegExp): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(r.stderr, `stack trace for ${args.join(' ')}`).not.toMatch(/^\s+at |Error:.*\n\s+at /m);
  expect(lines, `stderr of ${args.join(' ').slice(0, 200)}`).toHaveLength(1);
  expect(lines[0]).toMatch(/^pqroom( [a-z ]+)?: /);
  expect(lines[0]).toMatch(says);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
  // in a shared child: where cli.js lets the process end by itself, nothing may be left to wait on
  if (r.exit === false) expect(r.left, `handles left open by ${args.join(' ')}`).toEqual([]);
}

async function expectOneLine(args: readonly string[], code: number, says: RegExp, as: RunAs = {}): Promise<void> {
  expectAnswer(await pqroom(args, 30_000, as), args, code, says);
}

let relay: LiveRelay | undefined;
let relayUrl = '';
beforeAll(async () => {
  relay = await startRelay({ port: 0, db: ':memory:', profile: 'hardened', requireLogin: true, insecureTestKdf: true, log: () => undefined });
  relayUrl = relay.url;
}, 30_000);
afterAll(async () => {
  await relay?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Lines for one shared child, queued while the tests are declared (each line's arguments made once
 * the test's relay is up) and run at the first test that asks for its result.
 */
function sharedChild(ms: number, as: RunAs = {}): (line: () => Line) => () => Promise<Ran> {
  const queued: (() => Line)[] = [];
  let ran: Promise<Ran[]> | undefined;
  return (line) => {
    const i = queued.push(line) - 1;
    return async () => (await (ran ??= inOneChild(queued.map((q) => q()), ms, as)))[i]!;
  };
}
/** The shared child of the mistakes not run as their own `node cli.js`, and the one of the permission cases (as an unprivileged user). */
const shared = sharedChild(240_000);
const sharedUnprivileged = sharedChild(120_000, { unprivileged: true });

/** One case of each command, and the mistakes whose error comes from Node (a name that does not resolve), also run as a person runs them: each in its own `node cli.js`. */
const AS_A_PERSON = new Set([
  'a number that is not one',
  'a worker count out of range, to pqroom mutate',
  'a choice not offered',
  'a missing audit result',
  'a traceability folder under a file',
  'a fault spec of bad JSON',
  'a relay host that does not resolve',
  'a file that is not a vault, to account show',
  'a conformance relay that is not a WebSocket URL',
  'a relay that requires login',
  'a malformed input file',
  'a file for an input folder',
]);

const COMMANDS = ['audit', 'mutate', 'machines', 'report', 'traceability', 'simulate', 'replay', 'relay', 'account show', 'account create', 'account rotate', 'account passwd', 'account page', 'demo', 'vectors verify', 'vectors generate', 'conformance'];

describe('pqroom: every command answers a mistake with one line on stderr, its exit code, no stack trace', () => {
  const bogus = COMMANDS.map((c) => [...c.split(' '), '--bogus']).map((args) => [args, shared(() => ({ args }))] as const);
  it('an unknown command, and an unknown option of every command: exit 2, naming it', async () => {
    await expectOneLine(['frobnicate'], 2, /unknown command 'frobnicate'.*pqroom --help/);
    for (const [args, ran] of bogus) expectAnswer(await ran(), args, 2, /unknown option --bogus .*--help/);
  }, 300_000);

  it('help for a command, and the version, on stdout with exit 0', async () => {
    const h = await pqroom(['help', 'simulate']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^usage: pqroom simulate/);
    const v = await pqroom(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^pqroom \d+\.\d+\.\d+\n$/);
  }, 60_000);

  const cases: readonly Case[] = [
    // values
    ['a missing value', () => ['simulate', '--seed'], 2, /--seed needs a value/],
    ['a value given to a flag', () => ['audit', '--quiet=yes'], 2, /--quiet takes no value/],
    ['a number that is not one', () => ['audit', '--runs', 'many'], 2, /--runs must be a whole number/],
    ['a number out of range', () => ['relay', '--port', '99999', '--db', ':memory:'], 2, /--port must be a whole number from 0 to 65535/],
    ['a port out of range for the keystore page', () => ['account', 'page', '--port', '99999'], 2, /--port must be a whole number from 0 to 65535/],
    ['a choice not offered', () => ['machines', '--format', 'xml'], 2, /--format must be one of json, mermaid/],
    ['a backend not offered', () => ['simulate', '--backend', 'fast'], 2, /--backend must be one of/],
    ['an unexpected positional', () => ['machines', 'owner'], 2, /unexpected argument 'owner'/],
    ['a missing subcommand', () => ['account'], 2, /which subcommand/],
    ['an unknown subcommand', () => ['vectors', 'check'], 2, /unknown command 'check'/],
    ['a missing required option', () => ['account', 'show'], 2, /--vault FILE is required/],
    ['a fault spec with a trailing comma', () => ['simulate', '--faults', 'drop=0.05,'], 2, /^pqroom simulate: --faults drop=0\.05,: /],
    ['a fault spec of bad JSON', () => ['simulate', '--faults', '{"drop":'], 2, /--faults .*not valid JSON/],
    ['an option the scenario does not take', () => ['simulate', '--scenario', 'removal', '--members', '5'], 2, /--members: scenario removal has a fixed cast/],
    ['a scenario that does not exist', () => ['simulate', '--scenario', 'nope'], 2, /no scenario named 'nope'/],
    ['a value that starts with a dash', () => ['simulate', '--seed', '-1'], 2, /--seed needs a value; '-1' starts with a dash .*write --seed=-1/],
    ['a relay host that does not resolve', () => ['relay', '--port', '0', '--db', ':memory:', '--host', 'no-such-host.invalid'], 2, /host no-such-host\.invalid does not resolve/],
    ['TLS files that are not PEM', () => ['relay', '--port', '0', '--db', ':memory:', '--tls-cert', file, '--tls-key', file], 2, /--tls-cert .* and --tls-key .* are not a PEM certificate and its private key/],
    // pqroom mutate, on the one parser too: each mistake named before the search for check sites
    ['a number that is not one, to pqroom mutate', () => ['mutate', '--generated', '--limit', 'x'], 2, /--limit must be a whole number of at least 0, not 'x'/],
    ['a worker count out of range, to pqroom mutate', () => ['mutate', '--generated', '--workers', '0'], 2, /--workers must be a whole number from 1 to 64/],
    ['a seed list with a hole, to pqroom mutate', () => ['mutate', '--generated', '--seeds', '1,,2'], 2, /--seeds must be whole numbers .* not '1,,2'/],
    ['a value given to a flag of pqroom mutate', () => ['mutate', '--generated', '--list=yes'], 2, /--list takes no value/],
    ['a missing value of pqroom mutate', () => ['mutate', '--generated', '--filter'], 2, /--filter needs a value/],
    ['pqroom mutate without --generated', () => ['mutate', '--list'], 2, /add --generated/],
    ['a missing saved result of pqroom mutate', () => ['mutate', '--generated', '--from', join(dir, 'none.json')], 2, /--from .*none\.json: no such file/],
    ['a file that is not a saved result of pqroom mutate', () => ['mutate', '--generated', '--from', join(dir, 'junk.jsonl')], 2, /--from .*junk\.jsonl is not a saved result of pqroom mutate --json/],
    ['a mutate result in a missing folder', () => ['mutate', '--generated', '--list', '--json', join(missing, 'm.json')], 2, /--json .*does not exist/],
    ['a conformance run without its relay', () => ['conformance'], 2, /--relay ws:\/\/HOST:PORT is required/],
    ['a conformance relay that is not a WebSocket URL', () => ['conformance', '--relay', 'http://127.0.0.1:1'], 2, /--relay must be a ws:\/\/ or wss:\/\/ URL/],
    // inputs
    ['a missing input file', () => ['replay', join(dir, 'none.jsonl')], 2, /none\.jsonl: no such file/],
    ['a missing conformance vector file', () => ['conformance', '--relay', 'ws://127.0.0.1:1', '--profile', 'compat', '--vectors', join(dir, 'none.json')], 2, /--vectors .*none\.json: no such file/],
    ['a vector file of another kind for conformance', () => ['conformance', '--relay', 'ws://127.0.0.1:1', '--profile', 'compat', '--vectors', 'vectors/labels.json'], 2, /--vectors vectors\/labels\.json holds labels vectors, not relay-conformance/],
    ['conformance with both --seed and --vectors', () => ['conformance', '--relay', 'ws://127.0.0.1:1', '--seed', '00'.repeat(32), '--vectors', 'vectors/relay-conformance.json'], 2, /--seed and --vectors exclude each other/],
    ['a folder for an input file', () => ['account', 'show', '--vault', join(dir, 'a-folder')], 2, /--vault .* is a folder/],
    ['a file for an input folder', () => ['vectors', 'verify', file], 2, /is a file; give the folder/],
    ['a missing faults file', () => ['simulate', '--faults', `@${join(dir, 'none')}`], 2, /--faults .*no such file/],
    ['a malformed input file', () => ['replay', join(dir, 'junk.jsonl')], 2, /junk\.jsonl: .*is it a trace/],
    ['a missing audit result', () => ['report', '--in', join(dir, 'none.json')], 2, /no such file .*none\.json/],
    ['a folder for an audit result', () => ['report', '--in', join(dir, 'a-folder')], 2, /--in .*a-folder is a folder; give a file/],
    ['a folder for a trace', () => ['replay', join(dir, 'a-folder')], 2, /a-folder is a folder; give a file/],
    ['a missing breach list', () => ['account', 'create', '--vault', join(dir, 'v1'), '--user', 'u', '--hibp-offline', join(dir, 'none.txt')], 2, /--hibp-offline .*no such file/],
    ['a malformed breach list', () => ['account', 'create', '--vault', join(dir, 'v2'), '--user', 'u', '--hibp-offline', join(dir, 'bad-list.txt')], 2, /--hibp-offline .*malformed/],
    // a file that is not a vault is an input that cannot be read, for every subcommand that reads one, with --user or not
    ...(['show', 'rotate', 'passwd'] as const).flatMap((sub): Case[] => [
      [`a file that is not a vault, to account ${sub}`, () => ['account', sub, '--vault', join(dir, 'not-a-vault'), '--no-hibp'], 2, /--vault .*not-a-vault: REQ-KEY-011: .*is .*not-a-vault a pqroom vault/],
      [`a file that is not a vault, to account ${sub} --user`, () => ['account', sub, '--vault', join(dir, 'not-a-vault'), '--user', 'u', '--no-hibp'], 2, /--vault .*not-a-vault: REQ-KEY-011: .*is .*not-a-vault a pqroom vault/],
    ]),
    ['a file that is not a vault, with --kdf test (its warning not printed before the mistake)', () => ['account', 'passwd', '--vault', join(dir, 'not-a-vault'), '--kdf', 'test'], 2, /--vault .*not-a-vault: REQ-KEY-011: .*is .*not-a-vault a pqroom vault/],
    ['an empty file for a vault', () => ['account', 'show', '--vault', join(dir, 'empty')], 2, /--vault .*empty: .*is .*empty a pqroom vault/],
    // the breach check's endpoint, checked with the line (before the password prompt and the breach check it would fail)
    ['a breach-check endpoint that is not a URL', () => ['account', 'create', '--vault', join(dir, 'h1'), '--user', 'u', '--hibp', 'api.pwnedpasswords.com/range/'], 2, /--hibp must be an http:\/\/ or https:\/\/ URL .*not 'api\.pwnedpasswords\.com\/range\/'/],
    ['a breach check asked of the service and skipped', () => ['account', 'create', '--vault', join(dir, 'h2'), '--user', 'u', '--hibp', 'http://127.0.0.1/range/', '--no-hibp'], 2, /--hibp and --no-hibp cannot be given together/],
    ['a breach check asked of the service and of a local list', () => ['account', 'create', '--vault', join(dir, 'h3'), '--user', 'u', '--hibp-offline', join(dir, 'none.txt'), '--hibp', 'http://127.0.0.1/range/'], 2, /--hibp and --hibp-offline cannot be given together/],
    ['a breach check of a local list and skipped', () => ['account', 'passwd', '--vault', join(dir, 'not-a-vault'), '--no-hibp', '--hibp-offline', join(dir, 'none.txt')], 2, /--hibp-offline and --no-hibp cannot be given together/],
    ['a breach-check endpoint of another scheme', () => ['account', 'passwd', '--vault', join(dir, 'not-a-vault'), '--hibp', 'ftp://127.0.0.1/range/'], 2, /--hibp must be an http:\/\/ or https:\/\/ URL .*not 'ftp:/],
    // and create never writes over a file, vault or not
    ['a vault to create over a file that is there', () => ['account', 'create', '--vault', join(dir, 'not-a-vault'), '--no-hibp'], 2, /--vault .*not-a-vault exists already; create never overwrites/],
    ['a vault to create over a file that is there, with --user', () => ['account', 'create', '--vault', join(dir, 'not-a-vault'), '--user', 'u', '--no-hibp'], 2, /--vault .*not-a-vault exists already; create never overwrites/],
    // outputs, checked before the work starts
    ['a trace in a missing folder', () => ['simulate', '--trace', join(missing, 't.jsonl')], 2, /--trace .*the folder .* does not exist/],
    ['a diagram under a file', () => ['simulate', '--mermaid', join(file, 'd.mmd')], 2, /--mermaid .* is not a folder/],
    ['an audit folder under a file', () => ['audit', '--out', join(file, 'out')], 2, /--out .* is a file, not a folder/],
    ['an audit JSON in a missing folder', () => ['audit', '--json', join(missing, 'a.json')], 2, /--json .*does not exist/],
    ['vectors generated under a file', () => ['vectors', 'generate', join(file, 'v')], 2, /is a file, not a folder/],
    ['a traceability folder under a file', () => ['traceability', '--out', join(file, 't')], 2, /--out .* is a file, not a folder/],
    ['a vault in a missing folder', () => ['account', 'create', '--vault', join(missing, 'v'), '--user', 'u', '--no-hibp'], 2, /--vault .*does not exist/],
    ['a vault that is a folder', () => ['account', 'create', '--vault', join(dir, 'a-folder'), '--user', 'u', '--no-hibp'], 2, /--vault .* is a folder/],
    ['a relay database in a missing folder', () => ['relay', '--port', '0', '--db', join(missing, 'r.db')], 2, /--db .*does not exist/],
    ['a worker count out of range', () => ['relay', '--port', '0', '--db', ':memory:', '--workers', '0'], 2, /--workers must be a whole number from 1 to 64/],
    ['workers with a relay trace', () => ['relay', '--port', '0', '--db', ':memory:', '--workers', '2', '--trace', join(dir, 'w.jsonl')], 2, /--adversary and --trace need --workers 1/],
    ['a relay trace in a missing folder', () => ['relay', '--port', '0', '--db', ':memory:', '--trace', join(missing, 't.jsonl')], 2, /--trace .*does not exist/],
    ['a conformance result in a missing folder', () => ['conformance', '--relay', 'ws://127.0.0.1:1', '--json', join(missing, 'c.json')], 2, /--json .*does not exist; create it first or choose another path$/],
    ['a replay diagram in a missing folder', () => ['replay', join(dir, 'junk.jsonl'), '--mermaid', join(missing, 'd.mmd')], 2, /--mermaid .*does not exist/],
    // the demo: the wrong option named; what retrying cannot cure ends at once
    ['an http relay address', () => ['demo', '--relay', 'http://127.0.0.1:1'], 2, /--relay must be a ws:\/\/ or wss:\/\/ address.*try ws:/],
    ['no members', () => ['demo', '--relay', 'ws://127.0.0.1:1', '--members', '0'], 2, /--members must be a whole number from 1 to 100/],
    ['a relay key that is not hex', () => ['demo', '--relay', relayUrl, '--relay-key', 'xyz'], 2, /--relay-key must be the relay key in hex/],
    ['a wrong relay key', () => ['demo', '--relay', relayUrl, '--relay-key', 'ab'.repeat(1952)], 1, /serves another key than --relay-key: given [0-9a-f ]{79} +\S.* served [0-9a-f ]{79} /u],
    ['the other profile', () => ['demo', '--relay', relayUrl, '--profile', 'compat'], 1, /serves the hardened profile, the demo runs compat; give --profile hardened/],
    ['a relay that requires login', () => ['demo', '--relay', relayUrl, '--no-login', '--members', '1', '--messages', '2'], 1, /could not get online: REQ-LOG-020: .*log in first/],
  ];

  if (cases.filter(([what]) => AS_A_PERSON.has(what)).length !== AS_A_PERSON.size) throw new Error('AS_A_PERSON names a case that is not in the list');
  for (const [what, args, code, says] of cases) {
    const ran = AS_A_PERSON.has(what) ? undefined : shared(() => ({ args: args() }));
    it(`${what}: exit ${code}, one line`, async () => {
      // demo's --relay-key case: the stdout lines before it are the transcript; stderr holds the one line
      if (ran) expectAnswer(await ran(), args(), code, says);
      else await expectOneLine(args(), code, says);
    }, 300_000);
  }

  const noPassword = ['account', 'create', '--vault', join(dir, 'v3'), '--user', 'u', '--no-hibp'];
  const noPasswordRan = shared(() => ({ args: noPassword, env: { PQROOM_PASSWORD: '' } }));
  it('a vault command with no password (no PQROOM_PASSWORD, nothing on standard input): exit 2, saying where a password comes from', async () => {
    expectAnswer(await noPasswordRan(), noPassword, 2, /no password given: set PQROOM_PASSWORD/);
  }, 300_000);

  const denied: readonly Case[] = [
    ['a trace in a folder it may not write', () => ['simulate', '--trace', join(readOnly, 't.jsonl')], 2, /--trace .*the folder .*read-only cannot be written \(permission denied\)/],
    ['a trace over a file it may not write', () => ['simulate', '--trace', readOnlyFile], 2, /--trace .*read-only\.jsonl cannot be written \(permission denied\)/],
    ['an audit folder it may not make', () => ['audit', '--out', join(readOnly, 'out')], 2, /--out .* cannot be written \(.*read-only: permission denied\)/],
    ['an audit JSON in a folder it may not write', () => ['audit', '--out', writable, '--json', join(readOnly, 'a.json')], 2, /--json .*cannot be written \(permission denied\)/],
    ['vectors generated into a folder it may not write', () => ['vectors', 'generate', join(readOnly, 'v')], 2, /cannot be written \(.*permission denied\)/],
    ['a traceability folder it may not make', () => ['traceability', '--out', join(readOnly, 't')], 2, /--out .* cannot be written/],
    ['a report folder it may not make', () => ['report', '--in', join(dir, 'junk.jsonl'), '--out', join(readOnly, 'r')], 2, /--out .* cannot be written/],
    ['a vault in a folder it may not write', () => ['account', 'create', '--vault', join(readOnly, 'v'), '--user', 'u', '--no-hibp'], 2, /--vault .*cannot be written \(permission denied\)/],
    ['a relay database in a folder it may not write', () => ['relay', '--port', '0', '--db', join(readOnly, 'r.db')], 2, /--db .*cannot be written \(permission denied\)/],
    ['a mutate result in a folder it may not write', () => ['mutate', '--generated', '--list', '--json', join(readOnly, 'm.json')], 2, /--json .*cannot be written \(permission denied\)/],
    ['a vault it may not read', () => ['account', 'show', '--vault', unreadable], 2, /--vault .*unreadable\.vault cannot be read \(permission denied\)/],
  ];
  for (const [i, [what, args, code, says]] of denied.entries()) {
    // the first as a person runs it, in its own `node cli.js`
    const ran = i === 0 ? undefined : sharedUnprivileged(() => ({ args: args() }));
    it(`permission denied, ${what}: exit ${code}, one line${asRoot ? ' (root without CAP_DAC_OVERRIDE)' : ''}`, async () => {
      if (ran) expectAnswer(await ran(), args(), code, says);
      else await expectOneLine(args(), code, says, { unprivileged: true });
    }, 300_000);
  }

  it('a demo against nothing listening, with or without --relay-key: exit 1 at once, naming the address', async () => {
    const port = await freePort();
    for (const extra of [[], ['--relay-key', 'ab'.repeat(1952)]]) {
      const t0 = Date.now();
      await expectOneLine(['demo', '--relay', `ws://127.0.0.1:${port}`, ...extra], 1, new RegExp(`no relay answers at ws://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); start one`));
      expect(Date.now() - t0).toBeLessThan(20_000);
    }
  }, 60_000);

  it('pqroom machines, vectors, conformance, account, simulate and replay answer a mistake before loading their machinery (the machines, the vector kinds, the crypto, the live suite, the vault, the wire codec), and load it for a command line that holds', async () => {
    // a module hook in the child (node --import) writes every module the command resolves, one URL a line
    writeFileSync(join(dir, 'record-hooks.mjs'), "import { appendFileSync } from 'node:fs';\nlet out;\nexport function initialize(d) { out = d.out; }\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(out, r.url + '\\n'); return r; }\n");
    writeFileSync(join(dir, 'record.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'record-hooks.mjs')).href)}, { data: { out: process.env.PQROOM_TEST_LOADED } });\n`);
    let n = 0;
    type Loading = readonly [args: readonly string[], code: number, says: RegExp | undefined, env?: Readonly<Record<string, string>>];
    /**
     * Runs the lines in one child under the hook (through cli.js's `run`, as impl/cli-batch-testkit.js does), each line's
     * answer checked as a person's; what each line resolved: the URLs the hook wrote after the line's `#line N` mark.
     * A module already loaded by an earlier line is not resolved again when a module imports it statically, so the
     * lines of one child are ordered: a line's machinery is checked only after lines whose own check covered all of
     * it (an earlier line that loaded any of it would have failed its own check), and a line that must load modules
     * comes after every line that must not (or in a child of its own).
     */
    const loadedIn = async (lines: readonly Loading[]): Promise<string[][]> => {
      const log = join(dir, `loaded-${n++}.txt`);
      const ran = await inOneChild(lines.map(([args, , , env]) => ({ args, env: env ?? {} })), 120_000, { env: { PQROOM_TEST_LOADED: log }, node: ['--import', pathToFileURL(join(dir, 'record.mjs')).href] });
      const marks = readFileSync(log, 'utf8').trimEnd().split(/^#line \d+\n/m).slice(1);
      expect(marks).toHaveLength(lines.length);
      return lines.map(([args, code, says], i) => {
        if (says) expectAnswer(ran[i]!, args, code, says);
        else expect(ran[i]!.code, `${args.join(' ')}: ${ran[i]!.stderr}`).toBe(code);
        const urls = marks[i]!.trimEnd().split('\n');
        const entry = { machines: 'machines/cli.ts', vectors: 'vectors/cli.ts', conformance: 'simulator/live/conformance/cli.ts', account: 'impl/accounts/cli.ts', simulate: 'simulator/cli.ts', replay: 'simulator/replay-cli.ts' }[args[0] as 'machines' | 'vectors' | 'conformance' | 'account' | 'simulate' | 'replay'];
        expect(urls, `the hook saw the command ${args.join(' ')}`).toContain(pathToFileURL(join(here, entry)).href);
        return urls;
      });
    };
    const machines = /\/machines\/describe\.ts$|\/node_modules\/xstate\//;
    const vectors = /\/vectors\/(verify|generate)\.ts$|\/vectors\/kinds\//;
    // conformance: the crypto (node:crypto's and noble's backends, ML-KEM and ML-DSA), the suite and its live clients, the vector replayer
    const conformanceRun = /\/impl\/crypto\/|\/node_modules\/@noble\/post-quantum\/|\/simulator\/live\/conformance\/(suite|peer|vectors\/replay)\.ts$/;
    // and vectors/format.ts, which only a --vectors file needs
    const conformance = new RegExp(`${conformanceRun.source}|\\/vectors\\/format\\.ts$`);
    const relay1 = 'ws://127.0.0.1:1';
    // account: the vault, the keystore and every other module of impl/accounts/ but cli.ts and hibp.ts, the crypto, the codec,
    // the messages, the protocols, the key schedule, the fingerprint; Argon2id (hash-wasm, noble), noble's other packages and hashes
    const accountVault = /\/impl\/accounts\/(?!(cli|hibp)\.ts$)|\/impl\/(crypto|messages|protocol)\/|\/impl\/(codec|keyschedule|fingerprint|rng)\.ts$|\/node_modules\/(hash-wasm|@noble\/(post-quantum|ciphers|curves))\/|\/node_modules\/@noble\/hashes\/(?!(legacy|_md|_u64|utils)\.js$)/;
    // and the breach check (hibp.ts, with noble's SHA-1), which only a --hibp-offline list needs before the work
    const accountRun = new RegExp(`${accountVault.source}|\\/impl\\/accounts\\/hibp\\.ts$|\\/node_modules\\/@noble\\/`);
    const vault = (name: string): string => join(dir, `${name}.vault`);
    // simulate and replay: the wire codec and the messages, the machines and xstate, the crypto (its backends' names aside),
    // the simulator's run, world and replayer, the trace's message labels, the adversary
    const simulator = /\/impl\/codec(\.ts$|\/)|\/impl\/messages\/|\/machines\/|\/node_modules\/xstate\/|\/impl\/crypto\/(?!backend-names\.ts$)|\/simulator\/(run|world|replay|relay-host|message-label)\.ts$|\/adversary\//;
    const mistakes: readonly (readonly [readonly string[], RegExp, RegExp])[] = [
      [['machines', '--bogus'], /unknown option --bogus/, machines],
      [['machines', '--format', 'xml'], /--format must be one of json, mermaid/, machines],
      [['machines', '--role', 'nobody'], /--role: no role named 'nobody' \(one of owner, member, relay, client connection, relay connection\)/, machines],
      [['vectors', 'verify', '--bogus'], /unknown option --bogus/, vectors],
      [['vectors', 'verify', missing], /verify: no such folder/, vectors],
      [['vectors', 'verify', file], /is a file; give the folder/, vectors],
      [['vectors', 'generate', join(file, 'v')], /is a file, not a folder/, vectors],
      [['conformance', '--bogus'], /unknown option --bogus/, conformance],
      [['conformance'], /--relay ws:\/\/HOST:PORT is required/, conformance],
      [['conformance', '--relay', 'http://127.0.0.1:1'], /--relay must be a ws:\/\/ or wss:\/\/ URL/, conformance],
      [['conformance', '--relay', relay1, '--profile', 'x'], /--profile must be hardened or compat, not x/, conformance],
      [['conformance', '--relay', relay1, '--seed', '12'], /--seed needs 64 hex characters/, conformance],
      [['conformance', '--relay', relay1, '--relay-key', 'xyz'], /--relay-key needs the 3904 hex characters/, conformance],
      [['conformance', '--relay', relay1, '--seed', '00'.repeat(32), '--vectors', 'vectors/relay-conformance.json'], /--seed and --vectors exclude each other/, conformance],
      [['conformance', '--relay', relay1, '--json', join(missing, 'c.json')], /--json .*does not exist/, conformance],
      [['conformance', '--relay', relay1, '--profile', 'compat', '--vectors', join(dir, 'none.json')], /--vectors .*none\.json: no such file/, conformance],
      // a --vectors file is read with vectors/format.ts (its form and digests), still without the crypto
      [['conformance', '--relay', relay1, '--profile', 'compat', '--vectors', 'vectors/labels.json'], /holds labels vectors, not relay-conformance/, conformanceRun],
      // the relay key is fetched before the crypto is loaded: nothing listening, nothing loaded
      [['conformance', '--relay', relay1], /cannot reach ws:\/\/127\.0\.0\.1:1/, conformance],
      [['simulate', '--bogus'], /unknown option --bogus/, simulator],
      [['simulate', '--scenario', 'nope'], /no scenario named 'nope'/, simulator],
      [['simulate', '--scenario', 'removal', '--members', '5'], /--members: scenario removal has a fixed cast/, simulator],
      [['simulate', '--seed', 'x'], /--seed must be a whole number/, simulator],
      [['simulate', '--faults', '{"drop":'], /--faults .*not valid JSON/, simulator],
      [['simulate', '--backend', 'fast'], /--backend must be one of/, simulator],
      [['simulate', '--trace', join(missing, 't.jsonl')], /--trace .*does not exist/, simulator],
      [['replay', '--bogus'], /unknown option --bogus/, simulator],
      [['replay'], /which trace\?/, simulator],
      [['replay', join(dir, 'none.jsonl')], /none\.jsonl: no such file/, simulator],
      [['replay', join(dir, 'a-folder')], /a-folder is a folder/, simulator],
      [['replay', join(dir, 'junk.jsonl')], /junk\.jsonl: .*is it a trace/, simulator],
      [['replay', join(dir, 'junk.jsonl'), '--mermaid', join(missing, 'd.mmd')], /--mermaid .*does not exist/, simulator],
      [['account', '--bogus'], /unknown option --bogus/, accountRun],
      ...(['create', 'show', 'rotate', 'passwd', 'page'] as const).map((sub) => [['account', sub, '--bogus'], /unknown option --bogus/, accountRun] as const),
      [['account'], /which subcommand/, accountRun],
      [['account', 'open'], /unknown subcommand open/, accountRun],
      [['account', 'show', '--profile', 'x'], /--profile must be one of hardened, compat/, accountRun],
      [['account', 'create', '--kdf', 'huge'], /--kdf must be one of seed, interactive, test/, accountRun],
      [['account', 'passwd', '--hibp-policy', 'maybe'], /--hibp-policy must be one of refuse, allow/, accountRun],
      [['account', 'page', '--port', '99999'], /--port must be a whole number from 0 to 65535/, accountRun],
      [['account', 'rotate'], /--vault FILE is required/, accountRun],
      [['account', 'show', '--vault', vault('none')], /--vault .*none\.vault: no such file/, accountRun],
      [['account', 'rotate', '--vault', join(dir, 'a-folder')], /--vault .* is a folder/, accountRun],
      [['account', 'create', '--vault', join(missing, 'v'), '--user', 'u'], /--vault .*does not exist/, accountRun],
      [['account', 'create', '--vault', join(dir, 'a-folder'), '--user', 'u'], /--vault .* is a folder/, accountRun],
      [['account', 'create', '--vault', vault('l1'), '--user', 'u', '--hibp-offline', join(dir, 'none.txt')], /--hibp-offline .*no such file/, accountRun],
      [['account', 'passwd', '--vault', join(dir, 'not-a-vault'), '--hibp-offline', join(dir, 'none.txt')], /--hibp-offline .*no such file/, accountRun],
      [['account', 'create', '--vault', vault('l2'), '--no-hibp'], /--user ID is required/, accountRun],
      [['account', 'create', '--vault', vault('l4'), '--user', 'u', '--hibp', 'http//127.0.0.1/range/'], /--hibp must be an http:\/\/ or https:\/\/ URL/, accountRun],
      // a --hibp-offline list is read by the breach check's module, still without the vault or the keys' crypto
      [['account', 'create', '--vault', vault('l3'), '--user', 'u', '--hibp-offline', join(dir, 'bad-list.txt')], /--hibp-offline .*malformed/, accountVault],
    ];
    // no password: known before the vault is opened (create)
    const create = ['account', 'create', '--vault', vault('p1'), '--user', 'u', '--no-hibp'];
    // a file that is not a vault is found reading its header, with the vault's module, before the password is asked
    // (none is given, and the line is about the file) and without the keys' crypto or the keystore (exit 2: an input it cannot read)
    const keys = /\/impl\/crypto\/node\.ts$|\/impl\/accounts\/keystore\.ts$/;
    const notVault = ['show', 'rotate', 'passwd'].map((sub): Loading => [['account', sub, '--vault', join(dir, 'not-a-vault'), '--user', 'u'], 2, /is .*not-a-vault a pqroom vault/, { PQROOM_PASSWORD: '' }]);
    // the same hook sees the machinery loaded once the command line holds: after the mistakes of the same command
    const sim = join(dir, 'sim.jsonl');
    const holds = {
      simulate: [['simulate', '--scenario', 'removal', '--seed', '3', '--messages', '4', '--backend', 'symbolic', '--trace', sim], 0, undefined],
      replay: [['replay', sim], 0, undefined],
      machines: [['machines', '--role', 'owner', '--format', 'json'], 0, undefined],
      vectors: [['vectors', 'verify', join(dir, 'a-folder')], 1, /no \*\.json vector files/],
      labels: [['conformance', '--relay', relay1, '--profile', 'compat', '--vectors', 'vectors/labels.json'], 2, /holds labels vectors/],
      // one case against the test's relay (which requires a login the case does not make: exit 1, the work ran)
      conformance: [['conformance', '--relay', relayUrl, '--only', 'REQ-TRN-003'], 1, undefined],
      // a vault made and opened: the keys' crypto, the keystore, Argon2id, the breach check's SHA-1
      made: [['account', 'create', '--vault', vault('good'), '--user', 'u', '--kdf', 'test', '--hibp-offline', join(dir, 'empty-list.txt')], 0, undefined],
      shown: [['account', 'show', '--vault', vault('good')], 0, undefined],
    } satisfies Record<string, Loading>;
    // one child per command; in each, the mistakes checked against the most machinery first (conformanceRun and accountVault
    // are parts of conformance and accountRun, keys a part of accountVault), then the lines that hold
    const of = (cmd: string, machinery: RegExp): (typeof mistakes)[number][] => mistakes.filter(([args, , m]) => args[0] === cmd && m === machinery);
    const mistakesIn = (ms: readonly (typeof mistakes)[number][]): Loading[] => ms.map(([args, says]) => [args, 2, says]);
    const expectNone = (urls: readonly string[], machinery: RegExp, what: string): void => expect(urls.filter((u) => machinery.test(u)), what).toEqual([]);
    const groups: readonly (readonly (typeof mistakes)[number][])[] = [of('machines', machines), of('vectors', vectors), [...of('conformance', conformance), ...of('conformance', conformanceRun)], of('simulate', simulator), of('replay', simulator)];
    const follows = [[holds.machines], [holds.vectors], [holds.labels, holds.conformance], [holds.simulate], [holds.replay]];
    expect(groups.flat().length + of('account', accountRun).length + of('account', accountVault).length, 'every mistake in a child').toBe(mistakes.length);
    const seen: string[][][] = [];
    for (const [g, ms] of groups.entries()) {
      const urls = await loadedIn([...mistakesIn(ms), ...follows[g]!]);
      for (const [i, [args, , machinery]] of ms.entries()) expectNone(urls[i]!, machinery, args.join(' '));
      seen.push(urls.slice(ms.length));
    }
    const [machined, verified, labelled, run, simulated, replayed] = seen.flat();
    const account = await loadedIn([...mistakesIn(of('account', accountRun)), [create, 2, /no password given/, { PQROOM_PASSWORD: '' }], ...mistakesIn(of('account', accountVault)), ...notVault]);
    const [nRun, nVault] = [of('account', accountRun).length, of('account', accountVault).length];
    for (const [i, [args, , machinery]] of [...of('account', accountRun), ...of('account', accountVault)].entries()) expectNone(account[i < nRun ? i : i + 1]!, machinery, args.join(' '));
    expectNone(account[nRun]!, accountRun, create.join(' '));
    for (const [i, urls] of account.slice(nRun + 1 + nVault).entries()) {
      expect(urls.some((u) => u.endsWith('/impl/accounts/vault.ts')), notVault[i]![0].join(' ')).toBe(true);
      expectNone(urls, keys, notVault[i]![0].join(' '));
    }
    for (const m of ['/impl/codec/wire.ts', '/simulator/run.ts', '/simulator/message-label.ts', '/machines/member.ts']) expect(simulated!.some((u) => u.endsWith(m)), `simulate: ${m}`).toBe(true);
    for (const m of ['/impl/codec/wire.ts', '/simulator/replay.ts', '/simulator/run.ts']) expect(replayed!.some((u) => u.endsWith(m)), `replay: ${m}`).toBe(true);
    expect(machined!.filter((u) => machines.test(u)).length).toBeGreaterThan(1);
    expect(verified!.filter((u) => vectors.test(u)).length).toBeGreaterThan(1);
    expect(labelled!.some((u) => u.endsWith('/vectors/format.ts'))).toBe(true);
    for (const m of ['/impl/crypto/node.ts', '/node_modules/@noble/post-quantum/ml-dsa.js', '/simulator/live/conformance/suite.ts']) expect(run!.some((u) => u.endsWith(m)), m).toBe(true);
    // the vault made and shown in a child of their own (the breach list's mistake above loaded the breach check's SHA-1)
    const [made, shown] = await loadedIn([holds.made, holds.shown]);
    for (const m of ['/impl/crypto/node.ts', '/impl/accounts/keystore.ts', '/impl/accounts/hibp.ts', '/node_modules/@noble/hashes/legacy.js', '/impl/fingerprint.ts']) expect(made!.some((u) => u.endsWith(m)), m).toBe(true);
    expect(made!.some((u) => u.includes('/node_modules/hash-wasm/')), 'hash-wasm').toBe(true);
    for (const m of ['/impl/crypto/node.ts', '/impl/accounts/keystore.ts', '/impl/accounts/vault.ts']) expect(shown!.some((u) => u.endsWith(m)), m).toBe(true);
  }, 240_000);

  it('a relay on a port in use: exit 2, naming the port, before it makes its database', async () => {
    const db = join(dir, 'second.db');
    await expectOneLine(['relay', '--port', String(relay!.port), '--db', db], 2, new RegExp(`127\\.0\\.0\\.1:${relay!.port} is already in use; .*--port`));
    expect(existsSync(db)).toBe(false);
  }, 60_000);
});
