/**
 * Data-driven codecs for the presentation language of spec section 2.2, with the canonical
 * encoding rules of spec 2.3 and the header of spec 2.4.
 *
 * A codec is a plain value describing a wire structure. One generic encoder, one generic
 * decoder, the JSON form used by the vectors, the spec-line rendering checked against
 * `spec/04-wire-format.md`, and the mutation toolkit of `adversary/` are all driven by it.
 */
import { compareBytes, decodeUtf8, toHex, fromHex, utf8 as utf8Bytes, type Bytes } from './bytes.ts';
import { DecodeError, EncodeError, type DecodeReason, type ReqId } from './errors.ts';
import { enforced } from './mutants.ts';
import {
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  REGISTERED_SUITES,
  REGISTERED_TYPES,
  SUITE_ID,
} from './messages/types.ts';

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

/** A struct without header. */
export function struct<const F extends readonly Field<string, unknown>[]>(
  name: string,
  fields: F,
  validate?: (value: StructValue<F>) => string | undefined,
): StructCodec<StructValue<F>> {
  const desc: StructDesc = validate === undefined ? { k: 'struct', name, fields } : { k: 'struct', name, fields, validate };
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
  return { desc };
}

/** Width in bytes of the length or count prefix for an upper bound `max` (spec 2.2). */
export function prefixWidth(max: number): 1 | 2 | 4 {
  if (max <= 0xff) return 1;
  if (max <= 0xffff) return 2;
  return 4;
}

// ---------------------------------------------------------------- writer

/**
 * Where a coder is inside a value: the root's name, then field names and list indices. Kept as a
 * stack of segments and formatted (`Root.field[3].name`) only for an error, so that coding
 * allocates no path strings.
 */
type Path = (string | number)[];

function pathString(p: Path, extra?: string): string {
  let out = String(p[0]);
  for (let i = 1; i < p.length; i++) {
    const seg = p[i]!;
    out += typeof seg === 'number' ? `[${seg}]` : `.${seg}`;
  }
  return extra === undefined ? out : `${out}.${extra}`;
}

interface Writer {
  buf: Uint8Array;
  view: DataView;
  pos: number;
  readonly path: Path;
}

function newWriter(root: string, capacity = 256): Writer {
  const buf = new Uint8Array(Math.max(capacity, 1));
  return { buf, view: new DataView(buf.buffer), pos: 0, path: [root] };
}

function ensure(w: Writer, n: number): void {
  if (w.pos + n <= w.buf.length) return;
  let cap = w.buf.length * 2;
  while (cap < w.pos + n) cap *= 2;
  const next = new Uint8Array(cap);
  next.set(w.buf.subarray(0, w.pos));
  w.buf = next;
  w.view = new DataView(next.buffer);
}

function writeUint(w: Writer, bits: 8 | 16 | 32 | 64, v: number): void {
  ensure(w, bits / 8);
  switch (bits) {
    case 8:
      w.view.setUint8(w.pos, v);
      break;
    case 16:
      w.view.setUint16(w.pos, v);
      break;
    case 32:
      w.view.setUint32(w.pos, v);
      break;
    case 64:
      w.view.setUint32(w.pos, Math.floor(v / 2 ** 32));
      w.view.setUint32(w.pos + 4, v >>> 0);
      break;
  }
  w.pos += bits / 8;
}

function writeBytes(w: Writer, b: Bytes): void {
  ensure(w, b.length);
  w.buf.set(b, w.pos);
  w.pos += b.length;
}

function encErr(reqId: ReqId, w: Writer, msg: string): never {
  throw new EncodeError(reqId, pathString(w.path), msg);
}

function uintMax(bits: 8 | 16 | 32 | 64): number {
  return bits === 64 ? MAX_UINT64 : 2 ** bits - 1;
}

function encodeValue(w: Writer, c: Codec<unknown>, v: unknown, strict = true): void {
  const d = c.desc;
  switch (d.k) {
    case 'uint': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > uintMax(d.bits))
        encErr(d.bits === 64 ? 'REQ-ENC-012' : 'REQ-ENC-001', w, `not a uint${d.bits}: ${String(v)}`);
      writeUint(w, d.bits, v);
      return;
    }
    case 'bool':
      if (typeof v !== 'boolean') encErr('REQ-ENC-011', w, 'not a boolean');
      writeUint(w, 8, v ? 1 : 0);
      return;
    case 'fixed':
      if (!(v instanceof Uint8Array) || (strict && v.length !== d.n)) encErr('REQ-ENC-008', w, `expected ${d.n} bytes`);
      writeBytes(w, v);
      return;
    case 'opaque':
    case 'utf8': {
      let b: Bytes;
      if (d.k === 'utf8') {
        if (typeof v !== 'string') encErr('REQ-ENC-013', w, 'not a string');
        b = utf8Bytes(v);
      } else {
        if (!(v instanceof Uint8Array)) encErr('REQ-ENC-008', w, 'not a byte string');
        b = v;
      }
      if (strict && (b.length < d.min || b.length > d.max)) encErr('REQ-ENC-008', w, `length ${b.length} outside ${d.min}..${d.max}`);
      writeUint(w, (prefixWidth(d.max) * 8) as 8 | 16 | 32, b.length);
      writeBytes(w, b);
      return;
    }
    case 'enum': {
      const n = typeof v === 'string' ? d.values[v] : undefined;
      if (n === undefined) encErr('REQ-ENC-010', w, `not a ${d.name}: ${String(v)}`);
      writeUint(w, 8, n);
      return;
    }
    case 'list': {
      if (!Array.isArray(v)) encErr('REQ-ENC-009', w, 'not a list');
      if (strict && (v.length < d.min || v.length > d.max)) encErr('REQ-ENC-009', w, `count ${v.length} outside ${d.min}..${d.max}`);
      if (strict && d.sortedBy !== undefined) checkSorted(d.of, d.sortedBy, v, w.path, 'encode');
      writeUint(w, (prefixWidth(d.max) * 8) as 8 | 16 | 32, v.length);
      for (let i = 0; i < v.length; i++) {
        w.path.push(i);
        encodeValue(w, d.of, v[i], strict);
        w.path.pop();
      }
      return;
    }
    case 'struct': {
      if (typeof v !== 'object' || v === null) encErr('REQ-ENC-017', w, `not a ${d.name}`);
      const o = v as Record<string, unknown>;
      if (strict && d.validate) {
        const problem = (d.validate as (x: unknown) => string | undefined)(o);
        if (problem !== undefined) encErr('REQ-ENC-017', w, problem);
      }
      if (d.type !== undefined) {
        writeUint(w, 8, PROTOCOL_VERSION);
        writeUint(w, 16, SUITE_ID);
        writeUint(w, 8, d.type);
      }
      for (const field of d.fields) {
        w.path.push(field.name);
        encodeValue(w, field.codec, o[field.name], strict);
        w.path.pop();
      }
      return;
    }
  }
}

/**
 * The encoded size of a value, computed without encoding it (so that encoding allocates once).
 * A value that has no valid encoding gets an estimate; the encoder then reports the problem.
 */
function sizeOf(c: Codec<unknown>, v: unknown): number {
  const d = c.desc;
  switch (d.k) {
    case 'uint':
      return d.bits / 8;
    case 'bool':
    case 'enum':
      return 1;
    case 'fixed':
      return d.n;
    case 'opaque':
      return prefixWidth(d.max) + (v instanceof Uint8Array ? v.length : 0);
    case 'utf8':
      return prefixWidth(d.max) + (typeof v === 'string' ? utf8Length(v) : 0);
    case 'list': {
      let n = prefixWidth(d.max);
      if (Array.isArray(v)) for (const e of v) n += sizeOf(d.of, e);
      return n;
    }
    case 'struct': {
      let n = d.type !== undefined ? 4 : 0;
      const o = (v ?? {}) as Record<string, unknown>;
      for (const field of d.fields) n += sizeOf(field.codec, o[field.name]);
      return n;
    }
  }
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x80) n += 1;
    else if (code < 0x800) n += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Canonical encoding of `value` (REQ-ENC-015). Throws {@link EncodeError} if it has none. */
export function encode<T>(codec: Codec<T>, value: T): Bytes {
  const w = newWriter(rootName(codec), sizeOf(codec as Codec<unknown>, value));
  encodeValue(w, codec as Codec<unknown>, value);
  return w.pos === w.buf.length ? w.buf : w.buf.slice(0, w.pos);
}

/**
 * Encoding that skips the validity checks an honest encoder makes: lengths of fixed fields,
 * length and count ranges, list order, struct validity rules. For building malformed inputs
 * (negative vectors, the adversary's mutations) only; integers must still fit their width.
 */
export function encodeUnchecked<T>(codec: Codec<T>, value: T): Bytes {
  const w = newWriter(rootName(codec));
  encodeValue(w, codec as Codec<unknown>, value, false);
  return w.buf.slice(0, w.pos);
}

/**
 * Encoding of a message's header and of its fields before `field` (exclusive): the
 * to-be-signed bytes `TBS(x)` when `field` is `signature` (spec 2.2), and the associated
 * data or MAC input where spec section 5 says "fields before ...".
 */
export function encodePrefix<T>(codec: StructCodec<T>, value: T, field: keyof T & string): Bytes {
  const d = codec.desc;
  const idx = d.fields.findIndex((x) => x.name === field);
  if (idx < 0) throw new EncodeError('REQ-ENC-015', d.name, `no field ${field}`);
  const o0 = value as Record<string, unknown>;
  let size = d.type !== undefined ? 4 : 0;
  for (const x of d.fields.slice(0, idx)) size += sizeOf(x.codec, o0[x.name]);
  const w = newWriter(d.name, size);
  if (d.type !== undefined) {
    writeUint(w, 8, PROTOCOL_VERSION);
    writeUint(w, 16, SUITE_ID);
    writeUint(w, 8, d.type);
  }
  const o = value as Record<string, unknown>;
  for (const x of d.fields.slice(0, idx)) {
    w.path.push(x.name);
    encodeValue(w, x.codec, o[x.name]);
    w.path.pop();
  }
  return w.buf.slice(0, w.pos);
}

function rootName(c: Codec<unknown>): string {
  return c.desc.k === 'struct' ? c.desc.name : c.desc.k;
}

// ---------------------------------------------------------------- reader

interface Reader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;
  readonly path: Path;
}

/** A decoding error at the reader's place (`extra`: a part below it, such as `header.version`). */
function decErr(reqId: ReqId, reason: DecodeReason, r: Reader, msg: string, extra?: string): never {
  throw new DecodeError(reqId, reason, pathString(r.path, extra), msg);
}

function need(r: Reader, n: number, extra?: string): void {
  if (r.pos + n > r.buf.length) decErr('REQ-ENC-006', 'truncated', r, `needs ${n} more bytes, ${r.buf.length - r.pos} left`, extra);
}

function readUint(r: Reader, bits: 8 | 16 | 32 | 64, extra?: string): number {
  need(r, bits / 8, extra);
  let v: number;
  switch (bits) {
    case 8:
      v = r.view.getUint8(r.pos);
      break;
    case 16:
      v = r.view.getUint16(r.pos);
      break;
    case 32:
      v = r.view.getUint32(r.pos);
      break;
    case 64: {
      const hi = r.view.getUint32(r.pos);
      const lo = r.view.getUint32(r.pos + 4);
      if (hi >= 2 ** 21) decErr('REQ-ENC-012', 'uint64', r, 'uint64 above 2^53 - 1', extra);
      v = hi * 2 ** 32 + lo;
      break;
    }
  }
  r.pos += bits / 8;
  return v;
}

function readBytes(r: Reader, n: number): Bytes {
  need(r, n);
  // a view into the decoder's private copy of the input (see `decode`), never into the input itself (REQ-ENC-016)
  const out = r.buf.subarray(r.pos, r.pos + n);
  r.pos += n;
  return out;
}

/** Reads and checks a header (spec 2.4); returns the type byte. */
function readHeader(r: Reader, expected: number | undefined): number {
  const version = readUint(r, 8, 'header.version');
  if (version !== PROTOCOL_VERSION) decErr('REQ-ENC-002', 'version', r, `unsupported version ${version}`, 'header.version');
  const suite = readUint(r, 16, 'header.suite');
  if (!REGISTERED_SUITES.has(suite) && enforced('REQ-ENC-003')) decErr('REQ-ENC-003', 'suite', r, `unknown suite 0x${suite.toString(16).padStart(4, '0')}`, 'header.suite');
  const type = readUint(r, 8, 'header.type');
  if (!REGISTERED_TYPES.has(type)) decErr('REQ-ENC-004', 'type', r, `unknown message type 0x${type.toString(16).padStart(2, '0')}`, 'header.type');
  if (expected !== undefined && type !== expected)
    decErr('REQ-ENC-005', 'unexpected-type', r, `expected type 0x${expected.toString(16).padStart(2, '0')}, got 0x${type.toString(16).padStart(2, '0')}`, 'header.type');
  return type;
}

function decodeValue(r: Reader, c: Codec<unknown>): unknown {
  const d = c.desc;
  switch (d.k) {
    case 'uint':
      return readUint(r, d.bits);
    case 'bool': {
      const b = readUint(r, 8);
      if (b > 1) decErr('REQ-ENC-011', 'bool', r, `boolean byte ${b}`);
      return b === 1;
    }
    case 'fixed':
      return readBytes(r, d.n);
    case 'opaque':
    case 'utf8': {
      const n = readUint(r, (prefixWidth(d.max) * 8) as 8 | 16 | 32);
      if (n < d.min || n > d.max) decErr('REQ-ENC-008', 'length', r, `length ${n} outside ${d.min}..${d.max}`);
      const b = readBytes(r, n);
      if (d.k === 'opaque') return b;
      const s = decodeUtf8(b);
      if (s === undefined) decErr('REQ-ENC-013', 'utf8', r, 'invalid UTF-8');
      return s;
    }
    case 'enum': {
      const n = readUint(r, 8);
      for (const [name, value] of Object.entries(d.values)) if (value === n) return name;
      return decErr('REQ-ENC-010', 'enum', r, `value ${n} is not a ${d.name}`);
    }
    case 'list': {
      const n = readUint(r, (prefixWidth(d.max) * 8) as 8 | 16 | 32);
      if (n < d.min || n > d.max) decErr('REQ-ENC-009', 'count', r, `count ${n} outside ${d.min}..${d.max}`);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) {
        r.path.push(i);
        out.push(decodeValue(r, d.of));
        r.path.pop();
      }
      if (d.sortedBy !== undefined) checkSorted(d.of, d.sortedBy, out, r.path, 'decode');
      return out;
    }
    case 'struct': {
      if (d.type !== undefined) readHeader(r, d.type);
      const o: Record<string, unknown> = {};
      for (const field of d.fields) {
        r.path.push(field.name);
        o[field.name] = decodeValue(r, field.codec);
        r.path.pop();
      }
      if (d.validate) {
        const problem = (d.validate as (x: unknown) => string | undefined)(o);
        if (problem !== undefined) decErr('REQ-ENC-017', 'value', r, problem);
      }
      return o;
    }
  }
}

/**
 * REQ-ENC-014: list elements strictly ascending by `key`, compared as their encodings compare.
 * A fixed-size key compares as its bytes and an integer key as its value, which is the order of
 * their encodings, without encoding them.
 */
function checkSorted(of: Codec<unknown>, key: string, items: readonly unknown[], path: Path, mode: 'encode' | 'decode'): void {
  const od = of.desc;
  if (od.k !== 'struct') throw new Error(`sortedBy on a list of ${od.k}`);
  const keyField = od.fields.find((x) => x.name === key);
  if (!keyField) throw new Error(`sortedBy: ${od.name} has no field ${key}`);
  const kd = keyField.codec.desc;
  const keyOf = (item: unknown): unknown => {
    const v = (item as Record<string, unknown>)[key];
    if ((kd.k === 'fixed' && v instanceof Uint8Array && v.length === kd.n) || (kd.k === 'uint' && typeof v === 'number')) return v;
    return encode(keyField.codec, v);
  };
  const ascending = (a: unknown, b: unknown): boolean => (typeof a === 'number' ? a < (b as number) : compareBytes(a as Bytes, b as Bytes) < 0);
  let prev: unknown;
  for (let i = 0; i < items.length; i++) {
    const k = keyOf(items[i]);
    if (i > 0 && !ascending(prev, k)) {
      const msg = `not strictly ascending by ${key} at element ${i}`;
      const at = `${pathString(path)}[${i}]`;
      if (mode === 'decode') throw new DecodeError('REQ-ENC-014', 'order', at, msg);
      throw new EncodeError('REQ-ENC-014', at, msg);
    }
    prev = k;
  }
}

/** Options of {@link decode}. */
export interface DecodeOptions {
  /** Largest accepted input, checked before decoding (REQ-ENC-019). Default 2^24. */
  readonly maxBytes?: number;
  /**
   * Decode in place: byte fields are views into `bytes` instead of into a private copy. Only for
   * a caller that hands `bytes` over (a buffer it just made and nobody else holds), or that reads
   * the decoded value and lets none of it escape before `bytes` can change; REQ-ENC-016 then
   * holds for everyone else, without copying large inputs (a transport frame) once more.
   */
  readonly inPlace?: boolean;
}

/**
 * Decodes exactly one value from `bytes`: rejects truncation, trailing bytes and every
 * rule of spec 2.3 with a {@link DecodeError} naming the requirement. Never mutates `bytes`.
 */
export function decode<T>(codec: Codec<T>, bytes: Bytes, options: DecodeOptions = {}): T {
  const name = rootName(codec);
  const max = options.maxBytes ?? MAX_MESSAGE_BYTES;
  if (bytes.length > max) throw new DecodeError('REQ-ENC-019', 'size', name, `${bytes.length} bytes exceeds the limit of ${max}`);
  // One private copy of the input: decoded byte fields are views into it, so that nothing decoded
  // shares memory with the caller's buffer (REQ-ENC-016), at the cost of a single copy.
  const own = options.inPlace === true ? bytes : bytes.slice();
  const r: Reader = { buf: own, view: new DataView(own.buffer, own.byteOffset, own.byteLength), pos: 0, path: [name] };
  const v = decodeValue(r, codec as Codec<unknown>);
  if (r.pos !== bytes.length) decErr('REQ-ENC-007', 'trailing', r, `${bytes.length - r.pos} trailing bytes`);
  return v as T;
}

/**
 * Reads only the header of an encoded message (spec 2.4) and returns its type, checking
 * version, suite and that the type is registered.
 */
export function peekType(bytes: Bytes): number {
  const r: Reader = { buf: bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), pos: 0, path: ['message'] };
  return readHeader(r, undefined);
}

// ---------------------------------------------------------------- JSON form (vectors)

/** A JSON value. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** JSON form of a value: bytes as lower-case hex, enums by name, structs as objects in field order. */
export function toJson<T>(codec: Codec<T>, value: T): Json {
  return toJsonValue(codec as Codec<unknown>, value);
}

function toJsonValue(c: Codec<unknown>, v: unknown): Json {
  const d = c.desc;
  switch (d.k) {
    case 'uint':
      return v as number;
    case 'bool':
      return v as boolean;
    case 'fixed':
    case 'opaque':
      return toHex(v as Bytes);
    case 'utf8':
    case 'enum':
      return v as string;
    case 'list':
      return (v as unknown[]).map((e) => toJsonValue(d.of, e));
    case 'struct': {
      const o: Record<string, Json> = {};
      for (const x of d.fields) o[x.name] = toJsonValue(x.codec, (v as Record<string, unknown>)[x.name]);
      return o;
    }
  }
}

/** Inverse of {@link toJson}. Throws `TypeError` naming the path on a shape mismatch. */
export function fromJson<T>(codec: Codec<T>, json: Json): T {
  return fromJsonValue(codec as Codec<unknown>, json, rootName(codec)) as T;
}

function fromJsonValue(c: Codec<unknown>, j: Json, path: string): unknown {
  const d = c.desc;
  const bad = (what: string): never => {
    throw new TypeError(`${path}: expected ${what}`);
  };
  switch (d.k) {
    case 'uint':
      return typeof j === 'number' ? j : bad('a number');
    case 'bool':
      return typeof j === 'boolean' ? j : bad('a boolean');
    case 'fixed':
    case 'opaque':
      return typeof j === 'string' ? fromHex(j) : bad('a hex string');
    case 'utf8':
    case 'enum':
      return typeof j === 'string' ? j : bad('a string');
    case 'list':
      return Array.isArray(j) ? (j as Json[]).map((e, i) => fromJsonValue(d.of, e, `${path}[${i}]`)) : bad('an array');
    case 'struct': {
      if (typeof j !== 'object' || j === null || Array.isArray(j)) return bad('an object');
      const o: Record<string, unknown> = {};
      const jo = j as Record<string, Json>;
      for (const x of d.fields) {
        const fj = jo[x.name];
        if (fj === undefined) bad(`a field ${x.name}`);
        o[x.name] = fromJsonValue(x.codec, fj as Json, `${path}.${x.name}`);
      }
      const extra = Object.keys(jo).filter((k) => !d.fields.some((x) => x.name === k));
      if (extra.length > 0) bad(`no fields ${extra.join(', ')}`);
      return o;
    }
  }
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
