/**
 * The vector file format: canonical JSON (two-space indentation, trailing newline), a digest
 * over the header and one per case, so that a changed byte anywhere in a file is detected and
 * attributed to a case. Files are generated, never edited by hand.
 */
import { createHash } from 'node:crypto';
import type { Json } from '../impl/codec.ts';

/** Format version of vector files. */
export const VECTORS_FORMAT = 1;

/** One test case: an id, its inputs and expected outputs, and its digest. */
export type VectorCase = { readonly id: string; readonly [k: string]: Json };

/** A vector file. */
export interface VectorFile {
  /** Format version. */
  readonly pqroom_vectors: number;
  /** Which verifier recomputes the cases. */
  readonly kind: string;
  /** What the cases cover and which spec sections they check. */
  readonly description: string;
  /** The command that wrote the file. */
  readonly generated_by: string;
  /** SHA-256 of the canonical JSON of the four fields above. */
  readonly header_digest: string;
  /** The cases, each with a `digest` of its canonical JSON without the digest. */
  readonly cases: readonly VectorCase[];
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The digest of a case: SHA-256 of its canonical JSON without the `digest` field. */
export function caseDigest(c: Readonly<Record<string, Json>>): string {
  const { digest: _d, ...rest } = c;
  return sha256Hex(JSON.stringify(rest));
}

function headerDigest(f: Pick<VectorFile, 'pqroom_vectors' | 'kind' | 'description'> & { generated_by: string }): string {
  return sha256Hex(JSON.stringify({ pqroom_vectors: f.pqroom_vectors, kind: f.kind, description: f.description, generated_by: f.generated_by }));
}

/** Builds a file, adding the digests. */
export function makeVectorFile(kind: string, description: string, cases: readonly Record<string, Json>[]): VectorFile {
  const head = { pqroom_vectors: VECTORS_FORMAT, kind, description, generated_by: 'pqroom vectors generate' };
  return {
    ...head,
    header_digest: headerDigest(head),
    cases: cases.map((c) => ({ ...c, digest: caseDigest(c) }) as unknown as VectorCase),
  };
}

/** The canonical text of a file. */
export function serializeVectorFile(f: VectorFile): string {
  return JSON.stringify(f, null, 2) + '\n';
}

/** A problem found in a file before any case is recomputed. */
export interface FileProblem {
  /** Index of the case the problem lies in, or -1 for the file header. */
  readonly index: number;
  /** What is wrong. */
  readonly message: string;
}

/** Index of the case whose text contains byte `offset` (cases start at lines `    {`), or -1 for the header. */
export function caseAtOffset(text: string, offset: number): number {
  const re = /^ {4}\{$/gm;
  let index = -1;
  for (let m = re.exec(text); m && m.index <= offset; m = re.exec(text)) index++;
  return index;
}

/**
 * Parses a vector file and checks its form: valid JSON, canonical text, known format, digests.
 * Returns the file and the problems found (a file with problems must not pass).
 */
export function parseVectorFile(text: string): { file?: VectorFile; problems: FileProblem[] } {
  let parsed: VectorFile;
  try {
    parsed = JSON.parse(text) as VectorFile;
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message);
    return { problems: [{ index: caseAtOffset(text, pos ? Number(pos[1]) : 0), message: `not valid JSON: ${(e as Error).message}` }] };
  }
  const problems: FileProblem[] = [];
  const canonical = serializeVectorFile(parsed);
  if (canonical !== text) {
    let i = 0;
    while (i < text.length && text[i] === canonical[i]) i++;
    problems.push({ index: caseAtOffset(text, i), message: `not in canonical form from byte ${i}` });
  }
  if (parsed.pqroom_vectors !== VECTORS_FORMAT) problems.push({ index: -1, message: `unknown format ${String(parsed.pqroom_vectors)}` });
  if (headerDigest(parsed) !== parsed.header_digest) problems.push({ index: -1, message: 'header digest mismatch' });
  if (!Array.isArray(parsed.cases)) return { problems: [...problems, { index: -1, message: 'no cases array' }] };
  parsed.cases.forEach((c, index) => {
    if (caseDigest(c) !== c.digest) problems.push({ index, message: 'case digest mismatch (the case was edited or corrupted)' });
  });
  return { file: parsed, problems };
}
