/**
 * The unit tests of a generated mutant's module, run against it (`pqroom mutate --from FILE
 * --tests`): which survivors of the campaign the test suite notices. Vitest transforms the sources
 * itself, so the loader hook of the campaign does not apply: each lane works in a copy of the
 * committed checkout (`git archive`, `node_modules` linked), writes the mutated file there, runs
 * the module's tests and puts the file back. The tests of each module run once unmutated first; a
 * module whose tests fail as written gives no verdict.
 */
import { createRequire } from 'node:module';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type * as TS from 'typescript';
import type { GeneratedMutant } from './sites.ts';
// the TypeScript parser, loaded with `require` (why: adversary/mutation/sites.ts)
const ts = createRequire(import.meta.url)('typescript') as typeof TS;

/** The test files of `impl/`, `machines/` and `simulator/` that exercise `file`: beside it, named after its folder, or importing it (or a module that imports it). */
export function testsOf(root: string, file: string): string[] {
  const tests: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const p = posix.join(dir, e.name);
      // the live side's tests open sockets and browsers: not a module's unit tests
      if (e.isDirectory()) {
        if (p !== 'simulator/live') walk(p);
      } else if (p.endsWith('.test.ts')) tests.push(p);
    }
  };
  walk('impl');
  walk('machines');
  walk('simulator');
  const read = new Map<string, string[]>();
  const importsOf = (f: string): string[] => {
    let out = read.get(f);
    if (out === undefined) {
      out = ts
        .preProcessFile(readFileSync(join(root, f), 'utf8'), true, false)
        .importedFiles.map((r) => r.fileName)
        .filter((s) => s.startsWith('.'))
        .map((s) => posix.normalize(posix.join(posix.dirname(f), s)));
      read.set(f, out);
    }
    return out;
  };
  const dir = posix.dirname(file);
  const own = [file.replace(/\.ts$/, '.test.ts'), `${dir}.test.ts`].filter((f) => tests.includes(f));
  const direct = tests.filter((t) => importsOf(t).includes(file));
  // a role's world-level tests reach it through a test kit (machines/testkit.ts imports machines/owner.ts, the facade of machines/owner/)
  const viaKit = !file.startsWith('machines/') ? [] : tests.filter((t) => importsOf(t).some((k) => k.endsWith('testkit.ts') && (importsOf(k).includes(file) || importsOf(k).includes(`${dir}.ts`))));
  const found = [...new Set([...own, ...direct, ...viaKit])];
  if (found.length > 0) return found.sort();
  // a module behind a facade (impl/codec.ts re-exports impl/codec/wire.ts): the tests of the modules importing it
  const sources: string[] = [];
  const walkSources = (d: string): void => {
    for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
      const p = posix.join(d, e.name);
      if (e.isDirectory()) walkSources(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) sources.push(p);
    }
  };
  walkSources('impl');
  walkSources('machines');
  walkSources('simulator');
  const facades = new Set(sources.filter((f) => importsOf(f).includes(file)));
  // the nearest first (the longest path prefix shared with the file)
  const near = (t: string): number => {
    let n = 0;
    while (n < t.length && t[n] === file[n]) n++;
    return n;
  };
  return tests
    .filter((t) => importsOf(t).some((i) => facades.has(i)))
    .sort((a, b) => near(b) - near(a) || a.localeCompare(b))
    .slice(0, 3)
    .sort();
}

/** A copy of the committed checkout to mutate. */
export function checkoutCopy(root: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pqroom-mutant-'));
  execFileSync('sh', ['-c', `git -C "${root}" archive HEAD | tar -x -C "${dir}"`]);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs vitest on `tests` in `dir` (a child process): whether they pass, and the first failing test's name. */
export function runTests(dir: string, tests: readonly string[], timeoutMs: number): Promise<{ pass: boolean; failed?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(dir, 'node_modules/vitest/vitest.mjs'), 'run', '--maxWorkers=1', ...tests], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ pass: true });
      const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
      resolve({ pass: false, failed: /^\s*(?:FAIL|×)\s+(.+)/m.exec(plain)?.[1]?.trim().slice(0, 160) ?? (signal ? `timed out (${signal})` : `exit ${code}`) });
    });
  });
}

/** Writes the plain mutated text (no probes) of `m` into the copy `dir`; returns the function that puts the file back. */
export function applyPlain(dir: string, m: GeneratedMutant): () => void {
  const path = join(dir, m.file);
  const text = readFileSync(path, 'utf8');
  const replacement = m.operator === 'drop-call' ? ';' : m.replacement;
  writeFileSync(path, text.slice(0, m.start) + replacement + text.slice(m.end));
  return () => writeFileSync(path, text);
}

/** What the unit tests said of one survivor. */
export interface UnitVerdict {
  readonly id: string;
  readonly tests: readonly string[];
  /** killed: a test failed; survived: all passed; no-verdict: no tests, or they fail unmutated. */
  readonly status: 'killed' | 'survived' | 'no-verdict';
  readonly failed?: string;
}

/** Runs the unit tests of each mutant in `lanes` copies at once (child processes). */
export async function unitVerdicts(
  root: string,
  mutants: readonly GeneratedMutant[],
  o: { lanes: number; timeoutMs: number; onDone?: (v: UnitVerdict, n: number) => void; /** the test files to run against a mutant instead of its module's ({@link testsOf}) */ testsFor?: (m: GeneratedMutant) => readonly string[] | undefined },
): Promise<UnitVerdict[]> {
  const out: UnitVerdict[] = new Array(mutants.length);
  const baseline = new Map<string, boolean>();
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    const copy = checkoutCopy(root);
    try {
      while (next < mutants.length) {
        const i = next++;
        const m = mutants[i]!;
        const tests = [...(o.testsFor?.(m) ?? testsOf(copy.dir, m.file))];
        let v: UnitVerdict;
        const key = tests.join(' ');
        if (tests.length === 0) v = { id: m.id, tests, status: 'no-verdict', failed: 'no unit tests found' };
        else {
          if (!baseline.has(key)) baseline.set(key, (await runTests(copy.dir, tests, o.timeoutMs)).pass);
          if (!baseline.get(key)) v = { id: m.id, tests, status: 'no-verdict', failed: 'the tests fail unmutated' };
          else {
            const restore = applyPlain(copy.dir, m);
            try {
              const r = await runTests(copy.dir, tests, o.timeoutMs);
              v = r.pass ? { id: m.id, tests, status: 'survived' } : { id: m.id, tests, status: 'killed', ...(r.failed === undefined ? {} : { failed: r.failed }) };
            } finally {
              restore();
            }
          }
        }
        out[i] = v;
        o.onDone?.(v, ++done);
      }
    } finally {
      copy.remove();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.lanes) }, lane));
  return out;
}
