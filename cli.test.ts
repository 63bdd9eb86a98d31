/** The `pqroom` command (cli.js): what it says before `npm ci`, and the adversary's parts it plugs into the simulator's commands. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attackTrace, runSpec, type RunSpec } from './adversary/audit.ts';

const here = import.meta.dirname;
const dir = mkdtempSync(join(tmpdir(), 'pqroom-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `node cli.js ...` in `cwd` (the checkout unless given), bounded in time. */
function pqroom(args: readonly string[], cli = join(here, 'cli.js')) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dirname(cli), encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether a `node_modules` folder lies in `d` or above it (where Node would find packages). */
function modulesAbove(d: string): boolean {
  for (let p = d; ; p = dirname(p)) {
    if (existsSync(join(p, 'node_modules'))) return true;
    if (p === parse(p).root) return false;
  }
}

describe('pqroom before npm ci', () => {
  it('should say in one line on stderr what to run first, and exit 2, instead of a stack trace', () => {
    const bare = join(dir, 'bare');
    mkdirSync(bare);
    // the checkout's JavaScript entry (cli.js), nothing installed
    copyFileSync(join(here, 'cli.js'), join(bare, 'cli.js'));
    expect(modulesAbove(bare), `${bare} must have no node_modules above it for this test`).toBe(false);
    const r = pqroom(['audit', '--runs', '1'], join(bare, 'cli.js'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([`pqroom: tsx (the TypeScript loader) is not installed; run 'npm ci' in ${bare}/ first`]);
    // the help needs nothing installed
    expect(pqroom(['--help'], join(bare, 'cli.js')).status).toBe(0);
  });

  it('should name a package that a partial install lacks, in one line', () => {
    const partial = join(dir, 'partial');
    mkdirSync(join(partial, 'vectors'), { recursive: true });
    copyFileSync(join(here, 'cli.js'), join(partial, 'cli.js'));
    symlinkSync(join(here, 'node_modules'), join(partial, 'node_modules'));
    writeFileSync(join(partial, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(partial, 'vectors', 'cli.ts'), "import 'pqroom-test-missing-package';\nexport function main(): number {\n  return 0;\n}\n");
    const r = pqroom(['vectors'], join(partial, 'cli.js'));
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([`pqroom: the package pqroom-test-missing-package is not installed; run 'npm ci' in ${partial}/ first`]);
  });
});

describe('pqroom on an error no command expected (a bug): one line, exit 1, no stack trace', () => {
  // a checkout whose `vectors` command is a stand-in failing as asked: the process's part of cli.js (its exit and
  // the handlers of errors nothing awaits), which cli-mistakes.test.ts's lines run in a shared child do not have
  const buggy = join(dir, 'buggy');
  mkdirSync(join(buggy, 'vectors'), { recursive: true });
  copyFileSync(join(here, 'cli.js'), join(buggy, 'cli.js'));
  for (const f of ['node_modules', 'impl']) symlinkSync(join(here, f), join(buggy, f));
  writeFileSync(join(buggy, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(buggy, 'vectors', 'cli.ts'),
    [
      'export async function main(argv: readonly string[]): Promise<number> {',
      "  if (argv[0] === 'throw') throw new TypeError('thrown by main');",
      "  if (argv[0] === 'uncaught') setTimeout(() => { throw new RangeError('thrown later'); }, 10);",
      "  if (argv[0] === 'unhandled') void Promise.reject(new Error('rejected later'));",
      "  if (argv[0] === 'epipe') for (let i = 0; i < 20000; i++) console.log('a line of output that nobody reads');",
      '  return 0;',
      '}',
      '',
    ].join('\n'),
  );
  for (const [how, message] of [
    ['throw', 'thrown by main'],
    ['uncaught', 'thrown later'],
    ['unhandled', 'rejected later'],
  ] as const) {
    it(`should say so in one line when ${how === 'throw' ? 'a command throws' : how === 'uncaught' ? 'a timer throws after it returned' : 'a promise nobody awaits rejects'}`, () => {
      const r = pqroom(['vectors', how], join(buggy, 'cli.js'));
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toEqual([`pqroom vectors: internal error: ${message} (a bug in pqroom; PQROOM_DEBUG=1 shows the stack)`]);
    });
  }

  it('should end quietly with exit 0 when its output is piped into a program that stopped reading', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${join(buggy, 'cli.js')}" vectors epipe | head -1; echo "exit \${PIPESTATUS[0]}"`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toBe('a line of output that nobody reads\nexit 0\n');
    expect(r.stderr).toBe('');
  });
});

describe('pqroom composes the layers', () => {
  it('should replay an audit counterexample: the adversary rebuilds the run for the simulator replay', () => {
    const spec: RunSpec = { attack: 'ATK-11', profile: 'compat', seed: 1, backend: 'symbolic' };
    const file = join(dir, 'compat-ATK-11.jsonl');
    writeFileSync(file, attackTrace(spec, runSpec(spec, true)));
    const r = pqroom(['replay', file]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^identical: \d+ lines replayed from .*\nverdict: the same violations\n {2}PROP-08 /);
  });

  it('should give the live relay the malicious relay of --adversary', () => {
    const r = pqroom(['relay', '--port', '0', '--db', ':memory:', '--adversary', join(dir, 'no-such-plan.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^pqroom relay: --adversary: .*no-such-plan\.json is neither a preset \(tamper, replay, withhold\) nor a readable plan file/);
  });

  it('should give pqroom simulate the malicious relay of --adversary, and replay its trace with the same relay', () => {
    const trace = join(dir, 'sim-adversary.jsonl');
    const r = pqroom(['simulate', '--scenario', 'removal', '--seed', '3', '--messages', '20', '--backend', 'symbolic', '--profile', 'compat', '--adversary', 'replay', '--trace', trace]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/properties: BROKEN .*PROP-08/);
    const again = pqroom(['replay', trace]);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^identical: \d+ lines replayed/);
  });
});
