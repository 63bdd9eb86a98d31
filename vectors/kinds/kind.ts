/** The shape of a vector kind (one file, one verifier) and the helpers the verifiers share. */
import type { Json } from '../../impl/codec.ts';

/** A kind of vectors: how to generate its cases and how to recompute one. */
export interface VectorKind {
  /** Kind name, stored in the file. */
  readonly kind: string;
  /** File name inside the vectors folder. */
  readonly file: string;
  /** What the file covers, with spec sections. */
  readonly description: string;
  /**
   * Produces the cases deterministically. Absent for a recorded kind (relay-conformance), whose
   * cases come from a run against a relay that `pqroom vectors generate` is handed by cli.js.
   */
  generate?(): Record<string, Json>[];
  /** Recomputes one case; throws an Error naming the field that differs. */
  verify(v: Readonly<Record<string, Json>>): void;
}

/** Throws unless `actual` and `expected` are the same JSON value. */
export function expectEqual(field: string, actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${field}: expected ${short(e)}, recomputed ${short(a)}`);
}

function short(s: string | undefined): string {
  if (s === undefined) return 'undefined';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** A string field of a case. */
export function str(v: Readonly<Record<string, Json>>, k: string): string {
  const x = v[k];
  if (typeof x !== 'string') throw new Error(`field ${k} is not a string`);
  return x;
}

/** A number field of a case. */
export function num(v: Readonly<Record<string, Json>>, k: string): number {
  const x = v[k];
  if (typeof x !== 'number') throw new Error(`field ${k} is not a number`);
  return x;
}
