/** `pqroom account` (spec 10): each subcommand on a vault file in a temporary directory, its output and exit code. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, type AccountIo } from './cli.ts';
import { hibpHash } from './hibp.ts';
import { vaultHeader } from './vault.ts';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pqroom-account-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const warnings: string[] = [];

async function run(argv: string[], env: Record<string, string> = {}, lines: string[] = []): Promise<{ code: number; text: string }> {
  const printed: string[] = [];
  // errors and warnings in the same text, but the --kdf test warning, which a test of its own checks
  const io: AccountIo = { out: (s) => printed.push(s), err: (s) => void (s.startsWith('WARNING: --kdf test') ? warnings.push(s) : printed.push(s)), env, readLine: async () => lines.shift() ?? '' };
  const code = await main(argv, io);
  return { code, text: printed.join('\n') };
}

describe('pqroom account', () => {
  it('REQ-KEY-010: create, show, rotate (REQ-KEY-002) and passwd on one vault file; a wrong password is REQ-KEY-012 and changes nothing', async () => {
    const vault = join(dir, 'alice.vault');
    const created = await run(['create', '--vault', vault, '--user', 'alice', '--kdf', 'test', '--no-hibp'], { PQROOM_PASSWORD: 'pw-1' });
    expect(created.code).toBe(0);
    const fp = /fingerprint {2}(.+)/.exec(created.text)![1]!;
    expect(fp).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    expect(created.text).toMatch(/emoji {8}(\S+ ){7}\S+/u);
    expect(vaultHeader(readFileSync(vault)).user_id).toBe('alice');

    const before = readFileSync(vault);
    expect(await run(['rotate', '--vault', vault], { PQROOM_PASSWORD: 'wrong' })).toEqual({ code: 1, text: 'pqroom account rotate: REQ-KEY-012: wrong password or corrupted vault' });
    expect(readFileSync(vault)).toEqual(before);

    const rotated = await run(['rotate', '--vault', vault], {}, ['pw-1']); // the password from standard input
    expect(rotated.code).toBe(0);
    expect(rotated.text).toContain('ML-KEM keys  v1, v2');
    expect(rotated.text).toContain(`fingerprint  ${fp}`);

    expect((await run(['passwd', '--vault', vault, '--no-hibp'], { PQROOM_PASSWORD: 'pw-1', PQROOM_NEW_PASSWORD: 'pw-2' })).code).toBe(0);
    expect((await run(['show', '--vault', vault], { PQROOM_PASSWORD: 'pw-1' })).code).toBe(1);
    const shown = await run(['show', '--vault', vault], { PQROOM_PASSWORD: 'pw-2' });
    expect(shown.code).toBe(0);
    expect(shown.text).toContain(`fingerprint  ${fp}`);
    expect(shown.text).toMatch(/compare {6}([0-9a-f]{4} ){7}[0-9a-f]{4} {3}\(read it to your peer: 128 bits/);
  });

  it('REQ-KEY-041: passwd applies the breach check create applies: a breached new password is refused and the vault is not rewritten', async () => {
    const vault = join(dir, 'bob.vault');
    const list = join(dir, 'breached.txt');
    const h = hibpHash('hunter2');
    writeFileSync(list, `${h.prefix}${h.suffix}:17\n`);
    expect((await run(['create', '--vault', vault, '--user', 'bob', '--kdf', 'test', '--hibp-offline', list], { PQROOM_PASSWORD: 'hunter2' })).code).toBe(1);
    expect((await run(['create', '--vault', vault, '--user', 'bob', '--kdf', 'test', '--hibp-offline', list], { PQROOM_PASSWORD: 'a fine old one' })).code).toBe(0);
    const before = readFileSync(vault);
    const refused = await run(['passwd', '--vault', vault, '--hibp-offline', list], { PQROOM_PASSWORD: 'a fine old one', PQROOM_NEW_PASSWORD: 'hunter2' });
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/breach check/);
    expect(readFileSync(vault)).toEqual(before);
    expect((await run(['show', '--vault', vault], { PQROOM_PASSWORD: 'hunter2' })).code).toBe(1);
    expect((await run(['passwd', '--vault', vault, '--hibp-offline', list], { PQROOM_PASSWORD: 'a fine old one', PQROOM_NEW_PASSWORD: 'another fine one' })).code).toBe(0);
    expect((await run(['show', '--vault', vault], { PQROOM_PASSWORD: 'another fine one' })).code).toBe(0);
  });

  it('REQ-KEY-013: create never overwrites an existing vault', async () => {
    const vault = join(dir, 'v');
    expect((await run(['create', '--vault', vault, '--user', 'alice', '--kdf', 'test', '--no-hibp'], { PQROOM_PASSWORD: 'a' })).code).toBe(0);
    const before = readFileSync(vault);
    // the same user, another user (whose vault the file store would not see as theirs), or the file's user: exit 2, before the password
    for (const user of [['--user', 'alice'], ['--user', 'bob'], []]) {
      const again = await run(['create', '--vault', vault, ...user, '--kdf', 'test', '--no-hibp'], { PQROOM_PASSWORD: 'b' });
      expect(again).toEqual({ code: 2, text: `pqroom account create: --vault ${vault} exists already; create never overwrites a file: choose another path` });
      expect(readFileSync(vault)).toEqual(before);
    }
  });

  it('--hibp that is not an http(s) URL: exit 2 with the command line, before the password is asked or anything is written', async () => {
    const vault = join(dir, 'v');
    for (const [sub, url] of [['create', 'nope'], ['create', 'ftp://127.0.0.1/range/'], ['passwd', 'http://'], ['show', 'mailto:a@b']] as const) {
      const prompts: string[] = [];
      const printed: string[] = [];
      const io: AccountIo = { out: (s) => printed.push(s), err: (s) => printed.push(s), env: {}, readLine: async (p) => (prompts.push(p), 'a fine password') };
      expect(await main([sub, '--vault', vault, '--user', 'u', '--kdf', 'test', '--hibp', url], io), `${sub} ${url}`).toBe(2);
      expect(printed).toEqual([`pqroom account ${sub}: --hibp must be an http:// or https:// URL (the range endpoint, e.g. https://api.pwnedpasswords.com/range/), not '${url}'`]);
      expect(prompts).toEqual([]);
    }
    expect(existsSync(vault)).toBe(false);
  });

  it('a vault file of another user than --user, or a file that is not a vault: exit 2, before the password is asked', async () => {
    const vault = join(dir, 'v');
    expect((await run(['create', '--vault', vault, '--user', 'alice', '--kdf', 'test', '--no-hibp'], { PQROOM_PASSWORD: 'a' })).code).toBe(0);
    const junk = join(dir, 'junk');
    writeFileSync(junk, 'hello\n');
    for (const sub of ['show', 'rotate', 'passwd']) {
      const prompts: string[] = [];
      const printed: string[] = [];
      const io: AccountIo = { out: (s) => printed.push(s), err: (s) => printed.push(s), env: {}, readLine: async (p) => (prompts.push(p), 'a') };
      expect(await main([sub, '--vault', vault, '--user', 'bob', '--no-hibp'], io)).toBe(2);
      expect(await main([sub, '--vault', junk, '--no-hibp'], io)).toBe(2);
      expect(printed).toEqual([
        `pqroom account ${sub}: --user bob: ${vault} holds the vault of alice; leave --user out or give alice`,
        `pqroom account ${sub}: --vault ${junk}: REQ-KEY-011: vault of protocol version 104, this reader knows 1: refused (is ${junk} a pqroom vault? pqroom account create makes one)`,
      ]);
      expect(prompts).toEqual([]);
    }
    expect((await run(['show', '--vault', vault, '--user', 'alice'], { PQROOM_PASSWORD: 'a' })).code).toBe(0);
  });

  it('REQ-KEY-041: a password on the breach list refuses the registration; an unreachable service refuses unless --hibp-policy allow', async () => {
    const list = join(dir, 'pwned.txt');
    const { prefix, suffix } = hibpHash('hunter2');
    writeFileSync(list, `# test list\n${prefix}${suffix}:17\n`);
    const vault = join(dir, 'v');
    const pwned = await run(['create', '--vault', vault, '--user', 'u', '--kdf', 'test', '--hibp-offline', list], { PQROOM_PASSWORD: 'hunter2' });
    expect(pwned).toEqual({ code: 1, text: 'breach check: this password appears in 17 known breaches; choose another' });
    const clean = await run(['create', '--vault', vault, '--user', 'u', '--kdf', 'test', '--hibp-offline', list], { PQROOM_PASSWORD: 'a long unlisted passphrase' });
    expect(clean.code).toBe(0);
    expect(clean.text).toMatch(/^breach check: not found in known breaches/);
    const down = 'http://127.0.0.1:9/range/'; // the discard port: nothing answers on loopback
    expect((await run(['create', '--vault', join(dir, 'w'), '--user', 'u', '--kdf', 'test', '--hibp', down], { PQROOM_PASSWORD: 'x y z' })).code).toBe(1);
    const allowed = await run(['create', '--vault', join(dir, 'w'), '--user', 'u', '--kdf', 'test', '--hibp', down, '--hibp-policy', 'allow'], { PQROOM_PASSWORD: 'x y z' });
    expect(allowed.code).toBe(0);
    expect(allowed.text).toMatch(/could not be done .*registering anyway/);
  });

  it('REQ-KEY-014: a compat vault (the seed\'s SHA-256 key) is refused by a hardened reader', async () => {
    const vault = join(dir, 'c');
    expect((await run(['create', '--vault', vault, '--user', 'c', '--profile', 'compat', '--no-hibp'], { PQROOM_PASSWORD: 'pw' })).code).toBe(0);
    expect((await run(['show', '--vault', vault, '--profile', 'compat'], { PQROOM_PASSWORD: 'pw' })).text).toContain('compat_sha256 (unsalted, fast: W13)');
    expect((await run(['show', '--vault', vault], { PQROOM_PASSWORD: 'pw' })).text).toContain('REQ-KEY-014');
  });

  it('warns loudly on stderr that --kdf test is for tests only, and asks a new password twice on a terminal', async () => {
    warnings.length = 0;
    const vault = join(dir, 't');
    expect((await run(['create', '--vault', vault, '--user', 't', '--kdf', 'test', '--no-hibp'], { PQROOM_PASSWORD: 'pw' })).code).toBe(0);
    expect(warnings).toEqual(['WARNING: --kdf test (64 KiB, t=1) makes the vault trivial to brute-force; for tests only, never for real keys']);
    const typed = async (argv: string[], lines: string[]) => {
      const printed: string[] = [];
      const code = await main(argv, { out: (s) => printed.push(s), err: (s) => printed.push(s), env: {}, readLine: async () => lines.shift() ?? '', interactive: true });
      return { code, text: printed.join('\n') };
    };
    const differ = await typed(['create', '--vault', join(dir, 'u'), '--user', 'u', '--kdf', 'test', '--no-hibp'], ['one', 'two']);
    expect(differ.code).toBe(1);
    expect(differ.text).toMatch(/the two passwords differ; nothing was written/);
    expect((await typed(['passwd', '--vault', vault, '--kdf', 'test', '--no-hibp'], ['pw', 'new', 'other'])).text).toMatch(/the two passwords differ/);
    expect((await typed(['passwd', '--vault', vault, '--kdf', 'test', '--no-hibp'], ['pw', 'new', 'new'])).code).toBe(0);
  });

  it('says what is wrong with its arguments, with exit code 2', async () => {
    expect((await run(['show'])).code).toBe(2);
    expect((await run(['frobnicate', '--vault', 'x'])).text).toContain('unknown subcommand frobnicate');
    expect((await run(['create', '--vault', join(dir, 'x'), '--kdf', 'huge'])).code).toBe(2);
    expect((await run(['show', '--vault', join(dir, 'missing')])).text).toContain('no such file');
    expect((await run(['--help'])).code).toBe(0);
  });
});
