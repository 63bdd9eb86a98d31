/** The WebAssembly rewrite of the liboqs backend (spec 3.1): a module's function table exported, nothing else changed. */
import { describe, expect, it } from 'vitest';
import { exportFunctionTable } from './wasm-table.ts';

// (module (type (func (result i32))) (func (type 0) i32.const 42) (table 1 funcref) (elem (i32.const 0) 0) (export "f" (func 0)))
const MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x04, 0x04, 0x01, 0x70, 0x00, 0x01, // table: funcref, min 1
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f" func 0
  0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, // elem: table 0 at 0: [func 0]
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b, // code: i32.const 42
]);

describe('exportFunctionTable', () => {
  it('should export the table so that its functions can be called through it, keeping the other exports', () => {
    const before = new WebAssembly.Instance(new WebAssembly.Module(MODULE));
    expect(Object.keys(before.exports)).toEqual(['f']);
    const after = new WebAssembly.Instance(new WebAssembly.Module(exportFunctionTable(MODULE, 'table')));
    const t = after.exports.table as WebAssembly.Table;
    expect(t).toBeInstanceOf(WebAssembly.Table);
    expect((t.get(0) as () => number)()).toBe(42);
    expect((after.exports.f as () => number)()).toBe(42);
  });

  it('should refuse bytes that are not a module, and a module without a table', () => {
    expect(() => exportFunctionTable(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 't')).toThrow(/not a WebAssembly module/);
    const noTable = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x07, 0x01, 0x00]);
    expect(() => exportFunctionTable(noTable, 't')).toThrow(/no function table/);
  });
});
