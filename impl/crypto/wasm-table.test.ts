/** The WebAssembly rewrite of the liboqs backend (spec 3.1): a module's function table exported, nothing else changed. */
import { describe, expect, it } from 'vitest';
import { exportFunctionTable, forwardedCall, tableFunction } from './wasm-table.ts';

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

// (module (import "m" "f" (func (param i32 i32) (result i32)))
//   (func $inner (param i32 i32 i32) (result i32) local.get 0 local.get 1 i32.add local.get 2 i32.mul)
//   (func $wrap (param i32 i32) (result i32) local.get 1 i32.const -2 local.get 0 call $inner)
//   (table 3 funcref) (elem (i32.const 1) $inner $wrap) (export "w" (func $wrap)))   (wat2wasm 1.0.32)
const FORWARDING = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x0e, 0x02, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, // types: (i32 i32) -> i32, (i32 i32 i32) -> i32
  0x02, 0x07, 0x01, 0x01, 0x6d, 0x01, 0x66, 0x00, 0x00, // import m.f: function 0, of type 0
  0x03, 0x03, 0x02, 0x01, 0x00, // function 1 ($inner) of type 1, function 2 ($wrap) of type 0
  0x04, 0x04, 0x01, 0x70, 0x00, 0x03, // table: funcref, min 3
  0x07, 0x05, 0x01, 0x01, 0x77, 0x00, 0x02, // export "w" func 2
  0x09, 0x08, 0x01, 0x00, 0x41, 0x01, 0x0b, 0x02, 0x01, 0x02, // elem: table 0 at 1: [func 1, func 2]
  0x0a, 0x17, 0x02, // code: two bodies
  0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x20, 0x02, 0x6c, 0x0b, // $inner
  0x0a, 0x00, 0x20, 0x01, 0x41, 0x7e, 0x20, 0x00, 0x10, 0x01, 0x0b, // $wrap
]);

describe('tableFunction and forwardedCall (the liboqs backend reaches ML-DSA-65 with a context through them, REQ-CRY-009)', () => {
  it('should find the function in a table slot, and what a forwarding function calls with what', () => {
    expect(tableFunction(FORWARDING, 1)).toBe(1);
    expect(tableFunction(FORWARDING, 2)).toBe(2);
    expect(tableFunction(FORWARDING, 0)).toBeUndefined();
    expect(tableFunction(FORWARDING, 3)).toBeUndefined();
    expect(forwardedCall(FORWARDING, 2)).toEqual({ callee: 1, args: [{ param: 1 }, { constant: -2 }, { param: 0 }] });
    expect(forwardedCall(FORWARDING, 1)).toBeUndefined(); // it computes: not a forwarder
    expect(forwardedCall(FORWARDING, 0)).toBeUndefined(); // imported: no code here
  });

  it('should export a function by index beside the table, callable as the module computes it', () => {
    const imports = { m: { f: (a: number, b: number) => a + b } };
    const i = new WebAssembly.Instance(new WebAssembly.Module(exportFunctionTable(FORWARDING, 't', { inner: 1 })), imports);
    expect((i.exports.inner as (a: number, b: number, c: number) => number)(2, 3, 4)).toBe(20);
    expect((i.exports.w as (a: number, b: number) => number)(5, 1)).toBe(-5); // inner(1, -2, 5) = (1 + -2) * 5
    expect((i.exports.t as WebAssembly.Table).get(1)).toBeTypeOf('function');
  });
});
