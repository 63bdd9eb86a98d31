/**
 * Generated mutants of `impl/` (outside the files of adversary/mutation/killed-by-test.ts) that a
 * unit test kills (`killed-by-test` in adversary/mutation/survivors.ts), by the file they mutate:
 * each row names the mutant by its function, operator, text and rank (its key,
 * adversary/mutation/sites.ts) and the test that fails on it. Every row was checked by running the
 * test file it names against its mutant (`pqroom mutate --generated --filter FILE --tests` does
 * it again and fails when that file passes). Kept apart from killed-by-test.ts so that the rows of
 * `impl/` and of `machines/` (issue 30) are merged without touching each other.
 */
import type { ArguedSurvivor } from './argument.ts';
import type { Operator } from './sites.ts';

/** `[function, operator, mutated text, the name of the first test that fails, the rank when the same text and operator occur again in the function]`. */
type Row = readonly [fn: string, operator: Operator, original: string, test: string, nth?: number];

const rowsOf = (file: string, testFile: string, because: string, rows: readonly Row[]): ArguedSurvivor[] =>
  rows.map(([fn, operator, original, test, nth]) => ({
    file,
    fn,
    operator,
    original,
    ...(nth === undefined ? {} : { nth }),
    kind: 'killed-by-test',
    test: testFile,
    why: `${testFile}${test ? ` "${test}"` : ''} (${because})`,
  }));

/** The survivors of the campaign in `impl/` that the unit tests kill. */
export const KILLED_BY_TESTS_IMPL: readonly ArguedSurvivor[] = [
  ...rowsOf(
    'impl/codec/wire.ts',
    'impl/codec/wire.test.ts',
    "the campaign's messages are all well formed, or malformed whole by an attack at one place; the codec's own test gives every check an input that only it rejects, on small codecs of every kind, at and past each bound, and a round trip, every truncation and trailing bytes as properties",
    [
    ["encodeValue", "negate", "typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > uintMax(d.bits)", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "boundary", "v < 0", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "bound+1", "v < 0", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "bound-1", "v < 0", "REQ-ENC-001 should encode 0 and the maximum of each integer width, and refuse -1, the maximum + 1, fractions and non-numbers"],
    ["encodeValue", "boundary", "v > uintMax(d.bits)", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr(d.bits === 64 ? 'REQ-ENC-012' : 'REQ-ENC-001', w, `not a uint${d.bits}: ${String(v)}`);", "REQ-ENC-001 should encode 0 and the maximum of each integer width, and refuse -1, the maximum + 1, fractions and non-numbers"],
    ["encodeValue", "negate", "d.bits === 64", "REQ-ENC-001 should encode 0 and the maximum of each integer width, and refuse -1, the maximum + 1, fractions and non-numbers"],
    ["encodeValue", "negate", "typeof v !== 'boolean'", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr('REQ-ENC-011', w, 'not a boolean');", "REQ-ENC-011 should encode only booleans, and decode the byte 0 as false, 1 as true and reject every other byte"],
    ["encodeValue", "negate", "!(v instanceof Uint8Array) || (strict && v.length !== d.n)", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr('REQ-ENC-008', w, `expected ${d.n} bytes`);", "REQ-ENC-008 should encode a fixed field of exactly its size only, and only a byte string"],
    ["encodeValue", "negate", "d.k === 'utf8'", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "negate", "typeof v !== 'string'", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr('REQ-ENC-013', w, 'not a string');", "REQ-ENC-013 should encode only strings in a utf8 field, bounded in bytes (REQ-ENC-008), and reject invalid UTF-8"],
    ["encodeValue", "negate", "!(v instanceof Uint8Array)", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr('REQ-ENC-008', w, 'not a byte string');", "REQ-ENC-008 should encode and decode an opaque field of min and max bytes, and refuse one byte fewer or more both ways"],
    ["encodeValue", "negate", "strict && (b.length < d.min || b.length > d.max)", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "boundary", "b.length < d.min", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "boundary", "b.length > d.max", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr('REQ-ENC-008', w, `length ${b.length} outside ${d.min}..${d.max}`);", "REQ-ENC-008 should encode and decode an opaque field of min and max bytes, and refuse one byte fewer or more both ways"],
    ["encodeValue", "negate", "n === undefined", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr('REQ-ENC-010', w, `not a ${d.name}: ${String(v)}`);", "REQ-ENC-010 should encode only the listed enum names, and decode only the listed values"],
    ["encodeValue", "negate", "!Array.isArray(v)", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr('REQ-ENC-009', w, 'not a list');", "REQ-ENC-009 should encode and decode a list of min and max elements, and refuse one fewer or more both ways, and a non-list"],
    ["encodeValue", "negate", "strict && (v.length < d.min || v.length > d.max)", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "boundary", "v.length < d.min", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "boundary", "v.length > d.max", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr('REQ-ENC-009', w, `count ${v.length} outside ${d.min}..${d.max}`);", "REQ-ENC-009 should encode and decode a list of min and max elements, and refuse one fewer or more both ways, and a non-list"],
    ["encodeValue", "negate", "typeof v !== 'object' || v === null", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr('REQ-ENC-017', w, `not a ${d.name}`);", "REQ-ENC-017 should encode only an object as a struct, and refuse a value outside its validity rule both ways"],
    ["encodeValue", "negate", "problem !== undefined", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["encodeValue", "drop-call", "encErr('REQ-ENC-017', w, problem);", "REQ-ENC-017 should encode only an object as a struct, and refuse a value outside its validity rule both ways"],
    ["encodePrefix", "negate", "idx < 0", "REQ-ENC-015 should encode the prefix of a message before a named field, the header alone before the first, and refuse a field it does not have"],
    ["encodePrefix", "no-guard", "idx < 0", "REQ-ENC-015 should encode the prefix of a message before a named field, the header alone before the first, and refuse a field it does not have"],
    ["encodePrefix", "boundary", "idx < 0", "REQ-ENC-015 should encode the prefix of a message before a named field, the header alone before the first, and refuse a field it does not have"],
    ["encodePrefix", "bound+1", "idx < 0", "REQ-ENC-015 should encode the prefix of a message before a named field, the header alone before the first, and refuse a field it does not have"],
    ["encodePrefix", "bound-1", "idx < 0", "REQ-ENC-015 should encode the prefix of a message before a named field, the header alone before the first, and refuse a field it does not have"],
    ["need", "negate", "r.pos + n > r.buf.length", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["need", "boundary", "r.pos + n > r.buf.length", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["need", "drop-call", "decErr('REQ-ENC-006', 'truncated', r, `needs ${n} more bytes, ${r.buf.length - r.pos} left`, extra);", "REQ-ENC-006 should reject every proper prefix of a valid encoding as truncated (property)"],
    ["readUint", "negate", "hi >= 2 ** 21", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["readUint", "boundary", "hi >= 2 ** 21", "REQ-ENC-012 should encode a uint64 up to 2^53 - 1 and refuse -1 and 2^53; decode a high word of 2^21 - 1 and reject 2^21"],
    ["readUint", "drop-call", "decErr('REQ-ENC-012', 'uint64', r, 'uint64 above 2^53 - 1', extra);", "REQ-ENC-012 should encode a uint64 up to 2^53 - 1 and refuse -1 and 2^53; decode a high word of 2^21 - 1 and reject 2^21"],
    ["readHeader", "negate", "version !== PROTOCOL_VERSION", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["readHeader", "drop-call", "decErr('REQ-ENC-002', 'version', r, `unsupported version ${version}`, 'header.version');", "REQ-ENC-002 REQ-ENC-003 REQ-ENC-004 REQ-ENC-005 should reject another version, suite or type in the header, each with its own id (and peekType as decode)"],
    ["readHeader", "negate", "!REGISTERED_SUITES.has(suite) && enforced('REQ-ENC-003')", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["readHeader", "drop-call", "decErr('REQ-ENC-003', 'suite', r, `unknown suite 0x${suite.toString(16).padStart(4, '0')}`, 'header.suite');", "REQ-ENC-002 REQ-ENC-003 REQ-ENC-004 REQ-ENC-005 should reject another version, suite or type in the header, each with its own id (and peekType as decode)"],
    ["readHeader", "negate", "!REGISTERED_TYPES.has(type)", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["readHeader", "drop-call", "decErr('REQ-ENC-004', 'type', r, `unknown message type 0x${type.toString(16).padStart(2, '0')}`, 'header.type');", "REQ-ENC-002 REQ-ENC-003 REQ-ENC-004 REQ-ENC-005 should reject another version, suite or type in the header, each with its own id (and peekType as decode)"],
    ["readHeader", "negate", "expected !== undefined && type !== expected", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["readHeader", "drop-call", "decErr('REQ-ENC-005', 'unexpected-type', r, `expected type 0x${expected.toString(16).padStart(2, '0')}, got 0x${type.toString(16).padStart(2, '0')}`, 'header.type');", "REQ-ENC-002 REQ-ENC-003 REQ-ENC-004 REQ-ENC-005 should reject another version, suite or type in the header, each with its own id (and peekType as decode)"],
    ["decodeValue", "negate", "b > 1", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["decodeValue", "boundary", "b > 1", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["decodeValue", "bound+1", "b > 1", "REQ-ENC-011 should encode only booleans, and decode the byte 0 as false, 1 as true and reject every other byte"],
    ["decodeValue", "bound-1", "b > 1", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["decodeValue", "drop-call", "decErr('REQ-ENC-011', 'bool', r, `boolean byte ${b}`);", "REQ-ENC-011 should encode only booleans, and decode the byte 0 as false, 1 as true and reject every other byte"],
    ["decodeValue", "boundary", "n < d.min", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["decodeValue", "negate", "n < d.min || n > d.max", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["decodeValue", "boundary", "n > d.max", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["decodeValue", "drop-call", "decErr('REQ-ENC-008', 'length', r, `length ${n} outside ${d.min}..${d.max}`);", "REQ-ENC-008 should encode and decode an opaque field of min and max bytes, and refuse one byte fewer or more both ways"],
    ["decodeValue", "negate", "s === undefined", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["decodeValue", "drop-call", "decErr('REQ-ENC-013', 'utf8', r, 'invalid UTF-8');", "REQ-ENC-013 should encode only strings in a utf8 field, bounded in bytes (REQ-ENC-008), and reject invalid UTF-8"],
    ["decodeValue", "boundary", "n < d.min", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)", 1],
    ["decodeValue", "negate", "n < d.min || n > d.max", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)", 1],
    ["decodeValue", "boundary", "n > d.max", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)", 1],
    ["decodeValue", "drop-call", "decErr('REQ-ENC-009', 'count', r, `count ${n} outside ${d.min}..${d.max}`);", "REQ-ENC-009 should encode and decode a list of min and max elements, and refuse one fewer or more both ways, and a non-list"],
    ["decodeValue", "negate", "problem !== undefined", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["decodeValue", "drop-call", "decErr('REQ-ENC-017', 'value', r, problem);", "REQ-ENC-017 should encode only an object as a struct, and refuse a value outside its validity rule both ways"],
    ["checkSorted", "negate", "mode === 'decode'", "REQ-ENC-014 should refuse a sorted list out of order with an EncodeError when encoding and a DecodeError when decoding"],
    ["checkSorted", "no-guard", "mode === 'decode'", "REQ-ENC-014 should refuse a sorted list out of order with an EncodeError when encoding and a DecodeError when decoding"],
    ["decode", "negate", "bytes.length > max", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["decode", "no-guard", "bytes.length > max", "REQ-ENC-019 should decode an input of exactly maxBytes and reject one byte more before decoding"],
    ["decode", "boundary", "bytes.length > max", "REQ-ENC-019 should decode an input of exactly maxBytes and reject one byte more before decoding"],
    ["decode", "negate", "options.inPlace === true", "REQ-ENC-016 should decode byte fields into a private copy unless told the input is handed over (inPlace)"],
    ["decode", "negate", "r.pos !== bytes.length", "REQ-ENC-015 should round-trip every valid value of every kind, and the encoding decodes to it (property)"],
    ["decode", "drop-call", "decErr('REQ-ENC-007', 'trailing', r, `${bytes.length - r.pos} trailing bytes`);", "REQ-ENC-007 should reject a valid encoding followed by any bytes as trailing (property)"],
    ],
  ),
];
