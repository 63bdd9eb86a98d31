import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './layers.ts';
import { devOnlyAtRuntime, packageOf, referencesOf, runtimeReach } from './packages.ts';

// `npm ci --omit=dev` must give a working `pqroom`: every package it loads is a runtime dependency
// (fast-check and typescript were development ones while the audit and `pqroom mutate` load them).
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

describe('runtime dependencies: what pqroom loads is installed by npm ci --omit=dev', () => {
  it('should list under dependencies every package a file reachable from cli.js loads', () => {
    expect(devOnlyAtRuntime()).toEqual([]);
  });

  it('should name the package and a file loading it when a runtime package is only a development one', () => {
    const deps = Object.keys(manifest.dependencies).filter((d) => d !== 'fast-check');
    const found = devOnlyAtRuntime(ROOT, deps);
    expect(found.length).toBeGreaterThan(0);
    expect(new Set(found.map((f) => f.pkg))).toEqual(new Set(['fast-check']));
    expect(found.map((f) => f.file)).toContain('adversary/plans.ts');
  });

  it('should reach the commands, the workers and children started by file name, and no test file', () => {
    const read = (p: string): string | undefined => {
      try {
        return readFileSync(join(ROOT, p), 'utf8');
      } catch {
        return undefined;
      }
    };
    const reach = runtimeReach(['cli.js'], read);
    for (const f of ['reports/audit-cli.ts', 'adversary/parallel-boot.mjs', 'simulator/live/shards/worker.ts', 'impl/crypto/liboqs.ts']) expect([...reach.keys()]).toContain(f);
    expect([...reach.keys()].filter((f) => f.endsWith('.test.ts'))).toEqual([]);
    // the test tools stay development dependencies: nothing pqroom runs loads them
    const loaded = new Set([...reach.values()].flat());
    for (const dev of ['vitest', 'msw', 'playwright-core']) expect(loaded.has(dev)).toBe(false);
  });

  it('should tell a load from a type-only import, a path and a plain string', () => {
    const text = [
      "import type { A } from 'type-only';",
      "import { type B } from 'type-only-too';",
      "import { C, type D } from 'values';",
      "import * as fs from 'node:fs';",
      "export { E } from '@scope/reexported/sub.js';",
      "const m = await import('dynamic/deep/path.js');",
      "const t = createRequire(import.meta.url)('required');",
      "for (const p of createRequire(import.meta.url).resolve.paths('searched') ?? []) {}",
      "import.meta.resolve('resolved');",
      "path.resolve('not-a-package');",
      "const w = new Worker(new URL('./worker.ts', import.meta.url));",
      "const s = 'just text';",
    ].join('\n');
    const r = referencesOf('simulator/x/a.ts', text);
    expect(r.packages).toEqual(['@scope/reexported', 'dynamic', 'required', 'resolved', 'searched', 'values']);
    expect(r.files).toEqual(['simulator/x/worker.ts']);
    expect(packageOf('@noble/hashes/sha2.js')).toBe('@noble/hashes');
    expect(packageOf('node:crypto')).toBeUndefined();
    expect(packageOf('../impl/bytes.ts')).toBeUndefined();
  });
});
