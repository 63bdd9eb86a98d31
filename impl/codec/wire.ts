/**
 * The wire rules (spec 2.3, 2.4): one generic encoder and one generic decoder for every codec, with
 * the canonical encoding rules, the header, and a typed error naming the requirement for every
 * malformation.
 */
import { compareBytes, decodeUtf8, utf8 as utf8Bytes, type Buffers, type Bytes } from '../bytes.ts';
import { DecodeError, EncodeError, type DecodeReason, type ReqId } from '../errors.ts';
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION, REGISTERED_SUITES, REGISTERED_TYPES, SUITE_ID } from '../messages/types.ts';
import { enforced } from '../mutants.ts';
import { MAX_UINT64, prefixWidth, rootName, type Codec, type StructCodec } from './schema.ts';

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
 * {@link encode} into `scratch` when the encoding fits in it (issue 23): returns a view of its
 * first bytes, valid until the next use of `scratch`; a value too large for it is encoded into a
 * new buffer, as `encode` does. For bytes read at once and never kept (a FrameBatch being sealed).
 */
export function encodeInto<T>(codec: Codec<T>, value: T, scratch: Uint8Array): Bytes {
  const n = sizeOf(codec as Codec<unknown>, value);
  if (n > scratch.length) return encode(codec, value);
  const w: Writer = { buf: scratch, view: new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength), pos: 0, path: [rootName(codec)] };
  encodeValue(w, codec as Codec<unknown>, value);
  return w.buf.subarray(0, w.pos);
}

/**
 * {@link encode} into the buffer `out.take(n)` gives for the encoding's length `n` (issue 23: the
 * live relay's deliveries, in memory it reuses once they were sealed). Returns that buffer.
 */
export function encodeTaken<T>(codec: Codec<T>, value: T, out: Buffers): Bytes {
  const n = sizeOf(codec as Codec<unknown>, value);
  const buf = out.take(n);
  const w: Writer = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), pos: 0, path: [rootName(codec)] };
  encodeValue(w, codec as Codec<unknown>, value);
  if (w.pos !== n || buf.length !== n) throw new RangeError(`an encoding of ${w.pos} bytes in a buffer of ${buf.length}, ${n} expected`);
  return buf;
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

/** An enum's names by value (the first name of a value, as a search of its entries finds it), built once per enum. */
const enumNamesOf = new WeakMap<Readonly<Record<string, number>>, Map<number, string>>();

function enumNames(values: Readonly<Record<string, number>>): Map<number, string> {
  let m = enumNamesOf.get(values);
  if (m === undefined) {
    m = new Map();
    for (const [name, value] of Object.entries(values)) if (!m.has(value)) m.set(value, name);
    enumNamesOf.set(values, m);
  }
  return m;
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
      const name = enumNames(d.values).get(n);
      if (name !== undefined) return name;
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
/** The key a list is sorted by (REQ-ENC-014): its element struct's field, found once per element codec. */
interface SortKey {
  readonly name: string;
  readonly codec: Codec<unknown>;
  /** The field's own values compare as they are: a `uint`'s number, a `fixed`'s bytes of length `n`; any other is compared encoded. */
  readonly kind: 'uint' | 'fixed' | 'encoded';
  readonly n: number;
}

const sortKeysOf = new WeakMap<Codec<unknown>, SortKey>();

function sortKey(of: Codec<unknown>, key: string): SortKey {
  let sk = sortKeysOf.get(of);
  if (sk === undefined || sk.name !== key) {
    const od = of.desc;
    if (od.k !== 'struct') throw new Error(`sortedBy on a list of ${od.k}`);
    const keyField = od.fields.find((x) => x.name === key);
    if (!keyField) throw new Error(`sortedBy: ${od.name} has no field ${key}`);
    const kd = keyField.codec.desc;
    sk = { name: key, codec: keyField.codec, kind: kd.k === 'uint' || kd.k === 'fixed' ? kd.k : 'encoded', n: kd.k === 'fixed' ? kd.n : 0 };
    sortKeysOf.set(of, sk);
  }
  return sk;
}

/** An element's sort key: the field's number or bytes as they are when they are the field's kind, else the field encoded. */
function sortKeyValue(sk: SortKey, item: unknown): unknown {
  const v = (item as Record<string, unknown>)[sk.name];
  if ((sk.kind === 'fixed' && v instanceof Uint8Array && v.length === sk.n) || (sk.kind === 'uint' && typeof v === 'number')) return v;
  return encode(sk.codec, v);
}

function checkSorted(of: Codec<unknown>, key: string, items: readonly unknown[], path: Path, mode: 'encode' | 'decode'): void {
  const sk = sortKey(of, key);
  let prev: unknown;
  for (let i = 0; i < items.length; i++) {
    const k = sortKeyValue(sk, items[i]);
    if (i > 0 && !(typeof prev === 'number' ? prev < (k as number) : compareBytes(prev as Bytes, k as Bytes) < 0)) {
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
