/**
 * The layering of the sources (README, Layout): impl <- machines <- simulator <- adversary, with
 * vectors and reports beside and the command line (cli.js) composing them. A file may import its
 * own layer and the layers below it, and no files may import each other round a circle. This
 * module reads the import statements of a list of files and reports every import against the
 * direction and every cycle; reports/layers.test.ts runs it on the sources.
 */
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TS from 'typescript';

// the TypeScript parser, loaded with `require` (why: adversary/mutation/sites.ts)
const ts = createRequire(import.meta.url)('typescript') as typeof TS;

/** A layer: a folder (its subfolders included, unless a layer of their own), and the layers its files may import besides their own. */
export interface Layer {
  /** The folder, relative to the checkout (`simulator/live`). */
  readonly folder: string;
  /** The other layers its files may import. */
  readonly may: readonly string[];
}

/** The layers, lowest first. A file outside all of them (cli.js, a config file) composes and may import anything. */
export const LAYERS: readonly Layer[] = [
  { folder: 'impl', may: [] },
  { folder: 'machines', may: ['impl'] },
  { folder: 'simulator', may: ['impl', 'machines'] },
  // the live side builds on the simulated world's parts (relay host, transports, traces), never the other way
  { folder: 'simulator/live', may: ['impl', 'machines', 'simulator'] },
  { folder: 'adversary', may: ['impl', 'machines', 'simulator', 'simulator/live'] },
  { folder: 'vectors', may: ['impl'] },
  // the reports present what everything else computes: `pqroom audit` and the report it writes, traceability
  { folder: 'reports', may: ['impl', 'machines', 'simulator', 'simulator/live', 'adversary', 'vectors'] },
];

/** An import that goes against the layers on purpose, and why it does no harm. */
export interface LayerException {
  /** The importing files (paths relative to the checkout). */
  readonly from: RegExp;
  /** The imported file. */
  readonly to: string;
  /** Why. */
  readonly why: string;
}

/** The stated exceptions (tests, and the campaign's spec reader), each to a file that imports nothing above the importer. */
export const EXCEPTIONS: readonly LayerException[] = [
  { from: /\.test\.ts$/, to: 'reports/spec.ts', why: 'a test checks the code against spec/, which this reader parses; it imports nothing of pqroom' },
  { from: /^adversary\/audit\.ts$/, to: 'reports/spec.ts', why: "the campaign reads what each profile must show from spec 12's table with this reader, which imports nothing of pqroom" },
  { from: /^impl\/.*\.test\.ts$/, to: 'adversary/arbitrary.ts', why: "the codec property tests draw valid wire values from the adversary's generators, which are derived from impl/'s codecs and import only impl/" },
];

/** A source file: its path relative to the checkout (with `/`), and its text. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** One relative import of a file. */
export interface Import {
  /** The importing file. */
  readonly from: string;
  /** The imported file, resolved relative to the checkout. */
  readonly to: string;
  /** The line of the import (1-based). */
  readonly line: number;
}

/** What the check found. */
export interface LayerReport {
  /** Every relative import read. */
  readonly imports: readonly Import[];
  /** Imports against the direction, each with the layers involved. */
  readonly violations: readonly (Import & { readonly fromLayer: string; readonly toLayer: string })[];
  /** Import cycles, each as a path that returns to its first file. */
  readonly cycles: readonly (readonly string[])[];
  /** Exceptions no import needed (a stale exception hides nothing, but says something false). */
  readonly unusedExceptions: readonly LayerException[];
}

/** The layer of a path: the longest layer folder it lies in, or `(root)` for the command line and configuration. */
export function layerOf(path: string, layers: readonly Layer[] = LAYERS): string {
  let best: string | undefined;
  for (const l of layers) if (path.startsWith(`${l.folder}/`) && (best === undefined || l.folder.length > best.length)) best = l.folder;
  return best ?? '(root)';
}

/** The relative imports of one file (package imports are not the layering's business). Comments and strings are not imports. */
export function importsOf(file: SourceFile): Import[] {
  const info = ts.preProcessFile(file.text, true, true);
  const out: Import[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const line = file.text.slice(0, ref.pos).split('\n').length;
    out.push({ from: file.path, to: posix.normalize(posix.join(posix.dirname(file.path), ref.fileName)), line });
  }
  return out;
}

/**
 * Import cycles among `files`: one path per strongly connected set of files (Tarjan), type-only
 * imports included. A file naming itself (`typeof import('./self.ts')` in a global declaration)
 * is no cycle between files.
 */
function cyclesOf(files: readonly string[], imports: readonly Import[]): string[][] {
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  for (const i of imports) if (known.has(i.to) && i.to !== i.from) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const set = new Set<string>();
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      set.add(w);
      if (w === v) break;
    }
    if (set.size > 1) out.push(cyclePath(v, set, edges));
  };
  for (const f of [...files].sort()) if (!index.has(f)) visit(f);
  return out;
}

/** A path from `start` back to itself inside `set` (breadth first, so the shortest). */
function cyclePath(start: string, set: ReadonlySet<string>, edges: ReadonlyMap<string, readonly string[]>): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (!set.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start}`); // a strongly connected set of two or more files has one
}

/** Checks `files` against `layers` and `exceptions`. */
export function checkLayers(files: readonly SourceFile[], layers: readonly Layer[] = LAYERS, exceptions: readonly LayerException[] = EXCEPTIONS): LayerReport {
  const imports = files.flatMap(importsOf);
  const may = new Map(layers.map((l) => [l.folder, new Set([l.folder, ...l.may])]));
  const used = new Set<LayerException>();
  const violations: (Import & { fromLayer: string; toLayer: string })[] = [];
  for (const i of imports) {
    const fromLayer = layerOf(i.from, layers);
    const toLayer = layerOf(i.to, layers);
    if (fromLayer === '(root)' || may.get(fromLayer)!.has(toLayer)) continue;
    const exception = exceptions.find((e) => e.from.test(i.from) && e.to === i.to);
    if (exception) used.add(exception);
    else violations.push({ ...i, fromLayer, toLayer });
  }
  return { imports, violations, cycles: cyclesOf(files.map((f) => f.path), imports), unusedExceptions: exceptions.filter((e) => !used.has(e)) };
}

/** The checkout this file belongs to. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The TypeScript and JavaScript sources of the checkout: every layer's folder, and the files at the top. */
export function sourceFiles(root: string = ROOT, layers: readonly Layer[] = LAYERS): SourceFile[] {
  const out: SourceFile[] = [];
  const add = (p: string): void => {
    if (/\.(ts|js|mjs)$/.test(p)) out.push({ path: relative(root, p).split('\\').join('/'), text: readFileSync(p, 'utf8') });
  };
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'node_modules' && name !== 'out') walk(p);
      } else add(p);
    }
  };
  for (const l of layers) if (!l.folder.includes('/')) walk(join(root, l.folder));
  for (const name of readdirSync(root).sort()) if (statSync(join(root, name)).isFile()) add(join(root, name));
  return out;
}
