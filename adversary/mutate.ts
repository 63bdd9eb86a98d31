/**
 * The mutation toolkit (CAP-07): decode any wire message, change one field anywhere inside it
 * (including inside the messages carried in `payload` fields), and re-encode it without the
 * honest encoder's validity checks, so that the receiver's decoder and verifiers are what
 * stand between the change and its acceptance.
 *
 * A field is named by a path of field names and list indices separated by dots; a `payload`
 * that holds a registered message is entered like a struct (`payload.seq` is the `seq` of the
 * `AppMessage` inside a `RoomDelivery`). The header fields are `header.suite` and
 * `header.type` (spec 2.4).
 */
import { fromHex, type Bytes } from '../impl/bytes.ts';
import { decode, encodeUnchecked, peekType, type Codec, type Desc } from '../impl/codec.ts';
import { MESSAGES, messageName, type MsgName } from '../impl/messages/index.ts';

/** What to do to one field. */
export type Mutation =
  /** Flips the lowest bit of the first byte (bytes), adds one (integers), negates (bools), or appends a letter (text). */
  | { readonly op: 'flip' }
  /** Adds `by` to an integer field (may be negative; clamped at 0). */
  | { readonly op: 'add'; readonly by: number }
  /** Sets the field to a JSON-able value: a number, a boolean, a string, or bytes as `{ hex }`. */
  | { readonly op: 'set'; readonly value: number | boolean | string | { readonly hex: string } };

/** One field of a message, as the toolkit sees it. */
export interface FieldInfo {
  /** Its path. */
  readonly path: string;
  /** Its kind in the codec (`uint`, `opaque`, `fixed`, ...). */
  readonly kind: string;
}

function isMessageBytes(b: Bytes): MsgName | undefined {
  if (b.length < 4) return undefined;
  try {
    const name = messageName(peekType(b));
    if (name === undefined) return undefined;
    decode(MESSAGES[name], b);
    return name;
  } catch {
    return undefined;
  }
}

function walk(desc: Desc, value: unknown, prefix: string, out: FieldInfo[]): void {
  switch (desc.k) {
    case 'struct':
      for (const fd of desc.fields) walk(fd.codec.desc, (value as Record<string, unknown>)[fd.name], prefix ? `${prefix}.${fd.name}` : fd.name, out);
      return;
    case 'list':
      (value as unknown[]).forEach((v, i) => walk(desc.of.desc, v, `${prefix}.${i}`, out));
      return;
    case 'opaque': {
      const inner = isMessageBytes(value as Bytes);
      if (inner) {
        out.push({ path: prefix, kind: 'opaque' });
        for (const x of fields(value as Bytes)) out.push({ path: `${prefix}.${x.path}`, kind: x.kind });
        return;
      }
      out.push({ path: prefix, kind: desc.k });
      return;
    }
    default:
      out.push({ path: prefix, kind: desc.k });
  }
}

/** Every field of an encoded message, nested messages included (header fields first). */
export function fields(bytes: Bytes): FieldInfo[] {
  const name = isMessageBytes(bytes);
  if (!name) return [];
  const out: FieldInfo[] = [
    { path: 'header.suite', kind: 'uint' },
    { path: 'header.type', kind: 'uint' },
  ];
  walk(MESSAGES[name].desc, decode(MESSAGES[name], bytes), '', out);
  return out;
}

function applyLeaf(desc: Desc, v: unknown, m: Mutation): unknown {
  if (m.op === 'set') {
    if (typeof m.value === 'object') return fromHex(m.value.hex);
    return m.value;
  }
  switch (desc.k) {
    case 'uint': {
      const max = desc.bits === 64 ? Number.MAX_SAFE_INTEGER : 2 ** desc.bits - 1;
      const by = m.op === 'add' ? m.by : 1;
      const n = (v as number) + by;
      return n < 0 ? 0 : n > max ? (m.op === 'flip' ? (v as number) - 1 : max) : n;
    }
    case 'bool':
      return !(v as boolean);
    case 'utf8':
      return `${v as string}!`;
    case 'enum': {
      const names = Object.keys(desc.values);
      return names[(names.indexOf(v as string) + 1) % names.length];
    }
    case 'fixed':
    case 'opaque': {
      const b = (v as Bytes).slice();
      if (b.length === 0) return new Uint8Array([1]);
      b[0] = b[0]! ^ 1;
      return b;
    }
    default:
      throw new Error(`cannot mutate a ${desc.k} as a whole`);
  }
}

function setIn(desc: Desc, value: unknown, path: readonly string[], m: Mutation): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return applyLeaf(desc, value, m);
  switch (desc.k) {
    case 'struct': {
      const fd = desc.fields.find((x) => x.name === head);
      if (!fd) throw new Error(`no field ${head} in ${desc.name}`);
      const obj = value as Record<string, unknown>;
      return { ...obj, [head]: setIn(fd.codec.desc, obj[head], rest, m) };
    }
    case 'list': {
      const arr = [...(value as unknown[])];
      const i = Number(head);
      if (!Number.isInteger(i) || i < 0 || i >= arr.length) throw new Error(`no element ${head}`);
      arr[i] = setIn(desc.of.desc, arr[i], rest, m);
      return arr;
    }
    case 'opaque':
      // a payload carrying a message: mutate inside and re-encode
      return mutate(value as Bytes, path.join('.'), m);
    default:
      throw new Error(`cannot enter a ${desc.k} with ${head}`);
  }
}

/**
 * Re-encodes `bytes` with the field at `path` changed (CAP-07). Throws when the path names no
 * field of this message. The result is not checked: it may be invalid, which is the point.
 */
export function mutate(bytes: Bytes, path: string, m: Mutation): Bytes {
  const name = isMessageBytes(bytes);
  if (!name) throw new Error('not a decodable message');
  if (path === 'header.suite' || path === 'header.type') {
    const out = bytes.slice();
    if (path === 'header.type') out[3] = m.op === 'set' ? Number(m.value) : out[3]! ^ 1;
    else {
      const suite = ((out[1]! << 8) | out[2]!) >>> 0;
      const next = m.op === 'set' ? Number(m.value) : m.op === 'add' ? suite + m.by : suite ^ 1;
      out[1] = (next >> 8) & 0xff;
      out[2] = next & 0xff;
    }
    return out;
  }
  const codec = MESSAGES[name] as Codec<unknown>;
  return encodeUnchecked(codec, setIn(codec.desc, decode(codec, bytes), path.split('.'), m));
}

/**
 * Relabels a message as another type with the same fields (W2: a `CompatChat` read as a
 * `CompatRotation`). Only the header's type byte changes.
 */
export function retype(bytes: Bytes, to: MsgName): Bytes {
  return mutate(bytes, 'header.type', { op: 'set', value: MESSAGES[to].desc.type! });
}

/** The message inside a `payload` field at `path` (default `payload`), or undefined. */
export function innerMessage(bytes: Bytes, path = 'payload'): { name: MsgName; bytes: Bytes } | undefined {
  const name = isMessageBytes(bytes);
  if (!name) return undefined;
  let v: unknown = decode(MESSAGES[name], bytes);
  for (const p of path.split('.')) v = (v as Record<string, unknown>)[p];
  if (!(v instanceof Uint8Array)) return undefined;
  const inner = isMessageBytes(v);
  return inner ? { name: inner, bytes: v } : undefined;
}
