/** The layering of the sources (reports/layers.ts): the checkout keeps it, and the check catches what breaks it. */
import { describe, expect, it } from 'vitest';
import { checkLayers, EXCEPTIONS, importsOf, LAYERS, layerOf, sourceFiles, type SourceFile } from './layers.ts';

const files = sourceFiles();

/** A line of source that imports `spec` (built here, so that this file holds no such import itself). */
const importLine = (what: string, spec: string): string => `import ${what} from '${spec}';`;

describe('the layers of the checkout', () => {
  const report = checkLayers(files);

  it('should read every layer and the imports of every file', () => {
    for (const l of LAYERS) expect(files.some((f) => layerOf(f.path) === l.folder), l.folder).toBe(true);
    expect(files.some((f) => f.path === 'cli.js')).toBe(true);
    // an empty scan would find nothing wrong: the sources import each other some thousands of times
    expect(report.imports.length).toBeGreaterThan(1000);
  });

  it('should import only along impl <- machines <- simulator <- adversary, vectors and reports beside', () => {
    expect(report.violations.map((v) => `${v.from}:${v.line} (${v.fromLayer}) imports ${v.to} (${v.toLayer})`)).toEqual([]);
  });

  it('should have no import cycle', () => {
    expect(report.cycles.map((c) => c.join(' -> '))).toEqual([]);
  });

  it('should need every stated exception', () => {
    expect(report.unusedExceptions.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });
});

describe('checkLayers', () => {
  it('should report an import against the direction, whatever its form, and not an import in a comment or a string', () => {
    const bad: SourceFile[] = [
      { path: 'simulator/run.ts', text: `/** run */\n${importLine('{ symbolicCrypto }', '../adversary/symbolic.ts')}\n` },
      { path: 'machines/testkit.ts', text: `${importLine('type { World }', '../simulator/world.ts')}\n` },
      { path: 'impl/index.ts', text: `export * from '../machines/driver.ts';\n` },
      { path: 'simulator/replay.ts', text: `const audit = await import('../adversary/audit.ts');\n// ${importLine('x', '../adversary/x.ts')}\nconst s = "${importLine('y', '../adversary/y.ts')}";\n` },
      { path: 'simulator/world.ts', text: `${importLine('type { LiveRelay }', './live/relay.ts')}\n` },
      { path: 'simulator/live/relay.ts', text: `${importLine('{ createRelayHost }', '../relay-host.ts')}\n` },
    ];
    const r = checkLayers(bad);
    expect(r.violations.map((v) => [v.from, v.line, v.to, v.fromLayer, v.toLayer])).toEqual([
      ['simulator/run.ts', 2, 'adversary/symbolic.ts', 'simulator', 'adversary'],
      ['machines/testkit.ts', 1, 'simulator/world.ts', 'machines', 'simulator'],
      ['impl/index.ts', 1, 'machines/driver.ts', 'impl', 'machines'],
      ['simulator/replay.ts', 1, 'adversary/audit.ts', 'simulator', 'adversary'],
      ['simulator/world.ts', 1, 'simulator/live/relay.ts', 'simulator', 'simulator/live'],
    ]);
  });

  it('should fail on one wrong import put into the real sources', () => {
    const wrong = files.map((f) => (f.path === 'impl/bytes.ts' ? { ...f, text: `${f.text}\n${importLine('{ start }', '../machines/driver.ts')}\n` } : f));
    const r = checkLayers(wrong);
    expect(r.violations.map((v) => `${v.from} -> ${v.to}`)).toEqual(['impl/bytes.ts -> machines/driver.ts']);
    expect(r.violations[0]!.line).toBe(files.find((f) => f.path === 'impl/bytes.ts')!.text.split('\n').length + 1);
  });

  it('should report a cycle between two files of impl/, a type-only import included, and a longer one', () => {
    const r = checkLayers([
      { path: 'impl/errors.ts', text: `${importLine('{ enforced }', './mutants.ts')}\n` },
      { path: 'impl/mutants.ts', text: `${importLine('type { ReqId }', './errors.ts')}\n` },
      { path: 'impl/a.ts', text: `${importLine('{ b }', './b.ts')}\n` },
      { path: 'impl/b.ts', text: `${importLine('{ c }', './protocol/c.ts')}\n` },
      { path: 'impl/protocol/c.ts', text: `${importLine('{ a }', '../a.ts')}\n` },
      { path: 'impl/d.ts', text: `${importLine('{ a }', './a.ts')}\n` },
    ]);
    expect(r.violations).toEqual([]);
    expect(r.cycles).toEqual([
      ['impl/a.ts', 'impl/b.ts', 'impl/protocol/c.ts', 'impl/a.ts'],
      ['impl/errors.ts', 'impl/mutants.ts', 'impl/errors.ts'],
    ]);
  });

  it('should let only the files an exception names make it, and name an exception no import needs', () => {
    const r = checkLayers([
      { path: 'impl/codec.test.ts', text: `${importLine('{ specTable }', '../reports/spec.ts')}\n` },
      { path: 'impl/codec.ts', text: `${importLine('{ specTable }', '../reports/spec.ts')}\n` },
    ]);
    expect(r.violations.map((v) => v.from)).toEqual(['impl/codec.ts']);
    expect(r.unusedExceptions).toEqual(EXCEPTIONS.filter((e) => !(e.to === 'reports/spec.ts' && e.from.test('impl/codec.test.ts'))));
  });

  it('should let the command line at the top import any layer, and no layer import it', () => {
    const r = checkLayers([
      { path: 'cli.js', text: `const m = await import('./adversary/audit.ts');\n` },
      { path: 'impl/x.ts', text: `${importLine('y', '../cli.js')}\n` },
    ]);
    expect(r.violations.map((v) => [v.from, v.toLayer])).toEqual([['impl/x.ts', '(root)']]);
  });

  it('should resolve paths relative to the importing file', () => {
    expect(importsOf({ path: 'impl/protocol/a.ts', text: `${importLine('{ x }', '../../machines/b.ts')}\nexport { y } from './c.ts';\n` })).toEqual([
      { from: 'impl/protocol/a.ts', to: 'machines/b.ts', line: 1 },
      { from: 'impl/protocol/a.ts', to: 'impl/protocol/c.ts', line: 2 },
    ]);
  });
});
