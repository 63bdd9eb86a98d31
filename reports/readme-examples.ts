/**
 * The README's examples (issue 26): every shell block that shows output is marked, just above its
 * fence, either `<!-- example: checked -->` (reports/readme.test.ts runs its commands in a fresh
 * folder and compares each command's output with the `# ` lines below it) or
 * `<!-- example: not checked: WHY -->` (shown only, the reason stated). This module reads the
 * blocks and matches an output against a sample; running them is the test's.
 *
 * A sample is the `# ` lines after a command, `# ` removed. A line `...` stands for any number of
 * output lines left out; inside a line, `...` (text left out) and `…` (a part that varies, such as
 * a backend's name or a duration) stand for any text on that line. Everything else must be equal,
 * line by line, from the first line of the output to its last.
 */

/** One command of a block and the sample of its output (empty: the output is not shown). */
export interface ExampleCommand {
  /** The command as written, continuation lines joined. */
  readonly command: string;
  readonly sample: readonly string[];
}

/** A shell block of the README. */
export interface Example {
  /** The README line of its opening fence (1-based). */
  readonly line: number;
  /** `checked`, `not checked` (with `why`), or undefined when unmarked. */
  readonly mark: { readonly checked: true } | { readonly checked: false; readonly why: string } | undefined;
  readonly commands: readonly ExampleCommand[];
}

const MARK = /^<!-- example: (checked|not checked: (.+?)) -->$/;

/** Every ```sh block of `readme`, with its mark and its commands and samples. */
export function readExamples(readme: string): Example[] {
  const lines = readme.split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue;
    const m = MARK.exec(lines[i - 1] ?? '');
    const mark = m === null ? undefined : m[1] === 'checked' ? ({ checked: true } as const) : ({ checked: false, why: m[2]! } as const);
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    const commands: { command: string; sample: string[] }[] = [];
    for (let j = start; j < end; j++) {
      const l = lines[j]!;
      if (l === '#' || l.startsWith('# ')) {
        commands.at(-1)?.sample.push(l.slice(2));
        continue;
      }
      let command = l;
      while (command.endsWith('\\') && j + 1 < end) command = command.slice(0, -1) + lines[++j]!.trim();
      commands.push({ command: command.trim(), sample: [] });
    }
    out.push({ line: i + 1, mark, commands });
    i = end;
  }
  return out;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The regular expression a sample stands for (whole output, line by line). */
export function sampleRegExp(sample: readonly string[]): RegExp {
  const parts = sample.map((l) => (l.trim() === '...' ? '(?:[^\\n]*\\n)*?' : l.split(/\.\.\.|…/).map(escape).join('[^\\n]*') + '\\n'));
  return new RegExp(`^${parts.join('')}$`);
}

/**
 * Whether `output` fits `sample`; if not, the first sample line that does not fit (the longest
 * prefix of the sample that still fits, plus one), to say where the README drifted.
 */
export function matchSample(sample: readonly string[], output: string): { ok: true } | { ok: false; line: string } {
  const text = output.endsWith('\n') ? output : output + '\n';
  if (sampleRegExp(sample).test(text)) return { ok: true };
  // a sample whose first k lines fit some start of the output, and whose k+1 do not
  for (let k = sample.length - 1; k >= 0; k--) {
    const prefix = new RegExp(sampleRegExp([...sample.slice(0, k), '...']).source);
    if (prefix.test(text)) return { ok: false, line: sample[k]! };
  }
  return { ok: false, line: sample[0] ?? '(empty sample)' };
}
