/** `pqroom report`: the audit report (spec 12) regenerated from a saved result, without running the campaign. */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkInputFile, checkOutputDir, CliError, parseCommand, runCommand } from '../../impl/cli-args.ts';

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

/**
 * Runs `pqroom report ...`; returns the exit code (errors in one line on `err`). The page's modules
 * are loaded once the command line and the files are checked: a mistaken invocation or `--help`
 * does not load them (issue 24).
 */
export function main(argv: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  return runCommand('report', err, async () => {
    const p = parseCommand('report', argv, { in: { type: 'string' }, out: { type: 'string' } });
    if (p.help) {
      out(HELP);
      return 0;
    }
    const input = p.str('in') ?? 'reports/out/audit.json';
    const dir = p.str('out');
    if (!existsSync(input)) throw new CliError(`no such file ${input} (run 'pqroom audit' first, or give --in FILE)`);
    checkInputFile('--in', input);
    checkOutputDir('--out', dir ?? dirname(input));
    const { writeReport } = await import('./write.ts');
    let written;
    try {
      written = writeReport(input, dir ?? dirname(input));
    } catch (e) {
      throw new CliError(`${input}: ${(e as Error).message}`);
    }
    const { model } = written;
    // a warning, so on stderr with the other warnings; the result lines stay on stdout
    if (model.otherCommit) err(`note: the result is from commit ${model.result.commit.slice(0, 12)}, this checkout is ${model.current.commit.slice(0, 12)}; the page says so`);
    out(`${model.problems.length === 0 ? 'no problems' : `${model.problems.length} problem(s): ${model.problems.slice(0, 5).map((x) => x.text).join('; ')}${model.problems.length > 5 ? '; ...' : ''}`}`);
    out(`written: ${written.files.join(', ')}`);
    return model.problems.length === 0 ? 0 : 1;
  });
}
