/** Byte-string helpers shared by every layer (spec section 2.1): hex, base64url, concatenation, comparison. */

/** A byte string. pqroom never uses strings for secrets. */
export type Bytes = Uint8Array;

/**
 * Memory a writer takes its output from (the live relay's frame pool, its arena of deliveries): an
 * object, not a function, since xstate's `assign` would call a function found in a machine's context.
 */
export interface Buffers {
  /** A buffer of exactly `length` bytes, every one of which the writer writes. */
  take(length: number): Bytes;
}

const HEX = '0123456789abcdef';
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);
const HEX_CODES = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  HEX_CODES[2 * i] = HEX.charCodeAt(i >> 4);
  HEX_CODES[2 * i + 1] = HEX.charCodeAt(i & 15);
}
const LATIN1 = new TextDecoder('latin1');

/** Lower-case hexadecimal of `b`, without separators (spec 2.1). */
export function toHex(b: Bytes): string {
  if (b.length < 64) {
    let s = '';
    for (let i = 0; i < b.length; i++) s += HEX_PAIRS[b[i]!]!;
    return s;
  }
  // long inputs (keys, signatures, payloads used as map keys): one decode instead of n concatenations
  const out = new Uint8Array(2 * b.length);
  for (let i = 0; i < b.length; i++) {
    const x = 2 * b[i]!;
    out[2 * i] = HEX_CODES[x]!;
    out[2 * i + 1] = HEX_CODES[x + 1]!;
  }
  return LATIN1.decode(out);
}

/** Parses lower- or upper-case hexadecimal; throws `TypeError` on odd length or a non-hex character. */
export function fromHex(s: string): Bytes {
  if (s.length % 2 !== 0) throw new TypeError(`hex string of odd length ${s.length}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(s.charCodeAt(2 * i));
    const lo = hexValue(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new TypeError(`not a hex character at offset ${2 * i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Concatenation `a || b || ...` into a new array. */
export function concat(...parts: readonly Bytes[]): Bytes {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Bytewise equality (not constant time; use {@link equalConstantTime} for secrets). */
export function equalBytes(a: Bytes, b: Bytes): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  let i = 0;
  if (n >= 256) {
    // keys, signatures and ciphertexts: 8 bytes a step through DataViews (about 3x a byte loop)
    const da = new DataView(a.buffer, a.byteOffset, n);
    const db = new DataView(b.buffer, b.byteOffset, n);
    for (; i + 8 <= n; i += 8) if (da.getUint32(i) !== db.getUint32(i) || da.getUint32(i + 4) !== db.getUint32(i + 4)) return false;
  }
  for (; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}


/**
 * Equality whose running time does not depend on where the inputs differ (REQ-CRY-014).
 * JavaScript cannot guarantee constant time (spec 3.9); this is the best a JS engine allows.
 */
export function equalConstantTime(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

/** Bytewise lexicographic comparison: negative, zero or positive. */
export function compareBytes(a: Bytes, b: Bytes): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** `n` zero bytes (spec 2.1 `zeros(n)`). */
export function zeros(n: number): Bytes {
  return new Uint8Array(n);
}

/** True if every byte of `b` from `start` (default 0) on is zero. */
export function isZero(b: Bytes, start = 0): boolean {
  const n = b.length;
  let i = start;
  if (n - start >= 256) {
    const d = new DataView(b.buffer, b.byteOffset, n);
    for (; i + 8 <= n; i += 8) if ((d.getUint32(i) | d.getUint32(i + 4)) !== 0) return false;
  }
  for (; i < n; i++) if (b[i] !== 0) return false;
  return true;
}

const textEncoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 encoding of a string (spec 2.1 `ascii(...)` for ASCII input). */
export function utf8(s: string): Bytes {
  return textEncoder.encode(s);
}

/** Strict UTF-8 decoding; returns `undefined` for invalid UTF-8 (REQ-ENC-013). */
export function decodeUtf8(b: Bytes): string | undefined {
  try {
    return strictDecoder.decode(b);
  } catch {
    return undefined;
  }
}

/** Big-endian 4-byte encoding of `n` (0 ≤ n < 2^32). */
export function u32be(n: number): Bytes {
  const out = new Uint8Array(4);
  putU32(out, 0, n >>> 0);
  return out;
}

/** Big-endian 8-byte encoding of `n` (0 ≤ n ≤ 2^53 − 1). */
export function u64be(n: number): Bytes {
  const out = new Uint8Array(8);
  putU64(out, 0, n);
  return out;
}

/** Writes `n` (0 ≤ n < 2^32) big-endian at `out[at..at+4)` (no DataView: this runs for every frame). */
export function putU32(out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = (n >>> 16) & 0xff;
  out[at + 2] = (n >>> 8) & 0xff;
  out[at + 3] = n & 0xff;
}

/** Writes `n` (0 ≤ n ≤ 2^53 − 1) big-endian at `out[at..at+8)`. */
export function putU64(out: Uint8Array, at: number, n: number): void {
  putU32(out, at, Math.floor(n / 2 ** 32) >>> 0);
  putU32(out, at + 4, n >>> 0);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (RFC 4648 §5; spec 2.1). */
export function toBase64Url(b: Bytes): string {
  let s = '';
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8) | (b[i + 2] as number);
    s += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = (b[i] as number) << 16;
    s += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8);
    s += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!;
  }
  return s;
}

/**
 * Strict base64url decoding without padding: returns `undefined` on a character outside the
 * alphabet, padding, an impossible length, or non-zero unused trailing bits (non-canonical input).
 */
export function fromBase64Url(s: string): Bytes | undefined {
  if (s.length % 4 === 1) return undefined;
  const vals = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) {
    const v = B64URL.indexOf(s[i]!);
    if (v < 0) return undefined;
    vals[i] = v;
  }
  const full = Math.floor(s.length / 4);
  const rest = s.length % 4;
  const out = new Uint8Array(full * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  for (let q = 0; q < full; q++) {
    const n = (vals[4 * q]! << 18) | (vals[4 * q + 1]! << 12) | (vals[4 * q + 2]! << 6) | vals[4 * q + 3]!;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  const base = full * 4;
  if (rest === 2) {
    if ((vals[base + 1]! & 15) !== 0) return undefined;
    out[o++] = (vals[base]! << 2) | (vals[base + 1]! >> 4);
  } else if (rest === 3) {
    if ((vals[base + 2]! & 3) !== 0) return undefined;
    const n = (vals[base]! << 10) | (vals[base + 1]! << 4) | (vals[base + 2]! >> 2);
    out[o++] = n >> 8;
    out[o++] = n & 255;
  }
  return out;
}
