#!/usr/bin/env node
// The `pqroom` command. The command itself is cli-run.js's `run` (tests call it in-process too);
// this file is what belongs to the process: the TypeScript loader (tsx), registered so that the
// sources run as they are with no build step after `npm ci`, the exit, and errors nothing awaits.
import { run, useTsx } from './cli-run.js';

const { code, exit } = await run(process.argv.slice(2), {
  loader: useTsx,
  guard: (fail) => {
    const end = (e) => process.exit(fail(e).code);
    // output piped into a program that stopped reading (`| head`): not an error of pqroom's
    process.stdout.on('error', (e) => (e.code === 'EPIPE' ? process.exit(0) : end(e)));
    process.on('uncaughtException', end);
    process.on('unhandledRejection', end);
  },
});
if (exit) process.exit(code);
process.exitCode = code;
