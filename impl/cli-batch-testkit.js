// Test kit (cli-mistakes.test.ts): runs several `pqroom` command lines in ONE Node process, each
// through cli.js's `run`, the function the process calls, after the loader cli.js registers (tsx).
// What cli.js adds to it is the process's part (the exit, the handlers of errors nothing awaits),
// which the test proves on real `node cli.js` children beside these.
//
//   node [--import HOOK] impl/cli-batch-testkit.js CLI LINES.json  >  RESULTS.json on stdout
//
// CLI: the path of cli.js (given by the test at the top level, which may import it; impl/ may not).
// LINES.json: [{ "args": [...], "env": { NAME: value } }, ...], run one after another, each with its
// environment beside the process's (put back after it). For each line, what the process would have
// shown: the exit code, stdout and stderr (console.log and console.error, and what is written to
// process.stdout and process.stderr), whether cli.js would exit at once, its milliseconds, and the
// resources it left keeping the event loop alive (a process that would wait on them instead of
// ending). With PQROOM_TEST_LOADED set, a line `#line N` is appended to that file before line N,
// for a module hook that appends the URLs it resolves to the same file.
import { appendFileSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const { run, useTsx } = await import(pathToFileURL(process.argv[2]).href);
const lines = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const loaded = process.env.PQROOM_TEST_LOADED;
const missing = await useTsx();
if (missing) throw new Error(`${missing} is not installed`);

const write = process.stdout.write.bind(process.stdout);
const results = [];
for (const [n, line] of lines.entries()) {
  if (loaded) appendFileSync(loaded, `#line ${n}\n`);
  const env = Object.fromEntries(Object.keys(line.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, line.env ?? {});
  const saved = { log: console.log, error: console.error, warn: console.warn, out: process.stdout.write, err: process.stderr.write };
  let stdout = '';
  let stderr = '';
  console.log = (...a) => void (stdout += `${format(...a)}\n`);
  console.error = console.warn = (...a) => void (stderr += `${format(...a)}\n`);
  process.stdout.write = (s) => ((stdout += String(s)), true);
  process.stderr.write = (s) => ((stderr += String(s)), true);
  const before = process.getActiveResourcesInfo();
  const t0 = Date.now();
  let r;
  try {
    r = await run(line.args);
  } catch (e) {
    // what cli.js does not catch either: Node would print it with its stack and exit 1
    stderr += `${e?.stack ?? e}\n`;
    r = { code: 1, exit: true };
  } finally {
    Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn });
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const ms = Date.now() - t0;
  // handles opened by the line and still open (each kind counted, before against after), given
  // 200 ms to close (a socket being closed): what a process that did not exit at once would wait on
  let left = [];
  for (let i = 0; i < 20; i++) {
    left = process.getActiveResourcesInfo();
    for (const k of before) {
      const at = left.indexOf(k);
      if (at >= 0) left.splice(at, 1);
    }
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  results.push({ code: r.code, exit: r.exit, stdout, stderr, ms, left });
}
// cli.js ends at once after a line with `exit`; the test checks `left` of the others
write(JSON.stringify(results), () => process.exit(0));
