/**
 * Data-driven codecs for the presentation language of spec section 2.2, with the canonical
 * encoding rules of spec 2.3 and the header of spec 2.4.
 *
 * A codec is a plain value describing a wire structure. One generic encoder, one generic
 * decoder, the JSON form used by the vectors, the spec-line rendering checked against
 * `spec/04-wire-format.md`, and the mutation toolkit of `adversary/` are all driven by it.
 * This file is the codecs' one entry point: the schema (codec values and their spec lines) is
 * in codec/schema.ts, the wire rules (encoder and decoder) in codec/wire.ts, the JSON form in
 * codec/json.ts.
 */
export {
  bool,
  enumOf,
  f,
  fixed,
  list,
  MAX_UINT64,
  message,
  opaque,
  prefixWidth,
  specFieldLine,
  specStructLines,
  specTypeName,
  struct,
  text,
  u16,
  u32,
  u64,
  u8,
  valuesEqual,
  type Codec,
  type Desc,
  type Field,
  type Simplify,
  type StructCodec,
  type StructDesc,
  type StructValue,
  type ValueOf,
} from './codec/schema.ts';
export { decode, encode, encodeInto, encodePrefix, encodeTaken, encodeUnchecked, peekType, type DecodeOptions } from './codec/wire.ts';
export { fromJson, toJson, type Json } from './codec/json.ts';
