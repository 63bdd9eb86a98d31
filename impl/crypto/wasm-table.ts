/**
 * A WebAssembly binary rewrite for the liboqs backend (spec 3.1): export a module's function
 * table under a name, so that the functions liboqs reaches only through the pointers of its
 * `OQS_KEM` and `OQS_SIG` structs (the de-randomised and context-string entry points) can be
 * called. Nothing else in the module changes: one entry is appended to its export section
 * (WebAssembly core specification 5.5.10, "Export Section").
 */

const SECTION_IMPORT = 2;
const SECTION_TABLE = 4;
const SECTION_EXPORT = 7;
const KIND_TABLE = 0x01;

/** Reads an unsigned LEB128 integer at `at`; returns it and the offset after it. */
function readLeb(b: Uint8Array, at: number): [number, number] {
  let n = 0;
  let shift = 0;
  for (let i = at; i < b.length && shift < 35; i++) {
    const x = b[i]!;
    n += (x & 0x7f) * 2 ** shift;
    shift += 7;
    if ((x & 0x80) === 0) return [n, i + 1];
  }
  throw new Error('wasm: bad LEB128 integer');
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let x = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) x |= 0x80;
    out.push(x);
  } while (n > 0);
  return out;
}

/** Skips a `limits` (core spec 5.3.7, with the memory64 and shared flags) at `at`. */
function skipLimits(b: Uint8Array, at: number): number {
  const flags = b[at]!;
  let p = readLeb(b, at + 1)[1];
  if (flags & 0x01) p = readLeb(b, p)[1];
  return p;
}

/** Counts the tables a module imports (they come first in the table index space). */
function importedTables(b: Uint8Array, start: number): number {
  let [count, p] = readLeb(b, start);
  let tables = 0;
  while (count-- > 0) {
    for (let s = 0; s < 2; s++) {
      const [len, q] = readLeb(b, p);
      p = q + len; // module name, then field name
    }
    const kind = b[p++]!;
    if (kind === 0x00) p = readLeb(b, p)[1]; // function: type index
    else if (kind === 0x01) {
      tables++;
      p = skipLimits(b, p + 1); // reftype, limits
    } else if (kind === 0x02) p = skipLimits(b, p);
    else if (kind === 0x03) p += 2; // valtype, mutability
    else if (kind === 0x04) p = readLeb(b, p + 1)[1]; // tag: attribute, type index
    else throw new Error(`wasm: unknown import kind ${kind}`);
  }
  return tables;
}

/**
 * The module `bytes` with table 0 exported as `name`. Throws when the bytes are not a
 * WebAssembly module, have no table, or have no export section.
 */
export function exportFunctionTable(bytes: Uint8Array, name: string): Uint8Array<ArrayBuffer> {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('wasm: not a WebAssembly module');
  let tables = 0;
  let exportAt: { start: number; body: number; end: number } | undefined;
  for (let p = 8; p < bytes.length; ) {
    const id = bytes[p]!;
    const [size, body] = readLeb(bytes, p + 1);
    const end = body + size;
    if (id === SECTION_IMPORT) tables += importedTables(bytes, body);
    else if (id === SECTION_TABLE) tables += readLeb(bytes, body)[0];
    else if (id === SECTION_EXPORT) exportAt = { start: p, body, end };
    p = end;
  }
  if (tables === 0) throw new Error('wasm: the module has no function table');
  if (!exportAt) throw new Error('wasm: the module has no export section');
  const [count, entries] = readLeb(bytes, exportAt.body);
  const label = new TextEncoder().encode(name);
  const content = [...leb(count + 1), ...bytes.subarray(entries, exportAt.end), ...leb(label.length), ...label, KIND_TABLE, ...leb(0)];
  const head = [SECTION_EXPORT, ...leb(content.length)];
  const out = new Uint8Array(exportAt.start + head.length + content.length + (bytes.length - exportAt.end));
  out.set(bytes.subarray(0, exportAt.start), 0);
  out.set(head, exportAt.start);
  out.set(content, exportAt.start + head.length);
  out.set(bytes.subarray(exportAt.end), exportAt.start + head.length + content.length);
  return out;
}
