/** The `pqroom vectors` command: generate and verify the conformance vectors. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateVectors } from './generate.ts';
import { verifyVectorDir } from './verify.ts';

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
                   the output is byte-identical for the same code

options:
  -h, --help       show this help`;

/** Runs `pqroom vectors ...`; returns the exit code. */
export function main(argv: readonly string[], out: (s: string) => void = console.log): number {
  const [cmd, dirArg, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || dirArg === '-h' || dirArg === '--help') {
    out(HELP);
    return cmd === undefined ? 2 : 0;
  }
  if (rest.length > 0) {
    out(`pqroom vectors: unexpected arguments: ${rest.join(' ')}\n\n${HELP}`);
    return 2;
  }
  const dir = dirArg === undefined ? VECTORS_DIR : resolve(dirArg);
  if (cmd === 'generate') {
    for (const f of generateVectors(dir)) out(`wrote ${join(dir, f.file)} (${f.bytes} bytes)`);
    return 0;
  }
  if (cmd === 'verify') {
    if (!existsSync(dir)) {
      out(`pqroom vectors verify: no such folder ${dir}`);
      return 2;
    }
    const reports = verifyVectorDir(dir);
    if (reports.length === 0) {
      out(`pqroom vectors verify: no *.json vector files in ${dir}`);
      return 1;
    }
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
  }
  out(`pqroom vectors: unknown command ${cmd}\n\n${HELP}`);
  return 2;
}
