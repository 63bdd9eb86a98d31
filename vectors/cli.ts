/**
 * The `pqroom vectors` command: generate and verify the conformance vectors. The command line and
 * the folder are checked before the vector kinds (and the protocol and crypto they compute) are
 * loaded, so that a mistaken invocation or `--help` does not load them (issue 24).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { checkOutputDir, CliError, parseCommand, runCommand } from '../impl/cli-args.ts';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordCases } from './generate.ts';

/** Where the committed vectors live. */
export const VECTORS_DIR = dirname(fileURLToPath(import.meta.url));

const HELP = `usage: pqroom vectors <command> [DIR]

Conformance vectors: JSON files (hex) generated from fixed seeds, which another
implementation can check itself against.

commands:
  verify [DIR]     recompute every case of every *.json file in DIR (default: the
                   vectors shipped with pqroom); prints one line per file and a total;
                   exits 1 if any case fails or any file has zero cases
  generate [DIR]   rewrite the vector files into DIR (default: the shipped folder);
                   the output is byte-identical for the same code. The relay conformance
                   vectors (relay-conformance.json) are recorded by running the conformance
                   cases against the project's relay in-process (about a minute)

options:
  -h, --help       show this help`;

/**
 * Runs `pqroom vectors ...`; returns the exit code (errors in one line on `err`). `record` makes
 * the recorded kinds (cli.js hands in the conformance recorder, which sits above this layer);
 * without it `generate` writes the computed files only.
 */
export function main(argv: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error, record?: RecordCases): Promise<number> {
  return runCommand('vectors', err, async () => {
    const p = parseCommand('vectors', argv, {}, { positionals: 2 });
    const [cmd, dirArg] = p.positionals;
    if (p.help) {
      out(HELP);
      return 0;
    }
    if (cmd === undefined) throw new CliError("which command? 'verify' or 'generate' (pqroom vectors --help)");
    if (cmd !== 'generate' && cmd !== 'verify') throw new CliError(`unknown command '${cmd}': 'verify' or 'generate' (pqroom vectors --help)`);
    const dir = dirArg === undefined ? VECTORS_DIR : resolve(dirArg);
    if (cmd === 'generate') {
      checkOutputDir('vectors generate', dir);
      if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CliError(`generate ${dirArg}: that is a file; give a folder`);
      mkdirSync(dir, { recursive: true });
      const { generateVectors } = await import('./generate.ts');
      for (const f of await generateVectors(dir, record)) out(`wrote ${join(dir, f.file)} (${f.bytes} bytes)`);
      return 0;
    }
    if (!existsSync(dir)) throw new CliError(`verify: no such folder ${dir}; give the folder holding the *.json vector files`);
    if (!statSync(dir).isDirectory()) throw new CliError(`verify: ${dir} is a file; give the folder that holds it`);
    const { verifyVectorDir } = await import('./verify.ts');
    const reports = verifyVectorDir(dir);
    if (reports.length === 0) throw new CliError(`verify: no *.json vector files in ${dir}`, 1);
    const w = Math.max(...reports.map((r) => r.file.length));
    let passed = 0;
    let failed = 0;
    for (const r of reports) {
      out(`${r.file.padEnd(w)}  cases ${String(r.cases).padStart(4)}  passed ${String(r.passed).padStart(4)}  failed ${String(r.failed).padStart(4)}`);
      for (const f of r.failures) out(`  FAIL ${f}`);
      passed += r.passed;
      failed += r.failed;
    }
    out(`${passed} passed, ${failed} failed`);
    return failed > 0 || reports.some((r) => r.cases === 0) ? 1 : 0;
  });
}
