/**
 * The README's sample outputs against real runs (issue 26). Every block marked
 * `<!-- example: checked -->` is run as a reader would run it (`npx pqroom` is `node cli.js` of
 * this checkout), in a fresh folder that holds only a link to the checkout's `vectors/`, each
 * command bounded in time; each command's output must fit the sample below it
 * (reports/readme-examples.ts: `...` is text or lines left out, `…` a part that varies). Every other
 * block that shows output must say why it is not checked.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matchSample, readExamples, sampleRegExp } from './readme-examples.ts';

const root = join(import.meta.dirname, '..');
const examples = readExamples(readFileSync(join(root, 'README.md'), 'utf8'));
const folders: string[] = [];
afterAll(() => {
  for (const d of folders) rmSync(d, { recursive: true, force: true });
});

/** Runs one command line of a block with sh in `cwd`, `npx pqroom` being this checkout's cli.js on the Node that runs the tests; killed after `ms`. */
function sh(command: string, cwd: string, ms = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const prelude = `npx() { if [ "$1" = pqroom ]; then shift; "$PQROOM_NODE" "$PQROOM_CLI" "$@"; else command npx "$@"; fi; }\n`;
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', prelude + command], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PQROOM_NODE: process.execPath, PQROOM_CLI: join(root, 'cli.js'), PQROOM_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the README: its sample outputs are what the commands print', () => {
  it('should mark every block that shows output as checked, or say why not', () => {
    const shown = examples.filter((e) => e.commands.some((c) => c.sample.length > 0));
    expect(shown.filter((e) => e.mark === undefined).map((e) => `README.md:${e.line}`)).toEqual([]);
    // an empty read would check nothing: the README has checked samples
    expect(shown.filter((e) => e.mark?.checked === true).length).toBeGreaterThanOrEqual(3);
  });

  it('should tell a drifted sample from a fitting one, naming the first line that drifted', () => {
    const out = 'scenario removal: hardened, seed 7, backend real (liboqs)\n  run       2457 events, 127.7 s virtual\n  transcript 8e6d9c3dac702308\nchecks: 12 of 12 hold\n  ok   one\n  ok   two\n';
    expect(matchSample(['scenario removal: hardened, seed 7, backend real (…)', '  run       2457 events, … s virtual', '  transcript 8e6d9c3dac702308', '...'], out)).toEqual({ ok: true });
    expect(matchSample(['scenario removal: hardened, seed 7, backend real (…)', '  run       2451 events, … s virtual', '...'], out)).toEqual({ ok: false, line: '  run       2451 events, … s virtual' });
    // without a closing `...` the sample must reach the last line
    expect(matchSample(['...', 'checks: 12 of 12 hold', '  ok   one'], out).ok).toBe(false);
    expect(matchSample(['...', 'checks: 12 of 12 hold', '  ok   one', '  ok   two'], out).ok).toBe(true);
    // `…` stays on its line, and a literal dot is a dot
    expect(sampleRegExp(['a … b']).test('a x\ny b\n')).toBe(false);
    expect(sampleRegExp(['1.5 s']).test('1x5 s\n')).toBe(false);
  });

  for (const e of examples.filter((x) => x.mark?.checked === true)) {
    it(`README.md:${e.line}: ${e.commands.map((c) => c.command.split(/\s+#/)[0]).join('; ').slice(0, 120)}`, async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'pqroom-readme-'));
      folders.push(cwd);
      symlinkSync(join(root, 'vectors'), join(cwd, 'vectors'));
      for (const c of e.commands) {
        const r = await sh(c.command, cwd);
        expect(r.stderr, `${c.command}: a stack trace`).not.toMatch(/^\s+at /m);
        // 0 ok, 1 the work found a failure (an adversary's run); never a usage error nor a kill
        expect([0, 1], `${c.command} exited ${r.code}: ${r.stderr}`).toContain(r.code);
        if (c.sample.length === 0) continue;
        const m = matchSample(c.sample, r.stdout);
        expect(m, `README.md:${e.line} ${c.command}\nfirst sample line that differs from the real output:\n${m.ok ? '' : m.line}\nreal output:\n${r.stdout}`).toEqual({ ok: true });
      }
    }, 600_000);
  }
});
