/**
 * The names of the tests in a test file, read from its source: the title of each `it(...)` and
 * `test(...)` call (with modifiers: `it.skipIf(c)(...)`, `it.each(rows)(...)`). The traceability
 * report counts a requirement as tested only when a test's own name carries its id (issue 30): an
 * id in a comment, an assertion's argument, a helper or a `describe` block's title does not count.
 *
 * A title that is a template literal counts by its literal text only: an id produced by a
 * `${...}` substitution cannot be read without running the file, so it does not count.
 */

/** Index just past the string literal starting at `i` (a quote or backtick), and its literal text. */
function readString(src: string, i: number): { end: number; text: string } | undefined {
  const q = src[i];
  if (q !== "'" && q !== '"' && q !== '`') return undefined;
  let text = '';
  let j = i + 1;
  while (j < src.length) {
    const c = src[j]!;
    if (c === '\\') {
      text += src[j + 1] ?? '';
      j += 2;
    } else if (c === q) return { end: j + 1, text };
    else if (q !== '`' && c === '\n') return undefined;
    else if (q === '`' && c === '$' && src[j + 1] === '{') {
      const close = skipBalanced(src, j + 1);
      if (close === undefined) return undefined;
      text += '${}';
      j = close;
    } else {
      text += c;
      j++;
    }
  }
  return undefined;
}

/** Index just past the bracket group opening at `i` (`(`, `[` or `{`), skipping strings inside. */
function skipBalanced(src: string, i: number): number | undefined {
  const open = src[i]!;
  const close = open === '(' ? ')' : open === '[' ? ']' : '}';
  let depth = 0;
  let j = i;
  while (j < src.length) {
    const c = src[j]!;
    if (c === "'" || c === '"' || c === '`') {
      const s = readString(src, j);
      if (s === undefined) return undefined;
      j = s.end;
      continue;
    }
    if (c === '/' && src[j + 1] === '/') {
      const nl = src.indexOf('\n', j);
      j = nl < 0 ? src.length : nl;
      continue;
    }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return j + 1;
    j++;
  }
  return undefined;
}

/** One call of `it`, `test`, `describe` or an alias of it: where it is, its title, where its arguments end. */
interface Call {
  readonly index: number;
  readonly title: string;
  /** Index just past the call's argument list. */
  readonly end: number;
}

/** Every call of one of `names` whose first argument is a string literal. */
function calls(src: string, names: readonly string[]): Call[] {
  const out: Call[] = [];
  // a name as a call, not a property (`x.test(`) nor part of a word
  const start = new RegExp(`(?<![\\w$.])(${names.join('|')})\\b`, 'g');
  for (const m of src.matchAll(start)) {
    const lineStart = src.lastIndexOf('\n', m.index) + 1;
    if (/\/\/|^\s*\*/.test(src.slice(lineStart, m.index))) continue; // in a comment
    let j = m.index + m[0].length;
    const ws = (): void => {
      while (j < src.length && /\s/.test(src[j]!)) j++;
    };
    // modifiers: `.skipIf(cond)`, `.each(rows)`, `.concurrent`, ...
    for (;;) {
      ws();
      if (src[j] !== '.') break;
      const name = /^\.\s*[A-Za-z]+/.exec(src.slice(j, j + 40));
      if (!name) break;
      j += name[0].length;
      ws();
      if (src[j] === '(') {
        // a modifier's arguments (`.each(rows)`), unless they are the call itself (`.only('title', fn)`)
        const paren = j;
        const after = skipBalanced(src, j);
        if (after === undefined) break;
        let k = after;
        while (k < src.length && /\s/.test(src[k]!)) k++;
        if (src[k] === '(') j = k;
        else {
          j = paren;
          break;
        }
      }
    }
    if (src[j] !== '(') continue;
    const open = j;
    j++;
    ws();
    const s = readString(src, j);
    if (s === undefined) continue;
    let k = s.end;
    while (k < src.length && /\s/.test(src[k]!)) k++;
    if (src[k] !== ',' && src[k] !== ')') continue; // a title is the whole first argument
    out.push({ index: m.index, title: s.text, end: skipBalanced(src, open) ?? src.length });
  }
  return out;
}

/** One test a test file declares. */
export interface TestName {
  /** 1-based line of the `it(...)` call. */
  readonly line: number;
  /** The test's own title: its literal text (each `${...}` substitution as `${}`). */
  readonly title: string;
  /** Its full name: the titles of the `describe` blocks around it, outermost first, then its own. */
  readonly name: string;
}

/**
 * The tests a test file's source declares, in order. A `describe` block's title is part of the
 * names of the tests inside it (as vitest names them); an alias of `describe`
 * (`const suite = ok ? describe : describe.skip`) is one too.
 */
export function testNames(src: string): TestName[] {
  const aliases = [...src.matchAll(/\bconst\s+([A-Za-z_$][\w$]*)\s*=\s*[^;\n]*\bdescribe\b[^;\n]*;/g)].map((m) => m[1]!);
  const suites = calls(src, ['describe', ...aliases]);
  return calls(src, ['it', 'test']).map((t) => {
    const around = suites.filter((d) => d.index < t.index && t.index < d.end).sort((a, b) => a.index - b.index);
    return { line: src.slice(0, t.index).split('\n').length, title: t.title, name: [...around.map((d) => d.title), t.title].join(' > ') };
  });
}
