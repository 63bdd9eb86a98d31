/**
 * Reads `spec/`: requirement ids with their text, struct blocks, and Markdown tables. The
 * traceability report and the spec-consistency tests are built on it (spec 1.5).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `spec/` folder of this checkout. */
export const SPEC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'spec');

/** One spec section file. */
export interface SpecFile {
  /** File name, e.g. `04-wire-format.md`. */
  readonly name: string;
  /** Full Markdown text. */
  readonly text: string;
}

/** Every numbered section of the spec, in order. */
export function readSpec(dir: string = SPEC_DIR): SpecFile[] {
  return readdirSync(dir)
    .filter((n) => /^\d\d-.*\.md$/.test(n))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

/** A requirement or property defined by the spec. */
export interface Requirement {
  /** `REQ-XXX-nnn` or `PROP-nn`. */
  readonly id: string;
  /** The spec file that defines it. */
  readonly file: string;
  /** Its first sentence (or table cell), for reports. */
  readonly summary: string;
}

/**
 * Every requirement id the spec defines: a `**REQ-...**` bullet, or a `PROP-nn` row of the
 * properties table (its summary is the property's sentence, not its name). Throws if an id is defined twice.
 */
export function requirements(files: readonly SpecFile[] = readSpec()): Requirement[] {
  const out: Requirement[] = [];
  const seen = new Map<string, string>();
  const add = (id: string, file: string, summary: string): void => {
    const prev = seen.get(id);
    if (prev !== undefined) throw new Error(`${id} is defined twice (${prev}, ${file})`);
    seen.set(id, file);
    out.push({ id, file, summary: summary.replace(/\s+/g, ' ').trim() });
  };
  for (const f of files) {
    const lines = f.text.split('\n');
    lines.forEach((line, i) => {
      const m = /^- \*\*(REQ-[A-Z]+-\d{3})\*\*\s*(.*)$/.exec(line);
      if (m) {
        let text = m[2] ?? '';
        for (let j = i + 1; j < lines.length && /^\s{2,}\S/.test(lines[j]!); j++) text += ' ' + lines[j]!.trim();
        add(m[1]!, f.name, firstSentence(text));
      }
      const p = /^\| (PROP-\d\d) \| [^|]* \| (.*?) \|/.exec(line); // id | name | property | compat
      if (p) add(p[1]!, f.name, p[2]!);
    });
  }
  return out;
}

function firstSentence(s: string): string {
  const m = /^(.*?[.;:])(\s|$)/.exec(s);
  return (m ? m[1]! : s).slice(0, 240);
}

/** A struct block of the spec: its name, declared message type, and field lines. */
export interface SpecStruct {
  /** Struct name. */
  readonly name: string;
  /** The type byte from the `// type 0xNN` comment, if any. */
  readonly type: number | undefined;
  /** Field lines, whitespace-normalised, comments removed. */
  readonly fields: readonly string[];
  /** The file it appears in. */
  readonly file: string;
}

/** Every `struct X { ... }` block inside fenced code in the spec. */
export function specStructs(files: readonly SpecFile[] = readSpec()): SpecStruct[] {
  const out: SpecStruct[] = [];
  for (const f of files) {
    const re = /^struct (\w+) \{(?:\s*\/\/ type (0x[0-9a-fA-F]{2}))?\n([\s\S]*?)^\}/gm;
    for (let m = re.exec(f.text); m; m = re.exec(f.text)) {
      const fields = m[3]!
        .split('\n')
        .map((l) => l.replace(/\/\/.*$/, '').trim().replace(/\s+/g, ' '))
        .filter((l) => l.length > 0);
      out.push({ name: m[1]!, type: m[2] === undefined ? undefined : parseInt(m[2], 16), fields, file: f.name });
    }
  }
  return out;
}

/** Every `enum Name : uint8 { a(1), b(2) }` line in the spec. */
export function specEnums(files: readonly SpecFile[] = readSpec()): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const f of files) {
    for (const m of f.text.matchAll(/^enum (\w+) : uint8 \{ (.*) \}$/gm)) {
      const values: Record<string, number> = {};
      for (const v of m[2]!.split(',')) {
        const vm = /^\s*(\w+)\((\d+)\)\s*$/.exec(v);
        if (!vm) throw new Error(`bad enum value "${v}" in ${m[1]}`);
        values[vm[1]!] = Number(vm[2]);
      }
      out.set(m[1]!, values);
    }
  }
  return out;
}

/**
 * The rows of the first Markdown table in `file` whose header row contains every one of
 * `headers`, as objects keyed by header cell.
 */
export function specTable(fileName: string, headers: readonly string[], files: readonly SpecFile[] = readSpec()): Record<string, string>[] {
  const f = files.find((x) => x.name === fileName);
  if (!f) throw new Error(`no spec file ${fileName}`);
  const lines = f.text.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    const head = splitRow(lines[i]!);
    if (!head || !headers.every((h) => head.includes(h)) || !/^\|[-| :]+\|$/.test(lines[i + 1]!.trim())) continue;
    const rows: Record<string, string>[] = [];
    for (let j = i + 2; j < lines.length; j++) {
      const cells = splitRow(lines[j]!);
      if (!cells) break;
      rows.push(Object.fromEntries(head.map((h, k) => [h, cells[k] ?? ''])));
    }
    return rows;
  }
  throw new Error(`no table with headers ${headers.join(', ')} in ${fileName}`);
}

function splitRow(line: string): string[] | undefined {
  const t = line.trim();
  if (!t.startsWith('|') || !t.endsWith('|')) return undefined;
  return t
    .slice(1, -1)
    .split('|')
    .map((c) => c.trim());
}

/** A security property of spec 12: its short name, its sentence, and what compat must show. */
export interface SpecProperty {
  /** `PROP-nn`. */
  readonly id: string;
  /** Its short name (the table's "name" column). */
  readonly name: string;
  /** The property's sentence. */
  readonly statement: string;
  /** The "compat" column: `holds`, or `broken (W1, W2)`. */
  readonly compat: string;
  /** The seed weaknesses the compat column names (`W1`, `L1`, `T1`, ...). */
  readonly weaknesses: readonly string[];
}

/** The properties table of spec 12. */
export function specProperties(files: readonly SpecFile[] = readSpec()): SpecProperty[] {
  return specTable('12-properties.md', ['id', 'name', 'property', 'compat'], files).map((r) => ({
    id: r.id!,
    name: r.name!,
    statement: r.property!,
    compat: r.compat!,
    weaknesses: [...(r.compat ?? '').matchAll(/\b([WLT]\d+)\b/g)].map((m) => m[1]!),
  }));
}

/** A seed weakness of spec 11.6. */
export interface SpecWeakness {
  /** `W1`..`W15`, `L1`..`L4`, `T1`..`T3`. */
  readonly id: string;
  /** Its short name. */
  readonly name: string;
  /** What goes wrong, in one sentence. */
  readonly text: string;
}

/** The seed weaknesses of spec 11.6. */
export function specWeaknesses(files: readonly SpecFile[] = readSpec()): SpecWeakness[] {
  return specTable('11-threat-model.md', ['id', 'weakness', 'what goes wrong'], files).map((r) => ({ id: r.id!, name: r.weakness!, text: r['what goes wrong']! }));
}
