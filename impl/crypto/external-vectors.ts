/**
 * Loader for the Wycheproof vectors of `../shared/vectors-external/` (spec 3.1). A file that
 * yields zero cases throws, so an empty or misread file cannot pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the external vectors live: `$PQROOM_EXTERNAL_VECTORS`, or `../shared/vectors-external` beside the checkout. */
export function externalVectorsDir(): string {
  const env = process.env.PQROOM_EXTERNAL_VECTORS;
  if (env) return resolve(env);
  return resolve(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'vectors-external'));
}

/** True when the external vectors are present (a user's clone may not have them). */
export function haveExternalVectors(): boolean {
  return existsSync(join(externalVectorsDir(), 'wycheproof'));
}

/** One Wycheproof test case with its group's fields merged in. */
export type WycheproofCase = Record<string, unknown> & {
  readonly tcId: number;
  readonly result: 'valid' | 'invalid' | 'acceptable';
  readonly flags?: readonly string[];
  readonly comment?: string;
  readonly group: Record<string, unknown>;
};

/** Every case of a Wycheproof file; throws if the file has none. */
export function loadWycheproof(file: string): WycheproofCase[] {
  const path = join(externalVectorsDir(), 'wycheproof', file);
  const j = JSON.parse(readFileSync(path, 'utf8')) as { testGroups: { tests: Record<string, unknown>[] }[]; numberOfTests?: number };
  const out: WycheproofCase[] = [];
  for (const g of j.testGroups) {
    const { tests, ...group } = g;
    for (const t of tests) out.push({ ...t, group } as WycheproofCase);
  }
  if (out.length === 0) throw new Error(`${file}: zero test cases`);
  if (j.numberOfTests !== undefined && j.numberOfTests !== out.length)
    throw new Error(`${file}: header says ${j.numberOfTests} tests, found ${out.length}`);
  return out;
}
