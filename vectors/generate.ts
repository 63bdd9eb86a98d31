/** `pqroom vectors generate`: writes every vector file from fixed seeds (never edit them by hand). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeVectorFile, serializeVectorFile } from './format.ts';
import { VECTOR_KINDS } from './kinds/index.ts';

/** The text of every vector file, by file name. Deterministic: the same code gives the same bytes. */
export function generateVectorTexts(): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of VECTOR_KINDS) out.set(k.file, serializeVectorFile(makeVectorFile(k.kind, k.description, k.generate())));
  return out;
}

/** Writes every vector file into `dir`; returns the files written with their case counts. */
export function generateVectors(dir: string): { file: string; bytes: number }[] {
  mkdirSync(dir, { recursive: true });
  return [...generateVectorTexts()].map(([file, text]) => {
    writeFileSync(join(dir, file), text);
    return { file, bytes: Buffer.byteLength(text) };
  });
}
