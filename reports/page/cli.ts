/** `pqroom report`: the audit report (spec 12) regenerated from a saved result, without running the campaign. */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeReport } from './write.ts';

const HELP = `usage: pqroom report [--in FILE] [--out DIR]

Writes the audit report from a saved 'pqroom audit' result, without running the campaign:
DIR/index.html (with mermaid.min.js beside it; open it from disk, it loads nothing from the
network), DIR/audit.md and DIR/junit.xml. The spec, code, machine definitions and traceability
shown are this checkout's; a result from another commit is labelled as such.

options:
  --in FILE    the result (default reports/out/audit.json)
  --out DIR    where to write (default: the folder of FILE)
  -h, --help   show this help

Exit status: 0 when the report shows no problem, 1 when it shows some, 2 on bad arguments or
an unreadable result.`;

/** Runs `pqroom report ...`; returns the exit code. */
export function main(argv: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): number {
  let input = 'reports/out/audit.json';
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      out(HELP);
      return 0;
    }
    const v = argv[i + 1];
    if ((a === '--in' || a === '--out') && v !== undefined) {
      if (a === '--in') input = v;
      else dir = v;
      i++;
    } else {
      err(`pqroom report: ${a === '--in' || a === '--out' ? `${a} needs a value` : `unexpected argument ${a}`}\n\n${HELP}`);
      return 2;
    }
  }
  if (!existsSync(input)) {
    err(`pqroom report: no such file ${input} (run 'pqroom audit' first, or give --in FILE)`);
    return 2;
  }
  let written;
  try {
    written = writeReport(input, dir ?? dirname(input));
  } catch (e) {
    err(`pqroom report: ${input}: ${(e as Error).message}`);
    return 2;
  }
  const { model } = written;
  if (model.otherCommit) out(`note: the result is from commit ${model.result.commit.slice(0, 12)}, this checkout is ${model.current.commit.slice(0, 12)}; the page says so`);
  out(`${model.problems.length === 0 ? 'no problems' : `${model.problems.length} problem(s): ${model.problems.slice(0, 5).map((p) => p.text).join('; ')}${model.problems.length > 5 ? '; ...' : ''}`}`);
  out(`written: ${written.files.join(', ')}`);
  return model.problems.length === 0 ? 0 : 1;
}
