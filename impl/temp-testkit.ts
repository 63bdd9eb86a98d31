/**
 * Temporary folders for tests: each made under the system's temporary folder and removed when the
 * test file that made it ends (the `afterAll` this module registers in each file that imports it:
 * vitest loads a test file's modules afresh).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

/** A new temporary folder named `prefix` and six random characters, removed when this test file ends. */
export function tempFolder(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
