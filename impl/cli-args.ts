/**
 * The one argument parser of every `pqroom` command (issue 26): Node's own `util.parseArgs` in
 * strict mode, so that every command has the same rules. `--name value` and `--name=value` both
 * work; an unknown option, a missing value, a value given to a flag or an unexpected positional is
 * a usage error (exit 2); `-h`/`--help` is known to every command. Every mistake becomes a
 * {@link CliError}: one line (what is wrong, what to do), which cli.js prints on stderr.
 *
 * Exit codes of every command: 0 ok; 1 the work ran and found a failure; 2 usage (bad arguments,
 * an input that cannot be read, an output that cannot be written, checked before the work starts).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** A mistake a command reports in one line, with its exit code (2 usage, 1 the work failed). */
export class CliError extends Error {
  readonly code: 1 | 2;
  constructor(message: string, code: 1 | 2 = 2) {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}

/** One option: a string value or a flag. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** May be given more than once ({@link Parsed.list} reads it). */
  readonly multiple?: boolean;
}

/** What a command line parsed to, with typed readers that name the option in their errors. */
export interface Parsed {
  /** Whether `-h`/`--help` was given. */
  readonly help: boolean;
  readonly positionals: readonly string[];
  /** A string option's value. */
  str(name: string): string | undefined;
  /** Every value of a repeatable string option. */
  list(name: string): string[];
  /** Whether a flag was given. */
  flag(name: string): boolean;
  /** A whole number in [min, max] (default: 0 and the largest safe integer). */
  int(name: string, fallback: number, range?: { min?: number; max?: number }): number;
  /** One of `choices`. */
  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T;
}

/**
 * Parses `argv` for `command` (its name as the user types it, e.g. `simulate`, `account create`):
 * throws a {@link CliError} naming the option and pointing at `--help`.
 */
export function parseCommand(command: string, argv: readonly string[], options: Readonly<Record<string, OptionSpec>>, o: { readonly positionals?: number } = {}): Parsed {
  const hint = `(pqroom ${command} --help lists the options)`;
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true }) as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] });
  } catch (e) {
    const err = e as Error & { code?: string };
    const opt = /'(-[^' ]+)/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new CliError(`unknown option ${opt ?? err.message} ${hint}`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/does not take an argument/.test(err.message)) throw new CliError(`${opt} takes no value ${hint}`);
      throw new CliError(`${opt} needs a value ${hint}`);
    }
    throw new CliError(`${err.message} ${hint}`);
  }
  const help = values.help === true;
  const max = o.positionals ?? 0;
  if (!help && positionals.length > max) throw new CliError(`unexpected argument '${positionals[max]}' ${hint}`);
  const str = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    help,
    positionals,
    str,
    flag: (name) => values[name] === true,
    list: (name) => {
      const v = values[name];
      return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    },
    int: (name, fallback, range = {}) => {
      const v = str(name);
      if (v === undefined) return fallback;
      const n = Number(v);
      const lo = range.min ?? 0;
      const hi = range.max ?? Number.MAX_SAFE_INTEGER;
      if (v.trim() === '' || !Number.isSafeInteger(n) || n < lo || n > hi) throw new CliError(`--${name} must be a whole number${hi === Number.MAX_SAFE_INTEGER ? ` of at least ${lo}` : ` from ${lo} to ${hi}`}, not '${v}'`);
      return n;
    },
    oneOf: <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
      const v = str(name);
      if (v === undefined) return fallback;
      if (!(choices as readonly string[]).includes(v)) throw new CliError(`--${name} must be one of ${choices.join(', ')}, not '${v}'`);
      return v as T;
    },
  };
}

/**
 * Checks, before any work, that `file` can be written by `option` (an existing folder holds it,
 * writable, and it is not itself a folder); throws a {@link CliError} saying which option and what to do.
 */
export function checkOutputFile(option: string, file: string): void {
  const abs = resolve(file);
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new CliError(`${option} ${file} is a folder; give a file name`);
  checkFolder(option, dirname(abs), file);
  if (existsSync(abs)) {
    try {
      accessSync(abs, constants.W_OK);
    } catch {
      throw new CliError(`${option} ${file} cannot be written (permission denied); choose another file`);
    }
  }
}

/** Checks, before any work, that `dir` can be created or written by `option` (its nearest existing ancestor is a writable folder). */
export function checkOutputDir(option: string, dir: string): void {
  let p = resolve(dir);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  if (!statSync(p).isDirectory()) throw new CliError(`${option} ${dir}: ${p} is a file, not a folder; choose another folder`);
  try {
    accessSync(p, constants.W_OK);
  } catch {
    throw new CliError(`${option} ${dir} cannot be written (${p}: permission denied); choose another folder`);
  }
}

function checkFolder(option: string, dir: string, file: string): void {
  if (!existsSync(dir)) throw new CliError(`${option} ${file}: the folder ${dir} does not exist; create it first or choose another path`);
  if (!statSync(dir).isDirectory()) throw new CliError(`${option} ${file}: ${dir} is not a folder; choose another path`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new CliError(`${option} ${file}: the folder ${dir} cannot be written (permission denied); choose another path`);
  }
}

/** Checks that `file`, given by `option`, is a readable file (not a folder); throws a {@link CliError} otherwise. */
export function checkInputFile(option: string, file: string): void {
  if (!existsSync(file)) throw new CliError(`${option} ${file}: no such file; check the path`);
  if (statSync(file).isDirectory()) throw new CliError(`${option} ${file} is a folder; give a file`);
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new CliError(`${option} ${file} cannot be read (permission denied)`);
  }
}

/**
 * One line for an error that reached the top of a command: a {@link CliError} as it is, a
 * system error (a file, a port, a host) with its path and what to do, anything else as an internal
 * error (a bug) without its stack. Returns the line and the exit code.
 */
export function describeFailure(e: unknown): { line: string; code: 1 | 2 } {
  if (e instanceof CliError) return { line: e.message, code: e.code };
  const x = e as (Error & { code?: string; path?: string; syscall?: string; hostname?: string; port?: number; address?: string }) | undefined;
  const msg = x?.message ?? String(e);
  const code = typeof x?.code === 'string' ? x.code : undefined;
  const what = x?.path ?? x?.hostname ?? '';
  const sys: Record<string, string> = {
    ENOENT: `${what}: no such file or folder; check the path`,
    EISDIR: `${what} is a folder where a file was expected; give a file`,
    ENOTDIR: `${what}: a part of the path is a file, not a folder; check the path`,
    EACCES: `${what || msg}: permission denied; choose another path or port`,
    EPERM: `${what || msg}: operation not permitted; choose another path`,
    EROFS: `${what}: the file system is read-only; choose another path`,
    ENOSPC: `${what}: no space left on the device`,
    EADDRINUSE: `${x?.address ?? ''}:${x?.port ?? ''} is already in use; stop what holds it or choose another --port`,
    EADDRNOTAVAIL: `${x?.address ?? ''} is not an address of this machine; choose another --host`,
    ENOTFOUND: `host ${what} does not resolve; check the name`,
    EAI_AGAIN: `host ${what} does not resolve (name service unavailable); check the name`,
    ECONNREFUSED: `nothing is listening at ${x?.address ?? ''}:${x?.port ?? ''}; start it first (pqroom relay) or check the address`,
  };
  if (code !== undefined && sys[code] !== undefined) return { line: sys[code]!, code: 2 };
  if (code === 'ERR_SOCKET_BAD_PORT') return { line: `${msg.replace(/\.$/, '')}; give a port from 0 to 65535`, code: 2 };
  return { line: `internal error: ${msg} (a bug in pqroom; PQROOM_DEBUG=1 shows the stack)`, code: 1 };
}

/**
 * Runs a command's body: a {@link CliError} it throws becomes one line on `err`
 * (`pqroom COMMAND: what is wrong, what to do`) and its exit code; anything else goes up to cli.js.
 */
export function runCommand<R extends number | Promise<number>>(command: string, err: (s: string) => void, body: () => R): R {
  const report = (e: unknown): number => {
    if (!(e instanceof CliError)) throw e;
    err(`pqroom ${command}: ${e.message}`);
    return e.code;
  };
  try {
    const r = body();
    return (r instanceof Promise ? r.catch(report) : r) as R;
  } catch (e) {
    return report(e) as R;
  }
}
