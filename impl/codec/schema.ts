/**
 * The schema of the codecs (spec 2.2): a codec is a plain value describing a wire structure,
 * built from these constructors; its lines as spec section 4 writes them; deep equality of the
 * values it describes.
 */
import type { Bytes } from '../bytes.ts';

/** Largest integer a `uint64` may hold on the wire (REQ-ENC-012, decision D9). */
export const MAX_UINT64 = Number.MAX_SAFE_INTEGER;

/** Structural description of a codec: what the generic functions dispatch on. */
export type Desc =
  | { readonly k: 'uint'; readonly bits: 8 | 16 | 32 | 64 }
  | { readonly k: 'bool' }
  | { readonly k: 'fixed'; readonly n: number }
  | { readonly k: 'opaque'; readonly min: number; readonly max: number }
  | { readonly k: 'utf8'; readonly min: number; readonly max: number }
  | { readonly k: 'enum'; readonly name: string; readonly values: Readonly<Record<string, number>> }
  | {
      readonly k: 'list';
      readonly of: Codec<unknown>;
      readonly min: number;
      readonly max: number;
      readonly sortedBy?: string;
    }
  | StructDesc;

/** Description of a struct, or of a message when `type` is set (its encoding starts with a Header). */
export interface StructDesc {
  readonly k: 'struct';
  readonly name: string;
  readonly type?: number;
  readonly fields: readonly Field<string, unknown>[];
  /** Extra validity rule (REQ-ENC-017): returns a description of the violation, or undefined. */
  readonly validate?: (value: never) => string | undefined;
}

/** A codec for values of type `T`. `T` is carried only at the type level. */
export interface Codec<T> {
  /** The structure this codec encodes. */
  readonly desc: Desc;
  /** Phantom marker for the value type; never present at run time. */
  readonly __value?: T;
}

/** A codec whose values are structs (objects). */
export interface StructCodec<T> extends Codec<T> {
  /** The struct's description. */
  readonly desc: StructDesc;
}

/** A named field of a struct. */
export interface Field<N extends string, T> {
  /** Field name, as in the spec. */
  readonly name: N;
  /** Field codec. */
  readonly codec: Codec<T>;
}

/** The value type of a codec. */
export type ValueOf<C> = C extends Codec<infer T> ? T : never;

/** Flattens an intersection into one object type, for readable inferred message types. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The object type of a struct with fields `F`. */
export type StructValue<F extends readonly Field<string, unknown>[]> = Simplify<{
  readonly [E in F[number] as E['name']]: E extends Field<string, infer T> ? T : never;
}>;

/** `uint8`. */
export const u8: Codec<number> = { desc: { k: 'uint', bits: 8 } };
/** `uint16`. */
export const u16: Codec<number> = { desc: { k: 'uint', bits: 16 } };
/** `uint32`. */
export const u32: Codec<number> = { desc: { k: 'uint', bits: 32 } };
/** `uint64`, limited to 2^53 − 1 (REQ-ENC-012). */
export const u64: Codec<number> = { desc: { k: 'uint', bits: 64 } };
/** `bool` (REQ-ENC-011). */
export const bool: Codec<boolean> = { desc: { k: 'bool' } };

/** `opaque x[n]`. */
export function fixed(n: number): Codec<Bytes> {
  return { desc: { k: 'fixed', n } };
}

/** `opaque x<min..max>`. */
export function opaque(min: number, max: number): Codec<Bytes> {
  return { desc: { k: 'opaque', min, max } };
}

/** `utf8 x<min..max>` (lengths in bytes; REQ-ENC-013). */
export function text(min: number, max: number): Codec<string> {
  return { desc: { k: 'utf8', min, max } };
}

/** `enum Name : uint8 { ... }`; values are the names. */
export function enumOf<const V extends Readonly<Record<string, number>>>(name: string, values: V): Codec<keyof V & string> {
  return { desc: { k: 'enum', name, values } };
}

/** `T x<min..max>`: a list of `min` to `max` elements, optionally sorted by a field of the element (REQ-ENC-014). */
export function list<T>(of: Codec<T>, min: number, max: number, sortedBy?: keyof T & string): Codec<readonly T[]> {
  return { desc: sortedBy === undefined ? { k: 'list', of, min, max } : { k: 'list', of, min, max, sortedBy } };
}

/** A struct field. */
export function f<N extends string, T>(name: N, codec: Codec<T>): Field<N, T> {
  return { name, codec };
}

/**
 * One object per struct, its fields in order, all undefined, kept for the life of the process and
 * never read. `decode` builds a struct by adding its fields to `{}` one by one, so every decoded
 * value of a struct shares one hidden class; V8 keeps such a class only while an object has it.
 * Without this one it died with the last decoded value at the end of a run and the next run made a
 * new one, and the code optimized for the old class was thrown away and compiled again (issue 24).
 */
const SHAPES: object[] = [];

function keepShape(fields: readonly Field<string, unknown>[]): void {
  const o: Record<string, unknown> = {};
  for (const field of fields) o[field.name] = undefined;
  SHAPES.push(o);
}

/** A struct without header. */
export function struct<const F extends readonly Field<string, unknown>[]>(
  name: string,
  fields: F,
  validate?: (value: StructValue<F>) => string | undefined,
): StructCodec<StructValue<F>> {
  const desc: StructDesc = validate === undefined ? { k: 'struct', name, fields } : { k: 'struct', name, fields, validate };
  keepShape(fields);
  return { desc };
}

/** A message: a struct whose encoding starts with `Header { version, suite, type }` (spec 2.4). */
export function message<const F extends readonly Field<string, unknown>[]>(
  name: string,
  type: number,
  fields: F,
  validate?: (value: StructValue<F>) => string | undefined,
): StructCodec<StructValue<F>> {
  const desc: StructDesc =
    validate === undefined ? { k: 'struct', name, type, fields } : { k: 'struct', name, type, fields, validate };
  keepShape(fields);
  return { desc };
}

/** Width in bytes of the length or count prefix for an upper bound `max` (spec 2.2). */
export function prefixWidth(max: number): 1 | 2 | 4 {
  if (max <= 0xff) return 1;
  if (max <= 0xffff) return 2;
  return 4;
}

/** The name a coder's error path starts with: the struct's name, or the kind of the codec. */
export function rootName(c: Codec<unknown>): string {
  return c.desc.k === 'struct' ? c.desc.name : c.desc.k;
}

// ---------------------------------------------------------------- spec rendering

/** The presentation-language type of a codec as written in a field line of spec section 4. */
export function specTypeName(c: Codec<unknown>): string {
  const d = c.desc;
  switch (d.k) {
    case 'uint':
      return `uint${d.bits}`;
    case 'bool':
      return 'bool';
    case 'fixed':
    case 'opaque':
      return 'opaque';
    case 'utf8':
      return 'utf8';
    case 'enum':
      return d.name;
    case 'list':
      return specTypeName(d.of);
    case 'struct':
      return d.name;
  }
}

/** One field line of a struct block, e.g. `opaque room_id[16];` or `MemberRecord adds<0..1000>;`. */
export function specFieldLine(field: Field<string, unknown>): string {
  const d = field.codec.desc;
  const t = specTypeName(field.codec);
  switch (d.k) {
    case 'fixed':
      return `${t} ${field.name}[${d.n}];`;
    case 'opaque':
    case 'utf8':
    case 'list':
      return `${t} ${field.name}<${d.min}..${d.max}>;`;
    default:
      return `${t} ${field.name};`;
  }
}

/** The field lines of a struct block as the spec writes them, `Header header;` first for messages. */
export function specStructLines(codec: StructCodec<unknown>): string[] {
  const d = codec.desc;
  const lines = d.fields.map(specFieldLine);
  return d.type !== undefined ? ['Header header;', ...lines] : lines;
}

/** Deep equality of decoded values: byte strings bytewise, lists and structs element by element. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((x, i) => valuesEqual(x, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => valuesEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}
