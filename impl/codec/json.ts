/** The JSON form of codec values (the vectors' format, spec 2.2): bytes as hex, enums by name, structs as objects. */
import { fromHex, toHex, type Bytes } from '../bytes.ts';
import { rootName, type Codec } from './schema.ts';

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
