/**
 * Which npm packages the `pqroom` command loads when it runs: every package imported (not as a
 * type only) by a source file reachable from cli.js, following relative imports, dynamic imports
 * and the relative file names a module starts as a worker or child (`new URL('./worker.ts', …)`).
 * Each of them must be a runtime dependency in package.json, or `npm ci --omit=dev` installs a
 * `pqroom` that fails at its first run; reports/packages.test.ts checks it.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type * as TS from 'typescript';
import { ROOT } from './layers.ts';

// the TypeScript parser, loaded with `require` (why: adversary/mutation/sites.ts)
const ts = createRequire(import.meta.url)('typescript') as typeof TS;

/** A file's references: relative files it may load, and packages it imports for their values. */
export interface References {
  readonly files: readonly string[];
  readonly packages: readonly string[];
}

/** The package of a bare specifier (`@noble/hashes/sha2.js` → `@noble/hashes`); undefined for Node's own modules and relative paths. */
export function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** What the file at `path` (relative to the checkout) with `text` references. */
export function referencesOf(path: string, text: string): References {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const files = new Set<string>();
  const packages = new Set<string>();
  const spec = (s: string): void => {
    const p = packageOf(s);
    if (p !== undefined) packages.add(p);
    else if (s.startsWith('.') && /\.(ts|js|mjs)$/.test(s)) files.add(posix.normalize(posix.join(posix.dirname(path), s)));
  };
  // `require` or `createRequire(…)`
  const isRequire = (e: TS.Expression): boolean => (ts.isIdentifier(e) && e.text === 'require') || (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'createRequire');
  const visit = (n: TS.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      // `import type …` and `import { type A } …` with nothing else are erased: no load at run time
      const c = n.importClause;
      const typeOnly = c !== undefined && (c.isTypeOnly || (c.name === undefined && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) spec(n.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier !== undefined && ts.isStringLiteral(n.moduleSpecifier) && !n.isTypeOnly) {
      spec(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n) && n.arguments.length > 0 && ts.isStringLiteralLike(n.arguments[0]!)) {
      const callee = n.expression;
      // import('x'), require('x'), createRequire(…)('x'), import.meta.resolve('x'), require.resolve('x') and require.resolve.paths('x')
      const loads =
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        isRequire(callee) ||
        (ts.isPropertyAccessExpression(callee) && callee.name.text === 'resolve' && (ts.isMetaProperty(callee.expression) || isRequire(callee.expression))) ||
        (ts.isPropertyAccessExpression(callee) && callee.name.text === 'paths' && ts.isPropertyAccessExpression(callee.expression) && callee.expression.name.text === 'resolve' && isRequire(callee.expression.expression));
      if (loads) spec(n.arguments[0].text);
    } else if (ts.isStringLiteralLike(n) && /^\.\.?\/.*\.(ts|js|mjs)$/.test(n.text)) {
      // a module started by name: a worker, a forked child, a command's module in cli.js
      files.add(posix.normalize(posix.join(posix.dirname(path), n.text)));
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/** Every source file reachable from `start` and the packages each of them loads. */
export function runtimeReach(start: readonly string[], read: (path: string) => string | undefined): Map<string, readonly string[]> {
  const seen = new Map<string, readonly string[]>();
  const todo = [...start];
  while (todo.length > 0) {
    const path = todo.pop()!;
    if (seen.has(path)) continue;
    const text = read(path);
    if (text === undefined) continue;
    const r = referencesOf(path, text);
    seen.set(path, r.packages);
    todo.push(...r.files);
  }
  return seen;
}

/** The packages `pqroom` loads that package.json does not list under `dependencies` (or that `dependencies` leaves out), each with a file that loads it. */
export function devOnlyAtRuntime(root: string = ROOT, dependencies?: readonly string[]): { readonly pkg: string; readonly file: string }[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const runtime = new Set(dependencies ?? Object.keys(manifest.dependencies ?? {}));
  const read = (p: string): string | undefined => (existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : undefined);
  const out: { pkg: string; file: string }[] = [];
  for (const [file, pkgs] of runtimeReach(['cli.js'], read)) for (const pkg of pkgs) if (!runtime.has(pkg)) out.push({ pkg, file });
  return out.sort((a, b) => a.pkg.localeCompare(b.pkg) || a.file.localeCompare(b.file));
}
