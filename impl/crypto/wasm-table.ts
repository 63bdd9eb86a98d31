/**
 * A WebAssembly binary rewrite for the liboqs backend (spec 3.1): export a module's function
 * table under a name, so that the functions liboqs reaches only through the pointers of its
 * `OQS_KEM` and `OQS_SIG` structs (the de-randomised entry points) can be called, and export
 * chosen functions by index (the ML-DSA functions that take a context string, which liboqs's
 * context-free entry points forward to). Nothing else in the module changes: entries are appended
 * to its export section (WebAssembly core specification 5.5.10, "Export Section"). Two readers find
 * those functions: the function in a table slot (element section, 5.5.12) and what a function that
 * only forwards its parameters calls (code section, 5.5.13).
 */

const SECTION_IMPORT = 2;
const SECTION_TABLE = 4;
const SECTION_EXPORT = 7;
const SECTION_ELEM = 9;
const SECTION_CODE = 10;
const KIND_FUNCTION = 0x00;
const KIND_TABLE = 0x01;
const OP_END = 0x0b;
const OP_CALL = 0x10;
const OP_LOCAL_GET = 0x20;
const OP_I32_CONST = 0x41;

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

/** Reads a signed LEB128 integer of at most 32 bits at `at`; returns it and the offset after it. */
function readSleb(b: Uint8Array, at: number): [number, number] {
  let n = 0;
  let shift = 0;
  for (let i = at; i < b.length && shift < 35; i++) {
    const x = b[i]!;
    n |= (x & 0x7f) << shift;
    shift += 7;
    if ((x & 0x80) === 0) return [shift < 32 && x & 0x40 ? n | (-1 << shift) : n, i + 1];
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

/**
 * Counts the imports of one kind (0x00 function, 0x01 table, ...) in the import section whose body
 * starts at `start`: they come first in that kind's index space.
 */
function importedOf(kindWanted: number, b: Uint8Array, start: number): number {
  let [count, p] = readLeb(b, start);
  let n = 0;
  while (count-- > 0) {
    for (let s = 0; s < 2; s++) {
      const [len, q] = readLeb(b, p);
      p = q + len; // module name, then field name
    }
    const kind = b[p++]!;
    if (kind === kindWanted) n++;
    if (kind === 0x00) p = readLeb(b, p)[1]; // function: type index
    else if (kind === 0x01) p = skipLimits(b, p + 1); // table: reftype, limits
    else if (kind === 0x02) p = skipLimits(b, p);
    else if (kind === 0x03) p += 2; // valtype, mutability
    else if (kind === 0x04) p = readLeb(b, p + 1)[1]; // tag: attribute, type index
    else throw new Error(`wasm: unknown import kind ${kind}`);
  }
  return n;
}

/** The sections of a module: id, body start and end, in order. Throws unless `bytes` is a WebAssembly module. */
function sections(bytes: Uint8Array): { id: number; start: number; body: number; end: number }[] {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('wasm: not a WebAssembly module');
  const out: { id: number; start: number; body: number; end: number }[] = [];
  for (let p = 8; p < bytes.length; ) {
    const id = bytes[p]!;
    const [size, body] = readLeb(bytes, p + 1);
    out.push({ id, start: p, body, end: body + size });
    p = body + size;
  }
  return out;
}

/**
 * The module `bytes` with table 0 exported as `name`, and each function of `functions` (name to
 * function index) exported under its name. Throws when the bytes are not a WebAssembly module,
 * have no table, or have no export section.
 */
export function exportFunctionTable(bytes: Uint8Array, name: string, functions: Readonly<Record<string, number>> = {}): Uint8Array<ArrayBuffer> {
  let tables = 0;
  let exportAt: { start: number; body: number; end: number } | undefined;
  for (const s of sections(bytes)) {
    if (s.id === SECTION_IMPORT) tables += importedOf(KIND_TABLE, bytes, s.body);
    else if (s.id === SECTION_TABLE) tables += readLeb(bytes, s.body)[0];
    else if (s.id === SECTION_EXPORT) exportAt = s;
  }
  if (tables === 0) throw new Error('wasm: the module has no function table');
  if (!exportAt) throw new Error('wasm: the module has no export section');
  const [count, entries] = readLeb(bytes, exportAt.body);
  const added = [[name, KIND_TABLE, 0] as const, ...Object.entries(functions).map(([n, i]) => [n, KIND_FUNCTION, i] as const)].flatMap(([n, kind, index]) => {
    const label = new TextEncoder().encode(n);
    return [...leb(label.length), ...label, kind, ...leb(index)];
  });
  const content = [...leb(count + 1 + Object.keys(functions).length), ...bytes.subarray(entries, exportAt.end), ...added];
  const head = [SECTION_EXPORT, ...leb(content.length)];
  const out = new Uint8Array(exportAt.start + head.length + content.length + (bytes.length - exportAt.end));
  out.set(bytes.subarray(0, exportAt.start), 0);
  out.set(head, exportAt.start);
  out.set(content, exportAt.start + head.length);
  out.set(bytes.subarray(exportAt.end), exportAt.start + head.length + content.length);
  return out;
}

/**
 * The function index in slot `slot` of table 0, from the module's active element segments of the
 * plain form (`flags` 0: table 0, an `i32.const` offset, function indices; core spec 5.5.12), or
 * undefined when no such segment fills that slot.
 */
export function tableFunction(bytes: Uint8Array, slot: number): number | undefined {
  const elem = sections(bytes).find((s) => s.id === SECTION_ELEM);
  if (!elem) return undefined;
  let [count, p] = readLeb(bytes, elem.body);
  while (count-- > 0) {
    const [flags, q] = readLeb(bytes, p);
    if (flags !== 0 || bytes[q] !== OP_I32_CONST) return undefined; // another form: not read here
    const [offset, r] = readSleb(bytes, q + 1);
    if (bytes[r] !== OP_END) return undefined;
    const [n, from] = readLeb(bytes, r + 1);
    let at = from;
    for (let i = 0; i < n; i++) {
      const [f, next] = readLeb(bytes, at);
      if (offset + i === slot) return f;
      at = next;
    }
    p = at;
  }
  return undefined;
}

/** An argument a forwarding function passes on: one of its own parameters, or a constant. */
export type Forwarded = { readonly param: number } | { readonly constant: number };

/**
 * When function `index` does nothing but call another function with its parameters and `i32`
 * constants (no locals; `local.get` and `i32.const` only, then one `call`, then `end`), the
 * function it calls and what it passes; otherwise undefined.
 */
export function forwardedCall(bytes: Uint8Array, index: number): { readonly callee: number; readonly args: readonly Forwarded[] } | undefined {
  const all = sections(bytes);
  const imports = all.find((s) => s.id === SECTION_IMPORT);
  const code = all.find((s) => s.id === SECTION_CODE);
  if (!code) return undefined;
  const defined = index - (imports ? importedOf(KIND_FUNCTION, bytes, imports.body) : 0);
  const [count, start] = readLeb(bytes, code.body);
  let p = start;
  if (defined < 0 || defined >= count) return undefined;
  for (let i = 0; i < defined; i++) {
    const [size, body] = readLeb(bytes, p);
    p = body + size;
  }
  const [size, body] = readLeb(bytes, p);
  const end = body + size;
  const [locals, first] = readLeb(bytes, body);
  let at = first;
  if (locals !== 0) return undefined;
  const args: Forwarded[] = [];
  while (at < end) {
    const op = bytes[at]!;
    if (op === OP_LOCAL_GET) {
      const [n, next] = readLeb(bytes, at + 1);
      args.push({ param: n });
      at = next;
    } else if (op === OP_I32_CONST) {
      const [n, next] = readSleb(bytes, at + 1);
      args.push({ constant: n });
      at = next;
    } else if (op === OP_CALL) {
      const [callee, next] = readLeb(bytes, at + 1);
      return next + 1 === end && bytes[next] === OP_END ? { callee, args } : undefined;
    } else return undefined;
  }
  return undefined;
}
