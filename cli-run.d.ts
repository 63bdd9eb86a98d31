/** Types of cli-run.js (plain JavaScript: it runs before the TypeScript loader is registered). */

/** Each command's module (relative to the checkout) and its line in the help. */
export declare const COMMANDS: Readonly<Record<string, readonly [module: string, description: string]>>;

/** The help of `pqroom --help`. */
export declare function help(): string;

/** Registers tsx once; resolves with what is not installed, if anything. */
export declare function useTsx(): Promise<string | undefined>;

/** What a failure reporter returns: the exit code; `exit`: the process ends at once. */
export interface RunResult {
  readonly code: number;
  readonly exit: boolean;
}

/** Runs `pqroom ...argv`, writing to console.log and console.error as the process does. */
export declare function run(
  argv: readonly string[],
  options?: {
    readonly loader?: () => Promise<string | undefined>;
    readonly guard?: (fail: (e: unknown) => RunResult) => void;
  },
): Promise<RunResult>;
