/** `pqroom vectors generate`: writes every vector file from fixed seeds (never edit them by hand). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../impl/codec.ts';
import { makeVectorFile, serializeVectorFile } from './format.ts';
import { VECTOR_KINDS } from './kinds/index.ts';

/** The text of every computed vector file, by file name. Deterministic: the same code gives the same bytes. */
export function generateVectorTexts(): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of VECTOR_KINDS) if (k.generate) out.set(k.file, serializeVectorFile(makeVectorFile(k.kind, k.description, k.generate())));
  return out;
}

/** A recorded kind's cases, from a run the command line composes (relay-conformance: a run against the project's relay). */
export type RecordCases = (kind: string) => Promise<Record<string, Json>[]>;

/** The text of a recorded kind's file. */
export async function recordedVectorText(kind: (typeof VECTOR_KINDS)[number], record: RecordCases): Promise<string> {
  return serializeVectorFile(makeVectorFile(kind.kind, kind.description, await record(kind.kind)));
}

/** Writes every vector file into `dir` (the recorded ones when `record` is given); returns the files written with their sizes. */
export async function generateVectors(dir: string, record?: RecordCases): Promise<{ file: string; bytes: number }[]> {
  mkdirSync(dir, { recursive: true });
  const texts = generateVectorTexts();
  if (record) for (const k of VECTOR_KINDS) if (!k.generate) texts.set(k.file, await recordedVectorText(k, record));
  return [...texts].map(([file, text]) => {
    writeFileSync(join(dir, file), text);
    return { file, bytes: Buffer.byteLength(text) };
  });
}
